import type { NextFunction, RequestHandler, Response } from "express";
import { LuciaError, type Auth } from "lucia";
import { BitbucketAuthError } from "../errors/errors.js";
import { createFailureHandler } from "../errors/failure.js";
import { log } from "../util/log.js";
import { missingTokensCause } from "../tokens/router-stores.js";
import { bounded } from "./bounded-map.js";
import { endAccess } from "./end-access.js";
import { resolveGuardOptions } from "./guard-config.js";
import type {
  BitbucketAccessGuardOptions,
  BitbucketAccessGuardOptionsFor,
  BitbucketDataCenterAccessGuardOptions,
} from "./guard-options.js";
import { createUserCheck, type Verdict } from "./user-check.js";

export type {
  BitbucketAccessGuardOptions,
  BitbucketAccessGuardOptionsFor,
  BitbucketDataCenterAccessGuardOptions,
} from "./guard-options.js";

/**
 * Express middleware that keeps the `allow` rules holding after sign-in. For each request with a
 * Lucia session, in the session cookie or as `Authorization: Bearer <sessionId>` (both when both
 * are sent), at most once per `interval` per user, it re-checks the rules with the tokens the
 * router stored for this Bitbucket, refreshing them when they expired (one refresh per user at a
 * time, across requests). Whoever no longer qualifies loses every session at once, and the request
 * fails with `ACCESS_REVOKED` (401).
 *
 * Each guard guards the users of its own Bitbucket: a user with no Lucia key of its provider id
 * (one who signed up another way, or only through another edition's router) is not its to check
 * and passes on. A check is trusted only when it was made for this guard's rules and is not stamped
 * ahead of this clock by more than a second (less when `interval` is short), so another guard's
 * check or a fast clock never stands for this one's.
 *
 * It fails closed on everything that is not an outage: a dead or revoked refresh token, a token
 * rejected right after a refresh, a missing scope, rejected client credentials, or no stored tokens
 * all end the sessions, so the next login runs the gate. A 5xx, a 429 or a time-out keeps the
 * session up to `maxStale` after the last check that held. A failing token store answers
 * `TOKEN_STORE_FAILED` (500) and lets nothing through; so does Lucia failing to end the sessions
 * of someone who no longer qualifies (`SESSION_REVOCATION_FAILED`, 500). Mount it after `bitbucketRouter`.
 *
 * @throws TypeError at construction when an option is missing, malformed or unknown.
 * @example
 * const tokens = sqliteTokenStore(db, { keys: [process.env.TOKEN_KEY!] });
 * app.use(bitbucketRouter(auth, { clientId, clientSecret, redirectUri, allow, tokens }));
 * app.use(bitbucketAccessGuard(auth, { allow, clientId, clientSecret, tokens }));
 */
export function bitbucketAccessGuard(auth: Auth, options: BitbucketAccessGuardOptionsFor): RequestHandler;
// The first signature takes every edition's options; the two after it name Cloud's and Data
// Center's for the reference.
export function bitbucketAccessGuard(auth: Auth, options: BitbucketAccessGuardOptions): RequestHandler;
/**
 * The guard for a Data Center router: `serverUrl` (and `providerId` when the router sets one), and
 * Data Center's `allow` rules.
 * @example
 * app.use(bitbucketAccessGuard(auth, { serverUrl, allow: { projects: ["ENG"] }, clientId, clientSecret, tokens }));
 */
