// The shipped token stores on real databases: SQLite (better-sqlite3) and PostgreSQL (pg). What a
// store promises: tokens come back as saved, for that user only; no token sits in a row in the
// clear; remove forgets; a malformed option is a TypeError naming it.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import Database from "better-sqlite3";
import pg from "pg";
import { postgresTokenStore, sqliteTokenStore } from "../../../src/index.js";
import { STORED_TOKENS, TOKEN_KEYS } from "../../helpers/access-fixtures.js";
import { hasPostgres, startPostgres, type ThrowawayPostgres } from "../../helpers/postgres.js";
import { requireTool } from "../../helpers/requirements.js";

const GRANT = "bitbucket@https://bitbucket.org";
const KEYS = TOKEN_KEYS;
const TOKENS = STORED_TOKENS;

describe("sqliteTokenStore", () => {
  it("gives back what was saved, to that user only, seals the row, and forgets on remove", async () => {
    const db = new Database(":memory:");
    const store = sqliteTokenStore(db, { keys: KEYS });
    await store.save("u1", GRANT, TOKENS);
    expect(await store.get("u1", GRANT)).toEqual(TOKENS);
    expect(await store.get("u2", GRANT)).toBeNull();
    const rows = JSON.stringify(db.prepare("SELECT * FROM bitbucket_token").all());
    expect(rows).not.toContain("in-the-clear");
    // Another user's row copied over reads as no tokens: the user id is sealed in.
    db.prepare(
      "INSERT INTO bitbucket_token SELECT 'u2', grant_key, sealed, updated_at FROM bitbucket_token WHERE user_id = 'u1'",
    ).run();
    expect(await store.get("u2", GRANT)).toBeNull();
    await store.remove("u1", GRANT);
    expect(await store.get("u1", GRANT)).toBeNull();
  });

  it("names the store and the option in its TypeErrors", () => {
    const db = new Database(":memory:");
    expect(() => sqliteTokenStore(db, null as never)).toThrow(
      new TypeError('sqliteTokenStore: options must be an object with "keys".'),
    );
    expect(() => sqliteTokenStore(db, "key" as never)).toThrow(
      'sqliteTokenStore: options must be an object with "keys".',
    );
    expect(() => sqliteTokenStore(db, { keys: ["short"] })).toThrow(
      /^sqliteTokenStore: option "keys" must be a string of at least 32 characters/,
    );
    expect(() => sqliteTokenStore(db, { keys: KEYS, table: "x; DROP TABLE y" })).toThrow(
      'sqliteTokenStore: option "table" must be a plain SQL identifier such as "bitbucket_token".',
    );
  });
});

