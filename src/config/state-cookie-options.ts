import { optional, isWholeMs, type Fail } from "../util/validators.js";
import type { ResolvedOptions } from "./resolved.js";

// RFC 6265's cookie-name token (RFC 9110's tchar).
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * The state cookies' slice of the router's options: the name's stem (`__Host-` first on https),
 * the path the login, callback and link routes share, and the lifetime.
 * @throws TypeError (through `fail`) naming `stateCookieName` or `stateMaxAge`.
 */
export function resolveStateCookie(
  options: Readonly<Record<string, unknown>>,
  redirect: URL,
  mount: string,
  [loginPath, callbackPath, linkPath]: readonly [string, string, string | false],
  fail: Fail,
): ResolvedOptions["stateCookie"] {
  const secure = redirect.protocol === "https:";
  const cookieName = optional(
    options,
    "stateCookieName",
    "bitbucket_oauth_state",
    (v) => typeof v === "string" && COOKIE_NAME.test(v) && !v.startsWith("__"),
    'a valid cookie name (without a "__Host-" or "__Secure-" prefix, which is added on https)',
    fail,
  );
  // The routes that read or write the state cookies share this path: the mount prefix plus the
  // routes' common leading segments.
  const shared = mount + commonPath(loginPath, [callbackPath, ...(linkPath ? [linkPath] : [])]);
  return {
    // __Host-: Secure, Path=/ and no Domain, so no sibling subdomain or plain-http page can set it.
    name: secure ? `__Host-${cookieName}` : cookieName,
    path: secure ? "/" : shared || "/",
    secure,
    maxAge: optional(
      options,
      "stateMaxAge",
      600_000,
      isWholeMs(3_600_000),
      "a whole number of milliseconds (not seconds), from 1000 to 3600000",
      fail,
    ),
  };
}

/** The longest run of whole leading segments that the paths share, e.g. "/login/bitbucket". */
function commonPath(first: string, others: readonly string[]): string {
  const segments = first.split("/").slice(1);
  const rest = others.map((p) => p.split("/").slice(1));
  const differs = segments.findIndex((segment, i) => rest.some((other) => other[i] !== segment));
  return segments
    .slice(0, differs === -1 ? segments.length : differs)
    .map((s) => `/${s}`)
    .join("");
}
