-- R80-R86: moderation in communities. Mutes (R82), slow mode per chat and each member's last post
-- there (R82), the franking commitment the server kept with an entry (R83) and reports (R84).
-- The same schema as migrations/sqlite/018_moderation.sql. Additive only.
ALTER TABLE community_chats ADD COLUMN slow_mode_ms BIGINT NOT NULL DEFAULT 0;

CREATE TABLE community_mutes (
  community_id  TEXT NOT NULL REFERENCES communities(community_id),
  user_id       TEXT NOT NULL REFERENCES users(user_id),
  until_ms      BIGINT NOT NULL,
  muted_by      TEXT NOT NULL,
  muted_at      BIGINT NOT NULL,
  PRIMARY KEY (community_id, user_id)
);

CREATE TABLE community_slow_posts (
  chat_id       TEXT NOT NULL REFERENCES chats(chat_id),
  user_id       TEXT NOT NULL REFERENCES users(user_id),
  last_at       BIGINT NOT NULL,
  client_msg_id TEXT NOT NULL,
  PRIMARY KEY (chat_id, user_id)
);

CREATE TABLE message_franks (
  chat_id       TEXT NOT NULL REFERENCES chats(chat_id),
  seq           BIGINT NOT NULL,
  tag           TEXT NOT NULL,
  PRIMARY KEY (chat_id, seq)
);

CREATE TABLE community_reports (
  report_id       TEXT PRIMARY KEY,
  community_id    TEXT NOT NULL REFERENCES communities(community_id),
  chat_id         TEXT NOT NULL REFERENCES chats(chat_id),
  seq             BIGINT NOT NULL,
  client_msg_id   TEXT NOT NULL,
  sender_user_id  TEXT NOT NULL,
  reporter_user_id TEXT NOT NULL,
  text            TEXT NOT NULL,
  reason          TEXT,
  sent_at         BIGINT NOT NULL,
  created_at      BIGINT NOT NULL
);
CREATE INDEX community_reports_by_community ON community_reports(community_id, created_at);