export function bitbucketAccessGuard(
  auth: Auth,
  options: BitbucketDataCenterAccessGuardOptions,
): RequestHandler;
export function bitbucketAccessGuard(auth: Auth, options: BitbucketAccessGuardOptionsFor): RequestHandler {
  const config = resolveGuardOptions(auth, options);
  const { timeout, cacheSize, tokens, grant } = config;
  const { check, store } = createUserCheck(auth, config);
  const failure = createFailureHandler({ failureRedirect: config.failureRedirect });

  // In memory, bounded: which user a session belongs to, and until when each user's check holds.
  const userOf = bounded<string>(cacheSize);
  const freshUntil = bounded<number>(cacheSize);
  const inFlight = new Map<string, Promise<Verdict>>();

  // The hot path stays synchronous: a session whose user was checked recently costs two Map
  // lookups, and no promise of its own (it runs on every request of the app).
  return function bitbucketAccessGuard(req, res, next) {
    const fromCookie = auth.readSessionCookie(req.headers.cookie);
    // Lucia reads `Authorization: Bearer <sessionId>` as a session too; a route may trust either.
    const fromBearer = req.headers.authorization ? auth.readBearerToken(req.headers.authorization) : null;
    // These two shortcuts and isFresh's `return true` only spare the hot path a promise: without
    // them guardSlowly still reaches next() before its first await, so no test can tell them apart.
    // Stryker disable next-line ConditionalExpression: see above.
    if (!fromCookie && !fromBearer) return next();
    const now = Date.now();
    // Stryker disable next-line ConditionalExpression,LogicalOperator: see above.
    if (isFresh(fromCookie, now) && isFresh(fromBearer, now)) return next();
    // Express 4 does not catch a rejected promise: whatever the check throws goes to next(err).
    guardSlowly(fromCookie, fromBearer, now, res, next).catch(next);
  };

  function isFresh(sessionId: string | null, now: number): boolean {
    // Stryker disable next-line BooleanLiteral,ConditionalExpression: see the shortcuts above.
    if (!sessionId) return true;
    const known = userOf.get(sessionId);
    // Stryker disable next-line EqualityOperator: `>` or `>=` differ only in the one millisecond at the edge.
    return known !== undefined && (freshUntil.get(known) ?? 0) > now;
  }

  async function guardSlowly(
    fromCookie: string | null,
    fromBearer: string | null,
    now: number,
    res: Response,
    next: NextFunction,
  ) {
    for (const [sessionId, isCookie] of [
      [fromCookie, true],
      [fromBearer, false],
    ] as const) {
      if (!sessionId || isFresh(sessionId, now)) continue;
      if (!(await guardSession(sessionId, isCookie, now, res, next))) return;
    }
    next();
  }

  /** Checks one session's user; false when the request was answered (refused or failed). */
  async function guardSession(
    sessionId: string,
    isCookie: boolean,
    now: number,
    res: Response,
    next: NextFunction,
  ): Promise<boolean> {
    let userId: string;
    try {
      // getSession, not validateSession: the guard never renews (writes) a session. Read again
      // whenever the check is due, so a session ended meanwhile is never checked on.
      userId = (await auth.getSession(sessionId)).user.userId;
    } catch {
      // No valid session: nothing to guard, and the app's own checks answer the request.
      return true;
    }
    userOf.set(sessionId, userId);
    let flight = inFlight.get(userId);
    if (!flight) {
      // One check per user at a time: concurrent requests of one user wait for the same answer.
      flight = check(userId, now).finally(() => inFlight.delete(userId));
      inFlight.set(userId, flight);
    }
    let verdict: Verdict;
    try {
      verdict = await flight;
    } catch (err) {
      failure(err, res, next);
      return false;
    }
    if (verdict.keep) {
      freshUntil.set(userId, verdict.until);
      return true;
    }
    freshUntil.delete(userId);
    // Another request of this user may have ended the sessions, then removed the tokens, since
    // this one read its session: this one is then simply signed out, not a store to fix.
    if (verdict.code && (await signedOut(sessionId))) return true;
    log(
      "guard: %s; ending every session",
      verdict.code ? "no tokens are stored for the user" : "the user no longer qualifies",
    );
    try {
      await endAccess(auth, userId, { tokens, grant, timeout, store });
    } catch (err) {
      failure(err, res, next);
      return false;
    }
    if (isCookie) res.append("Set-Cookie", auth.createSessionCookie(null).serialize());
    res.setHeader("Cache-Control", "no-store");
    const cause = new Error(verdict.why);
    failure(
      verdict.code
        ? new BitbucketAuthError(verdict.code, missingTokensCause(auth, grant, tokens), { cause })
        : new BitbucketAuthError("ACCESS_REVOKED", undefined, { cause }),
      res,
      next,
    );
    return false;
  }

  /** True when the session is gone; a database that cannot say is not a sign-out. */
  async function signedOut(sessionId: string): Promise<boolean> {
    return auth.getSession(sessionId).then(
      () => false,
      (err: unknown) => err instanceof LuciaError,
    );
  }
}
