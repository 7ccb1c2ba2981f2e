import type { NextFunction, RequestHandler, Response } from "express";
import type { Auth } from "lucia";
import type { AccessVerdict } from "../editions/edition.js";
import { selectEdition } from "../editions/select.js";
import { credentialsOf } from "./credentials.js";
import { rejectUnknownKeys } from "../util/did-you-mean.js";
import { BitbucketAuthError, type BitbucketAuthErrorCode } from "../errors/errors.js";
import { createFailureHandler } from "../errors/failure.js";
import { log } from "../util/log.js";
import { isTarget } from "../config/resolve-options.js";
import {
  isTokenStore,
  legacyStoreProblem,
  toStoredTokens,
  type BitbucketStoredTokens,
} from "../tokens/token-store.js";
import { createDeadline, type Deadline } from "../http/upstream.js";
import { bounded } from "./bounded-map.js";
import {
  GUARD_OPTIONS,
  type BitbucketAccessGuardOptions,
  type BitbucketDataCenterAccessGuardOptions,
} from "./guard-options.js";

export type { BitbucketAccessGuardOptions, BitbucketDataCenterAccessGuardOptions } from "./guard-options.js";

// Bitbucket could not answer: the only failures that may keep a session, and only up to maxStale.
const OUTAGES: ReadonlySet<BitbucketAuthErrorCode> = new Set([
  "BITBUCKET_UNAVAILABLE",
  "BITBUCKET_RATE_LIMITED",
  "BITBUCKET_TIMEOUT",
]);
const DAY_MS = 86_400_000;
// A token a few seconds from expiry is refreshed first: it could expire on its way to Bitbucket.
const EXPIRY_MARGIN_MS = 30_000;
// Another instance that rotated the refresh token first may not have saved the new one yet.
const REREAD_DELAYS_MS = [0, 50, 150, 300, 500];

type Verdict =
  { readonly keep: true; readonly until: number } | { readonly keep: false; readonly why: string };

