import type { Credentials, Fail } from "../editions/edition.js";
import { instanceOptionsOf, selectEdition, type Selected } from "../editions/select.js";

/**
 * The Bitbucket a guard, a check or a refresh works with, picked from its options by the one
 * `select`. Only the keys that name a Bitbucket (every edition's instance keys) are passed on.
 * With `rulesRequired`, a missing `allow` goes on as `null`, which the edition's rule check refuses
 * by name.
 */
export function recheckBitbucket(options: object, rulesRequired: boolean, fail: Fail): Selected["bitbucket"] {
  const { allow } = { ...options } as { readonly allow?: unknown };
  const rules = allow === undefined && rulesRequired ? null : allow;
  return selectEdition({ ...instanceOptionsOf(options), allow: rules }, fail).bitbucket;
}

/**
 * The OAuth client of a guard or a refresh, as the edition's refresh takes it: `redirectUri` only
 * when it is a string (Data Center sends it along; Cloud ignores it).
 */
export function credentialsOf(options: {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUri?: unknown;
}): Credentials {
  const { clientId, clientSecret, redirectUri } = options;
  return { clientId, clientSecret, redirectUri: typeof redirectUri === "string" ? redirectUri : undefined };
}
