-- R192: the blobs a scheduled post names hold a reference while it waits, so R56's sweep of
-- unreferenced uploads keeps them until the post is published (its own references, channel_media or
-- blob_refs, are written before these go) or cancelled, replaced without them, dropped (these go with
-- the scheduled row: ON DELETE CASCADE). The same schema as migrations/sqlite/043_scheduled_blobs.sql. Additive only.
CREATE TABLE channel_scheduled_blobs (
  channel_id  TEXT NOT NULL,
  post_id     TEXT NOT NULL,
  blob_id     TEXT NOT NULL,
  PRIMARY KEY (channel_id, post_id, blob_id),
  FOREIGN KEY (channel_id, post_id) REFERENCES channel_scheduled (channel_id, post_id) ON DELETE CASCADE
);
CREATE INDEX channel_scheduled_blobs_blob ON channel_scheduled_blobs (blob_id);

CREATE TABLE channel_wrapped_scheduled_blobs (
  community_id  TEXT NOT NULL,
  schedule_id   TEXT NOT NULL,
  blob_id       TEXT NOT NULL,
  -- The order the post named them in (R162's `blobs`), kept for the publication.
  position      INTEGER NOT NULL,
  PRIMARY KEY (community_id, schedule_id, blob_id),
  FOREIGN KEY (community_id, schedule_id) REFERENCES channel_wrapped_scheduled (community_id, schedule_id) ON DELETE CASCADE
);
CREATE INDEX channel_wrapped_scheduled_blobs_blob ON channel_wrapped_scheduled_blobs (blob_id);
