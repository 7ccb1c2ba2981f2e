import { isReturnHost, LOOPBACK, RETURN_URL_AUTHORITY, type ReturnHosts } from "../config/return-hosts.js";

const PROBE_ORIGIN = "http://return-to.invalid";
/** In UTF-8 bytes: the state cookie carries it base64-encoded and must stay well under 4 KB. */
export const MAX_RETURN_TO_BYTES = 1024;

/**
 * Accepts a same-site relative path: one leading "/", no scheme, no authority ("//host",
 * "/\host"), no backslashes and no control characters, at most 1,024 UTF-8 bytes, and no path that
 * resolves to "//…" (such as "/.//evil.com"). With `hosts` (the router's `returnToHosts`), also an
 * absolute https URL (http on loopback) whose host is one of them, by an exact grammar: lowercase,
 * no userinfo, no percent-encoding or trailing dot in the host, and a port only where the entry
 * names it. Anything else is `null`, and the caller uses its default, so a crafted link can never
 * send someone off-site after login.
 * @returns the path as given, or the absolute URL as the URL parser writes it; else `null`.
 */
export function safeReturnTo(value: unknown, hosts: ReturnHosts | null = null): string | null {
  if (typeof value !== "string") return null;
  if (Buffer.byteLength(value) > MAX_RETURN_TO_BYTES) return null;
  // Browsers read "\" as "/" and drop tabs and newlines, so "/\evil" or "/\t/evil" would leave the site.
  // Stryker disable next-line EqualityOperator: one past the end, charCodeAt is NaN, which no check below matches.
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c === 0x7f || c === 0x5c) return null;
  }
  if (hosts && !value.startsWith("/")) return otherHost(value, hosts);
  if (!value.startsWith("/") || value.startsWith("//")) return null;
  try {
    const resolved = new URL(value, PROBE_ORIGIN);
    // Redundant by design: after the checks above no input reaches another origin (the fuzz run
    // tries); it stays as the last line of defence should one of them ever be loosened.
    // Stryker disable next-line all: equivalent while the checks above hold.
    if (resolved.origin !== PROBE_ORIGIN) return null;
    return resolved.pathname.startsWith("//") ? null : value;
  } catch {
    return null;
  }
}

/** An absolute `returnTo` on one of `hosts`, read by the grammar first, then confirmed by the URL parser. */
function otherHost(value: string, hosts: ReturnHosts): string | null {
  const m = RETURN_URL_AUTHORITY.exec(value);
  if (!m) return null;
  // Stryker disable next-line StringLiteral: the name's group always matches, so its default never applies.
  const [, scheme, name = "", port = ""] = m;
  if (scheme === "http" && !LOOPBACK.has(name)) return null;
  if (!isReturnHost(hosts, name, port)) return null;
  try {
    const url = new URL(value);
    // The parser must read the same host and port (it drops a default port, such as ":443").
    return url.hostname === name && url.port === port ? url.href : null;
  } catch {
    return null;
  }
}
