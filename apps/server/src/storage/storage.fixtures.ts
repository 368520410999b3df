import assert from 'node:assert/strict';
import { ParleyError, type ErrorCode, type SystemEvent } from '@parley/protocol';
import type { AppendRequest, ChatRow, DeviceRow, MemberRow, PushSubscriptionRow, Storage, UserRow } from './storage.ts';

/** Rows and seeds the Storage contract (storage.suite.ts) builds its cases from. */

export const T0 = 1_700_000_000_000;

export const uid = (name: string): string => `user_${name}`.padEnd(8, '_');
export const did = (name: string, n: number): string => `dev_${name}_${n}`;
export const hash = (token: string): string => `sha256_${token}`;

export function user(name: string): UserRow {
  return { userId: uid(name), handle: name, displayName: name.toUpperCase(), createdAt: T0, recoveryHash: `salt_${name}:hash` };
}

export function device(name: string, n: number): DeviceRow {
  return { deviceId: did(name, n), userId: uid(name), name: `${name}'s device ${n}`, publicKey: `key_${name}_${n}`, createdAt: T0 + n, lastSeenAt: null, revokedAt: null };
}

export function session(token: string, name: string, n: number) {
  return { tokenHash: hash(token), deviceId: did(name, n), userId: uid(name), createdAt: T0, expiresAt: T0 + 86_400_000 };
}

export function push(endpoint: string, name: string, n: number): PushSubscriptionRow {
  return { endpoint, userId: uid(name), deviceId: did(name, n), p256dh: `p256_${name}`, auth: `auth_${name}`, createdAt: T0 };
}

export function group(chatId: string): ChatRow {
  return { chatId, kind: 'group', name: chatId, color: '#336699', createdAt: T0, lastSeq: 0, mlsEpoch: 0, directKey: null };
}

export function direct(chatId: string, directKey: string): ChatRow {
  return { chatId, kind: 'direct', name: '', color: '#336699', createdAt: T0, lastSeq: 0, mlsEpoch: 0, directKey };
}

export function member(chatId: string, name: string, role: MemberRow['role'] = 'member'): MemberRow {
  return { chatId, userId: uid(name), role, joinedAt: T0, deliveredSeq: 0, readSeq: 0, adminSince: role === 'member' ? null : T0 };
}

export function sys(chatId: string, sender: string, clientMsgId: string, system: SystemEvent): AppendRequest {
  return { chatId, clientMsgId: clientMsgId.padEnd(8, '_'), senderUserId: uid(sender), senderDeviceId: did(sender, 1), sentAt: T0 + 100, envelope: null, system };
}

export const created = (chatId: string, owner: string): AppendRequest => sys(chatId, owner, 'created', { kind: 'created', name: chatId });

export function text(chatId: string, sender: string, clientMsgId: string, body = clientMsgId): AppendRequest {
  const payload = Buffer.from(JSON.stringify({ text: body })).toString('base64');
  return { ...sys(chatId, sender, clientMsgId, { kind: 'renamed', name: '' }), envelope: { contentType: 'parley/plain+json', payload }, system: null };
}

export async function seedUsers(s: Storage, ...names: string[]): Promise<void> {
  for (const name of names) await s.createUser(user(name), device(name, 1));
}

export async function seedChat(s: Storage, chatId: string, names: string[]): Promise<void> {
  await s.createChat(group(chatId), names.map((n, i) => member(chatId, n, i === 0 ? 'owner' : 'member')), created(chatId, names[0] ?? 'alice'));
}

export async function rejectsWith(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof ParleyError, `expected ParleyError(${code}), got ${String(err)}`);
    assert.equal(err.code, code);
    return true;
  });
}

export function sortBy<T>(items: T[], key: (item: T) => string): T[] {
  return [...items].sort((a, b) => key(a).localeCompare(key(b)));
}
