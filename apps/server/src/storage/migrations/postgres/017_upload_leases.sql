-- R53 in a cluster: which request of which node may write to an unfinished upload now. tus allows
-- one writer per upload; a client that lost its connection resumes at once, often through another
-- node, while its old PATCH may still be alive on the first: the lease makes the new request wait
-- until the old one let go (it is asked to, over the bus) or its lease ran out (a node that died).
-- Rows live only while a request holds them. Additive only.
CREATE TABLE upload_leases (
  blob_id     TEXT PRIMARY KEY,
  holder      TEXT NOT NULL,
  expires_at  BIGINT NOT NULL
);
