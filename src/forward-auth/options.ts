import type { BitbucketAllow } from "../editions/cloud/allow.js";
import type { BitbucketDataCenterAllow } from "../editions/datacenter/allow.js";
import type { AllowOf } from "../editions/option-types.js";
import type { BitbucketEdition } from "../editions/select.js";
import type {
  BitbucketAccessGuardOptions,
  BitbucketAccessGuardOptionsFor,
  BitbucketDataCenterAccessGuardOptions,
} from "../recheck/guard-options.js";
import { GUARD_OPTIONS } from "../recheck/guard-options.js";

/** What forward-auth adds to the guard's options, whichever the edition. */
interface ForwardAuthExtras<Allow> {
  /**
   * Where the `redirect` route sends a browser that is not signed in: the router's login route, as
   * the browser reaches it. A path (`"/_auth/login/bitbucket"`) when the check is served on each
   * protected host, or an absolute URL (`"https://auth.example.com/login/bitbucket"`) for one auth
   * host. Required.
   */
  readonly loginUrl: string;
  /**
   * Named rules, each an `allow` of this edition, that the proxy picks by path: `GET
   * <mount>/check/<name>`. A name is lowercase letters, digits, `-` and `_`. Each holds on top of
   * `allow` (who may sign in at all) and is checked against Bitbucket on its first use, then at most
   * once per `interval`. Default: none; `GET <mount>/check` checks `allow` alone.
   * @example rules: { docs: { workspaces: ["acme"] }, jenkins: { workspaces: ["acme"], role: "owner" } }
   */
  readonly rules?: Readonly<Record<string, Allow>>;
  /**
   * With an absolute `loginUrl`: the hosts the browser may come back to after the login, as the
   * router's `returnToHosts` (exact names or `*.example.com`, https only outside loopback). The
   * original URL is rebuilt from `X-Forwarded-Proto`, `-Host` and `-Uri`; on any other host it is
   * dropped, and the login lands on the router's `successRedirect`. Default: none.
   * WARNING: each host listed may receive a signed-in browser; list only hosts you run.
   */
  readonly returnToHosts?: readonly string[];
}

/**
 * Options of {@link bitbucketForwardAuth} on Cloud: the guard's (`allow`, `clientId`,
 * `clientSecret`, `tokens`, `interval`, `maxStale`, `timeout`, `cacheSize`) and its own.
 */
export interface BitbucketForwardAuthOptions
  extends Omit<BitbucketAccessGuardOptions, "failureRedirect">, ForwardAuthExtras<BitbucketAllow> {}

/** Options of {@link bitbucketForwardAuth} on Data Center: the Data Center guard's and its own. */
export interface BitbucketDataCenterForwardAuthOptions
  extends
    Omit<BitbucketDataCenterAccessGuardOptions, "failureRedirect">,
    ForwardAuthExtras<BitbucketDataCenterAllow> {}

/**
 * Options of {@link bitbucketForwardAuth} for one edition by name, or for any: `"cloud"` is
 * {@link BitbucketForwardAuthOptions} and `"datacenter"` is
 * {@link BitbucketDataCenterForwardAuthOptions}, key for key.
 */
export type BitbucketForwardAuthOptionsFor<E extends BitbucketEdition = BitbucketEdition> = {
  readonly [K in E]: Omit<BitbucketAccessGuardOptionsFor<K>, "failureRedirect"> &
    ForwardAuthExtras<AllowOf<K>>;
}[E];

/** Every option key forward-auth takes, for the did-you-mean check. */
export const FORWARD_AUTH_OPTIONS: readonly string[] = [
  ...GUARD_OPTIONS.filter((key) => key !== "failureRedirect"),
  "loginUrl",
  "rules",
  "returnToHosts",
];
