import { timeoutError } from "./read-body.js";

/**
 * One deadline for every Bitbucket call of one callback (or one re-check): the code
 * exchange, the gate, the email fetch and reading any error body all end by it, so a callback always
 * answers within about `timeout`. Its one timer and signal are made at the first request or race,
 * `race` listens to that same signal rather than starting a timer of its own, and `end()` clears
 * the timer when the work is over. The callback, the guard's check, `checkBitbucketAccess` and
 * `refreshBitbucketTokens` each make one and end it in a `finally`.
 *
 * Why not `AbortSignal.timeout`: its timer cannot be cleared, so every login left a timer, a weak
 * reference and a finalizer behind for the whole `timeout` (10 s by default), which the profile
 * showed as garbage-collection work on every login.
 */
export interface Deadline {
  readonly ms: number;
  readonly signal: AbortSignal;
  /** Settles with `call`, or rejects with `BITBUCKET_TIMEOUT` when the deadline passes first. */
  race<T>(call: Promise<T>): Promise<T>;
  /**
   * The work is over: the timer is cleared, and a call still under the deadline is aborted, so
   * nothing of a callback outlives it. Safe to call more than once.
   */
  end(): void;
}

// The reason a deadline ended early gives its late calls: one shared object, since making an
// error (and its stack) on every login would cost more than the rest of end() together.
// Stryker disable next-line StringLiteral: equivalent; no answer or log shows it (an aborted call is BITBUCKET_TIMEOUT).
const ENDED = Object.freeze(new Error("The work under this deadline is over."));

export function createDeadline(ms: number): Deadline {
  return new CallDeadline(ms);
}

// A class rather than an object of closures: a deadline is made on every callback and re-check,
// and its methods then live once on the prototype instead of being made again each time.
class CallDeadline implements Deadline {
  readonly ms: number;
  private readonly expiresAt: number;
  private controller: AbortController | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(ms: number) {
    this.ms = ms;
    this.expiresAt = Date.now() + ms;
  }

  get signal(): AbortSignal {
    if (this.controller) return this.controller.signal;
    const made = (this.controller = new AbortController());
    // Not unref'd: it lives only while its calls do (every user of a deadline ends it in a
    // `finally`), and a live timer is what tests can see.
    this.timer = setTimeout(() => made.abort(), Math.max(this.expiresAt - Date.now(), 1));
    return made.signal;
  }

  // For work that takes no signal (a hook's own call, say): a late answer is dropped here, and
  // nothing is written until the race is won.
  race<T>(call: Promise<T>): Promise<T> {
    const on = this.signal;
    const ms = this.ms;
    return new Promise<T>((resolve, reject) => {
      const abort = () => reject(timeoutError(ms));
      if (on.aborted) abort();
      else on.addEventListener("abort", abort);
      const settle = () => on.removeEventListener("abort", abort);
      // Observed even when the race is already lost, so a late rejection is never unhandled.
      call.then(
        (value) => (settle(), resolve(value)),
        (err: unknown) => (settle(), reject(err)),
      );
    });
  }

  end(): void {
    clearTimeout(this.timer);
    // Made here when nothing used it yet, so that a use after the end finds it aborted too.
    (this.controller ??= new AbortController()).abort(ENDED);
  }
}
