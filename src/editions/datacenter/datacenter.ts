import type { Auth } from "lucia";
import { createOAuth2AuthorizationUrlWithPKCE, providerUserAuth } from "@lucia-auth/oauth";
import { BitbucketAuthError } from "../../errors/errors.js";
import { postTokenForm } from "../../http/token-form.js";
import type { Deadline } from "../../http/upstream.js";
import type { Credentials, Edition, EditionDefinition, Refresh } from "../edition.js";
import { grantOf, PROVIDER_ID, rulesFingerprint } from "../grant.js";
import { optional } from "../../util/validators.js";
import { resolveServerUrl } from "./server-url.js";
import { checkDataCenterAccess, type BitbucketDataCenterAccess } from "./access.js";
import { resolveDataCenterAllow, type ResolvedDataCenterAllow } from "./allow.js";
import { createDataCenterFetch } from "./api.js";
import { whoSignedIn, type BitbucketDataCenterUser } from "./identity.js";
import type { DataCenterTypes } from "./types.js";

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

/** The refresh on Data Center: the redirect URI goes along because some Atlassian servers check it. */
function createDataCenterRefresh(serverUrl: string, credentials: Credentials): Refresh {
  return (refreshToken, deadline) =>
    tokenRequest(
      { serverUrl, ...credentials },
      "refresh",
      {
        grant_type: "refresh_token",
        refresh_token: refreshToken,
        ...(credentials.redirectUri ? { redirect_uri: credentials.redirectUri } : {}),
      },
      deadline,
    );
}

const SCOPE_NAME = /^[A-Z][A-Z_]{0,63}$/;
const DATACENTER_ONLY = `is for Bitbucket Data Center: set "serverUrl" to use it.`;

/**
 * Bitbucket Data Center: picked by `serverUrl`. Its own options are the instance, the Lucia provider
 * id, the scopes and its rules.
 */
export const datacenter: EditionDefinition<DataCenterTypes> = {
  picks: (options) => options.serverUrl !== undefined,
  instanceOptions: {
    // Set, it picks Data Center first: only another edition that picks first meets it.
    serverUrl: 'option "serverUrl" is for Bitbucket Data Center.',
    providerId: `option "providerId" ${DATACENTER_ONLY}`,
  },
  ownOptions: { scope: `option "scope" ${DATACENTER_ONLY}` },
  ownRules: Object.fromEntries(
    ["projects", "permission"].map((key) => [
      key,
      `option "allow.${key}" is for Bitbucket Data Center: set "serverUrl", or use "allow.workspaces" on Cloud.`,
    ]),
  ),
  resolve(options, fail) {
    const serverUrl = resolveServerUrl(options.serverUrl, fail);
    const providerId = optional(
      options,
      "providerId",
      "bitbucket-datacenter",
      (v) => typeof v === "string" && PROVIDER_ID.test(v) && v !== "bitbucket",
      'letters, digits, "-" and "_" (not "bitbucket", which is Bitbucket Cloud\'s provider id)',
      fail,
    );
    const allow = options.allow === undefined ? null : resolveDataCenterAllow(options.allow, fail);
    const scope = optional<readonly string[]>(
      options,
      "scope",
      ["PUBLIC_REPOS"],
      (v) => Array.isArray(v) && v.length > 0 && v.every((s) => typeof s === "string" && SCOPE_NAME.test(s)),
      'a non-empty array of Data Center scope names such as ["PUBLIC_REPOS"] or ["REPO_READ"]',
      fail,
    );
    // The gate reads projects and repositories, which PUBLIC_REPOS alone does not show when private.
    const needed = allow && !scope.includes("REPO_READ") ? ["REPO_READ"] : [];
    const login = { serverUrl, providerId, scope: [...scope, ...needed], allow };
    return {
      providerId,
      grant: grantOf({ serverUrl, providerId }),
      issuer: ["datacenter", serverUrl, providerId],
      rules: allow && {
        fingerprint: rulesFingerprint(allow),
        ask: (accessToken, deadline) => checkDataCenterAccess(serverUrl, allow, accessToken, deadline),
        admitted: (access) => ({
          ...(access.project ? { project: access.project } : {}),
          ...(access.repository ? { repository: access.repository } : {}),
          permission: access.permission,
        }),
      },
      login: (auth, credentials) => createDataCenterEdition(auth, { ...login, ...credentials }),
      refresher: (credentials) => createDataCenterRefresh(serverUrl, credentials),
    };
  },
};

/**
 * Bitbucket Data Center as the routes see it: an authorization code with PKCE (S256) every time,
 * built on `@lucia-auth/oauth`'s own helpers; the exchange at `{serverUrl}/rest/oauth2/latest/token`;
 * then who signed in (two calls) beside the gate, so `allow` adds no round trip of its own.
 * Inactive and `SERVICE` accounts are the sign-in's `refusal`, which the route refuses like a
 * failed rule, so an existing user loses their sessions.
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
      const bitbucketUserAuth = Object.assign(providerUserAuth(auth, providerId, String(user.id)), {
        bitbucketUser: user,
        bitbucketTokens: { accessToken, accessTokenExpiresIn, refreshToken },
      });
      const email =
        typeof user.emailAddress === "string" && user.emailAddress !== "" ? user.emailAddress : null;
      return {
        bitbucketUserAuth,
        access: rules.value,
        refusal,
        email,
        name: user.name,
        fetchBitbucket: createDataCenterFetch(serverUrl, accessToken, deadline),
      };
    },
  };
}
