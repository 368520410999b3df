-- R183: view counts of a wrapped channel's posts, as public channels' channel_views (R98): a number per
-- (post, time bucket), no record of who viewed. A deleted post's rows go with it (R167). The same
-- schema as postgres/041_wrapped_views.sql.
CREATE TABLE channel_wrapped_views (
  community_id  TEXT NOT NULL,
  seq           INTEGER NOT NULL,
  bucket        INTEGER NOT NULL,
  views         INTEGER NOT NULL,
  PRIMARY KEY (community_id, seq, bucket),
  FOREIGN KEY (community_id, seq) REFERENCES channel_wrapped_posts(community_id, seq)
);
