import type { BitbucketAccess } from "../editions/cloud/access.js";
import { resolveAllow, type BitbucketAllow } from "../editions/cloud/allow.js";
import { createCloudClient } from "../editions/cloud/cloud.js";
import { BitbucketAuthError } from "../errors/errors.js";
import { createDeadline } from "../upstream/upstream.js";

/** Input of {@link refreshBitbucketTokens}. */
export interface RefreshBitbucketTokensOptions {
  readonly clientId: string;
  readonly clientSecret: string;
  /** The refresh token stored from the last exchange or refresh. */
  readonly refreshToken: string;
  /** Deadline in milliseconds for the refresh and the re-check together. Default `10_000`. */
  readonly timeout?: number;
  /**
   * Re-check these rules (the router's `allow`) with the fresh access token; the answer is in
   * `access`. Default: no check.
   */
  readonly allow?: BitbucketAllow;
}

/** New tokens. Store `refreshToken`: Bitbucket rotates it, and the old one no longer works. */
export interface RefreshedBitbucketTokens {
  readonly accessToken: string;
  /** Seconds; Bitbucket's access tokens last 7200. */
  readonly accessTokenExpiresIn: number;
  readonly refreshToken: string;
  /** Granted scopes, from `scope` or the older `scopes` field. */
  readonly scopes: readonly string[];
  /**
   * With `allow`: whether the person still qualifies (`access.allowed`), and the workspace and role
   * found. `null` without `allow`. Store the new tokens either way: the old refresh token is spent.
   */
  readonly access: BitbucketAccess | null;
  /**
   * With `allow`, when Bitbucket could not answer the re-check (an outage, never a refusal): its
   * coded error, and `access` is `null`. The tokens are still valid and must still be stored; retry
   * the check later with `checkBitbucketAccess`. Otherwise `null`.
   */
  readonly accessCheckError: BitbucketAuthError | null;
}

/**
 * Exchanges a refresh token for new tokens (HTTP Basic client auth, form body, under a timeout).
 *
 * With `allow`, the fresh token re-checks who may stay signed in (see `checkBitbucketAccess`).
 *
 * @throws BitbucketAuthError `REFRESH_TOKEN_INVALID` when Bitbucket refuses the refresh token,
 * `CLIENT_CREDENTIALS_REJECTED`, `BITBUCKET_UNAVAILABLE`, `BITBUCKET_RATE_LIMITED` or `BITBUCKET_TIMEOUT`.
 * @example
 * const fresh = await refreshBitbucketTokens({ clientId, clientSecret, refreshToken: stored.refreshToken });
 * await tokens.save(userId, fresh); // the old refresh token is now spent
 */
export async function refreshBitbucketTokens(
  options: RefreshBitbucketTokensOptions,
): Promise<RefreshedBitbucketTokens> {
  const { clientId, clientSecret, refreshToken, timeout = 10_000 } = options;
  const fail = (message: string): never => {
    throw new TypeError(`refreshBitbucketTokens: ${message}`);
  };
  for (const [name, value] of Object.entries({ clientId, clientSecret, refreshToken })) {
    if (typeof value !== "string" || value === "") fail(`"${name}" is required.`);
  }
  if (!Number.isInteger(timeout) || timeout < 1000)
    fail(`"timeout" must be a whole number of milliseconds, at least 1000.`);
  const allow = options.allow === undefined ? null : resolveAllow(options.allow, fail);
  const deadline = createDeadline(timeout);
  const bitbucket = createCloudClient({ clientId, clientSecret });
  const fresh = await bitbucket.refresh(refreshToken, deadline);
  const { accessToken } = fresh;
  // The old refresh token is spent now: an outage in the re-check must not lose the new ones.
  let access: BitbucketAccess | null = null;
  let accessCheckError: BitbucketAuthError | null = null;
  if (allow) {
    try {
      access = await bitbucket.checkAccess(allow, accessToken, deadline);
    } catch (err) {
      accessCheckError =
        err instanceof BitbucketAuthError ? err : new BitbucketAuthError("BITBUCKET_UNAVAILABLE");
    }
  }
  return { ...fresh, access, accessCheckError };
}
