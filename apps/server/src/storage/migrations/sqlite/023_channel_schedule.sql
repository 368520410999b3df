-- R115: scheduled posts of public channels: the admin's signed post (no log position yet: the
-- server wraps it in the log when `publish_at` comes), one row per scheduled post until it is
-- published or cancelled. R114: the discussion chat a channel links (one per channel).
-- The same schema as migrations/postgres/026_channel_schedule.sql. Additive only.
CREATE TABLE channel_scheduled (
  channel_id  TEXT NOT NULL REFERENCES channels(channel_id),
  post_id     TEXT NOT NULL,
  publish_at  INTEGER NOT NULL,
  author_id   TEXT NOT NULL,
  signed      TEXT NOT NULL,
  signature   TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (channel_id, post_id)
);
CREATE INDEX channel_scheduled_due ON channel_scheduled (publish_at);

-- `channel_id`: a public channel's id, or the community id of a private channel (R112).
CREATE TABLE channel_discussions (
  channel_id  TEXT PRIMARY KEY,
  chat_id     TEXT NOT NULL REFERENCES chats(chat_id),
  linked_by   TEXT NOT NULL,
  linked_at   INTEGER NOT NULL
);
