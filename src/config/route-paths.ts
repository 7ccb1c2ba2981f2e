import { isPath, optional, requiredString, type Fail } from "../util/validators.js";

/** The router's own URL and paths, checked against each other. */
export interface RoutePaths {
  readonly redirectUri: string;
  readonly redirect: URL;
  readonly loginPath: string;
  readonly callbackPath: string;
  readonly linkPath: string | false;
}

/**
 * `redirectUri`, `loginPath`, `callbackPath` and `linkPath`: an absolute http(s) callback URL
 * without a fragment, whose path ends with the callback path (what comes before it is the prefix
 * the router is mounted under), and three routes that differ.
 */
export function resolveRoutePaths(options: Readonly<Record<string, unknown>>, fail: Fail): RoutePaths {
  const redirectUri = requiredString(options, "redirectUri", fail);
  let redirect: URL;
  try {
    redirect = new URL(redirectUri);
  } catch {
    fail(
      `option "redirectUri" must be an absolute URL such as "https://app.example/login/bitbucket/callback"; got a relative or invalid one.`,
    );
  }
  if (redirect.protocol !== "https:" && redirect.protocol !== "http:")
    fail(`option "redirectUri" must be an http(s) URL.`);
  if (redirect.hash) fail(`option "redirectUri" must not have a #fragment.`);

  const loginPath = optional<string>(
    options,
    "loginPath",
    "/login/bitbucket",
    isPath,
    'a path starting with "/"',
    fail,
  );
  const callbackPath = optional<string>(
    options,
    "callbackPath",
    "/login/bitbucket/callback",
    isPath,
    'a path starting with "/"',
    fail,
  );
  if (!redirect.pathname.endsWith(callbackPath)) {
    fail(
      `option "redirectUri" (path "${redirect.pathname}") does not end with the callback path "${callbackPath}"; ` +
        `Bitbucket would send people to a route the router does not mount. Set callbackPath to match.`,
    );
  }
  const linkPath = optional<string | false>(
    options,
    "linkPath",
    "/login/bitbucket/link",
    (v) => v === false || isPath(v),
    'false or a path starting with "/"',
    fail,
  );
  if (loginPath === callbackPath) fail(`options "loginPath" and "callbackPath" must differ.`);
  if (linkPath === loginPath || linkPath === callbackPath)
    fail(`option "linkPath" must differ from "loginPath" and "callbackPath".`);

  return { redirectUri, redirect, loginPath, callbackPath, linkPath };
}
