-- R198: votes on public channels' polls. A poll is in a post's signed body (readable by anyone, like
-- the post); `seq` is the poll post's postSeq and `token` the chosen option's index in decimal. The
-- per-user row is what lets a voter change or take back their choice; the server serves only the
-- counts and each caller's own choice, never who chose what. A deleted post's rows go with it (R198).
-- The same rows as R185's channel_wrapped_votes, served by the same store. The same schema as
-- sqlite/045_channel_votes.sql. Additive only.
CREATE TABLE channel_votes (
  channel_id  TEXT NOT NULL REFERENCES channels(channel_id),
  seq         BIGINT NOT NULL,
  user_id     TEXT NOT NULL,
  token       TEXT NOT NULL,
  PRIMARY KEY (channel_id, seq, user_id, token)
);
-- The counts per (poll, option), kept with each change in the same transaction, and per poll the number
-- of voters under the empty token: a reader's counts cost a row per option, not a row per vote.
CREATE TABLE channel_vote_counts (
  channel_id  TEXT NOT NULL REFERENCES channels(channel_id),
  seq         BIGINT NOT NULL,
  token       TEXT NOT NULL,
  n           INTEGER NOT NULL CHECK (n > 0),
  PRIMARY KEY (channel_id, seq, token)
);
CREATE INDEX channel_votes_user ON channel_votes(channel_id, user_id);
