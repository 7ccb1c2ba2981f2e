import { chmodSync, closeSync, openSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import pg from "pg";
import { betterSqlite3 } from "@lucia-auth/adapter-sqlite";
import { pg as pgAdapter } from "@lucia-auth/adapter-postgresql";
import type { InitializeAdapter, Adapter } from "lucia";
import { postgresTokenStore, sqliteTokenStore, type BitbucketTokenStore } from "express-lucia-bitbucket";

const TABLES = { user: "auth_user", key: "user_key", session: "user_session" } as const;
const schema = (name: string) =>
  readFileSync(fileURLToPath(new URL(`./schema/${name}.sql`, import.meta.url)), "utf8");

/** Row counts, for tests and the example's own checks. */
export interface RowCounts {
  users: number;
  keys: number;
  sessions: number;
}

/** The sealed tokens' table: a name of its own, so a database of an older example keeps working. */
const TOKEN_TABLE = "sealed_bitbucket_token";
/** A key for tests and benchmarks only; the example server passes TOKEN_KEY (or a random one). */
export const TEST_TOKEN_KEY = "test-only-token-key-0123456789abcdef";

/** A Lucia adapter over a real database, with the schema applied. */
export interface AppDatabase {
  readonly kind: "sqlite" | "postgres";
  readonly adapter: InitializeAdapter<Adapter>;
  /** The package's sealed token store over the same database. */
  readonly tokens: BitbucketTokenStore;
  counts(): Promise<RowCounts>;
  /** Runs raw SQL (tests use it to inject database faults with triggers). */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * PostgreSQL when `databaseUrl` is set, otherwise SQLite at `databasePath` (":memory:" works).
 * `tokenKeys` seal the stored Bitbucket tokens (default: the test key).
 */
export async function openDatabase(config: {
  databaseUrl?: string;
  databasePath?: string;
  tokenKeys?: readonly string[];
}): Promise<AppDatabase> {
  const keys = config.tokenKeys ?? [TEST_TOKEN_KEY];
  if (config.databaseUrl) return openPostgres(config.databaseUrl, keys);
  return openSqlite(config.databasePath ?? ":memory:", keys);
}

function openSqlite(path: string, keys: readonly string[]): AppDatabase {
  if (path !== ":memory:") {
    // Owner-only from the start: the file holds sessions and (sealed) tokens. SQLite gives its
    // -wal and -shm files the database file's permissions.
    closeSync(openSync(path, "a", 0o600));
    chmodSync(path, 0o600);
  }
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  // WAL with synchronous=NORMAL: durable across crashes of the app, and no fsync per login.
  db.pragma("synchronous = NORMAL");
  db.pragma("foreign_keys = ON");
  db.exec(schema("sqlite"));
  const count = (table: string) =>
    (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  return {
    kind: "sqlite",
    adapter: betterSqlite3(db, TABLES),
    tokens: sqliteTokenStore(db, { keys, table: TOKEN_TABLE }),
    counts: async () => ({
      users: count(TABLES.user),
      keys: count(TABLES.key),
      sessions: count(TABLES.session),
    }),
    exec: async (sql) => void db.exec(sql),
    close: async () => void db.close(),
  };
}

async function openPostgres(url: string, keys: readonly string[]): Promise<AppDatabase> {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  // An idle connection that the server drops (a restart, a failover) is an 'error' on the pool, and
  // an unhandled one ends the process. The pool forgets that connection; the next query opens anew.
  pool.on("error", () => undefined);
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
    tokens: postgresTokenStore(pool, { keys, table: TOKEN_TABLE }),
    counts: async () => ({
      users: await count(TABLES.user),
      keys: await count(TABLES.key),
      sessions: await count(TABLES.session),
    }),
    exec: async (sql) => void (await pool.query(sql)),
    close: () => pool.end(),
  };
}
