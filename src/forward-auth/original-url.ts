import type { IncomingHttpHeaders } from "node:http";
import type { ReturnHosts } from "../config/return-hosts.js";
import { safeReturnTo } from "../state/return-to.js";

/** One header's one value: a repeated header (joined with ", " by Node) or an array is no value. */
function single(headers: IncomingHttpHeaders, name: string): string | null {
  const value = headers[name];
  return typeof value === "string" && !value.includes(",") ? value : null;
}

/**
 * Where the browser was going, rebuilt from the proxy's `X-Forwarded-Proto`, `-Host` and `-Uri`,
 * as the login's `returnTo`; `null` when it cannot be trusted. With a path `loginUrl` (the check on
 * the protected host itself) only the path is kept, so no header can name another host. With an
 * absolute one, the URL must be on `hosts`, by the same grammar as the router's `returnToHosts`.
 * The headers are the browser's to forge when the check is reached directly: whatever they say,
 * the result is a same-site path or a URL on an allowed host, never anything else.
 */
export function originalUrl(
  headers: IncomingHttpHeaders,
  absolute: boolean,
  hosts: ReturnHosts | null,
): string | null {
  const uri = single(headers, "x-forwarded-uri");
  // safeReturnTo refuses "//host", "\", control characters and anything longer than 1 KB.
  if (uri === null || safeReturnTo(uri) === null) return null;
  if (!absolute) return uri;
  const proto = single(headers, "x-forwarded-proto");
  const host = single(headers, "x-forwarded-host");
  if (hosts === null || (proto !== "https" && proto !== "http") || host === null) return null;
  return safeReturnTo(`${proto}://${host}${uri}`, hosts);
}
