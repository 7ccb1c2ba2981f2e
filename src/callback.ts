import type { RequestHandler } from "express";
import type { Auth } from "lucia";
import type { BitbucketAuth } from "@lucia-auth/oauth/providers";
import { BitbucketAuthError } from "./errors.js";
import { fetchPrimaryEmail } from "./email.js";
import type { FailureHandler } from "./failure.js";
import { log } from "./log.js";
import type { BitbucketLoginContext, ResolvedOptions } from "./options.js";
import { safeReturnTo } from "./return-to.js";
import { currentSession, endSession, replaceSession } from "./session.js";
import type { StateCookie } from "./state-cookie.js";
import { fromThrown, withDeadline } from "./upstream.js";
import { resolveUser } from "./user.js";
import { redirect } from "./redirect.js";

// Bitbucket's codes are short URL-safe tokens; anything else never reaches the token endpoint.
const CODE_SHAPE = /^[A-Za-z0-9._~+/=-]{1,512}$/;

/** `GET /login/bitbucket/callback`: each step in order; any failure goes to the failure handler. */
export function createCallbackHandler<_Auth extends Auth>(
  auth: _Auth,
  provider: BitbucketAuth<_Auth>,
  options: ResolvedOptions<_Auth>,
  stateCookie: StateCookie,
  fail: FailureHandler,
): RequestHandler {
  const emailOf = options.fetchEmail
    ? (accessToken: string) => fetchPrimaryEmail(accessToken, options.timeout)
    : async () => null;
  return async (req, res, next) => {
    res.setHeader("Cache-Control", "no-store");
    try {
      // One-time use: consume() clears the cookie before anything can fail.
      const pending = stateCookie.consume(req, res);
      const { error, code } = req.query;
      if (error !== undefined) {
        throw new BitbucketAuthError(error === "access_denied" ? "ACCESS_DENIED" : "AUTHORIZATION_FAILED");
      }
      if (typeof code !== "string" || !CODE_SHAPE.test(code)) throw new BitbucketAuthError("CODE_INVALID");

      log("callback: state checked, exchanging the code");
      const bitbucketUserAuth = await withDeadline(options.timeout, provider.validateCallback(code)).catch(
        async (err: unknown) => Promise.reject(await fromThrown(err, "token")),
      );
      const { bitbucketUser, bitbucketTokens } = bitbucketUserAuth;
      if (typeof bitbucketUser?.uuid !== "string" || bitbucketUser.uuid.length === 0) {
        throw new BitbucketAuthError("BITBUCKET_USER_INVALID");
      }
      const email = await emailOf(bitbucketTokens.accessToken);
      const context: BitbucketLoginContext<_Auth> = {
        bitbucketUser,
        bitbucketTokens,
        email,
        bitbucketUserAuth,
        req,
      };

      const previous = await currentSession(auth, req);
      const { user, isNewUser, isLinked } = await resolveUser(
        auth,
        context,
        options,
        previous?.user.userId ?? null,
      );
      const session = await replaceSession(auth, res, previous, async () =>
        auth.createSession({
          userId: user.userId,
          attributes: await options.getSessionAttributes({ ...context, user }),
        }),
      ).catch(async (err: unknown) => {
        // No user without a way in: a user made by this very login is removed again.
        if (isNewUser) await auth.deleteUser(user.userId).catch(() => undefined);
        throw err;
      });
      log("callback: signed in (new user: %s, linked: %s)", isNewUser, isLinked);

      const redirectTo = safeReturnTo(pending.returnTo) ?? options.successRedirect;
      if (options.onSuccess) {
        try {
          await options.onSuccess({ ...context, user, session, isNewUser, isLinked, redirectTo, res });
        } catch (err) {
          await endSession(auth, res, session.sessionId);
          throw new BitbucketAuthError(
            "SESSION_CREATION_FAILED",
            "The onSuccess hook failed; the new session was revoked.",
            {
              cause: err,
            },
          );
        }
        if (res.headersSent) return;
      }
      redirect(res, 302, redirectTo);
    } catch (err) {
      fail(err, res, next);
    }
  };
}
