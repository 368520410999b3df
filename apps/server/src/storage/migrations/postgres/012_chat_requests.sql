-- R44: consent. A stranger's add or direct chat is a request the person answers; blocks; reports to
-- the operator. The same schema as migrations/sqlite/010_chat_requests.sql. Additive only.
CREATE TABLE chat_requests (
  request_id    TEXT PRIMARY KEY,
  chat_id       TEXT NOT NULL REFERENCES chats(chat_id),
  from_user_id  TEXT NOT NULL REFERENCES users(user_id),
  to_user_id    TEXT NOT NULL REFERENCES users(user_id),
  created_at    BIGINT NOT NULL,
  UNIQUE (chat_id, to_user_id)
);
CREATE INDEX chat_requests_to ON chat_requests(to_user_id, created_at);
CREATE INDEX chat_requests_from ON chat_requests(from_user_id, created_at);

CREATE TABLE user_blocks (
  user_id          TEXT NOT NULL REFERENCES users(user_id),
  blocked_user_id  TEXT NOT NULL REFERENCES users(user_id),
  created_at       BIGINT NOT NULL,
  PRIMARY KEY (user_id, blocked_user_id)
);

CREATE TABLE reports (
  report_id         TEXT PRIMARY KEY,
  reporter_user_id  TEXT NOT NULL REFERENCES users(user_id),
  reported_user_id  TEXT NOT NULL REFERENCES users(user_id),
  chat_id           TEXT,
  reason            TEXT NOT NULL,
  note              TEXT,
  created_at        BIGINT NOT NULL
);
CREATE INDEX reports_created ON reports(created_at);
