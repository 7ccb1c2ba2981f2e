import type { Request, RequestHandler } from "express";
import type { Auth } from "lucia";
import { BitbucketAuthError } from "./errors.js";
import type { FailureHandler } from "./failure.js";
import { log } from "./log.js";
import type { ResolvedOptions } from "./options.js";
import { endSession } from "./session.js";
import { redirect } from "./redirect.js";

/**
 * `POST <logoutPath>`: invalidates the Lucia session and clears its cookie. A browser always sends
 * `Origin` on a cross-site POST, so a foreign `Origin` (or `Sec-Fetch-Site: cross-site`) is refused;
 * a request with neither header comes from a non-browser client such as curl and is allowed.
 */
export function createLogoutHandler(
  auth: Auth,
  options: ResolvedOptions,
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

function isSameOrigin(req: Request, appOrigin: string): boolean {
  const fetchSite = req.get("sec-fetch-site");
  if (fetchSite === "cross-site" || fetchSite === "same-site") return false;
  const origin = req.get("origin");
  if (origin === undefined) return true;
  return origin === appOrigin || origin === `${req.protocol}://${req.get("host")}`;
}
