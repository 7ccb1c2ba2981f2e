import type { Request, RequestHandler, Response } from "express";
import { LuciaError, type Auth } from "lucia";
import { BitbucketAuthError } from "../errors/errors.js";
import { endAccess } from "../recheck/end-access.js";
import { missingTokensCause } from "../tokens/router-stores.js";
import { log } from "../util/log.js";
import { redirect } from "../util/redirect.js";
import { resolveForwardAuth, RULE_NAME } from "./config.js";
import { createRemembered } from "./held.js";
import { setIdentityHeaders } from "./identity-headers.js";
import type {
  BitbucketDataCenterForwardAuthOptions,
  BitbucketForwardAuthOptions,
  BitbucketForwardAuthOptionsFor,
} from "./options.js";
import { originalPath, originalUrl } from "./original-url.js";

export type {
  BitbucketDataCenterForwardAuthOptions,
  BitbucketForwardAuthOptions,
  BitbucketForwardAuthOptionsFor,
} from "./options.js";

/** The two routes, and the rule the proxy named after them (anything, checked against `rules`). */
const ROUTE = /^\/(check|redirect)(?:\/(.*))?$/s;

/**
 * The check a reverse proxy asks before it lets a request through to an app (nginx
 * `auth_request`, Caddy `forward_auth`, Traefik `forwardAuth`), for the users of one Bitbucket.
 * Mount it under a path of its own, after `bitbucketRouter`; it answers `GET`:
 *
 * - `<mount>/check`: 200 when the Lucia session cookie is valid, the user signed in through this
 *   Bitbucket and `allow` still holds; 401 (`SIGN_IN_REQUIRED`, or `ACCESS_REVOKED` after ending
 *   every session of someone who no longer qualifies) otherwise.
 * - `<mount>/check/<rule>`: the same, and the named rule of `rules` on top; a user it refuses gets
 *   403 (`ACCESS_NOT_ALLOWED`) and keeps their sessions. A name not in `rules` is a 500
 *   (`FORWARD_AUTH_RULE_UNKNOWN`), never a 200.
 * - `<mount>/redirect` and `<mount>/redirect/<rule>`: the same, but instead of a 401 a redirect to
 *   `loginUrl`, with the original URL (from `X-Forwarded-Proto`, `-Host` and `-Uri`) as `returnTo`.
 *
 * A 200 carries who was admitted, for the proxy to pass upstream: `X-Auth-Request-User-Id` (the
 * Lucia user id), `X-Auth-Request-User` (the Bitbucket name), `X-Auth-Request-Email` (when known),
 * `X-Auth-Request-Rule`, and what admitted them (`X-Auth-Request-Workspace` and `-Role` on Cloud,
 * `X-Auth-Request-Project` and `-Permission` on Data Center, `-Repository`). A check whose rules held
 * less than `interval` ago on this instance costs one session read: no Bitbucket call, no write.
 * Failures go to `next(err)`: mount `bitbucketErrorHandler()` after it.
 *
 * WARNING: the proxy must overwrite or remove these headers on every request it passes on, or a
 * browser could send its own; the configurations in `docs/forward-auth.md` do.
 *
 * @throws TypeError at construction when an option is missing, malformed or unknown.
 * @example
 * app.use("/_auth", bitbucketForwardAuth(auth, {
 *   allow, clientId, clientSecret, tokens,
 *   loginUrl: "https://auth.example.com/login/bitbucket",
 *   returnToHosts: ["*.example.com"],
 *   rules: { jenkins: { workspaces: ["acme"], role: "owner" } },
 * }));
 */
export function bitbucketForwardAuth(auth: Auth, options: BitbucketForwardAuthOptionsFor): RequestHandler;
// The first signature takes every edition's options; the two after it name Cloud's and Data
// Center's for the reference.
export function bitbucketForwardAuth(auth: Auth, options: BitbucketForwardAuthOptions): RequestHandler;
/**
 * Forward-auth for a Data Center router: `serverUrl` (and `providerId` when the router sets one),
 * and Data Center's `allow` rules, in `allow` and in each of `rules`.
 * @example
 * app.use("/_auth", bitbucketForwardAuth(auth, {
 *   serverUrl, allow: { projects: ["ENG"] }, clientId, clientSecret, tokens, loginUrl: "/_auth/login/bitbucket",
 *   rules: { ops: { projects: ["OPS"], permission: "admin" } },
 * }));
 */
