/**
 * One user's grant from one Bitbucket, as the router stores it at login and `bitbucketAccessGuard`
 * keeps it: the same shape in every store and every snippet.
 */
export interface BitbucketStoredTokens {
  readonly accessToken: string;
  /** Rotates on every refresh: always store the newest, the old one is spent. */
  readonly refreshToken: string;
  /** When the access token expires, in epoch milliseconds (2 hours on Cloud, 1 on Data Center). */
  readonly accessTokenExpiresAt: number;
  /**
   * When the rules named by `checkedRules` last held for this user, in epoch milliseconds: the
   * login (when the router has `allow`) or the guard's last check that held. `0` when never checked.
   */
  readonly checkedAt: number;
  /**
   * Which rules `checkedAt` is for: a fingerprint of the `allow` rules that the router or the guard
   * wrote with it. A guard trusts `checkedAt` only for its own rules, so a check of other rules
   * (another guard's) never stands for its own. Absent: never checked.
   */
  readonly checkedRules?: string;
  /**
   * Who the tokens belong to on Bitbucket, as the login found them: the account's `name` (see
   * forward-auth's `X-Auth-Request-User`) and its `email`, each `null` when unknown. Absent in rows
   * written before it was kept, or by a store that does not keep it.
   */
  readonly account?: BitbucketAccountInfo;
}

/** The Bitbucket account of a grant: its name and email, each `null` when unknown. */
export interface BitbucketAccountInfo {
  readonly name: string | null;
  readonly email: string | null;
}

/**
 * Where the tokens live: one row per user and Bitbucket. `grant` names the Bitbucket the tokens
 * are for, its provider id and instance (`"bitbucket@https://bitbucket.org"`,
 * `"bitbucket-datacenter@https://git.acme.com/bitbucket"`), so a user linked to Cloud and to Data
 * Center, or to two Data Center instances, has a row for each. Three methods, all async; `get`
 * answers `null` when there is no row. The shipped stores (`sqliteTokenStore`,
 * `postgresTokenStore`) seal the tokens at rest, bound to the user and the grant;
 * `memoryTokenStore` is for tests.
 *
 * WARNING: key your rows on both the user id and the grant. A store that ignores the grant lets
 * one Bitbucket's check stand for another's.
 *
 * @example
 * const tokens: BitbucketTokenStore = {
 *   get: async (userId, grant) => myTable.find({ userId, grant }),
 *   save: async (userId, grant, t) => myTable.upsert({ userId, grant }, t),
 *   remove: async (userId, grant) => myTable.delete({ userId, grant }),
 * };
 */
export interface BitbucketTokenStore {
  get(userId: string, grant: string): Promise<BitbucketStoredTokens | null>;
  save(userId: string, grant: string, tokens: BitbucketStoredTokens): Promise<void>;
  remove(userId: string, grant: string): Promise<void>;
}

/** True for an object with the store's three methods. */
export const isTokenStore = (v: unknown): v is BitbucketTokenStore =>
  typeof v === "object" &&
  v !== null &&
  ["get", "save", "remove"].every((m) => typeof (v as Record<string, unknown>)[m] === "function");

/**
 * Why a store of the earlier one-row-per-user shape, whose `save` takes `(userId, tokens)`, cannot
 * be used; `null` for any other. Such a store would keep one row for every Bitbucket of a user.
 */
export function legacyStoreProblem(store: BitbucketTokenStore): string | null {
  return store.save.length === 2
    ? "its save() takes (userId, tokens), the earlier one-row-per-user shape; it now takes (userId, grant, tokens), " +
        "and get() and remove() take (userId, grant): key each row on the user id and the grant."
    : null;
}

/**
 * A token store in this process's memory, for tests and local development: nothing is sealed and
 * nothing survives a restart. `size` counts the rows (one per user and Bitbucket).
 * @example bitbucketRouter(auth, { ...options, tokens: memoryTokenStore() })
 */
export function memoryTokenStore(): BitbucketTokenStore & { readonly size: number } {
  const rows = new Map<string, BitbucketStoredTokens>();
  // JSON of the pair: no user id or grant can make two pairs read as one key.
  const key = (userId: string, grant: string) => JSON.stringify([userId, grant]);
  return {
    get: async (userId, grant) => rows.get(key(userId, grant)) ?? null,
    save: async (userId, grant, tokens) => void rows.set(key(userId, grant), { ...tokens }),
    remove: async (userId, grant) => void rows.delete(key(userId, grant)),
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
  checkedRules: string | undefined,
  account?: BitbucketAccountInfo,
): BitbucketStoredTokens {
  return {
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    accessTokenExpiresAt: now + tokens.accessTokenExpiresIn * 1000,
    checkedAt,
    ...(checkedRules === undefined ? {} : { checkedRules }),
    ...(account === undefined ? {} : { account: { name: account.name, email: account.email } }),
  };
}

/**
 * Stored tokens after a refresh: the new access and refresh tokens and the new expiry, with the
 * last check (`checkedAt`, `checkedRules`) and the `account` kept. Save the result at once: the old refresh token is
 * spent.
 * @example
 * const fresh = await refreshBitbucketTokens({ clientId, clientSecret, refreshToken: stored.refreshToken });
 * await tokens.save(userId, bitbucketGrant(), withRefreshedTokens(stored, fresh));
 */
export function withRefreshedTokens(
  stored: BitbucketStoredTokens,
  fresh: {
    readonly accessToken: string;
    readonly refreshToken: string;
    readonly accessTokenExpiresIn: number;
  },
  now: number = Date.now(),
): BitbucketStoredTokens {
  return toStoredTokens(fresh, now, stored.checkedAt, stored.checkedRules, stored.account);
}

/** The fields a store keeps, checked when a row is read back: a row of another shape reads as none. */
export function storedTokensOf(value: unknown): BitbucketStoredTokens | null {
  const t = value as Partial<Record<keyof BitbucketStoredTokens, unknown>> | null;
  if (
    typeof t?.accessToken !== "string" ||
    typeof t.refreshToken !== "string" ||
    typeof t.accessTokenExpiresAt !== "number" ||
    typeof t.checkedAt !== "number" ||
    (t.checkedRules !== undefined && typeof t.checkedRules !== "string")
  )
    return null;
  return {
    accessToken: t.accessToken,
    refreshToken: t.refreshToken,
    accessTokenExpiresAt: t.accessTokenExpiresAt,
    checkedAt: t.checkedAt,
    ...(t.checkedRules === undefined ? {} : { checkedRules: t.checkedRules }),
    // An account of another shape is left out, not the row: the tokens still work without it.
    ...(isAccount(t.account) ? { account: { name: t.account.name, email: t.account.email } } : {}),
  };
}

const nameOrNull = (v: unknown) => v === null || typeof v === "string";
const isAccount = (v: unknown): v is BitbucketAccountInfo =>
  typeof v === "object" &&
  v !== null &&
  nameOrNull((v as Record<string, unknown>).name) &&
  nameOrNull((v as Record<string, unknown>).email);
