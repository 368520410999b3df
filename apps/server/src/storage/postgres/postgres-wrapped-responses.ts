import type pg from 'pg';
import { DELETED_BODY, editMark, type WrappedReactionCount, type WrappedResponseStorage } from '../wrapped-response-storage.ts';
import { RELEASED_AT } from '../blob-storage.ts';
import type { ChannelWrappedPostRow } from '../channel-wrap-storage.ts';
import { toWrappedPost } from '../sqlite/sqlite-channel-wraps.ts';
import { inTransaction } from './transaction.ts';

type Row = Record<string, unknown>;
/** R161/R167: an entry that is a post (not info alone, not an edit `e<seq>:`, not deleted). */
export const IS_POST = "body NOT LIKE 'i:%' AND body <> 'd:' AND body !~ '^[ep][0-9]+:'"; // R184: nor a pin
/** R178: a wrapped entry's blob references (R162: kept at minus its seq, where no chat message is). */
const RELEASE_REFS = `DELETE FROM blob_refs WHERE chat_id = (SELECT chat_id FROM community_chats WHERE community_id = $1 AND kind = 'announcements')
  AND sender_user_id = $2 AND seq = $3`;
/** R178: the released files no other reference holds. */
const MARK_RELEASED = `UPDATE blobs SET completed_at = $1 WHERE blob_id = ANY($2::text[]) AND completed_at IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM blob_refs r WHERE r.blob_id = blobs.blob_id)`;

/** R166-R167 in the cluster's PostgreSQL database. */
export class PostgresWrappedResponses implements WrappedResponseStorage {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async #rows(sql: string, params: unknown[]): Promise<Row[]> {
    return (await this.#pool.query<Row>(sql, params)).rows;
  }

