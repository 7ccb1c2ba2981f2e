-- Lucia 2 tables for SQLite. Idempotent: safe to run at every start.
-- The attribute columns are nullable so the package's default (no attributes) also works.
CREATE TABLE IF NOT EXISTS auth_user (
  id TEXT NOT NULL PRIMARY KEY,
  display_name TEXT,
  avatar_url TEXT,
  email TEXT
);
CREATE TABLE IF NOT EXISTS user_key (
  id TEXT NOT NULL PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES auth_user(id),
  hashed_password TEXT
);
CREATE TABLE IF NOT EXISTS user_session (
  id TEXT NOT NULL PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES auth_user(id),
  active_expires INTEGER NOT NULL,
  idle_expires INTEGER NOT NULL,
  user_agent TEXT
);
-- The Bitbucket tokens of each user live in sealed_bitbucket_token, which the package's token
-- store creates itself (user id, grant, AES-256-GCM sealed tokens, time): no token is stored in the clear.
