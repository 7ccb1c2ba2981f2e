import type { RequestHandler, Response } from "express";
import type { BitbucketTokens } from "@lucia-auth/oauth/providers";
import type { Auth, Session } from "lucia";
import type { AccessVerdict, Edition } from "../editions/edition.js";
import { BitbucketAuthError } from "../errors/errors.js";
import type { FailureHandler } from "../errors/failure.js";
import { refuse, runAuthorizeHook } from "./gate.js";
import { log } from "../util/log.js";
import type { BitbucketLoginContext } from "../config/hooks.js";
import type { ResolvedHooks, ResolvedOptions } from "../config/resolved.js";
import { safeReturnTo } from "../state/return-to.js";
import { currentSession, endSession, replaceSession } from "../lucia/session.js";
import { sameSecret, sessionTag } from "../state/state-value.js";
import { type StateCookie } from "../state/state-cookie.js";
import { createDeadline } from "../http/upstream.js";
import {
  toStoredTokens,
  type BitbucketAccountInfo,
  type BitbucketTokenStore,
} from "../tokens/token-store.js";
import { resolveUser } from "../lucia/user.js";
import { redirect } from "../util/redirect.js";

// Bitbucket's codes are short URL-safe tokens; anything else never reaches the token endpoint.
const CODE_SHAPE = /^[A-Za-z0-9._~+/=-]{1,512}$/;

/** `GET /login/bitbucket/callback`: each step in order; any failure goes to the failure handler. */
export function createCallbackHandler<_Auth extends Auth, BbUser, Access extends AccessVerdict>(
  auth: _Auth,
  edition: Edition<_Auth, BbUser, Access>,
  options: Pick<
    ResolvedOptions,
    | "tokens"
    | "grant"
    | "checkedRules"
    | "timeout"
    | "refusalMessage"
    | "successRedirect"
    | "publicPath"
    | "returnToHosts"
  >,
  hooks: ResolvedHooks<_Auth, BbUser, Access>,
  stateCookie: StateCookie,
  fail: FailureHandler,
): RequestHandler {
  // Where the login's tokens go, made once: the same three fields on every login.
  const storing = options.tokens
    ? { tokens: options.tokens, grant: options.grant, checkedRules: options.checkedRules }
    : null;
  return async (req, res, next) => {
    res.setHeader("Cache-Control", "no-store");
    // One deadline for every Bitbucket call below, error bodies included: the exchange, who signed
    // in, the gate and the email, as the edition runs them. Ended when the callback is, so no timer
    // or call of this login outlives it.
    const deadline = createDeadline(options.timeout);
    try {
      const { error, code, state } = req.query;
      // One-time use: consume() clears this login's cookie before anything can fail.
      const pending = stateCookie.consume(req, res, state);
      if (error !== undefined) {
        throw new BitbucketAuthError(error === "access_denied" ? "ACCESS_DENIED" : "AUTHORIZATION_FAILED");
      }
      if (typeof code !== "string" || !CODE_SHAPE.test(code)) throw new BitbucketAuthError("CODE_INVALID");

      log("callback: state checked, exchanging the code");
      const signIn = await edition.signIn(code, pending.codeVerifier ?? null, deadline);
      const { bitbucketUserAuth, access, refusal, email, name, fetchBitbucket } = signIn;
      const { bitbucketUser, bitbucketTokens } = bitbucketUserAuth;
      if (refusal !== null) await refuse(auth, bitbucketUserAuth, refusal, null, options.refusalMessage);
      if (access && !access.allowed)
        // Stryker disable next-line StringLiteral: a refusal always carries its reason.
        await refuse(auth, bitbucketUserAuth, access.reason ?? "", access, options.refusalMessage);
      const context: BitbucketLoginContext<_Auth, BbUser, Access> = {
        bitbucketUser,
        bitbucketTokens,
        email,
        access,
        bitbucketUserAuth,
        req,
      };
      // Without the hook, no call and no await: the login goes straight on.
      if (hooks.authorize) {
        const refusal = await runAuthorizeHook(hooks.authorize, context, fetchBitbucket);
        if (refusal !== null) await refuse(auth, bitbucketUserAuth, refusal, null, options.refusalMessage);
      }

      // Only now is anything read: the session, then the user.
      const previous = await currentSession(auth, req);
      let linkTo: string | null = null;
      if (pending.link !== null) {
        // A link counts only under the very session that asked for it.
        if (!previous || !sameSecret(pending.link, sessionTag(previous.sessionId)))
          throw new BitbucketAuthError("LINK_SESSION_MISMATCH");
        linkTo = previous.user.userId;
      }
      const { user, isNewUser, isLinked } = await resolveUser(auth, context, hooks, linkTo);
      let session: Session;
      try {
        session = await replaceSession(auth, res, previous, async () =>
          auth.createSession({
            userId: user.userId,
            attributes: await hooks.getSessionAttributes({ ...context, user }),
          }),
        );
      } catch (err) {
        // No user without a way in: a user made by this very login is removed again.
        if (isNewUser) await auth.deleteUser(user.userId).catch(() => undefined);
        throw err;
      }
      if (storing)
        await saveTokens(auth, res, storing, user.userId, session.sessionId, bitbucketTokens, {
          name,
          email,
        });
      log("callback: signed in (new user: %s, linked: %s)", isNewUser, isLinked);

      // Checked again: the cookie is signed, but the options may have changed since it was issued.
      const back = safeReturnTo(pending.returnTo, options.returnToHosts);
      const redirectTo =
        back === null ? options.successRedirect : back.startsWith("/") ? options.publicPath + back : back;
      if (hooks.onSuccess) {
        try {
          await hooks.onSuccess({ ...context, user, session, isNewUser, isLinked, redirectTo, res });
        } catch (err) {
          await endSession(auth, res, session.sessionId);
          throw new BitbucketAuthError(
            "SESSION_CREATION_FAILED",
            "The onSuccess hook failed; the new session was revoked.",
            { cause: err },
          );
        }
        if (res.headersSent) return;
      }
      redirect(res, 302, redirectTo);
    } catch (err) {
      fail(err, res, next);
    } finally {
      deadline.end();
    }
  };
}

/**
 * The `tokens` option: the login's tokens, saved before anyone is redirected. A store that fails
 * undoes the session, so no session exists whose tokens the guard cannot find.
 */
async function saveTokens(
  auth: Auth,
  res: Response,
  options: {
    readonly tokens: BitbucketTokenStore;
    readonly grant: string;
    readonly checkedRules: string | undefined;
  },
  userId: string,
  sessionId: string,
  tokens: BitbucketTokens,
  account: BitbucketAccountInfo,
): Promise<void> {
  const now = Date.now();
  const { checkedRules } = options;
  try {
    // The login ran the gate only when the router has `allow`; otherwise the guard checks at once.
    await options.tokens.save(
      userId,
      options.grant,
      toStoredTokens(tokens, now, checkedRules === undefined ? 0 : now, checkedRules, account),
    );
  } catch (err) {
    await endSession(auth, res, sessionId);
    throw new BitbucketAuthError(
      "TOKEN_STORE_FAILED",
      "The tokens could not be stored; the new session was revoked.",
      {
        cause: err,
      },
    );
  }
}
