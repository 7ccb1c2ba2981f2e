import type { RequestHandler } from "express";
import type { Auth } from "lucia";
import { BitbucketAuthError } from "../errors/errors.js";
import type { FailureHandler } from "../errors/failure.js";
import { log } from "../util/log.js";
import type { ResolvedOptions } from "../config/resolved.js";
import { endSession } from "../lucia/session.js";
import { redirect } from "../util/redirect.js";
import { isSameOrigin } from "./same-origin.js";

/** `POST <logoutPath>`: invalidates the Lucia session and clears its cookie; cross-site requests are refused. */
export function createLogoutHandler(
  auth: Auth,
  options: Pick<ResolvedOptions, "provider" | "logoutRedirect">,
  fail: FailureHandler,
): RequestHandler {
  const appOrigin = new URL(options.provider.redirectUri).origin;
  return async (req, res, next) => {
    try {
      if (!isSameOrigin(req, appOrigin)) throw new BitbucketAuthError("LOGOUT_ORIGIN_REJECTED");
      const sessionId = auth.readSessionCookie(req.headers.cookie);
      if (sessionId) await endSession(auth, res, sessionId);
      log("logout: session ended");
      res.setHeader("Cache-Control", "no-store");
      redirect(res, 303, options.logoutRedirect);
    } catch (err) {
      fail(err, res, next);
    }
  };
}