  async postBody(communityId: string, seq: number): Promise<string | undefined> {
    const r = (await this.#rows('SELECT body FROM channel_wrapped_posts WHERE community_id = $1 AND seq = $2', [communityId, seq]))[0];
    return r && String(r['body']);
  }

  async setReaction(communityId: string, seq: number, userId: string, token: string | null): Promise<void> {
    await inTransaction(this.#pool, async (db) => {
      // One change per (post, user) at a time, so the counts follow the reactions even when one user's requests race.
      await db.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`wrapped-reaction:${communityId}:${seq}:${userId}`]);
      const old = (await db.query<Row>('SELECT token FROM channel_wrapped_reactions WHERE community_id = $1 AND seq = $2 AND user_id = $3', [communityId, seq, userId])).rows[0];
      const was = old === undefined ? null : String(old['token']);
      if (was === token) return;
      if (was !== null) {
        const down = await db.query('UPDATE channel_wrapped_reaction_counts SET n = n - 1 WHERE community_id = $1 AND seq = $2 AND token = $3 AND n > 1', [communityId, seq, was]);
        if ((down.rowCount ?? 0) === 0) await db.query('DELETE FROM channel_wrapped_reaction_counts WHERE community_id = $1 AND seq = $2 AND token = $3', [communityId, seq, was]);
      }
      if (token === null) {
        await db.query('DELETE FROM channel_wrapped_reactions WHERE community_id = $1 AND seq = $2 AND user_id = $3', [communityId, seq, userId]);
        return;
      }
      await db.query(`INSERT INTO channel_wrapped_reactions (community_id, seq, user_id, token) VALUES ($1, $2, $3, $4)
        ON CONFLICT (community_id, seq, user_id) DO UPDATE SET token = excluded.token`, [communityId, seq, userId, token]);
      await db.query(`INSERT INTO channel_wrapped_reaction_counts (community_id, seq, token, n) VALUES ($1, $2, $3, 1)
        ON CONFLICT (community_id, seq, token) DO UPDATE SET n = channel_wrapped_reaction_counts.n + 1`, [communityId, seq, token]);
    });
  }

  async reactionCounts(communityId: string, seqs: readonly number[]): Promise<WrappedReactionCount[]> {
    if (seqs.length === 0) return [];
    const rows = await this.#rows(`SELECT seq, token, n FROM channel_wrapped_reaction_counts WHERE community_id = $1 AND seq = ANY($2::bigint[])
      ORDER BY seq, token`, [communityId, [...seqs]]);
    return rows.map((r) => ({ seq: Number(r['seq']), token: String(r['token']), count: Number(r['n']) }));
  }

  async myReactions(communityId: string, userId: string, seqs: readonly number[]): Promise<Map<number, string>> {
    if (seqs.length === 0) return new Map();
    const rows = await this.#rows('SELECT seq, token FROM channel_wrapped_reactions WHERE community_id = $1 AND user_id = $2 AND seq = ANY($3::bigint[])', [communityId, userId, [...seqs]]);
    return new Map(rows.map((r) => [Number(r['seq']), String(r['token'])]));
  }

  async deletePost(communityId: string, seq: number): Promise<boolean> {
    return inTransaction(this.#pool, async (db) => {
      const post = (await db.query<Row>('UPDATE channel_wrapped_posts SET body = $1 WHERE community_id = $2 AND seq = $3 AND body <> $1 RETURNING author_id', [DELETED_BODY, communityId, seq])).rows[0];
      if (!post) return false;
      const edits = (await db.query<Row>('SELECT seq, author_id FROM channel_wrapped_posts WHERE community_id = $1 AND seq > $2 AND left(body, $3) = $4',
        [communityId, seq, editMark(seq).length, editMark(seq)])).rows;
      // R178: the files go with the post: their references are released, so R56's sweep removes them.
      for (const [s, author] of [[seq, post['author_id']] as const, ...edits.map((e) => [Number(e['seq']), e['author_id']] as const)]) {
        const released = (await db.query<Row>(`${RELEASE_REFS} RETURNING blob_id`, [communityId, author, -s])).rows.map((r) => String(r['blob_id']));
        // R178: swept next and never posted again (a kept upload sent again after the deletion is refused: blob_not_found).
        if (released.length > 0) await db.query(MARK_RELEASED, [RELEASED_AT, released]);
      }
      await db.query('UPDATE channel_wrapped_posts SET body = $1 WHERE community_id = $2 AND seq > $3 AND left(body, $4) = $5', [DELETED_BODY, communityId, seq, editMark(seq).length, editMark(seq)]);
      await db.query('DELETE FROM channel_wrapped_reactions WHERE community_id = $1 AND seq = $2', [communityId, seq]);
      await db.query('DELETE FROM channel_wrapped_reaction_counts WHERE community_id = $1 AND seq = $2', [communityId, seq]);
      await db.query('DELETE FROM channel_wrapped_views WHERE community_id = $1 AND seq = $2', [communityId, seq]); // R183
      await db.query('DELETE FROM channel_wrapped_votes WHERE community_id = $1 AND seq = $2', [communityId, seq]); // R185: a poll's votes go with it
      await db.query('DELETE FROM channel_wrapped_vote_counts WHERE community_id = $1 AND seq = $2', [communityId, seq]);
      return true;
    });
  }

  async dropReactions(communityId: string, userId: string): Promise<number> {
    return inTransaction(this.#pool, async (db) => {
      const seqs = (await db.query<Row>('SELECT seq FROM channel_wrapped_reactions WHERE community_id = $1 AND user_id = $2 ORDER BY seq', [communityId, userId])).rows.map((r) => Number(r['seq']));
      // The locks setReaction takes (one change per (post, user) at a time), in seq order.
      for (const seq of seqs) await db.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`wrapped-reaction:${communityId}:${seq}:${userId}`]);
      const mine = (await db.query<Row>('DELETE FROM channel_wrapped_reactions WHERE community_id = $1 AND user_id = $2 RETURNING seq, token', [communityId, userId])).rows;
      for (const r of mine) {
        const down = await db.query('UPDATE channel_wrapped_reaction_counts SET n = n - 1 WHERE community_id = $1 AND seq = $2 AND token = $3 AND n > 1', [communityId, r['seq'], r['token']]);
        if ((down.rowCount ?? 0) === 0) await db.query('DELETE FROM channel_wrapped_reaction_counts WHERE community_id = $1 AND seq = $2 AND token = $3', [communityId, r['seq'], r['token']]);
      }
      return mine.length;
    });
  }

  async newestPost(communityId: string): Promise<{ post: ChannelWrappedPostRow; edit?: ChannelWrappedPostRow } | undefined> {
    const p = (await this.#rows(`SELECT * FROM channel_wrapped_posts WHERE community_id = $1 AND ${IS_POST} ORDER BY seq DESC LIMIT 1`, [communityId]))[0];
    if (!p) return undefined;
    const post = toWrappedPost(p);
    const e = (await this.#rows('SELECT * FROM channel_wrapped_posts WHERE community_id = $1 AND seq > $2 AND left(body, $3) = $4 ORDER BY seq DESC LIMIT 1',
      [communityId, post.seq, editMark(post.seq).length, editMark(post.seq)]))[0];
    return e ? { post, edit: toWrappedPost(e) } : { post };
  }
}
