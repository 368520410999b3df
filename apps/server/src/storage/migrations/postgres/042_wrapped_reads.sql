-- R182: a wrapped channel's read position and mute, per (community, member), as R97's are per
-- subscriber of a public channel. `read_seq`: the last seq of `channel_wrapped_posts` the member read
-- (set to the log's end when they come in); `muted`: their own flag. The row goes when they leave.
-- The same schema as sqlite/039_wrapped_reads.sql.
CREATE TABLE channel_wrapped_reads (
  community_id  TEXT NOT NULL REFERENCES communities(community_id),
  user_id       TEXT NOT NULL,
  read_seq      BIGINT NOT NULL,
  muted         SMALLINT NOT NULL DEFAULT 0,
  PRIMARY KEY (community_id, user_id)
);

-- R182: unread counts only posts (not R161's info alone, not R167's edits nor R184's pins, not deleted). A partial
-- index holding just those, with their author (one's own posts are not unread): a count reads the index
-- from the read position on (an index-only scan), never a body. Its WHERE is the count's.
CREATE INDEX channel_wrapped_posts_unread ON channel_wrapped_posts(community_id, seq) INCLUDE (author_id)
  WHERE body NOT LIKE 'i:%' AND body <> 'd:' AND body !~ '^[ep][0-9]+:';
