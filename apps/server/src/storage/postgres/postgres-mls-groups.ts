import type { DeviceKeyRow, MlsGroupStateRow, NextGroupState } from '../storage.ts';
import type pg from 'pg';

/** The queries behind commit checks (R35, R36) for PostgresStorage: group public states, device keys. */
type Queryable = pg.Pool | pg.PoolClient;

export async function getMlsGroupState(on: Queryable, chatId: string): Promise<MlsGroupStateRow | undefined> {
  const { rows } = await on.query<{ epoch: number; state: Buffer; started_at: number }>('SELECT epoch, state, started_at FROM mls_group_states WHERE chat_id = $1', [chatId]);
  const r = rows[0];
  return r && { epoch: r.epoch, state: new Uint8Array(r.state), startedAt: r.started_at };
}

/** Inside appendCommit's transaction (which holds the chat's row lock). */
export async function putMlsGroupState(on: Queryable, chatId: string, row: MlsGroupStateRow): Promise<void> {
  await on.query(`INSERT INTO mls_group_states (chat_id, epoch, state, started_at) VALUES ($1, $2, $3, $4)
    ON CONFLICT (chat_id) DO UPDATE SET epoch = excluded.epoch, state = excluded.state, started_at = excluded.started_at`,
  [chatId, row.epoch, Buffer.from(row.state), row.startedAt]);
}

/** Inside appendCommit's transaction: R35b, the state kept for the devices the commit added. */
export async function putMlsJoinState(on: Queryable, chatId: string, epoch: number, state: Uint8Array, keep: NonNullable<NextGroupState['forJoiners']>): Promise<void> {
  await on.query('DELETE FROM mls_join_states WHERE chat_id = $1 AND expires_at < $2', [chatId, keep.now]);
  await on.query('INSERT INTO mls_join_states (chat_id, epoch, state, expires_at) VALUES ($1, $2, $3, $4) ON CONFLICT (chat_id, epoch) DO NOTHING',
    [chatId, epoch, Buffer.from(state), keep.until]);
}

export async function getMlsJoinState(on: Queryable, chatId: string, epoch: number, now: number): Promise<Uint8Array | undefined> {
  const { rows } = await on.query<{ state: Buffer }>('SELECT state FROM mls_join_states WHERE chat_id = $1 AND epoch = $2 AND expires_at >= $3', [chatId, epoch, now]);
  return rows[0] && new Uint8Array(rows[0].state);
}

export async function getDeviceKeys(on: Queryable, userIds: readonly string[]): Promise<DeviceKeyRow[]> {
  if (userIds.length === 0) return [];
  const { rows } = await on.query<{ user_id: string; device_id: string; revoked_at: number | null; mls_signature_key: string | null }>(
    `SELECT d.user_id, d.device_id, d.revoked_at, k.mls_signature_key FROM devices d
      LEFT JOIN key_log k ON k.device_id = d.device_id AND k.kind = 'add'
      WHERE d.user_id = ANY($1) ORDER BY d.user_id, d.device_id`, [userIds]);
  return rows.map((r) => ({ userId: r.user_id, deviceId: r.device_id, revoked: r.revoked_at !== null, mlsSignatureKey: r.mls_signature_key }));
}

export async function devicesWithKeyPackages(on: Queryable, deviceIds: readonly string[], freshSince: number): Promise<string[]> {
  if (deviceIds.length === 0) return [];
  const { rows } = await on.query<{ device_id: string }>(
    'SELECT DISTINCT device_id FROM key_packages WHERE device_id = ANY($1) AND created_at >= $2 ORDER BY device_id', [deviceIds, freshSince]);
  return rows.map((r) => r.device_id);
}
