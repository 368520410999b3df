import type Database from 'better-sqlite3';
import { DELETED_BODY, editMark, type WrappedReactionCount, type WrappedResponseStorage } from '../wrapped-response-storage.ts';
import { RELEASED_AT } from '../blob-storage.ts';
import type { ChannelWrappedPostRow } from '../channel-wrap-storage.ts';
import { toWrappedPost } from './sqlite-channel-wraps.ts';
import { statementCache } from './statement-cache.ts';

type Row = Record<string, unknown>;
const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ');
/** R161/R167/R184: an entry that is a post (not info alone, not an edit `e<seq>:` or a pin `p<seq>:`, not deleted; no base64 body holds a colon). */
export const IS_POST = "body NOT LIKE 'i:%' AND body <> 'd:' AND NOT (substr(body, 1, 1) IN ('e', 'p') AND instr(body, ':') > 0)";
/** R178: a wrapped entry's blob references (R162: kept at minus its seq, where no chat message is). */
const RELEASE_REFS = `DELETE FROM blob_refs WHERE chat_id = (SELECT chat_id FROM community_chats WHERE community_id = ? AND kind = 'announcements')
  AND sender_user_id = ? AND seq = ?`;
const REFS_OF_ENTRY = RELEASE_REFS.replace('DELETE FROM', 'SELECT blob_id FROM');
/** R178: a released file no other reference holds. */
const MARK_RELEASED = `UPDATE blobs SET completed_at = ? WHERE blob_id = ? AND completed_at IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM blob_refs r WHERE r.blob_id = blobs.blob_id)`;

