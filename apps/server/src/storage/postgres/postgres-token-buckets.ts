import type pg from 'pg';
import type { LeaseRequest, LeaseResult, TokenBucketStore } from '../token-bucket-store.ts';

/**
 * The cluster's token buckets in PostgreSQL (table `rate_limit_buckets`, migration 008), on the pool
 * PostgresStorage opened. A lease is one statement: the UPSERT locks the key's row (or inserts a
 * full bucket), refills it from `updated_at` to now, adds the refund and takes the grant, so leases
 * from every node are serialised by the row lock and never take more than the bucket holds.
 * `granted` is stored only so RETURNING can report it. `full_at` (when refill makes the bucket full)
 * lets the sweep delete rows that no longer say anything; it is not indexed, so updates stay HOT.
 */
export class PostgresTokenBuckets implements TokenBucketStore {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async lease(r: LeaseRequest): Promise<LeaseResult> {
    // Named: each connection parses and plans it once.
    const { rows } = await this.#pool.query<{ tokens: number; granted: number }>({
      name: 'parley-rate-limit-lease', text: LEASE, values: [r.key, Math.round(r.now), r.perSec, r.burst, r.min, r.max, r.refund],
    });
    const row = rows[0];
    if (!row) throw new Error('rate limit lease returned no row');
    return { granted: row.granted, tokens: row.tokens };
  }

  async sweep(fullBefore: number): Promise<number> {
    return (await this.#pool.query('DELETE FROM rate_limit_buckets WHERE full_at < $1', [Math.round(fullBefore)])).rowCount ?? 0;
  }
}

// $1 key, $2 now (ms), $3 perSec, $4 burst, $5 min, $6 max, $7 refund. A new key starts full (the
// refund of a bucket that was swept is moot: it was full). Time is GREATEST(updated_at, now): a node
// whose clock lags adds no refill until it catches up, and never moves the bucket back in time.
const LEASE = `
INSERT INTO rate_limit_buckets AS b (key, tokens, updated_at, full_at, granted)
SELECT $1::text, $4::float8 - fresh.g, $2::bigint, $2::bigint + ceil(fresh.g * 1000 / $3::float8)::bigint, fresh.g
FROM (SELECT CASE WHEN $4::float8 >= $5::float8 THEN LEAST($6::float8, $4::float8) ELSE 0 END AS g) fresh
ON CONFLICT (key) DO UPDATE SET (tokens, updated_at, full_at, granted) = (
  SELECT r.avail - r.g, r.at, r.at + ceil(($4::float8 - r.avail + r.g) * 1000 / $3::float8)::bigint, r.g
  FROM (
    SELECT a.avail, a.at, CASE WHEN a.avail >= $5::float8 THEN LEAST($6::float8, a.avail) ELSE 0 END AS g
    FROM (SELECT GREATEST(b.updated_at, $2::bigint) AS at,
                 LEAST($4::float8, b.tokens + $7::float8 + GREATEST(0, $2::bigint - b.updated_at) * $3::float8 / 1000) AS avail) a
  ) r
)
RETURNING tokens, granted`;
