import type { RequestHandler } from "express";
import type { Auth } from "lucia";
import type { AccessVerdict, Edition } from "../editions/edition.js";
import { BitbucketAuthError } from "../errors/errors.js";
import type { FailureHandler } from "../errors/failure.js";
import { log } from "../util/log.js";
import type { ResolvedOptions } from "../config/resolved.js";
import { redirect } from "../util/redirect.js";
import { safeReturnTo } from "../state/return-to.js";
import { isSameOrigin } from "./same-origin.js";
import { currentSession } from "../lucia/session.js";
import { sessionTag } from "../state/state-value.js";
import { type StateCookie } from "../state/state-cookie.js";

/**
 * `POST <linkPath>`: the only way a Bitbucket account gets linked to an existing user. It must come
 * from the app's own pages (same Origin rule as logout) under a valid Lucia session; the signed
 * state records that session, and the callback links only if the same session comes back.
 */
export function createLinkHandler<_Auth extends Auth>(
  auth: _Auth,
  edition: Pick<Edition<_Auth, unknown, AccessVerdict>, "authorizationUrl">,
  options: Pick<ResolvedOptions, "provider" | "returnToHosts">,
  stateCookie: StateCookie,
  fail: FailureHandler,
): RequestHandler {
  const appOrigin = new URL(options.provider.redirectUri).origin;
  return async (req, res, next) => {
    res.setHeader("Cache-Control", "no-store");
    try {
      if (!isSameOrigin(req, appOrigin)) throw new BitbucketAuthError("LINK_ORIGIN_REJECTED");
      const session = await currentSession(auth, req);
      if (!session) throw new BitbucketAuthError("LINK_REQUIRES_SESSION");
      const { url, state, codeVerifier } = await edition.authorizationUrl();
      const returnTo = safeReturnTo(req.query.returnTo, options.returnToHosts);
      stateCookie.issue(req, res, { state, returnTo, link: sessionTag(session.sessionId), codeVerifier });
      log("link: redirecting to Bitbucket");
      redirect(res, 303, url.href);
    } catch (err) {
      fail(err, res, next);
    }
  };
}
