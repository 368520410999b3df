import type pg from 'pg';
import type { WrappedVoteCount, WrappedVoteStorage } from '../wrapped-vote-storage.ts';
import { inTransaction } from './transaction.ts';

type Row = Record<string, unknown>;

/** R185 in the cluster's PostgreSQL database. */
export class PostgresWrappedVotes implements WrappedVoteStorage {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async #rows(sql: string, params: unknown[]): Promise<Row[]> {
    return (await this.#pool.query<Row>(sql, params)).rows;
  }

  async setVotes(communityId: string, seq: number, userId: string, tokens: readonly string[]): Promise<void> {
    await inTransaction(this.#pool, async (db) => {
      // One change per (post, user) at a time, so racing requests of one user leave one whole choice.
      await db.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`wrapped-vote:${communityId}:${seq}:${userId}`]);
      await db.query('DELETE FROM channel_wrapped_votes WHERE community_id = $1 AND seq = $2 AND user_id = $3', [communityId, seq, userId]);
      if (tokens.length > 0) {
        await db.query(`INSERT INTO channel_wrapped_votes (community_id, seq, user_id, token) SELECT $1, $2, $3, t FROM unnest($4::text[]) AS t
          ON CONFLICT DO NOTHING`, [communityId, seq, userId, [...new Set(tokens)]]);
      }
    });
  }

  async voteCounts(communityId: string, seqs: readonly number[]): Promise<WrappedVoteCount[]> {
    if (seqs.length === 0) return [];
    const rows = await this.#rows(`SELECT seq, token, COUNT(*) AS n FROM channel_wrapped_votes WHERE community_id = $1 AND seq = ANY($2::bigint[])
      GROUP BY seq, token ORDER BY seq, token`, [communityId, [...seqs]]);
    return rows.map((r) => ({ seq: Number(r['seq']), token: String(r['token']), count: Number(r['n']) }));
  }

  async voters(communityId: string, seqs: readonly number[]): Promise<Map<number, number>> {
    const out = new Map(seqs.map((s) => [s, 0]));
    if (seqs.length === 0) return out;
    const rows = await this.#rows('SELECT seq, COUNT(DISTINCT user_id) AS n FROM channel_wrapped_votes WHERE community_id = $1 AND seq = ANY($2::bigint[]) GROUP BY seq',
      [communityId, [...seqs]]);
    for (const r of rows) out.set(Number(r['seq']), Number(r['n']));
    return out;
  }

  async myVotes(communityId: string, userId: string, seqs: readonly number[]): Promise<Map<number, string[]>> {
    const out = new Map<number, string[]>();
    if (seqs.length === 0) return out;
    const rows = await this.#rows('SELECT seq, token FROM channel_wrapped_votes WHERE community_id = $1 AND user_id = $2 AND seq = ANY($3::bigint[]) ORDER BY seq, token',
      [communityId, userId, [...seqs]]);
    for (const r of rows) out.set(Number(r['seq']), [...(out.get(Number(r['seq'])) ?? []), String(r['token'])]);
    return out;
  }

  async dropVotes(communityId: string, userId: string): Promise<number> {
    return (await this.#pool.query('DELETE FROM channel_wrapped_votes WHERE community_id = $1 AND user_id = $2', [communityId, userId])).rowCount ?? 0;
  }
}
