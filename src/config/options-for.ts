import type { Auth } from "lucia";
import type { AccessOf, AllowOf, OptionsOf, UserOf } from "../editions/option-types.js";
import type { BitbucketEdition } from "../editions/select.js";
import type { BitbucketRouterHooks } from "./hooks.js";
import type { RouterOptionsCommon } from "./options.js";

/** The router's `allow`, of any edition. */
interface RouterRules<Allow> {
  /**
   * Who may sign in, by the edition's rules. Checked before any user, key or session is read or
   * written; a refusal is `ACCESS_NOT_ALLOWED` (403), and also ends every session of a user who no
   * longer qualifies. Default: anyone with an account.
   */
  readonly allow?: Allow;
}

/**
 * Options of {@link bitbucketRouter} for one edition by name, or for any: `"cloud"` is
 * {@link BitbucketRouterOptions} and `"datacenter"` is {@link BitbucketDataCenterRouterOptions},
 * key for key. An edition added beside them is named the same way, and its hooks receive its user.
 *
 * @example
 * const options: BitbucketRouterOptionsFor<"datacenter"> = {
 *   serverUrl: "https://git.acme.com/bitbucket",
 *   clientId, clientSecret, redirectUri,
 *   getUserAttributes: (bb) => ({ name: bb.displayName }),
 * };
 */
export type BitbucketRouterOptionsFor<
  E extends BitbucketEdition = BitbucketEdition,
  _Auth extends Auth = Auth,
> = {
  readonly [K in E]: RouterOptionsCommon &
    BitbucketRouterHooks<_Auth, UserOf<K>, AccessOf<K>> &
    RouterRules<AllowOf<K>> &
    OptionsOf<K, "instance"> &
    OptionsOf<K, "stored"> &
    OptionsOf<K, "login">;
}[E];
