import type pg from 'pg';
import type { WrappedCommentStorage } from '../wrapped-comment-storage.ts';

type Row = Record<string, unknown>;

/** R177 in the cluster's PostgreSQL database. */
export class PostgresWrappedComments implements WrappedCommentStorage {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async addMark(communityId: string, seq: number, mark: string, userId: string, at: number): Promise<boolean> {
    const r = await this.#pool.query(`INSERT INTO channel_wrapped_comments (community_id, seq, mark, user_id, created_at) VALUES ($1, $2, $3, $4, $5)
      ON CONFLICT (community_id, seq, mark) DO NOTHING`, [communityId, seq, mark, userId, at]);
    return (r.rowCount ?? 0) > 0;
  }

  async markOwner(communityId: string, seq: number, mark: string): Promise<string | undefined> {
    const r = (await this.#pool.query<Row>('SELECT user_id FROM channel_wrapped_comments WHERE community_id = $1 AND seq = $2 AND mark = $3', [communityId, seq, mark])).rows[0];
    return r && String(r['user_id']);
  }

  async removeMark(communityId: string, seq: number, mark: string): Promise<boolean> {
    return ((await this.#pool.query('DELETE FROM channel_wrapped_comments WHERE community_id = $1 AND seq = $2 AND mark = $3', [communityId, seq, mark])).rowCount ?? 0) > 0;
  }

  async commentCounts(communityId: string, seqs: readonly number[]): Promise<Map<number, number>> {
    const out = new Map(seqs.map((s) => [s, 0]));
    if (seqs.length === 0) return out;
    const rows = (await this.#pool.query<Row>('SELECT seq, COUNT(*) AS n FROM channel_wrapped_comments WHERE community_id = $1 AND seq = ANY($2::bigint[]) GROUP BY seq',
      [communityId, [...seqs]])).rows;
    for (const r of rows) out.set(Number(r['seq']), Number(r['n']));
    return out;
  }
}
