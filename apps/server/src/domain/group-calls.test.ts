import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ParleyError } from '@parley/protocol';
import type { ChatRow, DeviceRow, MemberRow } from '../storage/storage.ts';
import { GroupCalls, type GroupCallsDeps } from './group-calls.ts';
import { MemoryRateLimiter } from './memory-rate-limiter.ts';
import type { Sfu, SfuRoomRef, SfuRoomSpec } from './sfu.ts';

/** An SFU in memory, for the rules only (apps/server/test/calls-sfu.test.ts runs them on a real Janus). */
class FakeSfu implements Sfu {
  readonly core = new Set<string>();
  readonly rooms_ = new Map<number, { spec: SfuRoomSpec; allowed: Set<string>; participants: Set<number> }>();

  async ensureRoom(spec: SfuRoomSpec) {
    if (!this.rooms_.has(spec.room)) this.rooms_.set(spec.room, { spec, allowed: new Set(), participants: new Set() });
  }
  async grant(room: SfuRoomRef, token: string) {
    this.core.add(token);
    this.#room(room).allowed.add(token);
  }
  async revoke(room: SfuRoomRef | undefined, tokens: readonly string[]) {
    for (const t of tokens) {
      this.core.delete(t);
      if (room) this.rooms_.get(room.room)?.allowed.delete(t);
    }
  }
  async tokens() {
    return [...this.core];
  }
  async rooms() {
    return [...this.rooms_.values()].map((r) => ({ room: r.spec.room, label: r.spec.label }));
  }
  async roomTokens(room: SfuRoomRef) {
    return [...(this.rooms_.get(room.room)?.allowed ?? [])];
  }
  async participants(room: number) {
    return [...(this.rooms_.get(room)?.participants ?? [])];
  }
  async kick(room: SfuRoomRef, feedId: number) {
    this.rooms_.get(room.room)?.participants.delete(feedId);
  }
  async destroyRoom(room: SfuRoomRef) {
    this.rooms_.delete(room.room);
  }
  /** What Janus checks on a publisher's join: a core token, the room's list, a free id. */
  join(room: number, token: string, feedId: number): boolean {
    const r = this.rooms_.get(room);
    if (!r || !this.core.has(token) || !r.allowed.has(token)) return false;
    r.participants.add(feedId);
    return true;
  }
  #room(room: SfuRoomRef) {
    const r = this.rooms_.get(room.room);
    if (!r || r.spec.secret !== room.secret) throw new Error('no such room or wrong secret');
    return r;
  }
}

function world(opts: { sfu?: boolean } = {}) {
  let now = 1_800_000_000_000;
  const clock = { now: () => now };
  const chats = new Map<string, ChatRow>();
  const members: MemberRow[] = [];
  const devices: DeviceRow[] = [];
  const chat = (chatId: string, kind: 'group' | 'direct', userIds: string[]) => {
    chats.set(chatId, { chatId, kind, name: chatId, color: '#000', createdAt: 0, lastSeq: 0, mlsEpoch: 0, directKey: null } as ChatRow);
    for (const userId of userIds) members.push({ chatId, userId, role: 'member', joinedAt: 0, deliveredSeq: 0, readSeq: 0, adminSince: null });
  };
  const device = (userId: string, deviceId: string) => {
    devices.push({ deviceId, userId, name: deviceId, publicKey: '', createdAt: 0, lastSeenAt: null, revokedAt: null });
    return { userId, deviceId };
  };
  const sfu = new FakeSfu();
  const deps: GroupCallsDeps = {
    sfu: opts.sfu === false ? undefined : sfu,
    url: 'wss://sfu.example/janus', key: 'k'.repeat(32), maxParticipants: 50, tokenTtlMs: 3_600_000, perHour: 1000,
    storage: {
      getChat: async (id) => chats.get(id),
      getMember: async (chatId, userId) => members.find((m) => m.chatId === chatId && m.userId === userId),
      getMembers: async (chatId) => members.filter((m) => m.chatId === chatId),
      listDevices: async (userId) => devices.filter((d) => d.userId === userId),
      listChatsForUser: async (userId) => [...chats.values()].filter((c) => members.some((m) => m.chatId === c.chatId && m.userId === userId)),
    },
    limiter: new MemoryRateLimiter(clock),
    clock,
  };
  const calls = new GroupCalls(deps);
  return {
    calls, sfu, chat, device, members, devices,
    advance: (ms: number) => { now += ms; },
    removeMember: (chatId: string, userId: string) => members.splice(members.findIndex((m) => m.chatId === chatId && m.userId === userId), 1),
  };
}

const code = (c: string) => (err: unknown) => err instanceof ParleyError && err.code === c;