/** R166-R167 in the single node's SQLite database. */
export class SqliteWrappedResponses implements WrappedResponseStorage {
  readonly #db: Database.Database;
  readonly #q: (sql: string) => Database.Statement;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#q = statementCache(db);
  }

  async postBody(communityId: string, seq: number): Promise<string | undefined> {
    const r = this.#q('SELECT body FROM channel_wrapped_posts WHERE community_id = ? AND seq = ?').get(communityId, seq) as Row | undefined;
    return r && String(r['body']);
  }

  async setReaction(communityId: string, seq: number, userId: string, token: string | null): Promise<void> {
    this.#db.transaction(() => {
      const old = this.#q('SELECT token FROM channel_wrapped_reactions WHERE community_id = ? AND seq = ? AND user_id = ?').get(communityId, seq, userId) as Row | undefined;
      const was = old === undefined ? null : String(old['token']);
      if (was === token) return;
      if (was !== null) {
        const down = this.#q('UPDATE channel_wrapped_reaction_counts SET n = n - 1 WHERE community_id = ? AND seq = ? AND token = ? AND n > 1').run(communityId, seq, was);
        if (down.changes === 0) this.#q('DELETE FROM channel_wrapped_reaction_counts WHERE community_id = ? AND seq = ? AND token = ?').run(communityId, seq, was);
      }
      if (token === null) {
        this.#q('DELETE FROM channel_wrapped_reactions WHERE community_id = ? AND seq = ? AND user_id = ?').run(communityId, seq, userId);
        return;
      }
      this.#q(`INSERT INTO channel_wrapped_reactions (community_id, seq, user_id, token) VALUES (?, ?, ?, ?)
        ON CONFLICT (community_id, seq, user_id) DO UPDATE SET token = excluded.token`).run(communityId, seq, userId, token);
      this.#q(`INSERT INTO channel_wrapped_reaction_counts (community_id, seq, token, n) VALUES (?, ?, ?, 1)
        ON CONFLICT (community_id, seq, token) DO UPDATE SET n = n + 1`).run(communityId, seq, token);
    }).immediate();
  }

  async reactionCounts(communityId: string, seqs: readonly number[]): Promise<WrappedReactionCount[]> {
    if (seqs.length === 0) return [];
    const rows = this.#db.prepare(`SELECT seq, token, n FROM channel_wrapped_reaction_counts WHERE community_id = ? AND seq IN (${marks(seqs.length)})
      ORDER BY seq, token`).all(communityId, ...seqs) as Row[];
    return rows.map((r) => ({ seq: Number(r['seq']), token: String(r['token']), count: Number(r['n']) }));
  }

  async myReactions(communityId: string, userId: string, seqs: readonly number[]): Promise<Map<number, string>> {
    if (seqs.length === 0) return new Map();
    const rows = this.#db.prepare(`SELECT seq, token FROM channel_wrapped_reactions WHERE community_id = ? AND user_id = ? AND seq IN (${marks(seqs.length)})`)
      .all(communityId, userId, ...seqs) as Row[];
    return new Map(rows.map((r) => [Number(r['seq']), String(r['token'])]));
  }

  async deletePost(communityId: string, seq: number): Promise<boolean> {
    return this.#db.transaction(() => {
      const post = this.#q('SELECT author_id FROM channel_wrapped_posts WHERE community_id = ? AND seq = ? AND body <> ?').get(communityId, seq, DELETED_BODY) as Row | undefined;
      const edits = this.#q('SELECT seq, author_id FROM channel_wrapped_posts WHERE community_id = ? AND seq > ? AND substr(body, 1, ?) = ?')
        .all(communityId, seq, editMark(seq).length, editMark(seq)) as Row[];
      const gone = this.#q('UPDATE channel_wrapped_posts SET body = ? WHERE community_id = ? AND seq = ? AND body <> ?').run(DELETED_BODY, communityId, seq, DELETED_BODY).changes > 0;
      if (!gone || !post) return false;
      // R178: the files go with the post: their references are released, so R56's sweep removes them.
      for (const [s, author] of [[seq, post['author_id']], ...edits.map((e) => [e['seq'], e['author_id']])]) {
        const released = (this.#q(REFS_OF_ENTRY).all(communityId, author, -Number(s)) as Row[]).map((r) => String(r['blob_id']));
        this.#q(RELEASE_REFS).run(communityId, author, -Number(s));
        // R178: swept next and never posted again (a kept upload sent again after the deletion is refused: blob_not_found).
        for (const blobId of released) this.#q(MARK_RELEASED).run(RELEASED_AT, blobId);
      }
      this.#q("UPDATE channel_wrapped_posts SET body = ? WHERE community_id = ? AND seq > ? AND substr(body, 1, ?) = ?")
        .run(DELETED_BODY, communityId, seq, editMark(seq).length, editMark(seq));
      this.#q('DELETE FROM channel_wrapped_reactions WHERE community_id = ? AND seq = ?').run(communityId, seq);
      this.#q('DELETE FROM channel_wrapped_reaction_counts WHERE community_id = ? AND seq = ?').run(communityId, seq);
      this.#q('DELETE FROM channel_wrapped_views WHERE community_id = ? AND seq = ?').run(communityId, seq); // R183
      this.#q('DELETE FROM channel_wrapped_votes WHERE community_id = ? AND seq = ?').run(communityId, seq); // R185: a poll's votes go with it
      this.#q('DELETE FROM channel_wrapped_vote_counts WHERE community_id = ? AND seq = ?').run(communityId, seq);
      return true;
    }).immediate();
  }

  async dropReactions(communityId: string, userId: string): Promise<number> {
    return this.#db.transaction(() => {
      const mine = this.#q('SELECT seq, token FROM channel_wrapped_reactions WHERE community_id = ? AND user_id = ?').all(communityId, userId) as Row[];
      for (const r of mine) {
        const down = this.#q('UPDATE channel_wrapped_reaction_counts SET n = n - 1 WHERE community_id = ? AND seq = ? AND token = ? AND n > 1').run(communityId, r['seq'], r['token']);
        if (down.changes === 0) this.#q('DELETE FROM channel_wrapped_reaction_counts WHERE community_id = ? AND seq = ? AND token = ?').run(communityId, r['seq'], r['token']);
      }
      this.#q('DELETE FROM channel_wrapped_reactions WHERE community_id = ? AND user_id = ?').run(communityId, userId);
      return mine.length;
    }).immediate();
  }

  async newestPost(communityId: string): Promise<{ post: ChannelWrappedPostRow; edit?: ChannelWrappedPostRow } | undefined> {
    const p = this.#q(`SELECT * FROM channel_wrapped_posts WHERE community_id = ? AND ${IS_POST} ORDER BY seq DESC LIMIT 1`).get(communityId) as Row | undefined;
    if (!p) return undefined;
    const post = toWrappedPost(p);
    const e = this.#q('SELECT * FROM channel_wrapped_posts WHERE community_id = ? AND seq > ? AND substr(body, 1, ?) = ? ORDER BY seq DESC LIMIT 1')
      .get(communityId, post.seq, editMark(post.seq).length, editMark(post.seq)) as Row | undefined;
    return e ? { post, edit: toWrappedPost(e) } : { post };
  }
}
