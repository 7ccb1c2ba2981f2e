/**
 * The states this router instance has already taken to a callback, each kept until its cookie
 * would have expired anyway. Why: the state cookie is cleared at the callback, but a script can
 * replay it with any number of made-up codes, and each would cost a token request with the app's
 * credentials, against Bitbucket's per-consumer rate limit. With this
 * memory, one state cookie buys one token request per instance.
 *
 * Bounded: at most `limit` entries, oldest first out, so a flood of logins cannot grow the heap.
 */
export interface UsedStates {
  /** True the first time a state is seen (and remembers it); false for a replay. */
  claim(state: string, now: number): boolean;
  readonly size: number;
}

/** How many states one router remembers at most. About 100 bytes each: a few MB at most. */
export const USED_STATES_LIMIT = 50_000;

export function createUsedStates(ttlMs: number, limit = USED_STATES_LIMIT): UsedStates {
  // A Map iterates in insertion order, and every entry lives equally long: the first is the oldest.
  const expiries = new Map<string, number>();
  return {
    claim(state, now) {
      const known = expiries.get(state);
      // A replay is refused before anything is dropped: at the limit, dropping first would let the
      // replayed state (the oldest) be forgotten by its own replay, and pass.
      if (known !== undefined && known > now) return false;
      expiries.delete(state);
      for (const [oldest, expiresAt] of expiries) {
        if (expiresAt > now && expiries.size < limit) break;
        expiries.delete(oldest);
      }
      expiries.set(state, now + ttlMs);
      return true;
    },
    get size() {
      return expiries.size;
    },
  };
}
