import type { Auth } from "lucia";
import { bitbucket, type BitbucketUser } from "@lucia-auth/oauth/providers";
import type { Deadline } from "../../http/upstream.js";
import type { Credentials, Edition, EditionDefinition, Refresh } from "../edition.js";
import { grantOf, rulesFingerprint } from "../grant.js";
import { optional } from "../../util/validators.js";
import { checkAccess, type BitbucketAccess } from "./access.js";
import { resolveAllow, type ResolvedAllow } from "./allow.js";
import { createFetchBitbucket } from "./bitbucket-api.js";
import { fetchPrimaryEmail } from "./email.js";
import { createCodeExchange } from "./exchange.js";
import { basicAuthorization, postTokenEndpoint } from "./token-endpoint.js";
import type { CloudTypes } from "./types.js";

/** What Bitbucket Cloud needs to know of a router or a guard, once resolved. */
export interface CloudConfig {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUri: string;
  /** `null` without `allow`: a login then makes no extra request. */
  readonly allow: ResolvedAllow | null;
  readonly fetchEmail: boolean;
}

/** The refresh on Cloud: the client's credentials go as HTTP Basic. */
function createCloudRefresh(credentials: Credentials): Refresh {
  const authorization = basicAuthorization(credentials.clientId, credentials.clientSecret);
  return (refreshToken, deadline) =>
    postTokenEndpoint(
      "refresh",
      authorization,
      { grant_type: "refresh_token", refresh_token: refreshToken },
      deadline,
    );
}

/** Bitbucket Cloud: picked when `serverUrl` is absent. Its own options are `fetchEmail` and its rules. */
export const cloud: EditionDefinition<CloudTypes> = {
  picks: (options) => options.serverUrl === undefined,
  instanceOptions: {},
  ownOptions: {
    fetchEmail: `option "fetchEmail" is for Bitbucket Cloud; with "serverUrl" (Bitbucket Data Center) the email comes from the user record.`,
  },
  ownRules: Object.fromEntries(
    ["workspaces", "role"].map((key) => [
      key,
      `option "allow.${key}" is for Bitbucket Cloud; with "serverUrl" (Bitbucket Data Center) use "allow.projects", "allow.repositories" and "allow.permission".`,
    ]),
  ),
  resolve(options, fail) {
    const allow = options.allow === undefined ? null : resolveAllow(options.allow, fail);
    const fetchEmail = optional(
      options,
      "fetchEmail",
      false,
      (v) => typeof v === "boolean",
      "a boolean",
      fail,
    );
    return {
      providerId: "bitbucket",
      grant: grantOf({}),
      issuer: ["cloud"],
      rules: allow && {
        fingerprint: rulesFingerprint(allow),
        ask: (accessToken, deadline) => checkAccess(allow, createFetchBitbucket(accessToken, deadline)),
        admitted: admittedBy,
      },
      login: (auth, { clientId, clientSecret, redirectUri }) =>
        createCloudEdition(auth, { clientId, clientSecret, redirectUri, allow, fetchEmail }),
      refresher: createCloudRefresh,
    };
  },
};

/**
 * Bitbucket Cloud as the routes see it: `@lucia-auth/oauth`'s `bitbucket()` provider for the
 * authorization URL (Cloud has no PKCE), then the code exchange, then `/2.0/user`, the gate and the
 * email side by side: two round trips for the whole login, the fewest the token allows.
 */
export function createCloudEdition<_Auth extends Auth>(
  auth: _Auth,
  config: CloudConfig,
): Edition<_Auth, BitbucketUser, BitbucketAccess> {
  const { clientId, clientSecret, redirectUri, allow } = config;
  const provider = bitbucket(auth, { clientId, clientSecret, redirectUri });
  const exchange = createCodeExchange(auth, { clientId, clientSecret, redirectUri });
  const emailOf = config.fetchEmail ? fetchPrimaryEmail : async () => null;
  return {
    async authorizationUrl() {
      const [url, state] = await provider.getAuthorizationUrl();
      return { url, state, codeVerifier: null };
    },
    async signIn(code: string, _codeVerifier: string | null, deadline: Deadline) {
      // Every request runs under the deadline (fetchJson: its signal until the head, readBody's own
      // cancel for the body), so none needs a race of its own: a stall is cut there, socket and all.
      const tokens = await exchange.tokens(code, deadline);
      const fetchBitbucket = createFetchBitbucket(tokens.accessToken, deadline);
      // Neither the gate nor the email: no extra request, and no promises to settle over nothing.
      // Stryker disable next-line ConditionalExpression: equivalent; the general path below gives the same answer, only slower.
      if (!allow && !config.fetchEmail)
        return {
          ...named(await exchange.identify(tokens, deadline)),
          access: null,
          refusal: null,
          email: null,
          fetchBitbucket,
        };
      // All settled before anything is thrown: no request of this login is still out when it answers.
      const [user, access, email] = await Promise.allSettled([
        exchange.identify(tokens, deadline),
        allow ? checkAccess(allow, fetchBitbucket) : null,
        emailOf(tokens.accessToken, deadline),
      ]);
      // Who signed in first: an answer about nobody is never read as a refusal.
      if (user.status === "rejected") throw user.reason;
      if (access.status === "rejected") throw access.reason;
      // The email's failure counts only when no refusal stands: a refused person hears of that.
      const refused = access.value !== null && !access.value.allowed;
      if (email.status === "rejected" && !refused) throw email.reason;
      return {
        ...named(user.value),
        access: access.value,
        refusal: null,
        email: email.status === "fulfilled" ? email.value : null,
        fetchBitbucket,
      };
    },
  };
}

/** The handle with the account's name: `username` when Bitbucket still sends it, else `nickname`. */
function named<T extends { readonly bitbucketUser: BitbucketUser }>(
  bitbucketUserAuth: T,
): { bitbucketUserAuth: T; name: string | null } {
  const { username, nickname } = bitbucketUserAuth.bitbucketUser as Partial<Record<string, unknown>>;
  const name = [username, nickname].find((v): v is string => typeof v === "string" && v !== "");
  return { bitbucketUserAuth, name: name ?? null };
}

/** What admitted a Cloud user: the workspace and role found, or the readable repository. */
function admittedBy(access: BitbucketAccess): Readonly<Record<string, string>> {
  return {
    ...(access.workspace ? { workspace: access.workspace.slug } : {}),
    ...(access.role ? { role: access.role } : {}),
    ...(access.repository ? { repository: access.repository } : {}),
  };
}
