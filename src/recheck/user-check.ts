import type { Auth } from "lucia";
import type { AccessVerdict } from "../editions/edition.js";
import { BitbucketAuthError, type BitbucketAuthErrorCode } from "../errors/errors.js";
import { createDeadline, type Deadline } from "../http/upstream.js";
import type { BitbucketAccountInfo, BitbucketStoredTokens } from "../tokens/token-store.js";
import { log } from "../util/log.js";
import type { GuardConfig } from "./guard-config.js";
import { createStoredTokens } from "./stored-tokens.js";

// Bitbucket could not answer: the only failures that may keep a session, and only up to maxStale.
const OUTAGES: ReadonlySet<BitbucketAuthErrorCode> = new Set([
  "BITBUCKET_UNAVAILABLE",
  "BITBUCKET_RATE_LIMITED",
  "BITBUCKET_TIMEOUT",
]);
// A token a few seconds from expiry is refreshed first: it could expire on its way to Bitbucket.
const EXPIRY_MARGIN_MS = 30_000;

/**
 * Whether a user keeps their sessions, and until when that holds; or why not, and under which
 * code when it is not `ACCESS_REVOKED`.
 */
export type Verdict =
  | {
      readonly keep: true;
      readonly until: number;
      /** False for a user with no key of this Bitbucket: not this check's to judge. */
      readonly ours: boolean;
      /** What admitted the user, when the rules were asked now; `null` when a stored check stood. */
      readonly admitted: Readonly<Record<string, string>> | null;
      /** The stored account, `null` when the row has none (or there is no row). */
      readonly account: BitbucketAccountInfo | null;
    }
  | {
      readonly keep: false;
      readonly why: string;
      readonly code?: "TOKENS_NOT_STORED";
      /** Set when Bitbucket could not answer (past `maxStale`): the outage's code. */
      readonly outage?: BitbucketAuthErrorCode;
    };

/** One guard's check of one user, and the token-store calls it makes, each under the timeout. */
export interface UserCheck {
  /**
   * The verdict on a user's stored tokens and rules, refreshing them first when they expired.
   * `heldAt` is when these rules last held for the user as the caller remembers it, which counts
   * instead of the row's stamp when the check does not use stamps.
   */
  check(userId: string, now: number, heldAt?: number): Promise<Verdict>;
  /** Runs a token-store call under a deadline; a failure or a hang is `TOKEN_STORE_FAILED`. */
  store<T>(deadline: Deadline, run: () => Promise<T>): Promise<T>;
}

/**
 * The verdict policy: a check made recently for these rules stands; otherwise the rules are asked
 * with the stored token (refreshed when it expired, or once when Bitbucket rejects it). An outage
 * keeps the session up to `maxStale` after the last check that held; everything else fails closed.
 * Without `stamps`, the row's `checkedAt` is neither trusted nor written: a check of rules other
 * than the login's (forward-auth's named rules) keeps its own time, so it never overwrites theirs.
 */
export function createUserCheck(auth: Auth, config: GuardConfig, stamps = true): UserCheck {
  const { interval, maxStale, timeout, tokens, ask, admitted, rules, grant, providerId, skew } = config;
  const { store, refresh } = createStoredTokens(config);

  // A user with no key of this Bitbucket never signed in through it: not this guard's to check.
  const isOurs = async (userId: string, deadline: Deadline): Promise<boolean> =>
    (await store(deadline, () => auth.getAllUserKeys(userId))).some((key) => key.providerId === providerId);

  const check = async (userId: string, now: number, heldAt = 0): Promise<Verdict> => {
    const deadline = createDeadline(timeout);
    try {
      const stored = await store(deadline, () => tokens.get(userId, grant));
      if (!stored) {
        if (!(await isOurs(userId, deadline)))
          return { keep: true, until: now + interval, ours: false, admitted: null, account: null };
        return { keep: false, why: "no stored Bitbucket tokens for this user", code: "TOKENS_NOT_STORED" };
      }
      return await recheck(userId, stored, now, deadline, heldAt);
    } finally {
      deadline.end();
    }
  };

  const recheck = async (
    userId: string,
    stored: BitbucketStoredTokens,
    now: number,
    deadline: Deadline,
    heldAt: number,
  ): Promise<Verdict> => {
    const account = stored.account ?? null;
    // Trusted only for these rules, and only when not stamped ahead of this clock by more than skew.
    // Stryker disable next-line EqualityOperator: `<=` or `<` differ only in the one millisecond at the edge.
    const stamped = stored.checkedRules === rules && stored.checkedAt - now <= skew ? stored.checkedAt : 0;
    const checkedAt = stamps ? stamped : heldAt;
    // Checked recently, perhaps by another instance or at the login itself.
    // Stryker disable next-line EqualityOperator: `<` or `<=` differ only in the one millisecond at the edge.
    if (now - checkedAt < interval)
      // Stryker disable next-line BooleanLiteral: unreachable without stamps (a caller asks only past heldAt + interval), and the guard, which stamps, never reads `ours`.
      return { keep: true, until: checkedAt + interval, ours: true, admitted: null, account };
    const askWith = (t: BitbucketStoredTokens): Promise<AccessVerdict> => ask(t.accessToken, deadline);
    try {
      let current = stored;
      let refreshed = false;
      // Stryker disable next-line EqualityOperator: `<` or `<=` differ only in the one millisecond at the edge.
      if (current.accessTokenExpiresAt - EXPIRY_MARGIN_MS <= now) {
        current = await refresh(userId, current, deadline);
        refreshed = true;
      }
      let access: AccessVerdict;
      try {
        access = await askWith(current);
      } catch (err) {
        // Expired early or revoked: one refresh, then the answer counts, whatever it is.
        if (refreshed || !(err instanceof BitbucketAuthError) || err.code !== "BITBUCKET_TOKEN_REJECTED")
          throw err;
        current = await refresh(userId, current, deadline);
        access = await askWith(current);
      }
      // checkAccess always gives a refusal's reason; the fallback only keeps the cause from being empty.
      // Stryker disable next-line StringLiteral: see above.
      if (!access.allowed) return { keep: false, why: access.reason ?? "the allow rules no longer hold" };
      const at = Date.now();
      if (stamps)
        await store(deadline, () =>
          tokens.save(userId, grant, { ...current, checkedAt: at, checkedRules: rules }),
        );
      return { keep: true, until: at + interval, ours: true, admitted: admitted(access), account };
    } catch (err) {
      if (err instanceof BitbucketAuthError && err.code === "TOKEN_STORE_FAILED") throw err;
      // Every failure below is a BitbucketAuthError; the label only names a future slip in the cause.
      // Stryker disable next-line StringLiteral: see above.
      const code = err instanceof BitbucketAuthError ? err.code : "UNEXPECTED";
      if (err instanceof BitbucketAuthError && OUTAGES.has(err.code)) {
        // The last time these rules are known to have held: the caller's, or a stamp for them.
        const limit = Math.max(checkedAt, stamped) + maxStale;
        log("guard: Bitbucket could not answer the check (%s)", code);
        // Stryker disable next-line EqualityOperator: `<` or `<=` differ only in the one millisecond at the edge.
        if (now < limit)
          return { keep: true, until: Math.min(now + interval, limit), ours: true, admitted: null, account };
        return {
          keep: false,
          why: `Bitbucket could not be asked for longer than maxStale (${code})`,
          outage: err.code,
        };
      }
      return { keep: false, why: `the check failed with ${code}` };
    }
  };

  return { check, store };
}
