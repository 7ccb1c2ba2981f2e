import type { OptionsOf } from "./option-types.js";
import { instanceOptionsOf, selectEdition, type BitbucketEdition } from "./select.js";

/**
 * The options of {@link bitbucketGrant} for one edition by name, or for any: the keys that name
 * its instance and whose tokens (none on Cloud; `serverUrl` and `providerId` on Data Center).
 */
export type BitbucketGrantOptionsFor<E extends BitbucketEdition = BitbucketEdition> = {
  readonly [K in E]: OptionsOf<K, "instance"> & OptionsOf<K, "stored">;
}[E];

/**
 * The `grant` under which the router and `bitbucketAccessGuard` store a user's tokens for one
 * Bitbucket: what to pass to a token store's `get`, `save` and `remove` from your own code.
 * Without options, Bitbucket Cloud's; with the Data Center router's `serverUrl` (and `providerId`
 * when it has one), that instance's.
 * @throws TypeError when `serverUrl` or `providerId` is malformed.
 * @example
 * const stored = await tokens.get(userId, bitbucketGrant());
 * const onPrem = await tokens.get(userId, bitbucketGrant({ serverUrl: "https://git.acme.com/bitbucket" }));
 */
export function bitbucketGrant(options?: BitbucketGrantOptionsFor): string;
// The first signature takes every edition's keys; this one is the one it had before them.
export function bitbucketGrant(options?: {
  readonly serverUrl?: string;
  readonly providerId?: string;
}): string;
export function bitbucketGrant(options: object = {}): string {
  const fail = (message: string): never => {
    throw new TypeError(`bitbucketGrant: ${message}`);
  };
  return selectEdition(instanceOptionsOf(options), fail).bitbucket.grant;
}
