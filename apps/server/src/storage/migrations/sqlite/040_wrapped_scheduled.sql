-- R188: scheduled posts of wrapped channels. Each row is an admin's post sealed under an epoch key
-- (opaque to the server) with the time it is to be published at; the sweep appends it to
-- channel_wrapped_posts at `publish_at` when its epoch is still the current one, and deletes the row
-- in the same transaction. The same schema as migrations/postgres/043_wrapped_scheduled.sql. Additive only.
CREATE TABLE channel_wrapped_scheduled (
  community_id  TEXT NOT NULL REFERENCES communities(community_id),
  schedule_id   TEXT NOT NULL,
  epoch         INTEGER NOT NULL,
  author_id     TEXT NOT NULL,
  author_device TEXT NOT NULL,
  body          TEXT NOT NULL,
  publish_at    INTEGER NOT NULL,
  created_at    INTEGER NOT NULL,
  PRIMARY KEY (community_id, schedule_id)
);
CREATE INDEX channel_wrapped_scheduled_due ON channel_wrapped_scheduled (publish_at);
