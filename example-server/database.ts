import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import pg from "pg";
import { betterSqlite3 } from "@lucia-auth/adapter-sqlite";
import { pg as pgAdapter } from "@lucia-auth/adapter-postgresql";
import type { InitializeAdapter, Adapter } from "lucia";

const TABLES = { user: "auth_user", key: "user_key", session: "user_session" } as const;
const schema = (name: string) =>
  readFileSync(fileURLToPath(new URL(`./schema/${name}.sql`, import.meta.url)), "utf8");

/** Row counts, for tests and the example's own checks. */
export interface RowCounts {
  users: number;
  keys: number;
  sessions: number;
}

/** A user's stored Bitbucket tokens, and when access was last checked (epoch milliseconds). */
export interface StoredTokens {
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly accessExpiresAt: number;
  readonly checkedAt: number;
}

/** The `bitbucket_token` table. */
export interface TokenStore {
  save(userId: string, tokens: StoredTokens): Promise<void>;
  get(userId: string): Promise<StoredTokens | null>;
  remove(userId: string): Promise<void>;
}

/** A Lucia adapter over a real database, with the schema applied. */
export interface AppDatabase {
  readonly kind: "sqlite" | "postgres";
  readonly adapter: InitializeAdapter<Adapter>;
  readonly tokens: TokenStore;
  counts(): Promise<RowCounts>;
  /** Runs raw SQL (tests use it to inject database faults with triggers). */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

/** PostgreSQL when `databaseUrl` is set, otherwise SQLite at `databasePath` (":memory:" works). */
export async function openDatabase(config: {
  databaseUrl?: string;
  databasePath?: string;
}): Promise<AppDatabase> {
  if (config.databaseUrl) return openPostgres(config.databaseUrl);
  return openSqlite(config.databasePath ?? ":memory:");
}

function openSqlite(path: string): AppDatabase {
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  // WAL with synchronous=NORMAL: durable across crashes of the app, and no fsync per login.
  db.pragma("synchronous = NORMAL");
  db.pragma("foreign_keys = ON");
  db.exec(schema("sqlite"));
  const count = (table: string) =>
    (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  const upsert = db.prepare(
    `INSERT INTO bitbucket_token (user_id, access_token, refresh_token, access_expires_at, checked_at)
     VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET access_token = excluded.access_token,
     refresh_token = excluded.refresh_token, access_expires_at = excluded.access_expires_at, checked_at = excluded.checked_at`,
  );
  const select = db.prepare(`SELECT * FROM bitbucket_token WHERE user_id = ?`);
  const remove = db.prepare(`DELETE FROM bitbucket_token WHERE user_id = ?`);
  return {
    kind: "sqlite",
    adapter: betterSqlite3(db, TABLES),
    tokens: {
      save: async (userId, t) =>
        void upsert.run(userId, t.accessToken, t.refreshToken, t.accessExpiresAt, t.checkedAt),
      get: async (userId) => tokensOf(select.get(userId)),
      remove: async (userId) => void remove.run(userId),
    },
    counts: async () => ({
      users: count(TABLES.user),
      keys: count(TABLES.key),
      sessions: count(TABLES.session),
    }),
    exec: async (sql) => void db.exec(sql),
    close: async () => void db.close(),
  };
}

async function openPostgres(url: string): Promise<AppDatabase> {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  // Several app instances may start at once; the advisory lock keeps CREATE TABLE IF NOT EXISTS race-free.
  const client = await pool.connect();
  try {
    await client.query("SELECT pg_advisory_lock(7351)");
    await client.query(schema("postgres"));
  } finally {
    await client.query("SELECT pg_advisory_unlock(7351)").catch(() => undefined);
    client.release();
  }
  const count = async (table: string) =>
    Number((await pool.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
  return {
    kind: "postgres",
    adapter: pgAdapter(pool, TABLES),
    tokens: {
      save: async (userId, t) =>
        void (await pool.query(
          `INSERT INTO bitbucket_token (user_id, access_token, refresh_token, access_expires_at, checked_at)
           VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id) DO UPDATE SET access_token = excluded.access_token,
           refresh_token = excluded.refresh_token, access_expires_at = excluded.access_expires_at, checked_at = excluded.checked_at`,
          [userId, t.accessToken, t.refreshToken, t.accessExpiresAt, t.checkedAt],
        )),
      get: async (userId) =>
        tokensOf((await pool.query(`SELECT * FROM bitbucket_token WHERE user_id = $1`, [userId])).rows[0]),
      remove: async (userId) =>
        void (await pool.query(`DELETE FROM bitbucket_token WHERE user_id = $1`, [userId])),
    },
    counts: async () => ({
      users: await count(TABLES.user),
      keys: await count(TABLES.key),
      sessions: await count(TABLES.session),
    }),
    exec: async (sql) => void (await pool.query(sql)),
    close: () => pool.end(),
  };
}

function tokensOf(row: unknown): StoredTokens | null {
  const r = row as Record<string, string | number> | undefined;
  if (!r) return null;
  return {
    accessToken: String(r.access_token),
    refreshToken: String(r.refresh_token),
    accessExpiresAt: Number(r.access_expires_at),
    checkedAt: Number(r.checked_at),
  };
}
