import type { Auth } from "lucia";
import { bitbucket, type BitbucketUser } from "@lucia-auth/oauth/providers";
import type { Deadline } from "../../upstream/upstream.js";
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
 * authorization URL (Cloud has no PKCE), then the code exchange and `/2.0/user`, then the gate and
 * the email side by side (at most one more round trip for the login).
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
      // Every request of the exchange runs under the deadline (fetchJson: its signal until the
      // head, readBody's own cancel for the body), so it needs no race of its own: a stalled answer
      // is cut there, socket and all.
      const bitbucketUserAuth = await exchange(code, deadline);
      const { accessToken } = bitbucketUserAuth.bitbucketTokens;
      const fetchBitbucket = createFetchBitbucket(accessToken, deadline);
      // Neither the gate nor the email: no extra request, and no promises to settle over nothing.
      // Stryker disable next-line ConditionalExpression: equivalent; the general path below gives the same answer, only slower.
      if (!allow && !config.fetchEmail)
        return { bitbucketUserAuth, access: null, email: NO_EMAIL, fetchBitbucket };
      const [access, email] = await Promise.allSettled([
        allow ? checkAccess(allow, fetchBitbucket) : null,
        emailOf(accessToken, deadline),
      ]);
      if (access.status === "rejected") throw access.reason;
      return { bitbucketUserAuth, access: access.value, email, fetchBitbucket };
    },
  };
}
