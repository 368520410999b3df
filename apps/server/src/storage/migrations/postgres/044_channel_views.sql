-- R190: view counts of a private channel's posts in MLS mode (R112), as channel_wrapped_views (R183):
-- a number per (seq of the announcements chat's log, time bucket), no record of who viewed. No foreign
-- key to messages: a message's row outlives its deletion (a tombstone), and counters of a seq that
-- retention drops are harmless. The same schema as sqlite/041_channel_views.sql. Additive only.
CREATE TABLE channel_mls_views (
  community_id  TEXT NOT NULL REFERENCES communities(community_id),
  seq           BIGINT NOT NULL,
  bucket        BIGINT NOT NULL,
  views         BIGINT NOT NULL,
  PRIMARY KEY (community_id, seq, bucket)
);
