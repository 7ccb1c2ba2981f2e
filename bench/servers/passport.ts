import express from "express";
import session from "express-session";
import passport from "passport";
// @ts-expect-error: the strategy ships no types
import { Strategy as BitbucketStrategy } from "passport-bitbucket-oauth2";
import Database from "better-sqlite3";
import { randomBytes } from "node:crypto";
import { CALLBACK, FAKE_URL, SECRET, serve } from "./common.js";

// The usual alternative: passport + passport-bitbucket-oauth2 + express-session (MemoryStore),
// with users in the same kind of SQLite file, against the same fake Bitbucket.
const db = new Database(process.env.DATABASE_PATH ?? ":memory:");
db.pragma("journal_mode = WAL");
db.pragma("synchronous = NORMAL");
db.exec(
  "CREATE TABLE IF NOT EXISTS users (id TEXT PRIMARY KEY, bitbucket_id TEXT UNIQUE NOT NULL, display_name TEXT)",
);
const findUser = db.prepare("SELECT id, display_name FROM users WHERE bitbucket_id = ?");
const findById = db.prepare("SELECT id, display_name FROM users WHERE id = ?");
const insertUser = db.prepare(
  "INSERT OR IGNORE INTO users (id, bitbucket_id, display_name) VALUES (?, ?, ?)",
);

type Row = { id: string; display_name: string };
passport.use(
  new BitbucketStrategy(
    {
      clientID: "fake-client-id",
      clientSecret: "fake-client-secret",
      callbackURL: CALLBACK(process.env.PORT, "/auth/bitbucket/callback"),
      authorizationURL: `${FAKE_URL}/site/oauth2/authorize`,
      tokenURL: `${FAKE_URL}/site/oauth2/access_token`,
      userProfileURL: `${FAKE_URL}/2.0/user`,
      state: true,
    },
    (
      _at: string,
      _rt: string,
      profile: { id: string; displayName: string },
      done: (e: unknown, u?: Row) => void,
    ) => {
      insertUser.run(randomBytes(10).toString("hex"), profile.id, profile.displayName);
      done(null, findUser.get(profile.id) as Row);
    },
  ),
);
passport.serializeUser((user, done) => done(null, (user as Row).id));
passport.deserializeUser((id: string, done) => done(null, findById.get(id) as Row));

const app = express();
app.use(
  session({
    secret: SECRET,
    resave: false,
    saveUninitialized: false,
    cookie: { httpOnly: true, sameSite: "lax" },
  }),
);
app.use(passport.session());
app.get("/auth/bitbucket", passport.authenticate("bitbucket"));
app.get(
  "/auth/bitbucket/callback",
  passport.authenticate("bitbucket", { failureRedirect: "/login" }),
  (_req, res) => res.redirect("/"),
);
serve(app);
