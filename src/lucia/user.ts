import type { Auth, User } from "lucia";
import { BitbucketAuthError, asAuthError } from "../errors/errors.js";
import { log } from "../util/log.js";
import type { BitbucketLoginContext } from "../config/hooks.js";
import type { ResolvedHooks } from "../config/resolved.js";

/** Who this login signs in, and how they came to be. */
export interface ResolvedUser {
  readonly user: User;
  readonly isNewUser: boolean;
  readonly isLinked: boolean;
}

/**
 * Existing-or-new user, or (for a link flow whose session was verified) a link to `linkTo`, the
 * signed-in user. An ordinary login never links. Race-safe: when two callbacks for the same new
 * account both try to create it, the loser's duplicate-key failure is answered by reading the
 * winner's user, so one account never becomes two users.
 */
export async function resolveUser<_Auth extends Auth, BbUser, Access>(
  auth: _Auth,
  context: BitbucketLoginContext<_Auth, BbUser, Access>,
  options: Pick<ResolvedHooks<_Auth, BbUser, Access>, "createUser">,
  linkTo: string | null,
): Promise<ResolvedUser> {
  const providerUser = context.bitbucketUserAuth;
  const existing = await step(() => providerUser.getExistingUser());

  if (linkTo !== null) {
    if (existing) return sameOwner(existing, linkTo);
    try {
      await providerUser.createKey(linkTo);
      log("linked the Bitbucket account to the signed-in user");
      return { user: await step(() => auth.getUser(linkTo)), isNewUser: false, isLinked: true };
    } catch (err) {
      const winner = await step(() => providerUser.getExistingUser());
      if (winner) return sameOwner(winner, linkTo);
      throw asAuthError(err, "USER_CREATION_FAILED");
    }
  }
  if (existing) return { user: existing, isNewUser: false, isLinked: false };

  try {
    const user = await options.createUser(context);
    if (user === null) throw new BitbucketAuthError("SIGN_UP_REFUSED");
    log("created a new user");
    return { user, isNewUser: true, isLinked: false };
  } catch (err) {
    if (err instanceof BitbucketAuthError) throw err;
    const winner = await step(() => providerUser.getExistingUser());
    if (winner) {
      log("lost a first-login race; using the user the other callback created");
      return { user: winner, isNewUser: false, isLinked: false };
    }
    throw asAuthError(err, "USER_CREATION_FAILED");
  }
}

function sameOwner(user: User, linkTo: string): ResolvedUser {
  if (user.userId !== linkTo) throw new BitbucketAuthError("ACCOUNT_ALREADY_LINKED");
  return { user, isNewUser: false, isLinked: false };
}

async function step<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw asAuthError(err, "USER_CREATION_FAILED");
  }
}
