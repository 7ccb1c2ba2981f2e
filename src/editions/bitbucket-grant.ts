import { selectEdition } from "./select.js";

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
  const { serverUrl, providerId } = options;
  return selectEdition({ serverUrl, providerId }, fail).bitbucket.grant;
}
