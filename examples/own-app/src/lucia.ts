import { lucia } from "lucia";
import { express } from "lucia/middleware";
import { betterSqlite3 } from "@lucia-auth/adapter-sqlite";
import Database from "better-sqlite3";

/** SQLite at `path` (a test passes ":memory:") with Lucia's tables; token stores take it too. */
export function openDatabase(path = process.env.DATABASE_PATH ?? "app.sqlite") {
  const db = new Database(path);
  db.exec(`
    CREATE TABLE IF NOT EXISTS auth_user (id TEXT NOT NULL PRIMARY KEY, display_name TEXT, avatar_url TEXT, email TEXT);
    CREATE TABLE IF NOT EXISTS user_key (id TEXT NOT NULL PRIMARY KEY, user_id TEXT NOT NULL REFERENCES auth_user(id), hashed_password TEXT);
    CREATE TABLE IF NOT EXISTS user_session (id TEXT NOT NULL PRIMARY KEY, user_id TEXT NOT NULL REFERENCES auth_user(id),
      active_expires INTEGER NOT NULL, idle_expires INTEGER NOT NULL, user_agent TEXT);
  `);
  return db;
}

export function createAuth(db = openDatabase()) {
  return lucia({
    adapter: betterSqlite3(db, { user: "auth_user", key: "user_key", session: "user_session" }),
    env: process.env.NODE_ENV === "production" ? "PROD" : "DEV",
    middleware: express(),
    getUserAttributes: (row) => ({
      displayName: row.display_name,
      avatarUrl: row.avatar_url,
      email: row.email,
    }),
  });
}
export type Auth = ReturnType<typeof createAuth>;

declare global {
  namespace Lucia {
    type Auth = import("./lucia.js").Auth;
    type DatabaseUserAttributes = {
      display_name: string | null;
      avatar_url: string | null;
      email: string | null;
    };
    type DatabaseSessionAttributes = { user_agent: string | null };
  }
}
