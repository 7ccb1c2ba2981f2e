import type { Auth } from "lucia";
import { LOOPBACK, resolveReturnToHosts, type ReturnHosts } from "../config/return-hosts.js";
import { recheckBitbucket } from "../recheck/credentials.js";
import { resolveGuardOptions, rulesOf, type GuardConfig } from "../recheck/guard-config.js";
import { createUserCheck, type UserCheck } from "../recheck/user-check.js";
import { isPath } from "../util/validators.js";
import { FORWARD_AUTH_OPTIONS, type BitbucketForwardAuthOptionsFor } from "./options.js";

/** A rule's name, as it stands in the check's path: lowercase, so one name is one path. */
export const RULE_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** Forward-auth's options, checked once: the login's rules, the named ones, and where to log in. */
export interface ForwardAuthConfig {
  readonly guard: GuardConfig;
  /** `allow`: who may sign in at all. Its check is the guard's, and a failure ends the sessions. */
  readonly base: UserCheck;
  /** The named rules, each checked on top of `allow`; a failure is a 403 and ends nothing. */
  readonly rules: ReadonlyMap<string, UserCheck>;
  readonly loginUrl: string;
  /** True when `loginUrl` names a host: the original URL then goes along whole, on `returnToHosts` only. */
  readonly absoluteLogin: boolean;
  readonly returnToHosts: ReturnHosts | null;
}

/**
 * Checks forward-auth's options once, at construction.
 * @throws TypeError naming the option at fault.
 */
export function resolveForwardAuth(auth: Auth, options: BitbucketForwardAuthOptionsFor): ForwardAuthConfig {
  const fail = (message: string): never => {
    throw new TypeError(`bitbucketForwardAuth: ${message}`);
  };
  if (options === null || typeof options !== "object")
    fail("options must be an object with allow, clientId, clientSecret, tokens and loginUrl.");
  const { loginUrl, rules = {}, ...guardOptions } = options;
  const guard = resolveGuardOptions(auth, guardOptions, {
    name: "bitbucketForwardAuth",
    known: FORWARD_AUTH_OPTIONS,
  });
  const absoluteLogin = isLoginUrl(loginUrl, fail);
  if (rules === null || typeof rules !== "object" || Array.isArray(rules))
    fail(
      'option "rules" must be an object of named allow rules, such as { docs: { workspaces: ["acme"] } }.',
    );
  const named = new Map<string, UserCheck>();
  for (const [name, allow] of Object.entries(rules)) {
    if (!RULE_NAME.test(name))
      fail(
        `option "rules": ${JSON.stringify(name)} is not a rule name (lowercase letters, digits, "-" and "_").`,
      );
    const inRule = (message: string): never => fail(`option "rules.${name}": ${message}`);
    const picked = recheckBitbucket({ ...guardOptions, allow }, true, inRule);
    named.set(name, createUserCheck(auth, { ...guard, ...rulesOf(picked, inRule) }, false));
  }
  return {
    guard,
    base: createUserCheck(auth, guard, false),
    rules: named,
    loginUrl,
    absoluteLogin,
    returnToHosts: resolveReturnToHosts({ returnToHosts: options.returnToHosts }, fail),
  };
}

/** A path of the app's, or an absolute URL (https, or http on loopback) with no query or fragment. */
function isLoginUrl(value: unknown, fail: (message: string) => never): boolean {
  const what =
    'option "loginUrl" is required: the router\'s login route as the browser reaches it, a path such as ' +
    '"/_auth/login/bitbucket" or an https URL such as "https://auth.example.com/login/bitbucket" (no query).';
  if (typeof value !== "string") return fail(what);
  if (isPath(value)) return false;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return fail(what);
  }
  const secure = url.protocol === "https:" || (url.protocol === "http:" && LOOPBACK.has(url.hostname));
  if (!secure || url.username || url.password || url.search || url.hash || value.includes("?")) fail(what);
  return true;
}
