-- Parley schema v1 (PostgreSQL), the same tables as migrations/sqlite/001_initial.sql.
-- Forward-only; each file runs once, in a transaction. Times and seqs are BIGINT (ms since epoch,
-- per-chat counters); bytes are BYTEA; JSON values are TEXT, stored exactly as SQLite stores them.
CREATE TABLE users (
  user_id        TEXT PRIMARY KEY,
  handle         TEXT NOT NULL,
  display_name   TEXT NOT NULL,
  created_at     BIGINT NOT NULL,
  recovery_hash  TEXT NOT NULL,
  -- Named: the storage maps a violation of this constraint to ParleyError('handle_taken').
  CONSTRAINT users_handle_unique UNIQUE (handle)
);

CREATE TABLE devices (
  device_id     TEXT PRIMARY KEY,
  user_id       TEXT NOT NULL REFERENCES users(user_id),
  name          TEXT NOT NULL,
  public_key    TEXT NOT NULL,
  created_at    BIGINT NOT NULL,
  last_seen_at  BIGINT,
  revoked_at    BIGINT
);
CREATE INDEX devices_user ON devices(user_id);

CREATE TABLE sessions (
  token_hash  TEXT PRIMARY KEY,
  device_id   TEXT NOT NULL REFERENCES devices(device_id),
  user_id     TEXT NOT NULL,
  created_at  BIGINT NOT NULL,
  expires_at  BIGINT NOT NULL
);
CREATE INDEX sessions_device ON sessions(device_id);

CREATE TABLE passkeys (
  credential_id  TEXT PRIMARY KEY,
  user_id        TEXT NOT NULL REFERENCES users(user_id),
  public_key     BYTEA NOT NULL,
  counter        BIGINT NOT NULL,
  transports     TEXT NOT NULL,
  created_at     BIGINT NOT NULL
);

CREATE TABLE chats (
  chat_id     TEXT PRIMARY KEY,
  kind        TEXT NOT NULL CHECK (kind IN ('direct', 'group')),
  name        TEXT NOT NULL,
  color       TEXT NOT NULL,
  created_at  BIGINT NOT NULL,
  last_seq    BIGINT NOT NULL DEFAULT 0,
  direct_key  TEXT UNIQUE
);

CREATE TABLE members (
  chat_id        TEXT NOT NULL REFERENCES chats(chat_id),
  user_id        TEXT NOT NULL REFERENCES users(user_id),
  role           TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
  joined_at      BIGINT NOT NULL,
  delivered_seq  BIGINT NOT NULL DEFAULT 0,
  read_seq       BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (chat_id, user_id)
);
CREATE INDEX members_user ON members(user_id);

-- The per-chat ordered log. Payloads are opaque bytes; the server never parses them.
CREATE TABLE messages (
  chat_id           TEXT NOT NULL,
  seq               BIGINT NOT NULL,
  client_msg_id     TEXT NOT NULL,
  sender_user_id    TEXT NOT NULL,
  sender_device_id  TEXT NOT NULL,
  sent_at           BIGINT NOT NULL,
  content_type      TEXT,
  payload           BYTEA,
  system            TEXT,
  PRIMARY KEY (chat_id, seq)
);
CREATE UNIQUE INDEX messages_idempotency ON messages(chat_id, sender_user_id, client_msg_id);

CREATE TABLE invites (
  token       TEXT PRIMARY KEY,
  chat_id     TEXT NOT NULL REFERENCES chats(chat_id),
  created_by  TEXT NOT NULL,
  created_at  BIGINT NOT NULL,
  expires_at  BIGINT
);

CREATE TABLE push_subscriptions (
  endpoint    TEXT PRIMARY KEY,
  user_id     TEXT NOT NULL,
  device_id   TEXT NOT NULL,
  p256dh      TEXT NOT NULL,
  auth        TEXT NOT NULL,
  created_at  BIGINT NOT NULL
);
CREATE INDEX push_user ON push_subscriptions(user_id);
CREATE INDEX push_device ON push_subscriptions(device_id);
