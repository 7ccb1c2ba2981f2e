import type { Auth, GlobalDatabaseSessionAttributes, GlobalDatabaseUserAttributes } from "lucia";
import type { BitbucketRouterHooks } from "./hooks.js";
import type { ResolvedHooks } from "./resolved.js";

/**
 * The hooks with their defaults, typed by the edition's user and access. Their types were checked
 * with the other options, by `resolveOptions`.
 */
export function resolveHooks<_Auth extends Auth, BbUser, Access>(
  hooks: BitbucketRouterHooks<_Auth, BbUser, Access>,
): ResolvedHooks<_Auth, BbUser, Access> {
  const getUserAttributes = hooks.getUserAttributes ?? (() => ({}) as GlobalDatabaseUserAttributes);
  return {
    authorize: hooks.authorize,
    // The default creation is the provider's createUser with the attributes hook's columns.
    createUser:
      hooks.createUser ??
      (async (context) =>
        context.bitbucketUserAuth.createUser({
          attributes: await getUserAttributes(context.bitbucketUser, context),
        })),
    getSessionAttributes: hooks.getSessionAttributes ?? (() => ({}) as GlobalDatabaseSessionAttributes),
    onSuccess: hooks.onSuccess,
  };
}
