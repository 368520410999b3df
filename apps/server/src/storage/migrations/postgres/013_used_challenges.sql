-- Single-use challenges (R39): a signed auth challenge or passkey ceremony token is redeemed at most
-- once across the cluster. Redeeming inserts its id (sha256 of the token); the primary key makes a
-- second insert, on any node, fail. A row is needed only until the token expires (then its
-- signature check refuses it anyway): a sweep deletes rows by expires_at. Logged (not UNLOGGED like
-- the rate limit buckets): after a crash a redeemed challenge must stay redeemed. The same schema as
-- migrations/sqlite/011_used_challenges.sql. Additive only.
CREATE TABLE used_challenges (
  challenge_id  TEXT PRIMARY KEY,
  expires_at    BIGINT NOT NULL
);
CREATE INDEX used_challenges_expiry ON used_challenges(expires_at);
