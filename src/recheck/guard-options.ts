import type { BitbucketAllow } from "../editions/cloud/allow.js";
import type { BitbucketDataCenterAllow } from "../editions/datacenter/allow.js";
import type { AllowOf, OptionsOf } from "../editions/option-types.js";
import { INSTANCE_OPTIONS, type BitbucketEdition } from "../editions/select.js";
import type { BitbucketTokenStore } from "../tokens/token-store.js";

/** Options of {@link bitbucketAccessGuard}. */
export interface BitbucketAccessGuardOptions {
  /** The rules to keep holding: the router's `allow`. Required. */
  readonly allow: BitbucketAllow;
  /** The OAuth consumer's key, for refreshing tokens. Required. */
  readonly clientId: string;
  /** The OAuth consumer's secret. Required; never logged nor put in an error. */
  readonly clientSecret: string;
  /** Where the router stored each login's tokens (the router's `tokens` option). Required. */
  readonly tokens: BitbucketTokenStore;
  /**
   * A check younger than this many milliseconds is trusted, and the request costs no database read
   * and no Bitbucket call. `0` re-checks on every request; at most `86_400_000` (a day). Default
   * `300_000` (5 minutes).
   */
  readonly interval?: number;
  /**
   * While Bitbucket is down (5xx, 429, time-out), a session is kept for at most this many
   * milliseconds after the last check that held; then it is ended like a refusal. Default: three
   * intervals, and at least `60_000`.
   * WARNING: a longer bound lets a removed member stay signed in for longer during an outage.
   */
  readonly maxStale?: number;
  /** Deadline in milliseconds for one check's Bitbucket calls (refresh included). Default `10_000`. */
  readonly timeout?: number;
  /**
   * Where a person whose sessions were ended is sent, with `?error=ACCESS_REVOKED`. Default: none,
   * so the error goes to `next(err)` (JSON from `bitbucketErrorHandler()`).
   */
  readonly failureRedirect?: string;
  /** How many sessions and users the guard remembers checks for. Default `10_000`. */
  readonly cacheSize?: number;
  /** Not set on Cloud. */
  readonly serverUrl?: undefined;
}

/** Options of {@link bitbucketAccessGuard} for Bitbucket Data Center: the router's `serverUrl` and rules. */
export interface BitbucketDataCenterAccessGuardOptions extends Omit<
  BitbucketAccessGuardOptions,
  "allow" | "serverUrl"
> {
  /** The router's `serverUrl`. */
  readonly serverUrl: string;
  /** The rules to keep holding: the Data Center router's `allow`. Required. */
  readonly allow: BitbucketDataCenterAllow;
  /** The router's `redirectUri`, sent along on refresh (some Atlassian servers check it). */
  readonly redirectUri?: string;
  /**
   * The router's `providerId`: with `serverUrl`, it names the Bitbucket whose stored tokens this
   * guard reads. Default `"bitbucket-datacenter"`, as on the router.
   */
  readonly providerId?: string;
}

/** The guard's `allow`, of any edition. */
interface GuardRules<Allow> {
  /** The rules to keep holding: the router's `allow`, of the router's edition. Required. */
  readonly allow: Allow;
}

/**
 * Options of {@link bitbucketAccessGuard} for one edition by name, or for any: `"cloud"` is
 * {@link BitbucketAccessGuardOptions} and `"datacenter"` is
 * {@link BitbucketDataCenterAccessGuardOptions}, key for key.
 * @example
 * const options: BitbucketAccessGuardOptionsFor<"datacenter"> = { serverUrl, allow: { projects: ["ENG"] }, clientId, clientSecret, tokens };
 */
export type BitbucketAccessGuardOptionsFor<E extends BitbucketEdition = BitbucketEdition> = {
  readonly [K in E]: Omit<BitbucketAccessGuardOptions, "allow" | "serverUrl"> &
    GuardRules<AllowOf<K>> &
    OptionsOf<K, "instance"> &
    OptionsOf<K, "stored"> &
    OptionsOf<K, "refresh">;
}[E];

/** Every option key the guard takes, for the did-you-mean check: its own, and every edition's instance keys. */
export const GUARD_OPTIONS: readonly string[] = [
  ...([
    "allow",
    "clientId",
    "clientSecret",
    "tokens",
    "interval",
    "maxStale",
    "timeout",
    "failureRedirect",
    "cacheSize",
    "redirectUri",
  ] as const satisfies readonly (keyof BitbucketAccessGuardOptions | "redirectUri")[]),
  ...INSTANCE_OPTIONS,
];
