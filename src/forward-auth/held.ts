import { BitbucketAuthError } from "../errors/errors.js";
import { bounded } from "../recheck/bounded-map.js";
import type { UserCheck } from "../recheck/user-check.js";
import type { BitbucketAccountInfo } from "../tokens/token-store.js";

/** What one instance remembers of one rule for one user, until `until`. */
export type Held =
  | {
      readonly keep: true;
      readonly until: number;
      /** When the rule was last asked of Bitbucket and held: an outage keeps it to `maxStale` after. */
      readonly heldAt: number;
      readonly ours: boolean;
      readonly admitted: Readonly<Record<string, string>>;
      readonly account: BitbucketAccountInfo | null;
    }
  | { readonly keep: false; readonly until: number; readonly why: string; readonly notStored: boolean };

/**
 * What one instance knows of each rule for each user, asking Bitbucket once it is out of date: at
 * most `size` entries (`allow` under "", each named rule under its name), one question per user and
 * rule at a time.
 */
export function createRemembered(size: number, interval: number) {
  const held = bounded<Held>(size);
  const inFlight = new Map<string, Promise<Held>>();

  return async function verdict(
    key: string,
    check: UserCheck,
    userId: string,
    now: number,
    isLogin: boolean,
  ): Promise<Held> {
    const slot = `${key}\0${userId}`;
    const known = held.get(slot);
    // Stryker disable next-line EqualityOperator: `>` or `>=` differ only in the one millisecond at the edge.
    if (known && known.until > now) return known;
    let flight = inFlight.get(slot);
    if (!flight) {
      // One check per user and rule at a time: concurrent requests wait for the same answer.
      flight = decide(check, userId, now, known, isLogin).finally(() => inFlight.delete(slot));
      inFlight.set(slot, flight);
    }
    const answer = await flight;
    // Only what can stand for an interval is remembered: not a refusal of `allow` (the sessions
    // are ended) nor a user of no key of ours (they may sign in through this Bitbucket next).
    if (answer.keep ? answer.ours : !isLogin) held.set(slot, answer);
    else held.delete(slot);
    return answer;
  };

  async function decide(
    check: UserCheck,
    userId: string,
    now: number,
    known: Held | undefined,
    isLogin: boolean,
  ): Promise<Held> {
    const heldAt = known?.keep ? known.heldAt : 0;
    const v = await check.check(userId, now, heldAt);
    if (v.keep)
      return {
        keep: true,
        until: v.until,
        // Asked now (what admitted is known) or kept through an outage (the last hold stands).
        heldAt: v.admitted ? now : heldAt,
        ours: v.ours,
        admitted: v.admitted ?? (known?.keep ? known.admitted : {}),
        account: v.account,
      };
    // A named rule that Bitbucket could not be asked about is an outage, not a refusal.
    if (v.outage && !isLogin) throw new BitbucketAuthError(v.outage);
    return { keep: false, until: now + interval, why: v.why, notStored: v.code === "TOKENS_NOT_STORED" };
  }
}
