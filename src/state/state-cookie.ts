import type { Request, Response, CookieOptions } from "express";
import signature from "cookie-signature";
import { cookiePairs } from "./cookie-header.js";
import { BitbucketAuthError } from "../errors/errors.js";
import type { ResolvedOptions } from "../config/resolved.js";
import {
  decodePending,
  encodePending,
  routerMark,
  sameSecret,
  stateTag,
  type PendingLogin,
} from "./state-value.js";
import { createUsedStates } from "./used-states.js";

// cookie-parser's additions to the request; typed here so the package needs no @types/cookie-parser.
type ParsedRequest = Request & { secret?: string; signedCookies?: Record<string, unknown> };
type CookiePairs = ReturnType<typeof cookiePairs>;

/** Issues and consumes the signed, one-time state cookies. Built once per router. */
export interface StateCookie {
  issue(req: Request, res: Response, pending: Omit<PendingLogin, "issuedAt" | "issuer">): void;
  /**
   * Clears this login's cookie first, whatever follows, then checks it against `given`, the
   * callback's `?state` (read by the caller with the rest of the query: on Express 5, every read of
   * `req.query` parses the query string again).
   */
  consume(req: Request, res: Response, given: unknown): PendingLogin;
}

const OTHER_ROUTER = () =>
  new BitbucketAuthError(
    "STATE_COOKIE_INVALID",
    "The login state was issued by another router (another client, redirect URI or link setting).",
  );

/** At most this many logins may be in flight in one browser; the oldest is dropped at the next start. */
export const MAX_STATE_COOKIES = 5;

/** What {@link stateCookieName} puts after a router's mark: 6 base64url characters, nothing else. */
const TAG = /^[A-Za-z0-9_-]{6}$/;

