import { createHash } from "node:crypto";
import { resolveServerUrl } from "./datacenter/server-url.js";

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
export function bitbucketGrant(
  options: { readonly serverUrl?: string; readonly providerId?: string } = {},
): string {
  const fail = (message: string): never => {
    throw new TypeError(`bitbucketGrant: ${message}`);
  };
  if (options.serverUrl === undefined) {
    if (options.providerId !== undefined)
      fail(`option "providerId" is for Bitbucket Data Center: set "serverUrl".`);
    return CLOUD;
  }
  const providerId = options.providerId ?? "bitbucket-datacenter";
  if (!PROVIDER_ID.test(providerId) || providerId === "bitbucket")
    fail(`option "providerId" must be the Data Center router's providerId (letters, digits, "-" and "_").`);
  return grantOf({ serverUrl: resolveServerUrl(options.serverUrl, fail), providerId });
}
