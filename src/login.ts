import type { RequestHandler } from "express";
import type { Auth } from "lucia";
import type { BitbucketAuth } from "@lucia-auth/oauth/providers";
import type { FailureHandler } from "./failure.js";
import { log } from "./log.js";
import { safeReturnTo } from "./return-to.js";
import type { StateCookie } from "./state-cookie.js";
import { redirect } from "./redirect.js";

/** `GET /login/bitbucket`: a fresh state in the signed cookie, then 302 to Bitbucket. */
export function createLoginHandler<_Auth extends Auth>(
  provider: BitbucketAuth<_Auth>,
  stateCookie: StateCookie,
  fail: FailureHandler,
): RequestHandler {
  return async (req, res, next) => {
    try {
      const [url, state] = await provider.getAuthorizationUrl();
      stateCookie.issue(req, res, state, safeReturnTo(req.query.returnTo));
      log("login: redirecting to Bitbucket");
      redirect(res, 302, url.href);
    } catch (err) {
      fail(err, res, next);
    }
  };
}