export function bitbucketForwardAuth(
  auth: Auth,
  options: BitbucketDataCenterForwardAuthOptions,
): RequestHandler;
export function bitbucketForwardAuth(auth: Auth, options: BitbucketForwardAuthOptionsFor): RequestHandler {
  const config = resolveForwardAuth(auth, options);
  const { guard, base, rules, loginUrl, absoluteLogin, returnToHosts } = config;
  const { interval, tokens, grant, timeout } = guard;
  const verdict = createRemembered(guard.cacheSize * (rules.size + 1), interval);

  return function bitbucketForwardAuth(req, res, next) {
    if (req.method !== "GET" && req.method !== "HEAD") return next();
    const route = ROUTE.exec(req.path);
    if (!route) return next();
    // Express 4 does not catch a rejected promise: whatever the check throws goes to next(err).
    answer(req, res, route[1] === "redirect", route[2] ?? null).catch(next);
  };

  async function answer(req: Request, res: Response, redirecting: boolean, name: string | null) {
    // Each answer is about this request's cookie: no cache may keep it for another.
    res.setHeader("Cache-Control", "no-store");
    const rule = name === null ? null : rules.get(name);
    if (rule === undefined) {
      const shown = RULE_NAME.test(name!) ? `"${name}"` : "a malformed name";
      throw new BitbucketAuthError(
        "FORWARD_AUTH_RULE_UNKNOWN",
        `The proxy asked forward-auth for the rule ${shown}, which is not in its rules option; nothing was let through.`,
      );
    }
    const userId = await signedIn(req);
    if (userId === null) return signIn(req, res, redirecting, "SIGN_IN_REQUIRED");
    const now = Date.now();
    // Stryker disable next-line StringLiteral: `allow`'s slot; any key that no rule name can take is the same.
    const login = await verdict("", base, userId, now, true);
    if (!login.keep) {
      // Another request of this user may have ended the sessions, then removed the tokens, since
      // this one read its session: this one is then simply signed out, not a store to fix.
      if (login.notStored && (await signedIn(req)) === null)
        return signIn(req, res, redirecting, "SIGN_IN_REQUIRED");
      log("forward-auth: %s; ending every session", login.why);
      await endAccess(auth, userId, { tokens, grant, timeout, store: base.store });
      if (login.notStored)
        throw new BitbucketAuthError("TOKENS_NOT_STORED", missingTokensCause(auth, grant, tokens));
      return signIn(req, res, redirecting, "ACCESS_REVOKED");
    }
    // Signed in some other way: not a user of this Bitbucket, so not admitted by it.
    if (!login.ours) return signIn(req, res, redirecting, "SIGN_IN_REQUIRED");
    let admitted = login;
    if (name !== null && rule) {
      const named = await verdict(name, rule, userId, now, false);
      if (!named.keep)
        throw new BitbucketAuthError(
          "ACCESS_NOT_ALLOWED",
          `Not allowed by the rule "${name}": ${named.why}.`,
        );
      admitted = named;
    }
    setIdentityHeaders(res, {
      userId,
      account: admitted.account,
      rule: name,
      admitted: admitted.admitted,
    });
    res.status(200).end();
  }

  /** The user of a valid session cookie, or `null`; a database failure is thrown, not a sign-out. */
  async function signedIn(req: Request): Promise<string | null> {
    const sessionId = auth.readSessionCookie(req.headers.cookie);
    if (!sessionId) return null;
    try {
      // getSession, not validateSession: a check never writes, and a renewed session's new cookie
      // could not reach the browser through the proxy.
      return (await auth.getSession(sessionId)).user.userId;
    } catch (err) {
      if (err instanceof LuciaError) return null;
      throw new BitbucketAuthError("TOKEN_STORE_FAILED", "The session could not be read.", { cause: err });
    }
  }

  /** Not signed in (any more): a 401 for a proxy that wants a status, the login for one that passes a redirect on. */
  function signIn(
    req: Request,
    res: Response,
    redirecting: boolean,
    code: "SIGN_IN_REQUIRED" | "ACCESS_REVOKED",
  ) {
    if (!redirecting) throw new BitbucketAuthError(code);
    // With a login on another host, the whole URL goes along, on an allowed host only.
    const back = !absoluteLogin
      ? originalPath(req.headers)
      : returnToHosts
        ? originalUrl(req.headers, returnToHosts)
        : null;
    redirect(res, 302, back === null ? loginUrl : `${loginUrl}?returnTo=${encodeURIComponent(back)}`);
  }
}
