import type Database from 'better-sqlite3';
import { JoinRequestStatus, ParleyError } from '@parley/protocol';
import type { JoinRequestRow, JoinRequestStorage } from '../join-request-storage.ts';
import { statementCache } from './statement-cache.ts';

type Row = Record<string, unknown>;

// Row ↔ domain for `community_join_requests`; the column shapes are the same in both dialects.
export function toJoinRequest(r: Row): JoinRequestRow {
  return {
    requestId: String(r['request_id']), communityId: String(r['community_id']), userId: String(r['user_id']),
    inviteToken: String(r['invite_token']), note: String(r['note']), status: JoinRequestStatus.parse(r['status']),
    createdAt: Number(r['created_at']), decidedBy: r['decided_by'] == null ? null : String(r['decided_by']),
    decidedAt: r['decided_at'] == null ? null : Number(r['decided_at']),
  };
}

export const INSERT_JOIN_REQUEST = (p: (n: number) => string) => `INSERT INTO community_join_requests
  (request_id, community_id, user_id, invite_token, note, status, created_at, decided_by, decided_at)
  VALUES (${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)}, ${p(6)}, ${p(7)}, ${p(8)}, ${p(9)})`;
export const joinRequestParams = (r: JoinRequestRow): unknown[] => [r.requestId, r.communityId, r.userId, r.inviteToken, r.note, r.status, r.createdAt, r.decidedBy, r.decidedAt];
export const fullMessage = (max: number) => `this community has ${max} requests to join waiting for an admin: ask again later`;

/** Join requests (R100-R101) in the single node's SQLite database. */
export class SqliteJoinRequests implements JoinRequestStorage {
  readonly #db: Database.Database;
  readonly #q: (sql: string) => Database.Statement;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#q = statementCache(db);
  }

  async addJoinRequest(request: JoinRequestRow, opts: { maxPending: number }): Promise<JoinRequestRow> {
    return this.#db.transaction(() => {
      const mine = this.#q("SELECT * FROM community_join_requests WHERE community_id = ? AND user_id = ? AND status = 'pending'").get(request.communityId, request.userId) as Row | undefined;
      if (mine) return toJoinRequest(mine);
      const n = Number((this.#q("SELECT COUNT(*) AS n FROM community_join_requests WHERE community_id = ? AND status = 'pending'").get(request.communityId) as Row)['n']);
      if (n >= opts.maxPending) throw new ParleyError('join_requests_full', fullMessage(opts.maxPending));
      this.#q(INSERT_JOIN_REQUEST(() => '?')).run(...joinRequestParams(request));
      return request;
    }).immediate();
  }

  async getJoinRequest(requestId: string): Promise<JoinRequestRow | undefined> {
    const r = this.#q('SELECT * FROM community_join_requests WHERE request_id = ?').get(requestId) as Row | undefined;
    return r && toJoinRequest(r);
  }

  async listPendingJoinRequests(communityId: string, limit: number): Promise<JoinRequestRow[]> {
    const rows = this.#q("SELECT * FROM community_join_requests WHERE community_id = ? AND status = 'pending' ORDER BY created_at, request_id LIMIT ?").all(communityId, limit) as Row[];
    return rows.map(toJoinRequest);
  }

  async listJoinRequestsOfUser(userId: string, limit: number): Promise<JoinRequestRow[]> {
    const rows = this.#q('SELECT * FROM community_join_requests WHERE user_id = ? ORDER BY created_at DESC, request_id DESC LIMIT ?').all(userId, limit) as Row[];
    return rows.map(toJoinRequest);
  }

  async closeJoinRequest(requestId: string, status: Exclude<JoinRequestStatus, 'pending'>, by: string, at: number): Promise<boolean> {
    return this.#db.transaction(() => {
      const r = this.#q("UPDATE community_join_requests SET status = ?, decided_by = ?, decided_at = ? WHERE request_id = ? AND status = 'pending' RETURNING invite_token")
        .get(status, by, at, requestId) as Row | undefined;
      if (!r) return false;
      if (status === 'approved') this.#q('UPDATE community_invites SET uses = uses + 1 WHERE token = ?').run(r['invite_token']);
      return true;
    }).immediate();
  }

  async reopenJoinRequest(requestId: string): Promise<void> {
    this.#db.transaction(() => {
      const r = this.#q("UPDATE community_join_requests SET status = 'pending', decided_by = NULL, decided_at = NULL WHERE request_id = ? AND status = 'approved' RETURNING invite_token")
        .get(requestId) as Row | undefined;
      if (r) this.#q('UPDATE community_invites SET uses = MAX(0, uses - 1) WHERE token = ?').run(r['invite_token']);
    }).immediate();
  }
}
