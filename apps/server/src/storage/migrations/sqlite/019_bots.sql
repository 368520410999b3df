-- R90-R92: bot accounts. A bot is a user (its handle ends in "bot") with an owner and a token hash.
-- The same schema as migrations/postgres/022_bots.sql. Additive only.
CREATE TABLE bots (
  bot_user_id    TEXT PRIMARY KEY REFERENCES users(user_id),
  owner_user_id  TEXT NOT NULL REFERENCES users(user_id),
  description    TEXT NOT NULL,
  token_hash     TEXT UNIQUE,
  created_at     INTEGER NOT NULL,
  deleted_at     INTEGER
);
CREATE INDEX bots_by_owner ON bots(owner_user_id, created_at);
