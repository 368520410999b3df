-- R185: votes on a wrapped channel's polls. `token` is an HMAC under the post's epoch key of an option's
-- index (computed on the device): the server counts equal tokens per post and never learns the option.
-- A user's choice on a poll is a set of tokens (one for a single-choice poll). The same schema as
-- postgres/043_wrapped_votes.sql.
CREATE TABLE channel_wrapped_votes (
  community_id  TEXT NOT NULL,
  seq           INTEGER NOT NULL,
  user_id       TEXT NOT NULL,
  token         TEXT NOT NULL,
  PRIMARY KEY (community_id, seq, user_id, token),
  FOREIGN KEY (community_id, seq) REFERENCES channel_wrapped_posts(community_id, seq)
);
-- The counts per (poll, token), kept with each change in the same transaction, and per poll the number
-- of voters under the empty token (no vote token is empty): a reader's counts cost a row per option,
-- not a row per vote (counting the votes took 200 ms at 100,000 on one poll).
CREATE TABLE channel_wrapped_vote_counts (
  community_id  TEXT NOT NULL,
  seq           INTEGER NOT NULL,
  token         TEXT NOT NULL,
  n             INTEGER NOT NULL CHECK (n > 0),
  PRIMARY KEY (community_id, seq, token)
);
-- R178/R185: a member who leaves takes their votes with them: found by user.
CREATE INDEX channel_wrapped_votes_user ON channel_wrapped_votes(community_id, user_id);
