import type pg from 'pg';
import type { WrappedReadRow, WrappedReadStorage } from '../wrapped-read-storage.ts';
import { IS_POST } from './postgres-wrapped-responses.ts';

type Row = Record<string, unknown>;
// R161/R167/R184: IS_POST, an entry that is a post, is the WHERE of the partial index `channel_wrapped_posts_unread` (042).
const LOG_END = '(SELECT COALESCE(MAX(seq), 0) FROM channel_wrapped_posts WHERE community_id = $1)';

/** R182 in the cluster's PostgreSQL database. */
export class PostgresWrappedReads implements WrappedReadStorage {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async start(communityId: string, userId: string): Promise<void> {
    await this.#pool.query(`INSERT INTO channel_wrapped_reads (community_id, user_id, read_seq, muted) VALUES ($1, $2, ${LOG_END}, 0)
      ON CONFLICT (community_id, user_id) DO UPDATE SET read_seq = excluded.read_seq`, [communityId, userId]);
  }

  async reads(userId: string, communityIds: readonly string[]): Promise<WrappedReadRow[]> {
    const out: WrappedReadRow[] = [];
    // One statement, one snapshot: the count and the log's end agree (a client adds notices after `lastSeq`).
    const select = async (communityId: string) => (await this.#pool.query<Row>(`SELECT r.read_seq, r.muted, ${LOG_END} AS last_seq,
        (SELECT COUNT(*) FROM channel_wrapped_posts p WHERE p.community_id = $1 AND p.seq > r.read_seq AND p.author_id <> $2 AND ${IS_POST}) AS unread
      FROM channel_wrapped_reads r WHERE r.community_id = $1 AND r.user_id = $2`, [communityId, userId])).rows[0];
    for (const communityId of communityIds) {
      let r = await select(communityId);
      if (!r) {
        // No position yet: the log's end (a write only then; a read of the chat list writes nothing).
        await this.#pool.query(`INSERT INTO channel_wrapped_reads (community_id, user_id, read_seq, muted) VALUES ($1, $2, ${LOG_END}, 0)
          ON CONFLICT (community_id, user_id) DO NOTHING`, [communityId, userId]);
        r = await select(communityId);
      }
      if (!r) continue; // the community went meanwhile
      out.push({ communityId, readSeq: Number(r['read_seq']), lastSeq: Number(r['last_seq']), unread: Number(r['unread']), muted: Number(r['muted']) !== 0 });
    }
    return out;
  }

  async markRead(communityId: string, userId: string, upToSeq: number): Promise<void> {
    await this.#pool.query(`INSERT INTO channel_wrapped_reads (community_id, user_id, read_seq, muted) VALUES ($1, $2, LEAST($3::bigint, ${LOG_END}), 0)
      ON CONFLICT (community_id, user_id) DO UPDATE SET read_seq = GREATEST(channel_wrapped_reads.read_seq, excluded.read_seq)`, [communityId, userId, upToSeq]);
  }

  async setMuted(communityId: string, userId: string, muted: boolean): Promise<void> {
    await this.#pool.query(`INSERT INTO channel_wrapped_reads (community_id, user_id, read_seq, muted) VALUES ($1, $2, ${LOG_END}, $3)
      ON CONFLICT (community_id, user_id) DO UPDATE SET muted = excluded.muted`, [communityId, userId, muted ? 1 : 0]);
  }

  async forget(communityId: string, userId: string): Promise<void> {
    await this.#pool.query('DELETE FROM channel_wrapped_reads WHERE community_id = $1 AND user_id = $2', [communityId, userId]);
  }
}
