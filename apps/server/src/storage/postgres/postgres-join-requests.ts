import type pg from 'pg';
import { ParleyError, type JoinRequestStatus } from '@parley/protocol';
import type { JoinRequestRow, JoinRequestStorage } from '../join-request-storage.ts';
import { INSERT_JOIN_REQUEST, fullMessage, joinRequestParams, toJoinRequest } from '../sqlite/sqlite-join-requests.ts';
import { inTransaction } from './transaction.ts';

type Row = Record<string, unknown>;

/**
 * Join requests (R100-R101) in the cluster's PostgreSQL database. Adding one locks the community's
 * row, so the pending count holds across nodes; the partial unique index keeps one pending per person.
 */
export class PostgresJoinRequests implements JoinRequestStorage {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async #rows(sql: string, params: unknown[]): Promise<Row[]> {
    return (await this.#pool.query<Row>(sql, params)).rows;
  }

  async addJoinRequest(request: JoinRequestRow, opts: { maxPending: number }): Promise<JoinRequestRow> {
    return inTransaction(this.#pool, async (c) => {
      await c.query('SELECT 1 FROM communities WHERE community_id = $1 FOR UPDATE', [request.communityId]);
      const mine = (await c.query<Row>("SELECT * FROM community_join_requests WHERE community_id = $1 AND user_id = $2 AND status = 'pending'", [request.communityId, request.userId])).rows[0];
      if (mine) return toJoinRequest(mine);
      const n = Number((await c.query<Row>("SELECT COUNT(*) AS n FROM community_join_requests WHERE community_id = $1 AND status = 'pending'", [request.communityId])).rows[0]?.['n'] ?? 0);
      if (n >= opts.maxPending) throw new ParleyError('join_requests_full', fullMessage(opts.maxPending));
      await c.query(INSERT_JOIN_REQUEST((i) => `$${i}`), joinRequestParams(request));
      return request;
    });
  }

  async getJoinRequest(requestId: string): Promise<JoinRequestRow | undefined> {
    const r = (await this.#rows('SELECT * FROM community_join_requests WHERE request_id = $1', [requestId]))[0];
    return r && toJoinRequest(r);
  }

  async listPendingJoinRequests(communityId: string, limit: number): Promise<JoinRequestRow[]> {
    return (await this.#rows("SELECT * FROM community_join_requests WHERE community_id = $1 AND status = 'pending' ORDER BY created_at, request_id LIMIT $2", [communityId, limit])).map(toJoinRequest);
  }

  async listJoinRequestsOfUser(userId: string, limit: number): Promise<JoinRequestRow[]> {
    return (await this.#rows('SELECT * FROM community_join_requests WHERE user_id = $1 ORDER BY created_at DESC, request_id DESC LIMIT $2', [userId, limit])).map(toJoinRequest);
  }

  async closeJoinRequest(requestId: string, status: Exclude<JoinRequestStatus, 'pending'>, by: string, at: number): Promise<boolean> {
    return inTransaction(this.#pool, async (c) => {
      const r = (await c.query<Row>("UPDATE community_join_requests SET status = $2, decided_by = $3, decided_at = $4 WHERE request_id = $1 AND status = 'pending' RETURNING invite_token",
        [requestId, status, by, at])).rows[0];
      if (!r) return false;
      if (status === 'approved') await c.query('UPDATE community_invites SET uses = uses + 1 WHERE token = $1', [r['invite_token']]);
      return true;
    });
  }

  async reopenJoinRequest(requestId: string): Promise<void> {
    await inTransaction(this.#pool, async (c) => {
      const r = (await c.query<Row>("UPDATE community_join_requests SET status = 'pending', decided_by = NULL, decided_at = NULL WHERE request_id = $1 AND status = 'approved' RETURNING invite_token",
        [requestId])).rows[0];
      if (r) await c.query('UPDATE community_invites SET uses = GREATEST(0, uses - 1) WHERE token = $1', [r['invite_token']]);
    });
  }
}
