import { BitbucketAuthError } from "../errors/errors.js";
import type { Deadline } from "../http/upstream.js";
import { withRefreshedTokens, type BitbucketStoredTokens } from "../tokens/token-store.js";
import { log } from "../util/log.js";
import type { GuardConfig } from "./guard-config.js";

// Another instance that rotated the refresh token first may not have saved the new one yet.
const REREAD_DELAYS_MS = [0, 50, 150, 300, 500];

/**
 * A guard's calls to its token store, each under the check's deadline, and its refresh of a
 * user's stored tokens: saved before anything else can fail, since the old refresh token is spent,
 * and, when Bitbucket says the refresh token is dead, re-read a few times in case another instance
 * rotated it first.
 */
export function createStoredTokens(
  config: Pick<GuardConfig, "timeout" | "tokens" | "grant" | "refreshTokens">,
) {
  const { timeout, tokens, grant, refreshTokens } = config;
  // Every store call is bounded by the timeout too: a hung database fails the request, coded.
  const store = async <T>(deadline: Deadline, run: () => Promise<T>): Promise<T> => {
    try {
      return await deadline.race((async () => run())());
    } catch (err) {
      const late = err instanceof BitbucketAuthError && err.code === "BITBUCKET_TIMEOUT";
      throw new BitbucketAuthError(
        "TOKEN_STORE_FAILED",
        late ? `The token store did not answer within ${timeout} ms.` : undefined,
        { cause: err },
      );
    }
  };

  const refresh = async (
    userId: string,
    current: BitbucketStoredTokens,
    deadline: Deadline,
  ): Promise<BitbucketStoredTokens> => {
    try {
      const fresh = await refreshTokens(current.refreshToken, deadline);
      const next = withRefreshedTokens(current, fresh);
      // Saved before anything else can fail: the old refresh token is spent.
      await store(deadline, () => tokens.save(userId, grant, next));
      log("guard: refreshed the tokens of a user");
      return next;
    } catch (err) {
      if (!(err instanceof BitbucketAuthError) || err.code !== "REFRESH_TOKEN_INVALID") throw err;
      // Another instance may have rotated it already: its new tokens are (or soon are) in the store.
      for (const delay of REREAD_DELAYS_MS) {
        // The waits only give another instance time to save what it rotated; their length is not
        // observable without a timed test (the two-instance PostgreSQL test races them for real).
        // Stryker disable next-line ConditionalExpression,EqualityOperator: see above.
        if (delay > 0) await deadline.race(new Promise((resolve) => setTimeout(resolve, delay)));
        const reread = await store(deadline, () => tokens.get(userId, grant));
        if (reread && reread.refreshToken !== current.refreshToken) {
          log("guard: the refresh token was rotated elsewhere; using the stored one");
          return reread;
        }
      }
      throw err;
    }
  };

  return { store, refresh };
}
