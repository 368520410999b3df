-- R166: reactions to a wrapped channel's posts, one per user per post. `token` is an HMAC under the
-- post's epoch key of the emoji (computed on the device): the server counts equal tokens per post and
-- never learns the emoji. The same schema as postgres/037_wrapped_reactions.sql.
CREATE TABLE channel_wrapped_reactions (
  community_id  TEXT NOT NULL,
  seq           INTEGER NOT NULL,
  user_id       TEXT NOT NULL,
  token         TEXT NOT NULL,
  PRIMARY KEY (community_id, seq, user_id),
  FOREIGN KEY (community_id, seq) REFERENCES channel_wrapped_posts(community_id, seq)
);
-- The counts per (post, token), kept with each change in the same transaction: a reader's counts cost
-- a row per distinct token, not a row per reaction (bench/channel-wraps.ts reactions).
CREATE TABLE channel_wrapped_reaction_counts (
  community_id  TEXT NOT NULL,
  seq           INTEGER NOT NULL,
  token         TEXT NOT NULL,
  n             INTEGER NOT NULL CHECK (n > 0),
  PRIMARY KEY (community_id, seq, token)
);