if (requireTool(hasPostgres(), "PostgreSQL 15 (initdb, pg_ctl)", "apt-get install -y postgresql")) {
  describe("postgresTokenStore", () => {
    let server: ThrowawayPostgres;
    let pool: pg.Pool;
    beforeAll(async () => {
      server = await startPostgres();
      pool = new pg.Pool({ connectionString: await server.newDatabase() });
    });
    afterAll(async () => {
      await pool?.end();
      await server?.stop();
    });

    it("gives back what was saved, to that user only, seals the row, and forgets on remove", async () => {
      const store = postgresTokenStore(pool, { keys: KEYS, table: "pg_tokens" });
      await store.save("u1", GRANT, TOKENS);
      expect(await store.get("u1", GRANT)).toEqual(TOKENS);
      expect(await store.get("u2", GRANT)).toBeNull();
      const { rows } = await pool.query("SELECT * FROM pg_tokens");
      expect(JSON.stringify(rows)).not.toContain("in-the-clear");
      await store.remove("u1", GRANT);
      expect(await store.get("u1", GRANT)).toBeNull();
      expect((await pool.query("SELECT count(*)::int AS n FROM pg_tokens")).rows[0]).toEqual({ n: 0 });
    });

    it("takes losing the race to create the table (42P07, 23505) as the table being there", async () => {
      for (const code of ["42P07", "23505"]) {
        // The other instance created it first: the real CREATE runs, then fails as the loser's would.
        const racing = {
          query: async (text: string, values?: unknown[]) => {
            const result = await pool.query(text, values);
            if (text.includes("CREATE TABLE")) throw Object.assign(new Error("already exists"), { code });
            return result;
          },
        };
        const store = postgresTokenStore(racing, { keys: KEYS, table: `raced_${code}` });
        await store.save("u1", GRANT, TOKENS);
        expect(await store.get("u1", GRANT)).toEqual(TOKENS);
      }
    });

    it("fails a call when the table cannot be made, and tries again on the next", async () => {
      let creates = 0;
      const flaky = {
        query: async (text: string, values?: unknown[]) => {
          if (text.includes("CREATE TABLE") && ++creates === 1)
            throw Object.assign(new Error("connection reset"), { code: "08006" });
          return pool.query(text, values);
        },
      };
      const store = postgresTokenStore(flaky, { keys: KEYS, table: "flaky_tokens" });
      await expect(store.remove("u1", GRANT)).rejects.toThrow("connection reset");
      await store.remove("u1", GRANT);
      await store.save("u1", GRANT, TOKENS);
      expect(await store.get("u1", GRANT)).toEqual(TOKENS);
      expect(creates).toBe(2);
    });

    it("keeps one row per user and grant, each sealed to its grant", async () => {
      const store = postgresTokenStore(pool, { keys: KEYS, table: "pg_grants" });
      const other = "bitbucket-datacenter@https://git.acme.test/bitbucket";
      await store.save("u1", GRANT, TOKENS);
      await store.save("u1", other, { ...TOKENS, accessToken: "the other one" });
      expect(await store.get("u1", GRANT)).toEqual(TOKENS);
      expect((await store.get("u1", other))?.accessToken).toBe("the other one");
      await pool.query("UPDATE pg_grants SET sealed = (SELECT sealed FROM pg_grants WHERE grant_key = $1)", [
        GRANT,
      ]);
      expect(await store.get("u1", other)).toBeNull();
      await store.remove("u1", GRANT);
      expect(await store.get("u1", GRANT)).toBeNull();
      expect((await pool.query("SELECT count(*)::int AS n FROM pg_grants")).rows[0]).toEqual({ n: 1 });
    });

    it("replaces a table of the earlier shape (one row per user) once, however many instances open it", async () => {
      await pool.query(
        "CREATE TABLE pg_legacy (user_id TEXT NOT NULL PRIMARY KEY, sealed TEXT NOT NULL, updated_at BIGINT NOT NULL)",
      );
      await pool.query("INSERT INTO pg_legacy VALUES ('u1', 'v1.x.y', 1)");
      const stores = [1, 2, 3].map(() => postgresTokenStore(pool, { keys: KEYS, table: "pg_legacy" }));
      expect(await Promise.all(stores.map((s) => s.get("u1", GRANT)))).toEqual([null, null, null]);
      const { rows } = await pool.query(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'pg_legacy' ORDER BY ordinal_position",
      );
      expect(rows.map((r: { column_name: string }) => r.column_name)).toEqual([
        "user_id",
        "grant_key",
        "sealed",
        "updated_at",
      ]);
      await stores[0]?.save("u1", GRANT, TOKENS);
      // A store opened later keeps what is there: only the earlier shape is replaced.
      expect(await postgresTokenStore(pool, { keys: KEYS, table: "pg_legacy" }).get("u1", GRANT)).toEqual(
        TOKENS,
      );
    });

    it("names the store and the option in its TypeErrors", () => {
      expect(() => postgresTokenStore(pool, undefined as never)).toThrow(
        'postgresTokenStore: options must be an object with "keys".',
      );
      expect(() => postgresTokenStore(pool, { keys: [] })).toThrow(
        /^postgresTokenStore: option "keys" must be/,
      );
    });
  });
}
