import type { Auth } from "lucia";
import { BitbucketAuthError } from "../errors/errors.js";
import { createDeadline, type Deadline } from "../http/upstream.js";
import type { BitbucketTokenStore } from "../tokens/token-store.js";

/**
 * Ends every session of a user who no longer qualifies, then removes their stored tokens, so the
 * next login runs the gate. Each failure under its own code: the app's logs then say whether the
 * sessions are still there (`SESSION_REVOCATION_FAILED`) or already gone (`TOKEN_STORE_FAILED`).
 */
export async function endAccess(
  auth: Auth,
  userId: string,
  options: {
    readonly tokens: BitbucketTokenStore;
    readonly grant: string;
    readonly timeout: number;
    readonly store: <T>(deadline: Deadline, run: () => Promise<T>) => Promise<T>;
  },
): Promise<void> {
  try {
    await auth.invalidateAllUserSessions(userId);
  } catch (err) {
    throw new BitbucketAuthError("SESSION_REVOCATION_FAILED", undefined, { cause: err });
  }
  const deadline = createDeadline(options.timeout);
  try {
    await options.store(deadline, () => options.tokens.remove(userId, options.grant));
  } finally {
    deadline.end();
  }
}
