// What a state cookie holds and how it is named: the encoded login, the router's mark and the
// state's tag in the name, and the constant-time comparisons of what comes back.
import { createHash, timingSafeEqual } from "node:crypto";

/** What a state cookie carries, signed: the OAuth state, where to land, when, and for a link, whose session. */
export interface PendingLogin {
  readonly state: string;
  readonly returnTo: string | null;
  readonly issuedAt: number;
  /** For a link flow, {@link sessionTag} of the session that asked for it; `null` for a login. */
  readonly link: string | null;
  /**
   * Which router issued it (the router's `stateIssuer`): a state is only good at the
   * callback of a router with the same client, redirect URI and link setting.
   */
  readonly issuer: string;
  /**
   * The PKCE verifier of this login (Data Center), which never travels in a URL; absent or `null`
   * where the edition has no PKCE (Cloud).
   */
  readonly codeVerifier?: string | null;
}

/**
 * The cookie of one login: the stem, then a mark of the router that issued it and a short hash of
 * its state (`bitbucket_oauth_state.Ab3dXy3…`, 10 characters after the dot). The mark gives each
 * router its own cookies, so routers in one app (Cloud and Data Center, say) never count or drop
 * each other's logins.
 */
export function stateCookieName(stem: string, issuer: string, state: string): string {
  return `${stem}.${routerMark(issuer)}${stateTag(state)}`;
}

export const routerMark = (issuer: string) =>
  createHash("sha256").update(issuer).digest("base64url").slice(0, 4);
export const stateTag = (state: string) => createHash("sha256").update(state).digest("base64url").slice(0, 6);

/** A short, one-way tag of a session id: the state cookie names the session without carrying it. */
export function sessionTag(sessionId: string): string {
  return createHash("sha256").update(sessionId).digest("base64url").slice(0, 22);
}

/**
 * `state.issuedAt(base 36).returnTo(base64url).link.issuer.verifier(base64url)`: compact, since it
 * rides on the hot login start, and free of characters a cookie would have to escape (a PKCE
 * verifier may hold `.` and `~`). The signature covers all of it.
 */
export function encodePending({
  state,
  issuedAt,
  returnTo,
  link,
  issuer,
  codeVerifier,
}: PendingLogin): string {
  const to = returnTo === null ? "" : Buffer.from(returnTo).toString("base64url");
  const verifier = codeVerifier ? Buffer.from(codeVerifier).toString("base64url") : "";
  return `${state}.${issuedAt.toString(36)}.${to}.${link ?? ""}.${issuer}.${verifier}`;
}

export function decodePending(value: string): PendingLogin | undefined {
  // Exactly six fields; `issued` is never empty (the pattern needs a character).
  const fields = value.split(".");
  if (fields.length !== 6) return undefined;
  const [state, issued, returnTo, link, issuer, verifier] = fields as Six;
  if (!state || state.length > 256 || !/^[0-9a-z]{1,12}$/.test(issued)) return undefined;
  return {
    state,
    issuedAt: parseInt(issued, 36),
    returnTo: returnTo === "" ? null : Buffer.from(returnTo, "base64url").toString(),
    link: link === "" ? null : link,
    issuer,
    codeVerifier: verifier === "" ? null : Buffer.from(verifier, "base64url").toString(),
  };
}
type Six = [string, string, string, string, string, string];

/** Constant-time equality of two strings (state, session tags). */
export function sameSecret(expected: string, given: unknown): boolean {
  if (typeof given !== "string") return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}
