import { createHash } from "node:crypto";
import type { Auth } from "lucia";
import type { BitbucketRouterOptionsFor } from "./options-for.js";
import type { ResolvedOptions } from "./resolved.js";
import { rejectUnknownKeys } from "../util/did-you-mean.js";
import {
  isPath,
  isTarget,
  isWholeMs,
  optional as optionalOf,
  requiredString as requiredOf,
} from "../util/validators.js";
import { resolveStateCookie } from "./state-cookie-options.js";
import { resolveRoutePaths } from "./route-paths.js";
import { resolveReturnToHosts } from "./return-hosts.js";
import { resolvePublicPath } from "./public-path.js";
import { isTokenStore, legacyStoreProblem } from "../tokens/token-store.js";
import { EDITION_OPTIONS, selectEdition, type BitbucketEdition } from "../editions/select.js";

/** Every option key `bitbucketRouter` reads (the README's table documents each). */
export const KNOWN: readonly string[] = [
  "clientId",
  "clientSecret",
  "redirectUri",
  "loginPath",
  "callbackPath",
  "publicPath",
  "successRedirect",
  "returnToHosts",
  "failureRedirect",
  "cookieSecret",
  "stateCookieName",
  "stateMaxAge",
  "timeout",
  "allow",
  "refusalMessage",
  "tokens",
  "linkPath",
  "logoutPath",
  "logoutRedirect",
  "getUserAttributes",
  "createUser",
  "authorize",
  "getSessionAttributes",
  "onSuccess",
  ...EDITION_OPTIONS,
];

const HOOKS = ["getUserAttributes", "createUser", "authorize", "getSessionAttributes", "onSuccess"] as const;
// Options of earlier 0.x releases, with what replaced them.
const REMOVED: Readonly<Record<string, string>> = {
  linkAccounts:
    'option "linkAccounts" was removed in 0.2: an ordinary login never links any more. Link on purpose with a POST to "linkPath" (default "/login/bitbucket/link") while signed in.',
};

function fail(message: string): never {
  throw new TypeError(`bitbucketRouter: ${message}`);
}

const requiredString = (options: Readonly<Record<string, unknown>>, name: string) =>
  requiredOf(options, name, fail);
const optional = <T>(
  options: Readonly<Record<string, unknown>>,
  name: string,
  fallback: T,
  check: (v: unknown) => boolean,
  what: string,
): T => optionalOf(options, name, fallback, check, what, fail);

/**
 * Checks the options once, when the router is built, and fills in every default.
 * @throws TypeError naming the option at fault.
 */
export function resolveOptions<_Auth extends Auth>(
  input: BitbucketRouterOptionsFor<BitbucketEdition, _Auth>,
): ResolvedOptions {
  if (input === null || typeof input !== "object")
    fail("options must be an object with clientId, clientSecret and redirectUri.");
  const options: Readonly<Record<string, unknown>> = { ...input };
  rejectUnknownKeys(options, KNOWN, fail, { removed: REMOVED });
  for (const hook of HOOKS) {
    if (options[hook] !== undefined && typeof options[hook] !== "function")
      fail(`option "${hook}" must be a function.`);
  }

  const clientId = requiredString(options, "clientId");
  const clientSecret = requiredString(options, "clientSecret");
  const { redirectUri, redirect, loginPath, callbackPath, linkPath } = resolveRoutePaths(options, fail);

  const secretCheck = (v: unknown) =>
    (typeof v === "string" && v.length > 0) ||
    (Array.isArray(v) && v.length > 0 && v.every((s) => typeof s === "string" && s.length > 0));
  const cookieSecret = optional<string | readonly string[] | undefined>(
    options,
    "cookieSecret",
    undefined,
    secretCheck,
    "a non-empty string or array of strings",
  );
  const logoutPath = optional<string | false>(
    options,
    "logoutPath",
    false,
    (v) => v === false || isPath(v),
    'false or a path starting with "/"',
  );
  const selected = selectEdition(options, fail);
  const { bitbucket } = selected;
  const publicPath = resolvePublicPath(options, redirect, callbackPath, fail);
  // What redirectUri's path has between publicPath and callbackPath: the prefix the router must be
  // mounted under, as Express sees it.
  const mount = redirect.pathname.slice(publicPath.length, redirect.pathname.length - callbackPath.length);
  // The browser sees the public path: the state cookies' path starts with it.
  const stateCookie = resolveStateCookie(
    options,
    redirect,
    publicPath + mount,
    [loginPath, callbackPath, linkPath],
    fail,
  );
  // A redirect to a path of the app's goes through the proxy: under publicPath.
  const target = (name: string, fallback: string | undefined) => {
    const value = optional<string | undefined>(
      options,
      name,
      fallback,
      isTarget,
      "a path or an absolute http(s) URL",
    );
    return value?.startsWith("/") ? publicPath + value : value;
  };

  return {
    provider: { clientId, clientSecret, redirectUri },
    loginPath,
    callbackPath,
    mountPath: mount,
    publicPath,
    successRedirect: target("successRedirect", "/") as string,
    returnToHosts: resolveReturnToHosts(options, fail),
    failureRedirect: target("failureRedirect", undefined),
    cookieSecrets:
      cookieSecret === undefined
        ? undefined
        : typeof cookieSecret === "string"
          ? [cookieSecret]
          : [...cookieSecret],
    stateCookie,
    timeout: optional(
      options,
      "timeout",
      10_000,
      isWholeMs(120_000),
      "a whole number of milliseconds (not seconds), from 1000 to 120000",
    ),
    // The edition and instance are part of it: a Cloud state is refused at a Data Center callback,
    // and a state of one Data Center instance (or provider id) at another's.
    stateIssuer: createHash("sha256")
      .update(JSON.stringify([...bitbucket.issuer, clientId, redirectUri, linkPath]))
      .digest("base64url")
      .slice(0, 12),
    selected,
    gated: bitbucket.rules !== null,
    grant: bitbucket.grant,
    checkedRules: bitbucket.rules?.fingerprint,
    refusalMessage: optional(
      options,
      "refusalMessage",
      "detailed",
      (v) => v === "detailed" || v === "generic",
      '"detailed" or "generic"',
    ),
    tokens: tokenStore(options.tokens),
    linkPath,
    logoutPath,
    logoutRedirect: target("logoutRedirect", "/") as string,
  };
}

/** The `tokens` option: a store of this release's shape, or `null`. */
function tokenStore(value: unknown): ResolvedOptions["tokens"] {
  if (value === undefined) return null;
  if (!isTokenStore(value))
    fail(
      `option "tokens" must be a token store: an object with get, save and remove methods (see sqliteTokenStore).`,
    );
  const problem = legacyStoreProblem(value);
  if (problem) fail(`option "tokens": ${problem}`);
  return value;
}
