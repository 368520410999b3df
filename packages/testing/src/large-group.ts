import { randomBytes } from 'node:crypto';
import type { RunningServer } from '@parley/server';

/**
 * Issue 12: a group of `size` members written straight into a running server's storage, for
 * browser tests and benchmarks of large chats. `people` (real accounts: their devices sign in) come
 * first, `people[0]` the owner; the rest are rows only — "Resident 0001"… with one device each and
 * no key packages, so they are members the server lists but no device adds to the encryption group.
 * `joinLines`: that many "joined" lines in the log after its start (a big chat's log is mostly
 * those), for the message list to scroll. Returns the chat id. Devices already signed in read the chat on their next chat list (reload).
 */
export async function seedLargeGroup(server: Pick<RunningServer, 'services'>, opts: { size: number; people: readonly string[]; name?: string; joinLines?: number }): Promise<string> {
  const s = server.services.storage;
  const now = Date.now();
  const id = () => randomBytes(16).toString('base64url');
  const ids = [...opts.people];
  const pad = String(opts.size).length;
  for (let i = 1; ids.length < opts.size; i++) {
    const userId = id();
    const n = String(i).padStart(pad, '0');
    await s.createUser(
      { userId, handle: `resident_${n}_${userId.slice(0, 4).toLowerCase().replace(/[^a-z0-9]/g, 'x')}`, displayName: `Resident ${n}`, createdAt: now, recoveryHash: 'salt:hash' },
      { deviceId: id(), userId, name: 'phone', publicKey: `seeded_${n}`, createdAt: now, lastSeenAt: null, revokedAt: null },
    );
    ids.push(userId);
  }
  const chatId = id();
  const owner = ids[0];
  const ownerDevice = owner ? (await s.listDevices(owner))[0]?.deviceId : undefined;
  if (!owner || !ownerDevice) throw new Error('seedLargeGroup: people[0] must be an account with a device');
  await s.createChat(
    { chatId, kind: 'group', name: opts.name ?? '', color: '#4db6ac', createdAt: now, lastSeq: 0, mlsEpoch: 0, directKey: null },
    ids.map((userId, i) => ({ chatId, userId, role: i === 0 ? 'owner' : 'member', joinedAt: now, deliveredSeq: 0, readSeq: 0, adminSince: i === 0 ? now : null })),
    { chatId, clientMsgId: `sys_${id().slice(0, 12)}`, senderUserId: owner, senderDeviceId: ownerDevice, sentAt: now, envelope: null, system: { kind: 'created', name: opts.name ?? '' } },
  );
  const residents = ids.slice(opts.people.length, opts.people.length + (opts.joinLines ?? 0));
  for (let i = 0; i < residents.length; i += 500) {
    await s.appendMessages(await Promise.all(residents.slice(i, i + 500).map(async (userId, j) => ({
      chatId, clientMsgId: `sys_join_${i + j}`, senderUserId: userId, senderDeviceId: (await s.listDevices(userId))[0]?.deviceId ?? ownerDevice,
      sentAt: now + i + j + 1, envelope: null, system: { kind: 'member_joined' as const, userId },
    }))));
  }
  return chatId;
}
