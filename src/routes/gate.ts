import type { Auth } from "lucia";
import type { ProviderUserAuth } from "@lucia-auth/oauth";
import type { AccessVerdict, FetchBitbucket } from "../editions/edition.js";
import { BitbucketAuthError, asAuthError } from "../errors/errors.js";
import { log } from "../util/log.js";
import type { BitbucketLoginContext } from "../config/hooks.js";
import type { ResolvedHooks, ResolvedOptions } from "../config/resolved.js";

/**
 * Runs the app's `authorize` hook after `allow` held (the callback calls it only when the app has
 * one). `true` lets the person in; anything else is a refusal. The hook's own throw is
 * `ACCESS_CHECK_FAILED` unless it is already coded (an outage from `fetchBitbucket` keeps its code).
 */
export async function runAuthorizeHook<_Auth extends Auth, BbUser, Access>(
  authorize: NonNullable<ResolvedHooks<_Auth, BbUser, Access>["authorize"]>,
  context: BitbucketLoginContext<_Auth, BbUser, Access>,
  fetchBitbucket: FetchBitbucket,
): Promise<string | null> {
  let verdict: unknown;
  try {
    verdict = await authorize({ ...context, fetchBitbucket });
  } catch (err) {
    throw asAuthError(err, "ACCESS_CHECK_FAILED");
  }
  return verdict === true ? null : "the app's authorize hook refused this account";
}

/**
 * A definite refusal: someone who no longer qualifies loses every session they have, so a member
 * removed from the workspace cannot stay signed in elsewhere. Nothing else is read or written.
 */
export async function refuse(
  auth: Auth,
  providerUser: Pick<ProviderUserAuth<Auth>, "getExistingUser">,
  reason: string,
  access: AccessVerdict | null,
  message: ResolvedOptions["refusalMessage"],
): Promise<never> {
  // Stryker disable next-line ArrowFunction: undefined and null both read as "no existing user".
  const existing = await providerUser.getExistingUser().catch(() => null);
  if (existing) {
    // Stryker disable next-line BlockStatement: the handler only logs; the refusal stands either way.
    await auth.invalidateAllUserSessions(existing.userId).catch((err: unknown) => {
      log("refused: ending the sessions of the existing user failed: %s", (err as Error)?.name);
    });
    log("refused an existing user; all of their sessions were invalidated");
  }
  // The generic message is the code's own; the reason stays in the cause, for the app's logs.
  throw new BitbucketAuthError(
    "ACCESS_NOT_ALLOWED",
    message === "generic" ? undefined : `Not allowed to sign in: ${reason}.`,
    { cause: new Error(access ? `allow rules: ${reason}` : reason) },
  );
}
