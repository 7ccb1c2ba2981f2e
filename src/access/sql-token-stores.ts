import { createTokenSealer, type TokenSealer } from "./token-seal.js";
import { storedTokensOf, type BitbucketStoredTokens, type BitbucketTokenStore } from "./token-store.js";

/** Options of {@link sqliteTokenStore} and {@link postgresTokenStore}. */
export interface SqlTokenStoreOptions {
  /**
   * The sealing key(s), newest first: strings of at least 32 characters, of their own (not the
   * cookie secret). Required. Rotate by putting a new key first; rows are sealed again with it on
   * their next save (every refresh and every check that holds saves).
   * @example keys: [process.env.TOKEN_KEY!, process.env.TOKEN_KEY_OLD!]
   */
  readonly keys: string | readonly string[];
  /** The table, created when missing. Default `"bitbucket_token"`. */
  readonly table?: string;
}

/** The part of a better-sqlite3 `Database` the store uses. */
export interface SqliteDatabaseLike {
  exec(sql: string): unknown;
  prepare(sql: string): {
    run(...params: unknown[]): unknown;
    get(...params: unknown[]): unknown;
  };
}

/** The part of a `pg.Pool` (or `pg.Client`) the store uses. */
export interface PostgresQueryable {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

const TABLE = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

function prepare(name: string, options: SqlTokenStoreOptions) {
  if (options === null || typeof options !== "object")
    throw new TypeError(`${name}: options must be an object with "keys".`);
  const sealer = createTokenSealer(options.keys, `${name}: option "keys"`);
  const table = options.table ?? "bitbucket_token";
  if (typeof table !== "string" || !TABLE.test(table))
    throw new TypeError(`${name}: option "table" must be a plain SQL identifier such as "bitbucket_token".`);
  return { sealer, table };
}

function seal(sealer: TokenSealer, userId: string, tokens: BitbucketStoredTokens): string {
  const row = storedTokensOf(tokens);
  // Sealing `null` would store a row that reads back as "no tokens": say what is wrong instead.
  if (row === null)
    throw new TypeError(
      "token store: save() takes { accessToken, refreshToken, accessTokenExpiresAt, checkedAt } (BitbucketStoredTokens).",
    );
  return sealer.seal(userId, JSON.stringify(row));
}

function open(sealer: TokenSealer, userId: string, row: unknown): BitbucketStoredTokens | null {
  const sealed = (row as { sealed?: unknown } | undefined)?.sealed;
  if (typeof sealed !== "string") return null;
  const plaintext = sealer.open(userId, sealed);
  if (plaintext === null) return null;
  try {
    return storedTokensOf(JSON.parse(plaintext));
  } catch {
    return null;
  }
}

/**
 * Tokens in a SQLite table (better-sqlite3), sealed with AES-256-GCM: the table holds the user id,
 * the sealed tokens and when they were written, and no token in the clear. A row that no key opens
 * reads as no tokens, which the guard treats as "sign in again".
 * @throws TypeError when `keys` or `table` is malformed.
 * @example
 * const tokens = sqliteTokenStore(new Database("app.sqlite"), { keys: [process.env.TOKEN_KEY!] });
 */
export function sqliteTokenStore(db: SqliteDatabaseLike, options: SqlTokenStoreOptions): BitbucketTokenStore {
  const { sealer, table } = prepare("sqliteTokenStore", options);
  db.exec(
    `CREATE TABLE IF NOT EXISTS ${table} (user_id TEXT NOT NULL PRIMARY KEY, sealed TEXT NOT NULL, updated_at INTEGER NOT NULL)`,
  );
  const upsert = db.prepare(
    `INSERT INTO ${table} (user_id, sealed, updated_at) VALUES (?, ?, ?)
     ON CONFLICT (user_id) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at`,
  );
  const select = db.prepare(`SELECT sealed FROM ${table} WHERE user_id = ?`);
  const remove = db.prepare(`DELETE FROM ${table} WHERE user_id = ?`);
  return {
    get: async (userId) => open(sealer, userId, select.get(userId)),
    save: async (userId, tokens) => void upsert.run(userId, seal(sealer, userId, tokens), Date.now()),
    remove: async (userId) => void remove.run(userId),
  };
}

/**
 * Tokens in a PostgreSQL table (`pg`), sealed as in {@link sqliteTokenStore}. The table is created
 * on first use when missing; several instances starting at once are fine.
 * @throws TypeError when `keys` or `table` is malformed.
 * @example
 * const tokens = postgresTokenStore(pool, { keys: [process.env.TOKEN_KEY!] });
 */
export function postgresTokenStore(
  db: PostgresQueryable,
  options: SqlTokenStoreOptions,
): BitbucketTokenStore {
  const { sealer, table } = prepare("postgresTokenStore", options);
  let ready: Promise<void> | undefined;
  const created = () =>
    (ready ??= db
      .query(
        `CREATE TABLE IF NOT EXISTS ${table} (user_id TEXT NOT NULL PRIMARY KEY, sealed TEXT NOT NULL, updated_at BIGINT NOT NULL)`,
      )
      .then(
        () => undefined,
        async (err: unknown) => {
          // Two instances creating the table at once: one of them loses with 23505 or 42P07, and the table is there.
          const code = (err as { code?: unknown } | undefined)?.code;
          if (code === "23505" || code === "42P07") return;
          ready = undefined;
          throw err;
        },
      ));
  return {
    get: async (userId) => {
      await created();
      const { rows } = await db.query(`SELECT sealed FROM ${table} WHERE user_id = $1`, [userId]);
      return open(sealer, userId, rows[0]);
    },
    save: async (userId, tokens) => {
      await created();
      await db.query(
        `INSERT INTO ${table} (user_id, sealed, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (user_id) DO UPDATE SET sealed = EXCLUDED.sealed, updated_at = EXCLUDED.updated_at`,
        [userId, seal(sealer, userId, tokens), Date.now()],
      );
    },
    remove: async (userId) => {
      await created();
      await db.query(`DELETE FROM ${table} WHERE user_id = $1`, [userId]);
    },
  };
}
