import { createHash } from "node:crypto";
import type { Auth, GlobalDatabaseSessionAttributes, GlobalDatabaseUserAttributes } from "lucia";
import type {
  BitbucketDataCenterRouterOptions,
  BitbucketRouterHooks,
  BitbucketRouterOptions,
  ResolvedHooks,
  ResolvedOptions,
} from "./options.js";
import { rejectUnknownKeys } from "../util/did-you-mean.js";
import { optional as optionalOf, requiredString as requiredOf } from "../util/validators.js";
import { isTokenStore, legacyStoreProblem } from "../tokens/token-store.js";
import { EDITION_OPTIONS, selectEdition } from "../editions/select.js";

/** Every option key `bitbucketRouter` reads (the README's table documents each). */
export const KNOWN: readonly string[] = [
  "clientId",
  "clientSecret",
  "redirectUri",
  "loginPath",
  "callbackPath",
  "successRedirect",
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
  "serverUrl",
  ...EDITION_OPTIONS,
];

const HOOKS = ["getUserAttributes", "createUser", "authorize", "getSessionAttributes", "onSuccess"] as const;
// Options of earlier 0.x releases, with what replaced them.
const REMOVED: Readonly<Record<string, string>> = {
  linkAccounts:
    'option "linkAccounts" was removed in 0.2: an ordinary login never links any more. Link on purpose with a POST to "linkPath" (default "/login/bitbucket/link") while signed in.',
};
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

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

export const isPath = (v: unknown) =>
  typeof v === "string" && /^\/[^\s?#\\]*$/.test(v) && !v.startsWith("//");
export const isTarget = (v: unknown) =>
  typeof v === "string" && (isPath(v.split(/[?#]/)[0]) || /^https?:\/\/[^\s]+$/i.test(v));

/**
 * Checks the options once, when the router is built, and fills in every default.
 * @throws TypeError naming the option at fault.
 */
export function resolveOptions<_Auth extends Auth>(
  input: BitbucketRouterOptions<_Auth> | BitbucketDataCenterRouterOptions<_Auth>,
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
  const redirectUri = requiredString(options, "redirectUri");
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
  );
  const callbackPath = optional<string>(
    options,
    "callbackPath",
    "/login/bitbucket/callback",
    isPath,
    'a path starting with "/"',
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
  );
  if (loginPath === callbackPath) fail(`options "loginPath" and "callbackPath" must differ.`);
  if (linkPath === loginPath || linkPath === callbackPath)
    fail(`option "linkPath" must differ from "loginPath" and "callbackPath".`);

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
  // Below one second is almost surely seconds given by mistake (600 for ten minutes): every state
  // cookie would be born expired and every login fail with nothing to say why.
  const isMs = (max: number) => (v: unknown) =>
    typeof v === "number" && Number.isInteger(v) && v >= 1000 && v <= max;
  const secure = redirect.protocol === "https:";
  const cookieName = optional(
    options,
    "stateCookieName",
    "bitbucket_oauth_state",
    (v) => typeof v === "string" && COOKIE_NAME.test(v) && !v.startsWith("__"),
    'a valid cookie name (without a "__Host-" or "__Secure-" prefix, which is added on https)',
  );
  // The routes that read or write the state cookies share this path: the mount prefix (what
  // redirectUri's path has before callbackPath) plus the routes' common leading segments.
  const mount = redirect.pathname.slice(0, redirect.pathname.length - callbackPath.length);
  const shared = mount + commonPath(loginPath, [callbackPath, ...(linkPath ? [linkPath] : [])]);

  return {
    provider: { clientId, clientSecret, redirectUri },
    loginPath,
    callbackPath,
    mountPath: mount,
    successRedirect: optional(options, "successRedirect", "/", isTarget, "a path or an absolute http(s) URL"),
    failureRedirect: optional<string | undefined>(
      options,
      "failureRedirect",
      undefined,
      isTarget,
      "a path or an absolute http(s) URL",
    ),
    cookieSecrets:
      cookieSecret === undefined
        ? undefined
        : typeof cookieSecret === "string"
          ? [cookieSecret]
          : [...cookieSecret],
    stateCookie: {
      // __Host-: Secure, Path=/ and no Domain, so no sibling subdomain or plain-http page can set it.
      name: secure ? `__Host-${cookieName}` : cookieName,
      path: secure ? "/" : shared || "/",
      secure,
      maxAge: optional(
        options,
        "stateMaxAge",
        600_000,
        isMs(3_600_000),
        "a whole number of milliseconds (not seconds), from 1000 to 3600000",
      ),
    },
    timeout: optional(
      options,
      "timeout",
      10_000,
      isMs(120_000),
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
    logoutRedirect: optional(options, "logoutRedirect", "/", isTarget, "a path or an absolute http(s) URL"),
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

/**
 * The hooks with their defaults, typed by the edition's user and access. Their types were checked
 * with the other options, by `resolveOptions`.
 */
export function resolveHooks<_Auth extends Auth, BbUser, Access>(
  hooks: BitbucketRouterHooks<_Auth, BbUser, Access>,
): ResolvedHooks<_Auth, BbUser, Access> {
  const getUserAttributes = hooks.getUserAttributes ?? (() => ({}) as GlobalDatabaseUserAttributes);
  return {
    authorize: hooks.authorize,
    // The default creation is the provider's createUser with the attributes hook's columns.
    createUser:
      hooks.createUser ??
      (async (context) =>
        context.bitbucketUserAuth.createUser({
          attributes: await getUserAttributes(context.bitbucketUser, context),
        })),
    getSessionAttributes: hooks.getSessionAttributes ?? (() => ({}) as GlobalDatabaseSessionAttributes),
    onSuccess: hooks.onSuccess,
  };
}
