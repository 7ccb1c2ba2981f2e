import type { Auth } from "lucia";
import { bitbucket, type BitbucketUser } from "@lucia-auth/oauth/providers";
import type { Deadline } from "../../http/upstream.js";
import type { Edition, EditionClient } from "../edition.js";
import { checkAccess, type BitbucketAccess } from "./access.js";
import type { ResolvedAllow } from "./allow.js";
import { createFetchBitbucket } from "./bitbucket-api.js";
import { fetchPrimaryEmail } from "./email.js";
import { createCodeExchange } from "./exchange.js";
import { basicAuthorization, postTokenEndpoint } from "./token-endpoint.js";

const NO_EMAIL: PromiseSettledResult<null> = Object.freeze({ status: "fulfilled", value: null });

/** What Bitbucket Cloud needs to know of a router or a guard, once resolved. */
export interface CloudConfig {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUri: string;
  /** `null` without `allow`: a login then makes no extra request. */
  readonly allow: ResolvedAllow | null;
  readonly fetchEmail: boolean;
}

/** The rules and the refresh on Cloud, without Lucia: what every re-check after sign-in needs. */
export function createCloudClient(
  config: Pick<CloudConfig, "clientId" | "clientSecret">,
): EditionClient<ResolvedAllow, BitbucketAccess> {
  const authorization = basicAuthorization(config.clientId, config.clientSecret);
  return {
    checkAccess: (allow, accessToken, deadline) =>
      checkAccess(allow, createFetchBitbucket(accessToken, deadline)),
    refresh: (refreshToken, deadline) =>
      postTokenEndpoint(
        "refresh",
        authorization,
        { grant_type: "refresh_token", refresh_token: refreshToken },
        deadline,
      ),
  };
}

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
          bitbucketUserAuth: await exchange.identify(tokens, deadline),
          access: null,
          email: NO_EMAIL,
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
      return { bitbucketUserAuth: user.value, access: access.value, email, fetchBitbucket };
    },
  };
}
