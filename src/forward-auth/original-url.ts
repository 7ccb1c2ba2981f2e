import type { IncomingHttpHeaders } from "node:http";
import type { ReturnHosts } from "../config/return-hosts.js";
import { safeReturnTo } from "../state/return-to.js";

// Where the browser was going, from the proxy's X-Forwarded-* headers, as the login's `returnTo`.
// They are the browser's to forge when it reaches the check directly: whatever they say, the result
// is a same-site path or a URL on an allowed host, never anything else.

/** One header's one value: a repeated header (joined with ", " by Node) or an array is no value. */
function single(headers: IncomingHttpHeaders, name: string): string | null {
  const value = headers[name];
  return typeof value === "string" && !value.includes(",") ? value : null;
}

/**
 * `X-Forwarded-Uri` when it is a same-site path (no "//host", "\", control characters, at most
 * 1 KB), for a login on the protected host itself: no header can name another host. Else `null`.
 */
export function originalPath(headers: IncomingHttpHeaders): string | null {
  return safeReturnTo(single(headers, "x-forwarded-uri"));
}

/**
 * `X-Forwarded-Proto`, `-Host` and the path of {@link originalPath} as one URL, for a login on
 * another host; `null` unless it is on `hosts`, by the same grammar as the router's
 * `returnToHosts` (which refuses every scheme but https, and http on loopback).
 */
export function originalUrl(headers: IncomingHttpHeaders, hosts: ReturnHosts): string | null {
  const path = originalPath(headers);
  const proto = single(headers, "x-forwarded-proto");
  const host = single(headers, "x-forwarded-host");
  // A missing header must never read as a host named "null", and a scheme of "/" would make the
  // whole a path ("/:///"), which safeReturnTo takes as one: only the two schemes go on.
  if (path === null || host === null || (proto !== "https" && proto !== "http")) return null;
  return safeReturnTo(`${proto}://${host}${path}`, hosts);
}
