import type { RequestHandler } from "express";
import type { Auth } from "lucia";
import type { AccessVerdict, Edition } from "../editions/edition.js";
import type { FailureHandler } from "../errors/failure.js";
import { log } from "../util/log.js";
import type { StateCookie } from "../state/state-cookie.js";
import { safeReturnTo } from "../state/return-to.js";
import type { ResolvedOptions } from "../config/resolved.js";
import { redirect } from "../util/redirect.js";

/** `GET /login/bitbucket`: a fresh state in its own signed cookie, then 302 to Bitbucket. */
export function createLoginHandler<_Auth extends Auth>(
  edition: Pick<Edition<_Auth, unknown, AccessVerdict>, "authorizationUrl">,
  stateCookie: StateCookie,
  fail: FailureHandler,
  options: Pick<ResolvedOptions, "returnToHosts">,
): RequestHandler {
  return async (req, res, next) => {
    // Every start must reach the server: a cached redirect would replay an old state.
    res.setHeader("Cache-Control", "no-store");
    try {
      const { url, state, codeVerifier } = await edition.authorizationUrl();
      stateCookie.issue(req, res, {
        state,
        returnTo: safeReturnTo(req.query.returnTo, options.returnToHosts),
        link: null,
        codeVerifier,
      });
      log("login: redirecting to Bitbucket");
      redirect(res, 302, url.href);
    } catch (err) {
      fail(err, res, next);
    }
  };
}
