import type pg from 'pg';
import { countChanges, VOTERS, WRAPPED_VOTE_TABLES, type VoteTables, type WrappedVoteCount, type WrappedVoteStorage } from '../wrapped-vote-storage.ts';
import { inTransaction } from './transaction.ts';

type Row = Record<string, unknown>;

/** R185 (and R198's public polls) in the cluster's PostgreSQL database. */
export class PostgresWrappedVotes implements WrappedVoteStorage {
  readonly #pool: pg.Pool;
  readonly #t: VoteTables;

  /** `tables`: R185's by default; R198's public polls pass CHANNEL_VOTE_TABLES. */
  constructor(pool: pg.Pool, tables: VoteTables = WRAPPED_VOTE_TABLES) {
    this.#pool = pool;
    this.#t = tables;
  }

  async #rows(sql: string, params: unknown[]): Promise<Row[]> {
    return (await this.#pool.query<Row>(sql, params)).rows;
  }

  async setVotes(communityId: string, seq: number, userId: string, tokens: readonly string[]): Promise<void> {
    await inTransaction(this.#pool, async (db) => {
      // One change per (post, user) at a time, so racing requests of one user leave one whole choice and counts that follow it.
      await db.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`${this.#t.votes}:${communityId}:${seq}:${userId}`]);
      const old = (await db.query<Row>(`DELETE FROM ${this.#t.votes} WHERE ${this.#t.owner} = $1 AND seq = $2 AND user_id = $3 RETURNING token`, [communityId, seq, userId])).rows.map((r) => String(r['token']));
      if (tokens.length > 0) {
        await db.query(`INSERT INTO ${this.#t.votes} (${this.#t.owner}, seq, user_id, token) SELECT $1, $2, $3, t FROM unnest($4::text[]) AS t ON CONFLICT DO NOTHING`,
          [communityId, seq, userId, [...new Set(tokens)]]);
      }
      const { drop, add } = countChanges(old, tokens);
      for (const token of drop) await this.#down(db, communityId, seq, token);
      for (const token of add) {
        await db.query(`INSERT INTO ${this.#t.counts} (${this.#t.owner}, seq, token, n) VALUES ($1, $2, $3, 1)
          ON CONFLICT (${this.#t.owner}, seq, token) DO UPDATE SET n = ${this.#t.counts}.n + 1`, [communityId, seq, token]);
      }
    });
  }

  async voteCounts(communityId: string, seqs: readonly number[]): Promise<WrappedVoteCount[]> {
    if (seqs.length === 0) return [];
    const rows = await this.#rows(`SELECT seq, token, n FROM ${this.#t.counts} WHERE ${this.#t.owner} = $1 AND seq = ANY($2::bigint[]) AND token <> $3
      ORDER BY seq, token`, [communityId, [...seqs], VOTERS]);
    return rows.map((r) => ({ seq: Number(r['seq']), token: String(r['token']), count: Number(r['n']) }));
  }

  async voters(communityId: string, seqs: readonly number[]): Promise<Map<number, number>> {
    const out = new Map(seqs.map((s) => [s, 0]));
    if (seqs.length === 0) return out;
    const rows = await this.#rows(`SELECT seq, n FROM ${this.#t.counts} WHERE ${this.#t.owner} = $1 AND seq = ANY($2::bigint[]) AND token = $3`, [communityId, [...seqs], VOTERS]);
    for (const r of rows) out.set(Number(r['seq']), Number(r['n']));
    return out;
  }

  async myVotes(communityId: string, userId: string, seqs: readonly number[]): Promise<Map<number, string[]>> {
    const out = new Map<number, string[]>();
    if (seqs.length === 0) return out;
    const rows = await this.#rows(`SELECT seq, token FROM ${this.#t.votes} WHERE ${this.#t.owner} = $1 AND user_id = $2 AND seq = ANY($3::bigint[]) ORDER BY seq, token`,
      [communityId, userId, [...seqs]]);
    for (const r of rows) out.set(Number(r['seq']), [...(out.get(Number(r['seq'])) ?? []), String(r['token'])]);
    return out;
  }

  async dropVotes(communityId: string, userId: string): Promise<number> {
    return inTransaction(this.#pool, async (db) => {
      const seqs = (await db.query<Row>(`SELECT DISTINCT seq FROM ${this.#t.votes} WHERE ${this.#t.owner} = $1 AND user_id = $2 ORDER BY seq`, [communityId, userId])).rows.map((r) => Number(r['seq']));
      let dropped = 0;
      for (const seq of seqs) {
        // The same lock as setVotes, so a vote racing the leave can't leave its count behind.
        await db.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`${this.#t.votes}:${communityId}:${seq}:${userId}`]);
        const gone = (await db.query<Row>(`DELETE FROM ${this.#t.votes} WHERE ${this.#t.owner} = $1 AND seq = $2 AND user_id = $3 RETURNING token`, [communityId, seq, userId])).rows;
        for (const r of gone) await this.#down(db, communityId, seq, String(r['token']));
        if (gone.length > 0) await this.#down(db, communityId, seq, VOTERS);
        dropped += gone.length;
      }
      return dropped;
    });
  }

  async #down(db: pg.PoolClient, communityId: string, seq: number, token: string): Promise<void> {
    const lowered = await db.query(`UPDATE ${this.#t.counts} SET n = n - 1 WHERE ${this.#t.owner} = $1 AND seq = $2 AND token = $3 AND n > 1`, [communityId, seq, token]);
    if ((lowered.rowCount ?? 0) === 0) await db.query(`DELETE FROM ${this.#t.counts} WHERE ${this.#t.owner} = $1 AND seq = $2 AND token = $3`, [communityId, seq, token]);
  }
}
