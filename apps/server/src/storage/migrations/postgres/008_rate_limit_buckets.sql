-- Rate limits that hold across the cluster (R11): one token bucket per key ("send:<deviceId>",
-- "signup:<ip>"…), shared by every node, which lease tokens from it in small chunks
-- (PostgresTokenBuckets, SharedRateLimiter). PostgreSQL only: a single node on SQLite keeps its
-- buckets in memory. Additive only.
-- tokens: what the bucket held at updated_at (ms, the nodes' clock; it never moves back).
-- full_at: when refill makes the bucket full; a missing row is a full bucket, so the sweep deletes
-- rows full since a while. granted: the last lease's size, kept only for RETURNING.
-- UNLOGGED: a lease writes no WAL, so its commit waits for no fsync. After a PostgreSQL crash (or
-- on a promoted standby) the table is empty, i.e. every bucket full again: acceptable for abuse
-- brakes, not for anything that must survive. No index but the key and room left in each page
-- (fillfactor), so the update of every lease can stay HOT; the sweep scans the table now and then.
CREATE UNLOGGED TABLE rate_limit_buckets (
  key         TEXT PRIMARY KEY,
  tokens      DOUBLE PRECISION NOT NULL,
  updated_at  BIGINT NOT NULL,
  full_at     BIGINT NOT NULL,
  granted     DOUBLE PRECISION NOT NULL
) WITH (fillfactor = 70);
