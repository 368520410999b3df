import type Database from 'better-sqlite3';
import type { WrappedReadRow, WrappedReadStorage } from '../wrapped-read-storage.ts';
import { statementCache } from './statement-cache.ts';
import { IS_POST } from './sqlite-wrapped-responses.ts';

type Row = Record<string, unknown>;
// R161/R167/R184: IS_POST, an entry that is a post, is word for word the WHERE of the partial index `channel_wrapped_posts_unread` (039).
const LOG_END = '(SELECT COALESCE(MAX(seq), 0) FROM channel_wrapped_posts WHERE community_id = @c)';

/** R182 in the single node's SQLite database. */
export class SqliteWrappedReads implements WrappedReadStorage {
  readonly #db: Database.Database;
  readonly #q: (sql: string) => Database.Statement;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#q = statementCache(db);
  }

  async start(communityId: string, userId: string): Promise<void> {
    this.#q(`INSERT INTO channel_wrapped_reads (community_id, user_id, read_seq, muted) VALUES (@c, @u, ${LOG_END}, 0)
      ON CONFLICT (community_id, user_id) DO UPDATE SET read_seq = excluded.read_seq`).run({ c: communityId, u: userId });
  }

  async reads(userId: string, communityIds: readonly string[]): Promise<WrappedReadRow[]> {
    return this.#db.transaction(() => communityIds.map((communityId) => {
      const select = this.#q(`SELECT read_seq, muted, ${LOG_END} AS last_seq FROM channel_wrapped_reads WHERE community_id = @c AND user_id = @u`);
      let r = select.get({ c: communityId, u: userId }) as Row | undefined;
      if (!r) {
        // No position yet: the log's end (a write only then; a read of the chat list writes nothing).
        this.#q(`INSERT INTO channel_wrapped_reads (community_id, user_id, read_seq, muted) VALUES (@c, @u, ${LOG_END}, 0)
          ON CONFLICT (community_id, user_id) DO NOTHING`).run({ c: communityId, u: userId });
        r = select.get({ c: communityId, u: userId }) as Row;
      }
      const readSeq = Number(r['read_seq']);
      const unread = this.#q(`SELECT COUNT(*) AS n FROM channel_wrapped_posts WHERE community_id = @c AND seq > @r AND author_id <> @u AND ${IS_POST}`)
        .get({ c: communityId, r: readSeq, u: userId }) as Row;
      return { communityId, readSeq, lastSeq: Number(r['last_seq']), unread: Number(unread['n']), muted: Number(r['muted']) !== 0 };
    }))();
  }

  async markRead(communityId: string, userId: string, upToSeq: number): Promise<void> {
    this.#q(`INSERT INTO channel_wrapped_reads (community_id, user_id, read_seq, muted) VALUES (@c, @u, MIN(@x, ${LOG_END}), 0)
      ON CONFLICT (community_id, user_id) DO UPDATE SET read_seq = MAX(read_seq, excluded.read_seq)`).run({ c: communityId, u: userId, x: upToSeq });
  }

  async setMuted(communityId: string, userId: string, muted: boolean): Promise<void> {
    this.#q(`INSERT INTO channel_wrapped_reads (community_id, user_id, read_seq, muted) VALUES (@c, @u, ${LOG_END}, @x)
      ON CONFLICT (community_id, user_id) DO UPDATE SET muted = excluded.muted`).run({ c: communityId, u: userId, x: muted ? 1 : 0 });
  }

  async forget(communityId: string, userId: string): Promise<void> {
    this.#q('DELETE FROM channel_wrapped_reads WHERE community_id = ? AND user_id = ?').run(communityId, userId);
  }
}
