-- R191: scheduled posts of private channels in MLS mode (R112). Each row is an admin's post sealed under a
-- key from the announcements chat's MLS exporter at `epoch` (opaque to the server), with a copy only its
-- author's devices open (for re-sealing); the sweep appends `body` to the chat's log at `publish_at` when
-- the chat's MLS epoch is still `epoch`, and deletes the row in the same transaction. The same columns as
-- channel_wrapped_scheduled (040), the same schema as migrations/postgres/045_mls_scheduled.sql. Additive only.
CREATE TABLE channel_mls_scheduled (
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
CREATE INDEX channel_mls_scheduled_due ON channel_mls_scheduled (publish_at);
