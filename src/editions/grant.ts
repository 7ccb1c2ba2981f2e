import { createHash } from "node:crypto";

/** A Lucia provider id as the routers take it. */
export const PROVIDER_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/i;

/** Bitbucket Cloud's one instance, as a grant names it. */
const CLOUD = "bitbucket@https://bitbucket.org";

/**
 * The Bitbucket a user's stored tokens are for: its provider id and instance, as the token store
 * receives it. The router and the guard of one Bitbucket derive the same name from their options.
 */
export function grantOf(edition: { readonly serverUrl?: string; readonly providerId?: string }): string {
  return edition.serverUrl === undefined
    ? CLOUD
    : `${edition.providerId ?? "bitbucket-datacenter"}@${edition.serverUrl}`;
}

/**
 * A fingerprint of resolved `allow` rules, written beside `checkedAt`: the router and a guard with
 * the same rules share a check, and rules that differ never do. The resolvers build the rules in
 * one key order, so equal rules give equal JSON.
 */
export function rulesFingerprint(allow: unknown): string {
  return createHash("sha256").update(JSON.stringify(allow)).digest("base64url").slice(0, 22);
}
