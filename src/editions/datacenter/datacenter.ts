import type { Auth } from "lucia";
import { createOAuth2AuthorizationUrlWithPKCE, providerUserAuth } from "@lucia-auth/oauth";
import { BitbucketAuthError } from "../../errors/errors.js";
import { postTokenForm } from "../../http/token-form.js";
import type { Deadline } from "../../http/upstream.js";
import type { Edition, EditionClient } from "../edition.js";
import { checkDataCenterAccess, type BitbucketDataCenterAccess } from "./access.js";
import type { ResolvedDataCenterAllow } from "./allow.js";
import { createDataCenterFetch } from "./api.js";
import { whoSignedIn, type BitbucketDataCenterUser } from "./identity.js";

/** What Bitbucket Data Center needs to know of a router or a guard, once resolved. */
export interface DataCenterConfig {
  /** The base URL with its context path and no trailing slash (`https://git.acme.com/bitbucket`). */
  readonly serverUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUri: string;
  /** The Lucia key's provider id, `bitbucket-datacenter` by default. */
  readonly providerId: string;
  readonly scope: readonly string[];
  readonly allow: ResolvedDataCenterAllow | null;
}

// Data Center's access tokens last an hour when the answer does not say.
const DEFAULT_EXPIRES_IN = 3600;

/** The token endpoint: client credentials in the form body (Data Center does not read HTTP Basic). */
function tokenRequest(
  config: Pick<DataCenterConfig, "serverUrl" | "clientId" | "clientSecret">,
  endpoint: "token" | "refresh",
  form: Readonly<Record<string, string>>,
  deadline: Deadline,
) {
  return postTokenForm(
    endpoint,
    `${config.serverUrl}/rest/oauth2/latest/token`,
    null,
    { ...form, client_id: config.clientId, client_secret: config.clientSecret },
    deadline,
    DEFAULT_EXPIRES_IN,
  );
}

/** The rules and the refresh on Data Center, without Lucia: what every re-check after sign-in needs. */
export function createDataCenterClient(
  config: Pick<DataCenterConfig, "serverUrl" | "clientId" | "clientSecret"> & {
    readonly redirectUri?: string;
  },
): EditionClient<ResolvedDataCenterAllow, BitbucketDataCenterAccess> {
  return {
    checkAccess: (allow, accessToken, deadline) =>
      checkDataCenterAccess(config.serverUrl, allow, accessToken, deadline),
    // Refresh rotates both tokens; the redirect URI goes along because some Atlassian servers check it.
    refresh: (refreshToken, deadline) =>
      tokenRequest(
        config,
        "refresh",
        {
          grant_type: "refresh_token",
          refresh_token: refreshToken,
          ...(config.redirectUri ? { redirect_uri: config.redirectUri } : {}),
        },
        deadline,
      ),
  };
}

/**
 * Bitbucket Data Center as the routes see it: an authorization code with PKCE (S256) every time,
 * built on `@lucia-auth/oauth`'s own helpers; the exchange at `{serverUrl}/rest/oauth2/latest/token`;
 * then who signed in (two calls) beside the gate, so `allow` adds no round trip of its own.
 * Inactive and `SERVICE` accounts are refused like a failed rule, so an existing user loses their
 * sessions.
 */
export function createDataCenterEdition<_Auth extends Auth>(
  auth: _Auth,
  config: DataCenterConfig,
): Edition<_Auth, BitbucketDataCenterUser, BitbucketDataCenterAccess> {
  const { serverUrl, clientId, redirectUri, providerId, allow } = config;
  const authorizeUrl = `${serverUrl}/rest/oauth2/latest/authorize`;
  const scope = [...config.scope];
  return {
    async authorizationUrl() {
      const [url, codeVerifier, state] = await createOAuth2AuthorizationUrlWithPKCE(authorizeUrl, {
        clientId,
        redirectUri,
        scope,
        codeChallengeMethod: "S256",
      });
      return { url, state, codeVerifier };
    },
    async signIn(code, codeVerifier, deadline) {
      // A Data Center state always carries its verifier; one without cannot be ours.
      if (codeVerifier === null) throw new BitbucketAuthError("STATE_COOKIE_INVALID");
      // Every request below runs under the deadline (fetchJson, getDataCenter: its signal until the
      // head, readBody's own cancel for the body), so none needs a race of its own: a stalled
      // answer is cut there, socket and all.
      const tokens = await tokenRequest(
        config,
        "token",
        { grant_type: "authorization_code", code, redirect_uri: redirectUri, code_verifier: codeVerifier },
        deadline,
      );
      const { accessToken, accessTokenExpiresIn, refreshToken } = tokens;
      const [who, rules] = await Promise.allSettled([
        whoSignedIn(serverUrl, accessToken, deadline),
        allow ? checkDataCenterAccess(serverUrl, allow, accessToken, deadline) : null,
      ]);
      if (who.status === "rejected") throw who.reason;
      if (rules.status === "rejected") throw rules.reason;
      const user = who.value;
      const refusal = !user.active
        ? "the account is inactive"
        : user.type === "SERVICE"
          ? "service accounts may not sign in"
          : null;
      const access: BitbucketDataCenterAccess | null = refusal
        ? {
            allowed: false,
            reason: refusal,
            project: null,
            repository: null,
            permission: allow?.permission ?? "read",
          }
        : rules.value;
      const bitbucketUserAuth = Object.assign(providerUserAuth(auth, providerId, String(user.id)), {
        bitbucketUser: user,
        bitbucketTokens: { accessToken, accessTokenExpiresIn, refreshToken },
      });
      const email =
        typeof user.emailAddress === "string" && user.emailAddress !== "" ? user.emailAddress : null;
      return {
        bitbucketUserAuth,
        access,
        email: { status: "fulfilled", value: email },
        fetchBitbucket: createDataCenterFetch(serverUrl, accessToken, deadline),
      };
    },
  };
}
