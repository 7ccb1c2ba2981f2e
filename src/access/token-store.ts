/**
 * One user's Bitbucket tokens as the router stores them at login and `bitbucketAccessGuard` keeps
 * them: the same shape in every store and every snippet.
 */
export interface BitbucketStoredTokens {
  readonly accessToken: string;
  /** Rotates on every refresh: always store the newest, the old one is spent. */
  readonly refreshToken: string;
  /** When the access token expires, in epoch milliseconds (Bitbucket's last 2 hours). */
  readonly accessTokenExpiresAt: number;
  /**
   * When the `allow` rules last held for this user, in epoch milliseconds: the login (when the
   * router has `allow`) or the guard's last check that held. `0` when never checked.
   */
  readonly checkedAt: number;
}

/**
 * Where the tokens live, by Lucia user id. Three methods, all async; `get` answers `null` for a
 * user with no tokens. The shipped stores (`sqliteTokenStore`, `postgresTokenStore`) seal the
 * tokens at rest; `memoryTokenStore` is for tests.
 *
 * @example
 * const tokens: BitbucketTokenStore = {
 *   get: async (userId) => myTable.find(userId),
 *   save: async (userId, t) => myTable.upsert(userId, t),
 *   remove: async (userId) => myTable.delete(userId),
 * };
 */
export interface BitbucketTokenStore {
  get(userId: string): Promise<BitbucketStoredTokens | null>;
  save(userId: string, tokens: BitbucketStoredTokens): Promise<void>;
  remove(userId: string): Promise<void>;
}

/** True for an object with the store's three methods. */
export const isTokenStore = (v: unknown): v is BitbucketTokenStore =>
  typeof v === "object" &&
  v !== null &&
  ["get", "save", "remove"].every((m) => typeof (v as Record<string, unknown>)[m] === "function");

/**
 * A token store in this process's memory, for tests and local development: nothing is sealed and
 * nothing survives a restart. `size` counts the users with tokens.
 * @example bitbucketRouter(auth, { ...options, tokens: memoryTokenStore() })
 */
export function memoryTokenStore(): BitbucketTokenStore & { readonly size: number } {
  const rows = new Map<string, BitbucketStoredTokens>();
  return {
    get: async (userId) => rows.get(userId) ?? null,
    save: async (userId, tokens) => void rows.set(userId, { ...tokens }),
    remove: async (userId) => void rows.delete(userId),
    get size() {
      return rows.size;
    },
  };
}

/**
 * The stored shape of a fresh token answer (`accessTokenExpiresIn` seconds from `now`), as the
 * router saves it at login and the guard after a refresh.
 */
export function toStoredTokens(
  tokens: {
    readonly accessToken: string;
    readonly refreshToken: string;
    readonly accessTokenExpiresIn: number;
  },
  now: number,
  checkedAt: number,
): BitbucketStoredTokens {
  return {
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    accessTokenExpiresAt: now + tokens.accessTokenExpiresIn * 1000,
    checkedAt,
  };
}

/** The fields a store keeps, checked when a row is read back: a row of another shape reads as none. */
export function storedTokensOf(value: unknown): BitbucketStoredTokens | null {
  const t = value as Partial<Record<keyof BitbucketStoredTokens, unknown>> | null;
  if (
    typeof t?.accessToken !== "string" ||
    typeof t.refreshToken !== "string" ||
    typeof t.accessTokenExpiresAt !== "number" ||
    typeof t.checkedAt !== "number"
  )
    return null;
  return {
    accessToken: t.accessToken,
    refreshToken: t.refreshToken,
    accessTokenExpiresAt: t.accessTokenExpiresAt,
    checkedAt: t.checkedAt,
  };
}
