import { createTokenSealer, type TokenSealer } from "./token-seal.js";
import { storedTokensOf, type BitbucketStoredTokens, type BitbucketTokenStore } from "./token-store.js";
import { log } from "../util/log.js";

/** Options of {@link sqliteTokenStore} and {@link postgresTokenStore}. */
export interface SqlTokenStoreOptions {
  /**
   * The sealing key(s), newest first: strings of at least 32 characters, of their own (not the
   * cookie secret). Required. Rotate by putting a new key first; rows are sealed again with it on
   * their next save (every refresh and every check that holds saves).
   * @example keys: [process.env.TOKEN_KEY!, process.env.TOKEN_KEY_OLD!]
   */
  readonly keys: string | readonly string[];
  /**
   * The table, created when missing: one row per user and Bitbucket (`user_id`, `grant_key`). A
   * table of the earlier shape (one row per user) is replaced by one of this shape, and its rows are
   * dropped: they cannot tell which Bitbucket they were for. Their users sign in again once.
   * Default `"bitbucket_token"`.
   */
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

// The seal's additional data: the user and the Bitbucket, so a row moved to another user, another
// grant or another table of another Bitbucket does not open. JSON keeps the pair unambiguous.
const binding = (userId: string, grant: string) => JSON.stringify([userId, grant]);

function seal(sealer: TokenSealer, userId: string, grant: string, tokens: BitbucketStoredTokens): string {
  const row = storedTokensOf(tokens);
  // Sealing `null` would store a row that reads back as "no tokens": say what is wrong instead.
  if (row === null)
    throw new TypeError(
      "token store: save() takes { accessToken, refreshToken, accessTokenExpiresAt, checkedAt } (BitbucketStoredTokens).",
    );
  return sealer.seal(binding(userId, grant), JSON.stringify(row));
}

function open(
  sealer: TokenSealer,
  userId: string,
  grant: string,
  row: unknown,
): BitbucketStoredTokens | null {
  const sealed = (row as { sealed?: unknown } | undefined)?.sealed;
  if (typeof sealed !== "string") return null;
  const plaintext = sealer.open(binding(userId, grant), sealed);
  if (plaintext === null) return null;
  try {
    return storedTokensOf(JSON.parse(plaintext));
  } catch {
    return null;
  }
}

const columns = (bigint: string) =>
  `(user_id TEXT NOT NULL, grant_key TEXT NOT NULL, sealed TEXT NOT NULL, updated_at ${bigint} NOT NULL, ` +
  `PRIMARY KEY (user_id, grant_key))`;

/**
 * Tokens in a SQLite table (better-sqlite3), sealed with AES-256-GCM: the table holds the user id,
 * the grant (which Bitbucket), the sealed tokens and when they were written, and no token in the
 * clear; each seal is bound to its user and grant. A row that no key opens
 * reads as no tokens, which the guard treats as "sign in again".
 * @throws TypeError when `keys` or `table` is malformed.
 * @example
 * const tokens = sqliteTokenStore(new Database("app.sqlite"), { keys: [process.env.TOKEN_KEY!] });
 */
export function sqliteTokenStore(db: SqliteDatabaseLike, options: SqlTokenStoreOptions): BitbucketTokenStore {
  const { sealer, table } = prepare("sqliteTokenStore", options);
  // Stryker disable next-line StringLiteral: an untyped SQLite column keeps JavaScript's integers as integers, as INTEGER does.
  const sqliteColumns = columns("INTEGER");
  const has = (column: string) =>
    (
      db.prepare(`SELECT COUNT(*) AS n FROM pragma_table_info('${table}') WHERE name = ?`).get(column) as {
        n: number;
      }
    ).n > 0;
  if (has("user_id") && !has("grant_key")) {
    // The earlier shape: one row per user, whatever the Bitbucket. Replaced whole, in one transaction.
    db.exec(`BEGIN IMMEDIATE; DROP TABLE ${table}; CREATE TABLE ${table} ${sqliteColumns}; COMMIT`);
    log("token store: replaced table %s of the one-row-per-user shape; its users sign in again once", table);
  }
  db.exec(`CREATE TABLE IF NOT EXISTS ${table} ${sqliteColumns}`);
  const upsert = db.prepare(
    `INSERT INTO ${table} (user_id, grant_key, sealed, updated_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (user_id, grant_key) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at`,
  );
  const select = db.prepare(`SELECT sealed FROM ${table} WHERE user_id = ? AND grant_key = ?`);
  const remove = db.prepare(`DELETE FROM ${table} WHERE user_id = ? AND grant_key = ?`);
  return {
    get: async (userId, grant) => open(sealer, userId, grant, select.get(userId, grant)),
    save: async (userId, grant, tokens) =>
      void upsert.run(userId, grant, seal(sealer, userId, grant, tokens), Date.now()),
    remove: async (userId, grant) => void remove.run(userId, grant),
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
  // One statement list, so one transaction; the advisory lock lets one instance at a time create
  // the table or replace one of the earlier shape (whose rows cannot tell which Bitbucket they were for).
  // Stryker disable next-line StringLiteral: without the lock, two instances race only when both start on a fresh database at once; no test can order that.
  const setUp =
    `SELECT pg_advisory_xact_lock(hashtext('express-lucia-bitbucket:${table}')); ` +
    `DO $$ BEGIN IF EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() ` +
    `AND table_name = '${table.toLowerCase()}' AND column_name = 'user_id') AND NOT EXISTS (SELECT 1 FROM ` +
    `information_schema.columns WHERE table_schema = current_schema() AND table_name = '${table.toLowerCase()}' ` +
    `AND column_name = 'grant_key') THEN DROP TABLE ${table}; END IF; END $$; ` +
    `CREATE TABLE IF NOT EXISTS ${table} ${columns("BIGINT")}`;
  let ready: Promise<void> | undefined;
  const created = () =>
    (ready ??= db.query(setUp).then(
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
    get: async (userId, grant) => {
      await created();
      const { rows } = await db.query(`SELECT sealed FROM ${table} WHERE user_id = $1 AND grant_key = $2`, [
        userId,
        grant,
      ]);
      return open(sealer, userId, grant, rows[0]);
    },
    save: async (userId, grant, tokens) => {
      await created();
      await db.query(
        `INSERT INTO ${table} (user_id, grant_key, sealed, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (user_id, grant_key) DO UPDATE SET sealed = EXCLUDED.sealed, updated_at = EXCLUDED.updated_at`,
        [userId, grant, seal(sealer, userId, grant, tokens), Date.now()],
      );
    },
    remove: async (userId, grant) => {
      await created();
      await db.query(`DELETE FROM ${table} WHERE user_id = $1 AND grant_key = $2`, [userId, grant]);
    },
  };
}
