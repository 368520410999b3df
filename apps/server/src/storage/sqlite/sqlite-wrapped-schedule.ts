import type Database from 'better-sqlite3';
import { SCHEDULED_BLOBS, type ScheduledTable, type WrappedScheduledRow, type WrappedScheduleStorage } from '../wrapped-schedule-storage.ts';
import { tooManyScheduled } from './sqlite-channel-schedule.ts';
import { statementCache } from './statement-cache.ts';

type Row = Record<string, unknown>;

// Row ↔ domain; the column shapes are the same in both dialects.
export function toWrappedScheduled(r: Row): WrappedScheduledRow {
  return {
    communityId: String(r['community_id']), scheduleId: String(r['schedule_id']), epoch: Number(r['epoch']), authorId: String(r['author_id']),
    authorDevice: String(r['author_device']), body: String(r['body']), publishAt: Number(r['publish_at']), createdAt: Number(r['created_at']),
  };
}

/** R192: a scheduled post's blobs in order (the blobs table, then placeholders for the community and the schedule id). */
export const BLOBS_SQL = (table: string, community: string, schedule: string): string =>
  `SELECT blob_id FROM ${table} WHERE community_id = ${community} AND schedule_id = ${schedule} ORDER BY position`;

/** R192: the table a post's blobs go to; undefined (none to write) for a table of text-only posts, which refuses a post naming any. */
export function heldBlobs(table: ScheduledTable, blobs: string | undefined, s: WrappedScheduledRow): string | undefined {
  if (!blobs && s.blobIds?.length) throw new Error(`${table}: scheduled posts here are text only`);
  return blobs;
}

export function withBlobIds(row: WrappedScheduledRow, blobs: Row[]): WrappedScheduledRow {
  return blobs.length ? { ...row, blobIds: blobs.map((b) => String(b['blob_id'])) } : row;
}

/** R188 (and R191's MLS-mode posts, in their own table of the same columns, text only) in the single node's SQLite database. */
export class SqliteWrappedSchedule implements WrappedScheduleStorage {
  readonly #db: Database.Database;
  readonly #q: (sql: string) => Database.Statement;
  readonly #table: ScheduledTable;
  readonly #blobs: string | undefined;

  constructor(db: Database.Database, table: ScheduledTable = 'channel_wrapped_scheduled') {
    this.#db = db;
    this.#table = table;
    this.#blobs = SCHEDULED_BLOBS[table];
    this.#q = statementCache(db);
  }

  async putScheduled(s: WrappedScheduledRow, maxPerChannel: number): Promise<void> {
    this.#db.transaction(() => {
      const others = Number((this.#q(`SELECT COUNT(*) AS n FROM ${this.#table} WHERE community_id = ? AND schedule_id <> ?`).get(s.communityId, s.scheduleId) as Row)['n']);
      if (others >= maxPerChannel) throw tooManyScheduled(maxPerChannel);
      this.#q(`INSERT INTO ${this.#table} (community_id, schedule_id, epoch, author_id, author_device, body, publish_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (community_id, schedule_id) DO UPDATE SET epoch = excluded.epoch, author_id = excluded.author_id, author_device = excluded.author_device,
          body = excluded.body, publish_at = excluded.publish_at, created_at = excluded.created_at`)
        .run(s.communityId, s.scheduleId, s.epoch, s.authorId, s.authorDevice, s.body, s.publishAt, s.createdAt);
      // R192: the post's files are held by it while it waits.
      const blobs = heldBlobs(this.#table, this.#blobs, s);
      if (!blobs) return;
      this.#q(`DELETE FROM ${blobs} WHERE community_id = ? AND schedule_id = ?`).run(s.communityId, s.scheduleId);
      (s.blobIds ?? []).forEach((blobId, i) => this.#q(`INSERT INTO ${blobs} (community_id, schedule_id, blob_id, position) VALUES (?, ?, ?, ?)
        ON CONFLICT DO NOTHING`).run(s.communityId, s.scheduleId, blobId, i));
    }).immediate();
  }

  /** R192: each row with the blobs it holds. */
  #withBlobs(rows: Row[]): WrappedScheduledRow[] {
    const blobs = this.#blobs;
    if (!blobs) return rows.map(toWrappedScheduled);
    return rows.map((r) => withBlobIds(toWrappedScheduled(r), (this.#q(BLOBS_SQL(blobs, '?', '?')).all(r['community_id'], r['schedule_id']) as Row[])));
  }

  async getScheduled(communityId: string, scheduleId: string): Promise<WrappedScheduledRow | undefined> {
    const r = this.#q(`SELECT * FROM ${this.#table} WHERE community_id = ? AND schedule_id = ?`).get(communityId, scheduleId) as Row | undefined;
    return r && this.#withBlobs([r])[0];
  }

  async listScheduled(communityId: string): Promise<WrappedScheduledRow[]> {
    return this.#withBlobs(this.#q(`SELECT * FROM ${this.#table} WHERE community_id = ? ORDER BY publish_at, schedule_id`).all(communityId) as Row[]);
  }

  async deleteScheduled(communityId: string, scheduleId: string): Promise<boolean> {
    return this.#q(`DELETE FROM ${this.#table} WHERE community_id = ? AND schedule_id = ?`).run(communityId, scheduleId).changes > 0;
  }

  async listDue(now: number, limit: number, after?: { publishAt: number; communityId: string; scheduleId: string }): Promise<WrappedScheduledRow[]> {
    const a = after ?? { publishAt: -1, communityId: '', scheduleId: '' };
    return this.#withBlobs(this.#q(`SELECT * FROM ${this.#table} WHERE publish_at <= ? AND (publish_at, community_id, schedule_id) > (?, ?, ?)
      ORDER BY publish_at, community_id, schedule_id LIMIT ?`).all(now, a.publishAt, a.communityId, a.scheduleId, limit) as Row[]);
  }
}
