import type { BitbucketAccess } from "../editions/cloud/access.js";
import type { BitbucketAllow } from "../editions/cloud/allow.js";
import type { BitbucketDataCenterAccess } from "../editions/datacenter/access.js";
import type { BitbucketDataCenterAllow } from "../editions/datacenter/allow.js";
import type { AccessOf, AllowOf, OptionsOf } from "../editions/option-types.js";
import type { BitbucketEdition } from "../editions/select.js";
import { recheckBitbucket } from "./credentials.js";
import { createDeadline } from "../http/upstream.js";

/** Input of {@link checkBitbucketAccess}. */
export interface CheckBitbucketAccessOptions {
  /** A stored access token of the person (refresh it first when it may have expired). */
  readonly accessToken: string;
  /** The same rules as the router's `allow` option. */
  readonly allow: BitbucketAllow;
  /** Deadline in milliseconds for all the requests of the check. Default `10_000`. */
  readonly timeout?: number;
  /** Not set on Cloud. */
  readonly serverUrl?: undefined;
}

/** Input of {@link checkBitbucketAccess} for Bitbucket Data Center. */
export interface CheckBitbucketDataCenterAccessOptions {
  /** A stored access token of the person (refresh it first when it may have expired). */
  readonly accessToken: string;
  /** The router's `serverUrl`: the instance's base URL with its context path. */
  readonly serverUrl: string;
  /** The same rules as the Data Center router's `allow` option. */
  readonly allow: BitbucketDataCenterAllow;
  /** Deadline in milliseconds for all the requests of the check. Default `10_000`. */
  readonly timeout?: number;
}

/** The check's `allow`, of any edition. */
interface CheckRules<Allow> {
  /** The same rules as the router's `allow` option, of the router's edition. */
  readonly allow: Allow;
}

/**
 * Input of {@link checkBitbucketAccess} for one edition by name, or for any: `"cloud"` is
 * {@link CheckBitbucketAccessOptions} and `"datacenter"` is
 * {@link CheckBitbucketDataCenterAccessOptions}, key for key.
 */
export type CheckBitbucketAccessOptionsFor<E extends BitbucketEdition = BitbucketEdition> = {
  readonly [K in E]: Omit<CheckBitbucketAccessOptions, "allow" | "serverUrl"> &
    CheckRules<AllowOf<K>> &
    OptionsOf<K, "instance">;
}[E];

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
 * @example
 * // Data Center: the same, with serverUrl and its rules.
 * await checkBitbucketAccess({ accessToken, serverUrl, allow: { projects: ["ENG"] } });
 */
// The first signature is any edition's by name (`checkBitbucketAccess<"datacenter">(…)`): its
// answer is typed by the edition named, so it is never picked without one. Cloud's signature is
// last: it is the one `Parameters<typeof checkBitbucketAccess>` reads.
export async function checkBitbucketAccess<E extends BitbucketEdition = never>(
  options: CheckBitbucketAccessOptionsFor<E>,
): Promise<AccessOf<E>>;
export async function checkBitbucketAccess(
  options: CheckBitbucketDataCenterAccessOptions,
): Promise<BitbucketDataCenterAccess>;
export async function checkBitbucketAccess(options: CheckBitbucketAccessOptions): Promise<BitbucketAccess>;
export async function checkBitbucketAccess(
  options: CheckBitbucketAccessOptionsFor,
): Promise<AccessOf<BitbucketEdition>> {
  const fail = (message: string): never => {
    throw new TypeError(`checkBitbucketAccess: ${message}`);
  };
  const { accessToken, timeout = 10_000 } = options ?? ({} as Partial<CheckBitbucketAccessOptions>);
  if (typeof accessToken !== "string" || accessToken === "") fail(`"accessToken" is required.`);
  if (!Number.isInteger(timeout) || timeout < 1000)
    fail(`"timeout" must be a whole number of milliseconds, at least 1000.`);
  // The rules are required here: a missing `allow` is passed on as `null`, which the edition's rule
  // check refuses by name.
  const bitbucket = recheckBitbucket(options, true, fail);
  const { ask } = bitbucket.rules ?? fail(`option "allow" is required.`);
  const deadline = createDeadline(timeout);
  try {
    return await ask(accessToken, deadline);
  } finally {
    deadline.end();
  }
}
