import type { Auth } from "lucia";
import type { AccessVerdict, Refresh, Rules } from "../editions/edition.js";
import type { Selected } from "../editions/select.js";
import type { Deadline } from "../http/upstream.js";
import { rejectUnknownKeys } from "../util/did-you-mean.js";
import { isTarget } from "../util/validators.js";
import { isTokenStore, legacyStoreProblem, type BitbucketTokenStore } from "../tokens/token-store.js";
import { credentialsOf, recheckBitbucket } from "./credentials.js";
import { GUARD_OPTIONS, type BitbucketAccessGuardOptionsFor } from "./guard-options.js";

const DAY_MS = 86_400_000;

/** A guard's options, checked once, with the edition's rules, refresh and grant. */
export interface GuardConfig {
  readonly interval: number;
  readonly maxStale: number;
  readonly timeout: number;
  readonly cacheSize: number;
  readonly failureRedirect: string | undefined;
  readonly tokens: BitbucketTokenStore;
  /** The rules, asked with a stored access token. */
  readonly ask: (accessToken: string, deadline: Deadline) => Promise<AccessVerdict>;
  /** What admitted the person, from the rules' answer (the edition's names and values). */
  readonly admitted: (access: AccessVerdict) => Readonly<Record<string, string>>;
  /** The rules' fingerprint: a stored check counts only when it was made for these. */
  readonly rules: string;
  readonly refreshTokens: Refresh;
  readonly grant: string;
  readonly providerId: string;
  /**
   * How far ahead of this clock a check may be stamped and still count: another instance's fast
   * clock must not stretch how long a check is trusted.
   */
  readonly skew: number;
}

/** Which factory is checking: its name opens every message, and its keys are the known ones. */
export interface GuardFactory {
  readonly name: string;
  readonly known: readonly string[];
}

const GUARD: GuardFactory = { name: "bitbucketAccessGuard", known: GUARD_OPTIONS };

/**
 * Checks the guard's options once, at construction (forward-auth's too, which adds keys of its own).
 * @throws TypeError naming the option at fault.
 */
export function resolveGuardOptions(
  auth: Auth,
  options: BitbucketAccessGuardOptionsFor,
  factory: GuardFactory = GUARD,
): GuardConfig {
  const fail: (message: string) => never = (message) => {
    throw new TypeError(`${factory.name}: ${message}`);
  };
  if (!auth || typeof (auth as Partial<Auth>).getSession !== "function")
    fail("the first argument must be a Lucia 2 instance (the result of lucia({...})).");
  if (options === null || typeof options !== "object")
    fail("options must be an object with allow, clientId, clientSecret and tokens.");
  rejectUnknownKeys(options, factory.known, fail);
  for (const name of ["clientId", "clientSecret"] as const) {
    if (typeof options[name] !== "string" || options[name].trim() === "")
      fail(`option "${name}" is required (a non-empty string).`);
  }
  if (!isTokenStore(options.tokens))
    fail(
      `option "tokens" must be a token store: an object with get, save and remove methods (see sqliteTokenStore).`,
    );
  const legacy = legacyStoreProblem(options.tokens);
  if (legacy) fail(`option "tokens": ${legacy}`);
  const whole = (
    name: string,
    value: unknown,
    fallback: number,
    min: number,
    unit = " of milliseconds (not seconds)",
  ) => {
    if (value === undefined) return fallback;
    if (typeof value !== "number" || !Number.isInteger(value) || value < min)
      fail(`option "${name}" must be a whole number${unit}, at least ${min}.`);
    return value;
  };
  const interval = whole("interval", options.interval, 300_000, 0);
  // Longer would all but switch the guard off (`1e300` is a whole number too).
  if (interval > DAY_MS) fail(`option "interval" must be at most ${DAY_MS} (a day, in milliseconds).`);
  const maxStale = whole("maxStale", options.maxStale, Math.max(3 * interval, 60_000), 0);
  const timeout = whole("timeout", options.timeout, 10_000, 1000);
  const cacheSize = whole("cacheSize", options.cacheSize, 10_000, 1, "");
  if (options.failureRedirect !== undefined && !isTarget(options.failureRedirect))
    fail(`option "failureRedirect" must be a path or an absolute http(s) URL.`);
  const { tokens } = options;
  // The rules are required: a guard with nothing to check would only cost requests.
  const bitbucket = recheckBitbucket(options, true, fail);
  const { grant, providerId } = bitbucket;
  const refreshTokens = bitbucket.refresher(credentialsOf(options));
  const skew = Math.min(1000, Math.floor(interval / 2));
  return {
    interval,
    maxStale,
    timeout,
    cacheSize,
    failureRedirect: options.failureRedirect,
    tokens,
    ...rulesOf(bitbucket, fail),
    refreshTokens,
    grant,
    providerId,
    skew,
  };
}

/**
 * The rules of a Bitbucket as a check asks them. `ask` and `admitted` come from one edition's
 * rules, so what `admitted` is handed is always that edition's access.
 */
export function rulesOf(
  bitbucket: Selected["bitbucket"],
  fail: (message: string) => never,
): Pick<GuardConfig, "ask" | "admitted" | "rules"> {
  // Stryker disable next-line StringLiteral: unreachable; recheckBitbucket(…, true) has the edition refuse a missing allow first.
  const rules: Rules<AccessVerdict> = bitbucket.rules ?? fail(`option "allow" is required.`);
  return { ask: rules.ask, admitted: (access) => rules.admitted(access), rules: rules.fingerprint };
}