export function createStateCookie(
  options: Pick<ResolvedOptions, "stateCookie" | "stateIssuer" | "cookieSecrets">,
): StateCookie {
  const { name: stem, path, secure, maxAge } = options.stateCookie;
  const issuer = options.stateIssuer;
  const clearAttributes: CookieOptions = { httpOnly: true, sameSite: "lax", secure, path };
  const attributes: CookieOptions = { ...clearAttributes, maxAge };
  // Made once: Express copies a cookie's options before it reads them, so one object serves every start.
  const signedAttributes: CookieOptions = { ...attributes, signed: true };
  const secrets = options.cookieSecrets;
  const used = createUsedStates(maxAge);
  // The exact shape of the names this router issues: `<stem>.<its 4-character mark><6 base64url
  // characters>`, byte for byte. Any other name (a planted `\xA0__Host-…`, `stem.a(b`, `stem.`, or
  // another router's) is not ours: it is neither read, nor counted toward the cap, nor dropped.
  const prefix = `${stem}.${routerMark(issuer)}`;
  const isOurs = (n: string) => n.startsWith(prefix) && TAG.test(n.slice(prefix.length));
  // Each login has its own cookie, named after a hash of its state, so two tabs never overwrite
  // each other and the callback finds its own from `?state` alone.
  const nameOf = (state: string) => prefix + stateTag(state);

  // With our own secrets the cookie is signed here and read from the raw header, because an app's
  // cookieParser with a different secret would mark it invalid. Otherwise cookie-parser does both,
  // which also honours its secret rotation list.
  const write = secrets
    ? (res: Response, name: string, value: string) =>
        // Stryker disable next-line StringLiteral: resolveOptions never gives an empty list.
        res.cookie(name, `s:${signature.sign(value, secrets[0] ?? "")}`, attributes)
    : (res: Response, name: string, value: string, req: Request) => {
        if (!(req as ParsedRequest).secret) throw new BitbucketAuthError("COOKIE_SECRET_MISSING");
        res.cookie(name, value, signedAttributes);
      };
  /**
   * The verified value of the cookie `name`: `undefined` when absent, `false` when not validly
   * signed. `pairs` gives the request's Cookie header, parsed once by the caller and only when
   * asked: with cookie-parser's secret, a callback's success path never parses it a second time.
   */
  const read = secrets
    ? (req: Request, name: string, pairs: () => CookiePairs): string | false | undefined => {
        const raw = pairs().find(([n]) => n === name)?.[1];
        if (raw === undefined) return undefined;
        if (!raw.startsWith("s:")) return false;
        for (const secret of secrets) {
          const value = signature.unsign(raw.slice(2), secret);
          if (value !== false) return value;
        }
        return false;
      }
    : (req: Request, name: string): string | false | undefined => {
        const { signedCookies: signed, secret } = req as ParsedRequest;
        if (!signed || !secret) throw new BitbucketAuthError("COOKIE_SECRET_MISSING");
        const value = Object.hasOwn(signed, name) ? signed[name] : undefined;
        if (typeof value === "string") return value;
        // Signed with no secret we know (cookie-parser gives `false`), present but unsigned, or
        // JSON-decoded by cookie-parser: not one we issued.
        const cookies = (req.cookies ?? {}) as Record<string, unknown>;
        return value !== undefined || Object.hasOwn(cookies, name) ? false : undefined;
      };
  // Same stem and state tag, another router's mark: `name` is ours for that state.
  const isOtherRouters = (n: string, name: string) =>
    n.length === name.length &&
    n.startsWith(`${stem}.`) &&
    n.endsWith(name.slice(prefix.length)) &&
    !n.startsWith(prefix);
  /** The distinct names of our state cookies among the request's cookies. */
  const pendingNames = (pairs: CookiePairs) => [...new Set(pairs.flatMap(([n]) => (isOurs(n) ? [n] : [])))];
  /** A read cookie as the login it holds; it throws the code a cookie that is not validly ours gets. */
  const verify = (value: string | false, now: number): PendingLogin => {
    const pending = value === false ? undefined : decodePending(value);
    if (!pending) throw new BitbucketAuthError("STATE_COOKIE_INVALID");
    if (!sameSecret(issuer, pending.issuer)) throw OTHER_ROUTER();
    const age = now - pending.issuedAt;
    // Stryker disable next-line EqualityOperator: `>=` differs only in the one millisecond at the limit.
    if (age > maxAge) throw new BitbucketAuthError("STATE_EXPIRED");
    // A clock up to a minute behind is tolerated; further in the future is not a cookie we wrote.
    // Stryker disable next-line EqualityOperator: `<=` differs only in the one millisecond at the limit.
    if (age < -60_000) throw new BitbucketAuthError("STATE_COOKIE_INVALID");
    return pending;
  };
  /**
   * Which cookie goes first when the cap is reached. A cookie that is not validly ours (by the
   * callback's own rules) goes before any real one, so a planted cookie cannot steer which real
   * login is dropped; among real ones, the oldest goes first.
   */
  const rank = (req: Request, name: string, now: number, pairs: () => CookiePairs): number => {
    const value = read(req, name, pairs);
    try {
      return value === undefined ? -Infinity : verify(value, now).issuedAt;
    } catch {
      return -Infinity;
    }
  };

  return {
    issue(req, res, pending) {
      const pairs = cookiePairs(req.headers.cookie);
      const inFlight = pendingNames(pairs);
      if (inFlight.length >= MAX_STATE_COOKIES) {
        const now = Date.now();
        // Never more than MAX_STATE_COOKIES Set-Cookie lines in one answer (the new cookie and four
        // removals), however many cookies were planted: the headers stay small. Each start clears a few more.
        const all = () => pairs;
        const drop = inFlight
          .map((n) => [n, rank(req, n, now, all)] as const)
          .sort((a, b) => a[1] - b[1])
          .slice(0, Math.min(inFlight.length - MAX_STATE_COOKIES + 1, MAX_STATE_COOKIES - 1));
        for (const [n] of drop) res.clearCookie(n, clearAttributes);
      }
      // Field by field, not a spread of `pending`: this runs on every login start.
      const value = encodePending({
        state: pending.state,
        issuedAt: Date.now(),
        returnTo: pending.returnTo,
        link: pending.link,
        issuer,
        codeVerifier: pending.codeVerifier,
      });
      write(res, nameOf(pending.state), value, req);
    },
    consume(req, res, given) {
      const name = typeof given === "string" && given.length <= 256 ? nameOf(given) : undefined;
      if (name) res.clearCookie(name, clearAttributes);
      let parsed: CookiePairs | undefined;
      const pairs = () => (parsed ??= cookiePairs(req.headers.cookie));
      // Read even without a usable state, so a missing cookie secret is reported as such.
      const value = read(req, name ?? prefix, pairs);
      if (value === undefined || name === undefined) {
        // Another router's cookie for this very state: a login started there, finished here.
        if (name !== undefined && pairs().some(([n]) => isOtherRouters(n, name))) throw OTHER_ROUTER();
        // None of ours for this state: a mismatch when the browser has others, else none at all.
        throw new BitbucketAuthError(
          pendingNames(pairs()).length > 0 ? "STATE_MISMATCH" : "STATE_COOKIE_MISSING",
        );
      }
      const now = Date.now();
      const pending = verify(value, now);
      if (!sameSecret(pending.state, given)) throw new BitbucketAuthError("STATE_MISMATCH");
      // Only after every check: garbage never fills the memory, and a state goes to Bitbucket once.
      if (!used.claim(pending.state, now)) throw new BitbucketAuthError("STATE_ALREADY_USED");
      return pending;
    },
  };
}
