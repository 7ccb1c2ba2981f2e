import type { BitbucketAccess } from "../editions/cloud/access.js";
import type { BitbucketAllow } from "../editions/cloud/allow.js";
import type { BitbucketDataCenterAccess } from "../editions/datacenter/access.js";
import type { BitbucketDataCenterAllow } from "../editions/datacenter/allow.js";
import type { AccessOf, AllowOf, OptionsOf } from "../editions/option-types.js";
import type { BitbucketEdition } from "../editions/select.js";
import { credentialsOf, recheckBitbucket } from "./credentials.js";
import { BitbucketAuthError } from "../errors/errors.js";
import { createDeadline } from "../http/upstream.js";

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
  /** Not set on Cloud. */
  readonly serverUrl?: undefined;
}

/** Input of {@link refreshBitbucketTokens} for Bitbucket Data Center. */
export interface RefreshBitbucketDataCenterTokensOptions extends Omit<
  RefreshBitbucketTokensOptions,
  "allow" | "serverUrl"
> {
  /** The router's `serverUrl`: the instance's base URL with its context path. */
  readonly serverUrl: string;
  /** The router's `redirectUri`, sent along as some Atlassian servers check it on refresh. */
  readonly redirectUri?: string;
  /** Re-check these rules (the Data Center router's `allow`) with the fresh access token. */
  readonly allow?: BitbucketDataCenterAllow;
}

/** The refresh's `allow`, of any edition. */
interface RefreshRules<Allow> {
  /** Re-check these rules (the router's `allow`, of the router's edition) with the fresh access token. */
  readonly allow?: Allow;
}

/**
 * Input of {@link refreshBitbucketTokens} for one edition by name, or for any: `"cloud"` is
 * {@link RefreshBitbucketTokensOptions} and `"datacenter"` is
 * {@link RefreshBitbucketDataCenterTokensOptions}, key for key.
 */
export type RefreshBitbucketTokensOptionsFor<E extends BitbucketEdition = BitbucketEdition> = {
  readonly [K in E]: Omit<RefreshBitbucketTokensOptions, "allow" | "serverUrl"> &
    RefreshRules<AllowOf<K>> &
    OptionsOf<K, "instance"> &
    OptionsOf<K, "refresh">;
}[E];

/** New tokens. Store `refreshToken`: Bitbucket rotates it, and the old one no longer works. */
export interface RefreshedBitbucketTokens<Access = BitbucketAccess> {
  readonly accessToken: string;
  /** Seconds; Bitbucket Cloud's access tokens last 7200, Data Center's 3600. */
  readonly accessTokenExpiresIn: number;
  readonly refreshToken: string;
  /** Granted scopes, from `scope` or the older `scopes` field. */
  readonly scopes: readonly string[];
  /**
   * With `allow`: whether the person still qualifies (`access.allowed`), and the workspace and role
   * found. `null` without `allow`. Store the new tokens either way: the old refresh token is spent.
   */
  readonly access: Access | null;
  /**
   * With `allow`, when Bitbucket could not answer the re-check (an outage, never a refusal): its
   * coded error, and `access` is `null`. The tokens are still valid and must still be stored; retry
   * the check later with `checkBitbucketAccess`. Otherwise `null`.
   */
  readonly accessCheckError: BitbucketAuthError | null;
}

/**
 * Exchanges a refresh token for new tokens (form body, under a timeout; Cloud takes the client
 * credentials as HTTP Basic, Data Center in the body). With `serverUrl`, on Data Center, where a
 * refresh rotates both tokens and the old ones stop working at once.
 *
 * With `allow`, the fresh token re-checks who may stay signed in (see `checkBitbucketAccess`).
 *
 * @throws BitbucketAuthError `REFRESH_TOKEN_INVALID` when Bitbucket refuses the refresh token,
 * `CLIENT_CREDENTIALS_REJECTED`, `BITBUCKET_UNAVAILABLE`, `BITBUCKET_RATE_LIMITED` or `BITBUCKET_TIMEOUT`.
 * @example
 * const fresh = await refreshBitbucketTokens({ clientId, clientSecret, refreshToken: stored.refreshToken });
 * // The old refresh token is now spent: store the new ones.
 * await tokens.save(userId, bitbucketGrant(), withRefreshedTokens(stored, fresh));
 */
export async function refreshBitbucketTokens<E extends BitbucketEdition = never>(
  options: RefreshBitbucketTokensOptionsFor<E>,
): Promise<RefreshedBitbucketTokens<AccessOf<E>>>;
// The first signature is any edition's by name (`refreshBitbucketTokens<"datacenter">(…)`): its
// answer is typed by the edition named, so it is never picked without one. Cloud's signature is
// last: it is the one `Parameters<typeof refreshBitbucketTokens>` reads.
export async function refreshBitbucketTokens(
  options: RefreshBitbucketDataCenterTokensOptions,
): Promise<RefreshedBitbucketTokens<BitbucketDataCenterAccess>>;
export async function refreshBitbucketTokens(
  options: RefreshBitbucketTokensOptions,
): Promise<RefreshedBitbucketTokens>;
export async function refreshBitbucketTokens(
  options: RefreshBitbucketTokensOptionsFor,
): Promise<RefreshedBitbucketTokens<AccessOf<BitbucketEdition>>> {
  const { clientId, clientSecret, refreshToken, timeout = 10_000 } = options;
  const fail = (message: string): never => {
    throw new TypeError(`refreshBitbucketTokens: ${message}`);
  };
  for (const [name, value] of Object.entries({ clientId, clientSecret, refreshToken })) {
    if (typeof value !== "string" || value === "") fail(`"${name}" is required.`);
  }
  if (!Number.isInteger(timeout) || timeout < 1000)
    fail(`"timeout" must be a whole number of milliseconds, at least 1000.`);
  const bitbucket = recheckBitbucket(options, false, fail);
  const refresh = bitbucket.refresher(credentialsOf(options));
  const deadline = createDeadline(timeout);
  try {
    const fresh = await refresh(refreshToken, deadline);
    const { accessToken } = fresh;
    // The old refresh token is spent now: an outage in the re-check must not lose the new ones.
    let access: AccessOf<BitbucketEdition> | null = null;
    let accessCheckError: BitbucketAuthError | null = null;
    if (bitbucket.rules) {
      try {
        access = await bitbucket.rules.ask(accessToken, deadline);
      } catch (err) {
        accessCheckError =
          err instanceof BitbucketAuthError ? err : new BitbucketAuthError("BITBUCKET_UNAVAILABLE");
      }
    }
    return { ...fresh, access, accessCheckError };
  } finally {
    deadline.end();
  }
}