describe('group calls (R62) rules', () => {
  it('R62 a member of a group gets a token that joins its chat room only, at its own publisher id', async () => {
    const w = world();
    w.chat('g1', 'group', ['alice', 'bob']);
    w.chat('g2', 'group', ['bob']);
    const alice = w.device('alice', 'a1');
    const grant = await w.calls.room(alice, 'g1');
    assert.equal(grant.url, 'wss://sfu.example/janus');
    assert.equal(grant.feedId, w.calls.feedId('g1', 'a1'));
    const life = grant.expiresAt - 1_800_000_000_000;
    assert.ok(life >= 3_600_000 && life <= 7_200_000, `${life} ms`);
    assert.ok(w.sfu.join(grant.room, grant.token, grant.feedId));
    const other = await w.calls.room(w.device('bob', 'b1'), 'g2');
    assert.notEqual(other.room, grant.room);
    assert.equal(w.sfu.join(other.room, grant.token, grant.feedId), false, "alice's token does not open g2's room");
  });

  it('R62 a non-member, a direct chat and a server without SFU are refused', async () => {
    const w = world();
    w.chat('g1', 'group', ['alice']);
    w.chat('d1', 'direct', ['alice', 'bob']);
    const bob = w.device('bob', 'b1');
    await assert.rejects(w.calls.room(bob, 'g1'), code('not_member'));
    await assert.rejects(w.calls.room(bob, 'd1'), code('bad_request'));
    await assert.rejects(w.calls.room(bob, 'nope'), code('not_member'));
    assert.equal(w.sfu.rooms_.size, 0);
    const off = world({ sfu: false });
    off.chat('g1', 'group', ['alice']);
    await assert.rejects(off.calls.room(off.device('alice', 'a1'), 'g1'), code('calls_unavailable'));
  });

  it('R62 a removed member loses its tokens and is kicked; the others stay', async () => {
    const w = world();
    w.chat('g1', 'group', ['alice', 'bob']);
    const a = await w.calls.room(w.device('alice', 'a1'), 'g1');
    const b = await w.calls.room(w.device('bob', 'b1'), 'g1');
    w.sfu.join(a.room, a.token, a.feedId);
    w.sfu.join(b.room, b.token, b.feedId);
    w.removeMember('g1', 'bob');
    await w.calls.memberRemoved('g1', 'bob');
    assert.deepEqual(await w.sfu.participants(a.room), [a.feedId]);
    assert.equal(w.sfu.join(b.room, b.token, b.feedId), false);
    assert.ok(w.sfu.core.has(a.token));
  });

  it('R62 a revoked device is dropped from every room it was in', async () => {
    const w = world();
    w.chat('g1', 'group', ['alice']);
    w.chat('g2', 'group', ['alice']);
    const dev = w.device('alice', 'a1');
    const g1 = await w.calls.room(dev, 'g1');
    const g2 = await w.calls.room(dev, 'g2');
    w.sfu.join(g1.room, g1.token, g1.feedId);
    w.sfu.join(g2.room, g2.token, g2.feedId);
    w.devices[0]!.revokedAt = 1;
    await w.calls.deviceRevoked('alice', 'a1');
    assert.deepEqual(await w.sfu.participants(g1.room), []);
    assert.deepEqual(await w.sfu.participants(g2.room), []);
    assert.equal(w.sfu.core.size, 0);
  });

  it('R62 the sweep catches up a failed hook, kicks a wrong publisher id, expires tokens and destroys an empty room', async () => {
    const w = world();
    w.chat('g1', 'group', ['alice', 'bob']);
    const a = await w.calls.room(w.device('alice', 'a1'), 'g1');
    const b = await w.calls.room(w.device('bob', 'b1'), 'g1');
    w.sfu.join(a.room, a.token, a.feedId);
    w.sfu.join(b.room, b.token, 12345); // not the id it was given
    w.removeMember('g1', 'alice'); // and the hook never ran
    const first = await w.calls.sweep();
    assert.deepEqual(first, { tokensRemoved: 1, kicked: 2, roomsDestroyed: 0 });
    assert.equal(w.sfu.join(a.room, a.token, a.feedId), false);
    assert.ok(w.sfu.join(b.room, b.token, b.feedId), 'bob is still let in at his own id');
    w.advance(2 * 3_600_000);
    await w.sfu.kick({ room: b.room, secret: '' }, b.feedId); // bob hangs up
    const later = await w.calls.sweep();
    assert.equal(later.roomsDestroyed, 1);
    assert.equal(w.sfu.core.size, 0, 'expired tokens are gone from the core too');
    const again = await w.calls.room(w.device('bob', 'b2'), 'g1');
    assert.equal(again.room, a.room, 'the same chat gets the same room back');
  });

  it('R62 the sweep leaves tokens that are not Parley\'s alone', async () => {
    const w = world();
    w.sfu.core.add('operator-token');
    await w.calls.sweep();
    assert.ok(w.sfu.core.has('operator-token'));
  });
});