function fail(message: string): never {
  throw new TypeError(`bitbucketAccessGuard: ${message}`);
}

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
export function bitbucketAccessGuard(
  auth: Auth,
  options: BitbucketAccessGuardOptions | BitbucketDataCenterAccessGuardOptions,
): RequestHandler {
  if (!auth || typeof (auth as Partial<Auth>).getSession !== "function")
    fail("the first argument must be a Lucia 2 instance (the result of lucia({...})).");
  if (options === null || typeof options !== "object")
    fail("options must be an object with allow, clientId, clientSecret and tokens.");
  rejectUnknownKeys(options, GUARD_OPTIONS, fail);
  for (const name of ["clientId", "clientSecret"] as const) {
    if (typeof options[name] !== "string" || options[name].trim() === "")
      fail(`option "${name}" is required (a non-empty string).`);
  }
  if (!isTokenStore(options.tokens))
    fail(
      `option "tokens" must be a token store: an object with get, save and remove methods (see sqliteTokenStore).`,
    );
  const legacy = legacyStoreProblem(options.tokens);
  if (legacy) fail(`option "tokens": ${legacy}`);
  const whole = (
    name: string,
    value: unknown,
    fallback: number,
    min: number,
    unit = " of milliseconds (not seconds)",
  ) => {
    if (value === undefined) return fallback;
    if (typeof value !== "number" || !Number.isInteger(value) || value < min)
      fail(`option "${name}" must be a whole number${unit}, at least ${min}.`);
    return value;
  };
  const interval = whole("interval", options.interval, 300_000, 0);
  // Longer would all but switch the guard off (`1e300` is a whole number too).
  if (interval > DAY_MS) fail(`option "interval" must be at most ${DAY_MS} (a day, in milliseconds).`);
  const maxStale = whole("maxStale", options.maxStale, Math.max(3 * interval, 60_000), 0);
  const timeout = whole("timeout", options.timeout, 10_000, 1000);
  const cacheSize = whole("cacheSize", options.cacheSize, 10_000, 1, "");
  if (options.failureRedirect !== undefined && !isTarget(options.failureRedirect))
    fail(`option "failureRedirect" must be a path or an absolute http(s) URL.`);
  const { tokens } = options;
  // The rules are required: a guard with nothing to check would only cost requests.
  const raw: Readonly<Record<string, unknown>> = { ...options };
  const { serverUrl, providerId: id, allow = null } = raw;
  const { bitbucket } = selectEdition({ serverUrl, providerId: id, allow }, fail);
  const { ask, fingerprint: rules } = bitbucket.rules ?? fail(`option "allow" is required.`);
  const { grant, providerId } = bitbucket;
  const refreshTokens = bitbucket.refresher(credentialsOf(options));
  const failure = createFailureHandler({ failureRedirect: options.failureRedirect });
  // A check stamped further ahead of this clock than this counts as never made: another instance's
  // fast clock must not stretch how long a check is trusted.
  const skew = Math.min(1000, Math.floor(interval / 2));

  // In memory, bounded: which user a session belongs to, and until when each user's check holds.
  const userOf = bounded<string>(cacheSize);
  const freshUntil = bounded<number>(cacheSize);
  const inFlight = new Map<string, Promise<Verdict>>();

  // Every store call is bounded by the timeout too: a hung database fails the request, coded.
  const store = async <T>(deadline: Deadline, run: () => Promise<T>): Promise<T> => {
    try {
      return await deadline.race((async () => run())());
    } catch (err) {
      const late = err instanceof BitbucketAuthError && err.code === "BITBUCKET_TIMEOUT";
      throw new BitbucketAuthError(
        "TOKEN_STORE_FAILED",
        late ? `The token store did not answer within ${timeout} ms.` : undefined,
        { cause: err },
      );
    }
  };

  const refresh = async (
    userId: string,
    current: BitbucketStoredTokens,
    deadline: Deadline,
  ): Promise<BitbucketStoredTokens> => {
    try {
      const fresh = await refreshTokens(current.refreshToken, deadline);
      const next = toStoredTokens(fresh, Date.now(), current.checkedAt, current.checkedRules);
      // Saved before anything else can fail: the old refresh token is spent.
      await store(deadline, () => tokens.save(userId, grant, next));
      log("guard: refreshed the tokens of a user");
      return next;
    } catch (err) {
      if (!(err instanceof BitbucketAuthError) || err.code !== "REFRESH_TOKEN_INVALID") throw err;
      // Another instance may have rotated it already: its new tokens are (or soon are) in the store.
      for (const delay of REREAD_DELAYS_MS) {
        // The waits only give another instance time to save what it rotated; their length is not
        // observable without a timed test (the two-instance PostgreSQL test races them for real).
        // Stryker disable next-line ConditionalExpression,EqualityOperator: see above.
        if (delay > 0) await deadline.race(new Promise((resolve) => setTimeout(resolve, delay)));
        const reread = await store(deadline, () => tokens.get(userId, grant));
        if (reread && reread.refreshToken !== current.refreshToken) {
          log("guard: the refresh token was rotated elsewhere; using the stored one");
          return reread;
        }
      }
      throw err;
    }
  };

  // A user with no key of this Bitbucket never signed in through it: not this guard's to check.
  const isOurs = async (userId: string, deadline: Deadline): Promise<boolean> =>
    (await store(deadline, () => auth.getAllUserKeys(userId))).some((key) => key.providerId === providerId);

  const check = async (userId: string, now: number): Promise<Verdict> => {
    const deadline = createDeadline(timeout);
    try {
      const stored = await store(deadline, () => tokens.get(userId, grant));
      if (!stored) {
        if (!(await isOurs(userId, deadline))) return { keep: true, until: now + interval };
        return { keep: false, why: "no stored Bitbucket tokens for this user" };
      }
      return await recheck(userId, stored, now, deadline);
    } finally {
      deadline.end();
    }
  };

  const recheck = async (
    userId: string,
    stored: BitbucketStoredTokens,
    now: number,
    deadline: Deadline,
  ): Promise<Verdict> => {
    // Trusted only for these rules, and only when not stamped ahead of this clock.
    const checkedAt = stored.checkedRules === rules && stored.checkedAt - now <= skew ? stored.checkedAt : 0;
    // Checked recently, perhaps by another instance or at the login itself.
    // Stryker disable next-line EqualityOperator: `<` or `<=` differ only in the one millisecond at the edge.
    if (now - checkedAt < interval) return { keep: true, until: checkedAt + interval };
    const askWith = (t: BitbucketStoredTokens): Promise<AccessVerdict> => ask(t.accessToken, deadline);
    try {
      let current = stored;
      let refreshed = false;
      // Stryker disable next-line EqualityOperator: `<` or `<=` differ only in the one millisecond at the edge.
      if (current.accessTokenExpiresAt - EXPIRY_MARGIN_MS <= now) {
        current = await refresh(userId, current, deadline);
        refreshed = true;
      }
      let access: AccessVerdict;
      try {
        access = await askWith(current);
      } catch (err) {
        // Expired early or revoked: one refresh, then the answer counts, whatever it is.
        if (refreshed || !(err instanceof BitbucketAuthError) || err.code !== "BITBUCKET_TOKEN_REJECTED")
          throw err;
        current = await refresh(userId, current, deadline);
        access = await askWith(current);
      }
      // checkAccess always gives a refusal's reason; the fallback only keeps the cause from being empty.
      // Stryker disable next-line StringLiteral: see above.
      if (!access.allowed) return { keep: false, why: access.reason ?? "the allow rules no longer hold" };
      const at = Date.now();
      await store(deadline, () =>
        tokens.save(userId, grant, { ...current, checkedAt: at, checkedRules: rules }),
      );
      return { keep: true, until: at + interval };
    } catch (err) {
      if (err instanceof BitbucketAuthError && err.code === "TOKEN_STORE_FAILED") throw err;
      // Every failure below is a BitbucketAuthError; the label only names a future slip in the cause.
      // Stryker disable next-line StringLiteral: see above.
      const code = err instanceof BitbucketAuthError ? err.code : "UNEXPECTED";
      if (err instanceof BitbucketAuthError && OUTAGES.has(err.code)) {
        const limit = checkedAt + maxStale;
        log("guard: Bitbucket could not answer the check (%s)", code);
        // Stryker disable next-line EqualityOperator: `<` or `<=` differ only in the one millisecond at the edge.
        if (now < limit) return { keep: true, until: Math.min(now + interval, limit) };
        return { keep: false, why: `Bitbucket could not be asked for longer than maxStale (${code})` };
      }
      return { keep: false, why: `the check failed with ${code}` };
    }
  };

  // The hot path stays synchronous: a session whose user was checked recently costs two Map
  // lookups, and no promise of its own (it runs on every request of the app).
  return function bitbucketAccessGuard(req, res, next) {
    const fromCookie = auth.readSessionCookie(req.headers.cookie);
    // Lucia reads `Authorization: Bearer <sessionId>` as a session too; a route may trust either.
    const fromBearer = req.headers.authorization ? auth.readBearerToken(req.headers.authorization) : null;
    if (!fromCookie && !fromBearer) return next();
    const now = Date.now();
    if (isFresh(fromCookie, now) && isFresh(fromBearer, now)) return next();
    // Express 4 does not catch a rejected promise: whatever the check throws goes to next(err).
    guardSlowly(fromCookie, fromBearer, now, res, next).catch(next);
  };

  function isFresh(sessionId: string | null, now: number): boolean {
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
    log("guard: the user no longer qualifies; ending every session");
    // Each failure under its own code: the app's logs then say which store failed, and whether the
    // sessions are still there (SESSION_REVOCATION_FAILED) or already gone (TOKEN_STORE_FAILED).
    try {
      await auth.invalidateAllUserSessions(userId);
    } catch (err) {
      failure(new BitbucketAuthError("SESSION_REVOCATION_FAILED", undefined, { cause: err }), res, next);
      return false;
    }
    const deadline = createDeadline(timeout);
    try {
      await store(deadline, () => tokens.remove(userId, grant));
    } catch (err) {
      failure(err, res, next);
      return false;
    } finally {
      deadline.end();
    }
    if (isCookie) res.append("Set-Cookie", auth.createSessionCookie(null).serialize());
    res.setHeader("Cache-Control", "no-store");
    failure(
      new BitbucketAuthError("ACCESS_REVOKED", undefined, { cause: new Error(verdict.why) }),
      res,
      next,
    );
    return false;
  }
}
