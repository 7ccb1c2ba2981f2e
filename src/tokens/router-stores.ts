import type { Auth } from "lucia";
import type { BitbucketTokenStore } from "./token-store.js";

// Which token store each router of an auth was given, per Bitbucket (grant), so that a guard
// finding no stored tokens can say why: the router stored none, or stored them elsewhere. Weak,
// so an auth that is dropped takes its entries with it.
const given = new WeakMap<Auth, Map<string, Set<BitbucketTokenStore | null>>>();

/** Notes, at a router's construction, the store its logins save tokens to (`null` for none). */
export function noteRouterStore(auth: Auth, grant: string, store: BitbucketTokenStore | null): void {
  const byGrant = given.get(auth) ?? new Map<string, Set<BitbucketTokenStore | null>>();
  given.set(auth, byGrant);
  byGrant.set(grant, (byGrant.get(grant) ?? new Set()).add(store));
}

/**
 * Why a guard over `store` finds no tokens for a user who signed in through this Bitbucket, as
 * far as this process can tell: what the fix is, for the message of `TOKENS_NOT_STORED`.
 */
export function missingTokensCause(auth: Auth, grant: string, store: BitbucketTokenStore): string {
  const stores = given.get(auth)?.get(grant);
  if (stores?.has(store))
    return "the router stores tokens in this guard's store, but holds none for this user: they signed in before it did, or the row was removed. They sign in again.";
  if (stores && [...stores].every((s) => s === null))
    return "bitbucketRouter was given no tokens option, so no tokens were stored at login: pass it the guard's store, bitbucketRouter(auth, { ...options, tokens }).";
  if (stores)
    return "bitbucketRouter was given another token store than this guard: pass both the same store (the same tokens object).";
  return "pass the same token store to bitbucketRouter(auth, { ...options, tokens }) as to this guard, so that each login stores its tokens where the guard reads them.";
}
