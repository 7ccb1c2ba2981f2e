import { timingSafeEqual } from "node:crypto";
import type { Request, Response, CookieOptions } from "express";
import signature from "cookie-signature";
import { BitbucketAuthError } from "./errors.js";
import type { ResolvedOptions } from "./options.js";

// cookie-parser's additions to the request; typed here so the package needs no @types/cookie-parser.
type ParsedRequest = Request & { secret?: string; signedCookies?: Record<string, unknown> };

/** What the state cookie carries, signed: the OAuth state, where to land, and when it was issued. */
export interface PendingLogin {
  readonly state: string;
  readonly returnTo: string | null;
  readonly issuedAt: number;
}

/** Issues and consumes the signed, one-time state cookie. Built once per router. */
export interface StateCookie {
  issue(req: Request, res: Response, state: string, returnTo: string | null): void;
  /** Clears the cookie first, whatever follows, then checks it against `?state`. */
  consume(req: Request, res: Response): PendingLogin;
}

export function createStateCookie(options: ResolvedOptions): StateCookie {
  const { name, path, secure, maxAge } = options.stateCookie;
  const clearAttributes: CookieOptions = { httpOnly: true, sameSite: "lax", secure, path };
  const attributes: CookieOptions = { ...clearAttributes, maxAge };
  const secrets = options.cookieSecrets;

  // With our own secrets the cookie is signed here and read from the raw header, because an app's
  // cookieParser with a different secret would mark it invalid. Otherwise cookie-parser does both,
  // which also honours its secret rotation list.
  const write = secrets
    ? (res: Response, value: string) =>
        res.cookie(name, `s:${signature.sign(value, secrets[0] ?? "")}`, attributes)
    : (res: Response, value: string, req: Request) => {
        if (!(req as ParsedRequest).secret) throw new BitbucketAuthError("COOKIE_SECRET_MISSING");
        res.cookie(name, value, { ...attributes, signed: true });
      };
  const read = secrets
    ? (req: Request): string | false | undefined => {
        const raw = rawCookie(req.headers.cookie, name);
        if (raw === undefined) return undefined;
        if (!raw.startsWith("s:")) return false;
        for (const secret of secrets) {
          const value = signature.unsign(raw.slice(2), secret);
          if (value !== false) return value;
        }
        return false;
      }
    : (req: Request): string | false | undefined => {
        const { signedCookies: signed, secret } = req as ParsedRequest;
        if (!signed || !secret) throw new BitbucketAuthError("COOKIE_SECRET_MISSING");
        const value = signed[name];
        if (typeof value === "string" || value === false) return value;
        // Present but unsigned (or JSON-decoded by cookie-parser): not one we issued.
        return req.cookies?.[name] !== undefined || value !== undefined ? false : undefined;
      };

  return {
    issue(req, res, state, returnTo) {
      write(res, encodePending({ state, issuedAt: Date.now(), returnTo }), req);
    },
    consume(req, res) {
      res.clearCookie(name, clearAttributes);
      const value = read(req);
      if (value === undefined) throw new BitbucketAuthError("STATE_COOKIE_MISSING");
      const pending = value === false ? undefined : decode(value);
      if (!pending) throw new BitbucketAuthError("STATE_COOKIE_INVALID");
      const age = Date.now() - pending.issuedAt;
      if (age > maxAge) throw new BitbucketAuthError("STATE_EXPIRED");
      if (age < -60_000) throw new BitbucketAuthError("STATE_COOKIE_INVALID");
      if (!sameState(pending.state, req.query.state)) throw new BitbucketAuthError("STATE_MISMATCH");
      return pending;
    },
  };
}

/**
 * `state.issuedAt(base 36).returnTo(base64url)`: compact, since it rides on the hot login start, and
 * free of characters a cookie would have to escape. The signature covers all of it.
 */
export function encodePending({ state, issuedAt, returnTo }: PendingLogin): string {
  return `${state}.${issuedAt.toString(36)}.${returnTo === null ? "" : Buffer.from(returnTo).toString("base64url")}`;
}

function decode(value: string): PendingLogin | undefined {
  const [state, issued, returnTo, extra] = value.split(".");
  if (extra !== undefined || !state || !issued || returnTo === undefined) return undefined;
  if (state.length > 256 || !/^[0-9a-z]{1,12}$/.test(issued)) return undefined;
  return {
    state,
    issuedAt: parseInt(issued, 36),
    returnTo: returnTo === "" ? null : Buffer.from(returnTo, "base64url").toString(),
  };
}

function sameState(expected: string, given: unknown): boolean {
  if (typeof given !== "string") return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

function rawCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq === -1 || part.slice(0, eq).trim() !== name) continue;
    const value = part.slice(eq + 1).trim();
    try {
      return decodeURIComponent(value);
    } catch {
      return value;
    }
  }
  return undefined;
}
