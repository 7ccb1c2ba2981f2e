import type { Auth, GlobalDatabaseSessionAttributes, GlobalDatabaseUserAttributes } from "lucia";
import type { BitbucketRouterOptions, ResolvedOptions } from "./options.js";
import { didYouMean } from "./did-you-mean.js";

const KNOWN = [
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
  "linkAccounts",
  "fetchEmail",
  "logoutPath",
  "logoutRedirect",
  "getUserAttributes",
  "createUser",
  "getSessionAttributes",
  "onSuccess",
] as const satisfies readonly (keyof BitbucketRouterOptions)[];

const HOOKS = ["getUserAttributes", "createUser", "getSessionAttributes", "onSuccess"] as const;
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function fail(message: string): never {
  throw new TypeError(`bitbucketRouter: ${message}`);
}

function requiredString(options: Record<string, unknown>, name: string): string {
  const value = options[name];
  if (typeof value !== "string" || value.trim() === "")
    fail(`option "${name}" is required (a non-empty string).`);
  return value;
}

function optional<T>(
  options: Record<string, unknown>,
  name: string,
  fallback: T,
  check: (v: unknown) => boolean,
  what: string,
): T {
  const value = options[name];
  if (value === undefined) return fallback;
  if (!check(value)) fail(`option "${name}" must be ${what}.`);
  return value as T;
}

const isPath = (v: unknown) => typeof v === "string" && /^\/[^\s?#\\]*$/.test(v) && !v.startsWith("//");
const isTarget = (v: unknown) =>
  typeof v === "string" && (isPath(v.split(/[?#]/)[0]) || /^https?:\/\/[^\s]+$/i.test(v));

/**
 * Checks the options once, when the router is built, and fills in every default.
 * @throws TypeError naming the option at fault.
 */
export function resolveOptions<_Auth extends Auth>(
  input: BitbucketRouterOptions<_Auth>,
): ResolvedOptions<_Auth> {
  if (input === null || typeof input !== "object")
    fail("options must be an object with clientId, clientSecret and redirectUri.");
  const options = input as unknown as Record<string, unknown>;
  for (const key of Object.keys(options)) {
    if (!(KNOWN as readonly string[]).includes(key)) {
      const hint = didYouMean(key, KNOWN);
      fail(`unknown option "${key}".${hint ? ` Did you mean "${hint}"?` : ""}`);
    }
  }
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
  if (loginPath === callbackPath) fail(`options "loginPath" and "callbackPath" must differ.`);

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
  const getUserAttributes = input.getUserAttributes ?? (() => ({}) as GlobalDatabaseUserAttributes);
  const isMs = (max: number) => (v: unknown) =>
    typeof v === "number" && Number.isInteger(v) && v > 0 && v <= max;

  return {
    provider: { clientId, clientSecret, redirectUri },
    loginPath,
    callbackPath,
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
      name: optional(
        options,
        "stateCookieName",
        "bitbucket_oauth_state",
        (v) => typeof v === "string" && COOKIE_NAME.test(v),
        "a valid cookie name",
      ),
      // Scoped to the callback, the only route that reads it: it is never sent anywhere else.
      path: redirect.pathname,
      secure: redirect.protocol === "https:",
      maxAge: optional(
        options,
        "stateMaxAge",
        600_000,
        isMs(3_600_000),
        "a whole number of milliseconds, at most 3600000",
      ),
    },
    timeout: optional(
      options,
      "timeout",
      10_000,
      isMs(120_000),
      "a whole number of milliseconds, at most 120000",
    ),
    linkAccounts: optional(options, "linkAccounts", true, (v) => typeof v === "boolean", "a boolean"),
    fetchEmail: optional(options, "fetchEmail", false, (v) => typeof v === "boolean", "a boolean"),
    logoutPath,
    logoutRedirect: optional(options, "logoutRedirect", "/", isTarget, "a path or an absolute http(s) URL"),
    // The default creation is the provider's createUser with the attributes hook's columns.
    createUser:
      input.createUser ??
      (async (context) =>
        context.bitbucketUserAuth.createUser({
          attributes: await getUserAttributes(context.bitbucketUser, context),
        })),
    getSessionAttributes: input.getSessionAttributes ?? (() => ({}) as GlobalDatabaseSessionAttributes),
    onSuccess: input.onSuccess,
  };
}
