import { checkAccess, type BitbucketAccess } from "../editions/cloud/access.js";
import { resolveAllow, type BitbucketAllow } from "../editions/cloud/allow.js";
import { createFetchBitbucket } from "../editions/cloud/bitbucket-api.js";
import { createDeadline } from "../upstream/upstream.js";

/** Input of {@link checkBitbucketAccess}. */
export interface CheckBitbucketAccessOptions {
  /** A stored access token of the person (refresh it first when it may have expired). */
  readonly accessToken: string;
  /** The same rules as the router's `allow` option. */
  readonly allow: BitbucketAllow;
  /** Deadline in milliseconds for all the requests of the check. Default `10_000`. */
  readonly timeout?: number;
}

/**
 * Re-checks the `allow` rules later, with a stored access token, so a person removed from the
 * workspace does not keep the sessions they already have. Resolves with `allowed: false` only on
 * Bitbucket's definite "no"; an outage throws instead, so it is never mistaken for a removal.
 *
 * @throws BitbucketAuthError `BITBUCKET_TOKEN_REJECTED` (the token expired: refresh it and try
 * again), `SCOPE_MISSING`, `BITBUCKET_UNAVAILABLE`, `BITBUCKET_RATE_LIMITED` or `BITBUCKET_TIMEOUT`.
 * @throws TypeError when an argument is malformed.
 * @example
 * const access = await checkBitbucketAccess({ accessToken, allow: { workspaces: ["acme"] } });
 * if (!access.allowed) await auth.invalidateAllUserSessions(userId);
 */
export async function checkBitbucketAccess(options: CheckBitbucketAccessOptions): Promise<BitbucketAccess> {
  const fail = (message: string): never => {
    throw new TypeError(`checkBitbucketAccess: ${message}`);
  };
  const { accessToken, timeout = 10_000 } = options ?? ({} as CheckBitbucketAccessOptions);
  if (typeof accessToken !== "string" || accessToken === "") fail(`"accessToken" is required.`);
  if (!Number.isInteger(timeout) || timeout < 1000)
    fail(`"timeout" must be a whole number of milliseconds, at least 1000.`);
  const allow = resolveAllow(options.allow, fail);
  const deadline = createDeadline(timeout);
  return checkAccess(allow, createFetchBitbucket(accessToken, deadline));
}
