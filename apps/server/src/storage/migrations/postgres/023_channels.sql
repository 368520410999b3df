-- R95-R99: public channels. A channel (handle, title, description, the owner-signed admin key list),
-- its admins and their post-signing keys (R95b), its posts: one row per post holding its latest
-- signed version at its log position `seq` (R96), subscriptions with each subscriber's read position
-- (R97), one reaction per user per post (R98) and view counts per post per time bucket, with no
-- record of who viewed (R98). The same schema as migrations/sqlite/020_channels.sql. Additive only.
CREATE TABLE channels (
  channel_id        TEXT PRIMARY KEY,
  handle            TEXT NOT NULL UNIQUE,
  title             TEXT NOT NULL,
  description       TEXT NOT NULL,
  owner_id          TEXT NOT NULL REFERENCES users(user_id),
  created_at        BIGINT NOT NULL,
  last_seq          BIGINT NOT NULL DEFAULT 0,
  subscriber_count  BIGINT NOT NULL DEFAULT 0,
  key_list_version  BIGINT NOT NULL,
  key_list          TEXT NOT NULL,
  key_list_sig      TEXT NOT NULL
);

CREATE TABLE channel_admins (
  channel_id  TEXT NOT NULL REFERENCES channels(channel_id),
  user_id     TEXT NOT NULL REFERENCES users(user_id),
  role        TEXT NOT NULL,
  public_key  TEXT,
  added_at    BIGINT NOT NULL,
  PRIMARY KEY (channel_id, user_id)
);

CREATE TABLE channel_posts (
  channel_id  TEXT NOT NULL REFERENCES channels(channel_id),
  post_id     TEXT NOT NULL,
  post_seq    BIGINT NOT NULL,
  seq         BIGINT NOT NULL,
  version     BIGINT NOT NULL,
  author_id   TEXT NOT NULL,
  deleted     BIGINT NOT NULL,
  signed      TEXT NOT NULL,
  signature   TEXT NOT NULL,
  PRIMARY KEY (channel_id, post_id)
);
CREATE UNIQUE INDEX channel_posts_by_seq ON channel_posts (channel_id, seq);
CREATE UNIQUE INDEX channel_posts_by_post_seq ON channel_posts (channel_id, post_seq);

CREATE TABLE channel_subscribers (
  channel_id     TEXT NOT NULL REFERENCES channels(channel_id),
  user_id        TEXT NOT NULL REFERENCES users(user_id),
  read_seq       BIGINT NOT NULL,
  muted          BIGINT NOT NULL DEFAULT 0,
  subscribed_at  BIGINT NOT NULL,
  PRIMARY KEY (channel_id, user_id)
);
CREATE INDEX channel_subscribers_by_user ON channel_subscribers (user_id);

CREATE TABLE channel_reactions (
  channel_id  TEXT NOT NULL REFERENCES channels(channel_id),
  post_id     TEXT NOT NULL,
  user_id     TEXT NOT NULL REFERENCES users(user_id),
  emoji       TEXT NOT NULL,
  PRIMARY KEY (channel_id, post_id, user_id)
);

CREATE TABLE channel_views (
  channel_id  TEXT NOT NULL REFERENCES channels(channel_id),
  post_id     TEXT NOT NULL,
  bucket      BIGINT NOT NULL,
  views       BIGINT NOT NULL,
  PRIMARY KEY (channel_id, post_id, bucket)
);
