import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ParleyError } from '@parley/protocol';
import { callRingStorageSuite } from './call-ring-storage.suite.ts';
import { keyLogStorageSuite } from './key-log-storage.suite.ts';
import { mlsStorageSuite } from './mls-storage.suite.ts';
import type { Storage, UserRow } from './storage.ts';
import { T0, uid, did, hash, user, device, session, push, group, direct, member, sys, created, text, seedUsers, seedChat, rejectsWith, sortBy } from './storage.fixtures.ts';

/**
 * The contract of `Storage`, run against every implementation (SQLite and PostgreSQL).
 * `open` must return a fresh, empty, migrated storage each time; the suite closes it after each test.
 */
export function storageSuite(name: string, open: () => Promise<Storage>): void {
  describe(`${name}: Storage contract`, () => {
    let s: Storage;
    beforeEach(async () => {
      s = await open();
    });
    afterEach(async () => {
      await s.close();
    });

    describe('users and devices', () => {
      it('createUser stores the user and its first device', async () => {
        await s.createUser(user('alice'), device('alice', 1));
        assert.deepEqual(await s.getUser(uid('alice')), user('alice'));
        assert.deepEqual(await s.getDevice(did('alice', 1)), device('alice', 1));
        assert.equal(await s.getUser(uid('nobody')), undefined);
        assert.equal(await s.getDevice(did('nobody', 1)), undefined);
      });

      it('getUserByHandle finds a user by handle and nothing for an unknown handle', async () => {
        await s.createUser(user('alice'), device('alice', 1));
        assert.deepEqual(await s.getUserByHandle('alice'), user('alice'));
        assert.equal(await s.getUserByHandle('bob'), undefined);
      });

      it('a taken handle is rejected with handle_taken and writes nothing', async () => {
        await s.createUser(user('alice'), device('alice', 1));
        const impostor: UserRow = { ...user('other'), handle: 'alice' };
        await rejectsWith(s.createUser(impostor, device('other', 1)), 'handle_taken');
        assert.equal(await s.getUser(uid('other')), undefined);
        assert.equal(await s.getDevice(did('other', 1)), undefined);
      });

      it('getUsers returns the known users among the ids, and none for an empty list', async () => {
        await seedUsers(s, 'alice', 'bob', 'carol');
        const found = await s.getUsers([uid('carol'), uid('alice'), uid('nobody')]);
        assert.deepEqual(sortBy(found, (u) => u.userId), [user('alice'), user('carol')]);
        assert.deepEqual(await s.getUsers([]), []);
      });

      it('setRecoveryHash replaces the recovery hash', async () => {
        await s.createUser(user('alice'), device('alice', 1));
        await s.setRecoveryHash(uid('alice'), 'newsalt:newhash');
        assert.equal((await s.getUser(uid('alice')))?.recoveryHash, 'newsalt:newhash');
      });

      it('listDevices returns every device of the user, oldest first, and only theirs', async () => {
        await seedUsers(s, 'alice', 'bob');
        await s.addDevice(device('alice', 2));
        assert.deepEqual(await s.listDevices(uid('alice')), [device('alice', 1), device('alice', 2)]);
        assert.deepEqual(await s.listDevices(uid('nobody')), []);
      });

      it('touchDevice records when the device was last seen', async () => {
        await seedUsers(s, 'alice');
        await s.touchDevice(did('alice', 1), T0 + 500);
        assert.equal((await s.getDevice(did('alice', 1)))?.lastSeenAt, T0 + 500);
      });

      it('revokeDevice marks the device revoked and deletes its sessions and push subscriptions, not others', async () => {
        await seedUsers(s, 'alice');
        await s.addDevice(device('alice', 2));
        await s.createSession(session('tok1', 'alice', 1));
        await s.createSession(session('tok2', 'alice', 2));
        await s.upsertPushSubscription(push('https://push.example/1', 'alice', 1), 5);
        await s.upsertPushSubscription(push('https://push.example/2', 'alice', 2), 5);

        await s.revokeDevice(did('alice', 1), T0 + 9);

        assert.equal((await s.getDevice(did('alice', 1)))?.revokedAt, T0 + 9);
        assert.equal((await s.getDevice(did('alice', 2)))?.revokedAt, null);
        assert.equal(await s.getSession(hash('tok1')), undefined);
        assert.deepEqual(await s.getSession(hash('tok2')), session('tok2', 'alice', 2));
        assert.deepEqual(await s.listPushSubscriptions(uid('alice')), [push('https://push.example/2', 'alice', 2)]);
      });

      it('revoking a device twice keeps the first revocation time', async () => {
        await seedUsers(s, 'alice');
        await s.revokeDevice(did('alice', 1), T0 + 1);
        await s.revokeDevice(did('alice', 1), T0 + 2);
        assert.equal((await s.getDevice(did('alice', 1)))?.revokedAt, T0 + 1);
      });
    });

    describe('sessions and passkeys', () => {
      it('a session is found by its token hash, and an unknown hash finds nothing', async () => {
        await seedUsers(s, 'alice');
        await s.createSession(session('tok1', 'alice', 1));
        assert.deepEqual(await s.getSession(hash('tok1')), session('tok1', 'alice', 1));
        assert.equal(await s.getSession(hash('nope')), undefined);
      });

      it('a passkey keeps its public key bytes and transports; its counter can be updated', async () => {
        await seedUsers(s, 'alice');
        const passkey = {
          credentialId: 'cred_AbC-123', userId: uid('alice'), publicKey: new Uint8Array([0, 1, 2, 250, 255]),
          counter: 0, transports: ['internal', 'hybrid'], createdAt: T0,
        };
        await s.addPasskey(passkey);
        assert.deepEqual(await s.getPasskey('cred_AbC-123'), passkey);
        await s.updatePasskeyCounter('cred_AbC-123', 7);
        assert.equal((await s.getPasskey('cred_AbC-123'))?.counter, 7);
        assert.equal(await s.getPasskey('cred_unknown'), undefined);
      });
    });

    describe('chats and membership', () => {
      it('createChat writes the chat, its members and its first log entry at seq 1', async () => {
        await seedUsers(s, 'alice', 'bob');
        const first = await s.createChat(group('chat_one'), [member('chat_one', 'alice', 'owner'), member('chat_one', 'bob')], created('chat_one', 'alice'));
        assert.equal(first.seq, 1);
        assert.deepEqual(first.system, { kind: 'created', name: 'chat_one' });
        assert.deepEqual(await s.getChat('chat_one'), { ...group('chat_one'), lastSeq: 1 });
        assert.deepEqual(await s.getMessages('chat_one', { limit: 10 }), [first]);
        assert.deepEqual(sortBy(await s.getMembers('chat_one'), (m) => m.userId), [member('chat_one', 'alice', 'owner'), member('chat_one', 'bob')]);
        assert.deepEqual(await s.getMember('chat_one', uid('bob')), member('chat_one', 'bob'));
        assert.equal(await s.getMember('chat_one', uid('nobody')), undefined);
        assert.equal(await s.getChat('chat_none'), undefined);
      });

      it('getDirectChat finds a direct chat by its key and nothing for an unknown key', async () => {
        await seedUsers(s, 'alice', 'bob');
        const key = `${uid('alice')}:${uid('bob')}`;
        await s.createChat(direct('chat_dm', key), [member('chat_dm', 'alice'), member('chat_dm', 'bob')], created('chat_dm', 'alice'));
        assert.deepEqual(await s.getDirectChat(key), { ...direct('chat_dm', key), lastSeq: 1 });
        assert.equal(await s.getDirectChat(`${uid('alice')}:${uid('carol')}`), undefined);
      });

      it('createChat with a taken direct key rejects and writes nothing', async () => {
        await seedUsers(s, 'alice', 'bob');
        const key = `${uid('alice')}:${uid('bob')}`;
        await s.createChat(direct('chat_dm1', key), [member('chat_dm1', 'alice'), member('chat_dm1', 'bob')], created('chat_dm1', 'alice'));
        await assert.rejects(s.createChat(direct('chat_dm2', key), [member('chat_dm2', 'bob'), member('chat_dm2', 'alice')], created('chat_dm2', 'bob')));
        assert.equal(await s.getChat('chat_dm2'), undefined);
        assert.deepEqual(await s.getMembers('chat_dm2'), []);
        assert.deepEqual(await s.getMessages('chat_dm2', { limit: 10 }), []);
        assert.equal((await s.getDirectChat(key))?.chatId, 'chat_dm1');
      });

      it('listChatsForUser returns only the chats the user is a member of', async () => {
        await seedUsers(s, 'alice', 'bob', 'carol');
        await seedChat(s, 'chat_ab', ['alice', 'bob']);
        await seedChat(s, 'chat_bc', ['bob', 'carol']);
        assert.deepEqual((await s.listChatsForUser(uid('alice'))).map((c) => c.chatId), ['chat_ab']);
        assert.deepEqual((await s.listChatsForUser(uid('bob'))).map((c) => c.chatId).sort(), ['chat_ab', 'chat_bc']);
        assert.deepEqual(await s.listChatsForUser(uid('nobody')), []);
      });

      it('setMemberPrefs sets what it is given, leaves the rest, and the prefs go with the membership (R48)', async () => {
        await seedUsers(s, 'alice', 'bob');
        await seedChat(s, 'chat_p', ['alice', 'bob']);
        assert.equal((await s.getMember('chat_p', uid('alice')))?.prefs, undefined);
        assert.equal(await s.setMemberPrefs('chat_p', uid('alice'), { archived: true, mutedUntil: 2_000_000_000_000 }), true);
        assert.equal(await s.setMemberPrefs('chat_p', uid('alice'), { markedUnread: true }), true);
        assert.deepEqual((await s.getMember('chat_p', uid('alice')))?.prefs, { archived: true, mutedUntil: 2_000_000_000_000, markedUnread: true });
        assert.equal((await s.getMember('chat_p', uid('bob')))?.prefs, undefined, 'only hers');
        await s.setMemberPrefs('chat_p', uid('alice'), { archived: false, mutedUntil: 0 });
        assert.deepEqual((await s.getMembers('chat_p')).find((m) => m.userId === uid('alice'))?.prefs, { markedUnread: true });
        assert.equal(await s.setMemberPrefs('chat_p', uid('nobody'), { archived: true }), false);
        await s.applyChatChange('chat_p', { kind: 'remove_member', userId: uid('alice') }, sys('chat_p', 'bob', 'ev_rm', { kind: 'member_removed', userId: uid('alice') }));
        await s.applyChatChange('chat_p', { kind: 'add_member', member: member('chat_p', 'alice') }, sys('chat_p', 'bob', 'ev_add', { kind: 'member_added', userId: uid('alice') }));
        assert.equal((await s.getMember('chat_p', uid('alice')))?.prefs, undefined, 'a new membership starts plain');
      });

      it('listChatsForUser reads pages by chat id after a cursor (R40)', async () => {
        await seedUsers(s, 'alice', 'bob');
        for (const id of ['chat_e', 'chat_a', 'chat_d', 'chat_b', 'chat_c']) await seedChat(s, id, ['alice', 'bob']);
        await seedChat(s, 'chat_bb', ['bob']);
        const pages: string[][] = [];
        for (let after: string | undefined; ;) {
          const page = await s.listChatsForUser(uid('alice'), { afterChatId: after, limit: 2 });
          if (page.length === 0) break;
          pages.push(page.map((c) => c.chatId));
          after = page.at(-1)?.chatId;
        }
        assert.deepEqual(pages, [['chat_a', 'chat_b'], ['chat_c', 'chat_d'], ['chat_e']]);
      });
    });

    describe('applyChatChange', () => {
      beforeEach(async () => {
        await seedUsers(s, 'alice', 'bob', 'carol');
        await seedChat(s, 'chat_grp', ['alice', 'bob']);
      });

      it('add_member adds the member and appends its event at the next seq', async () => {
        const m = await s.applyChatChange('chat_grp', { kind: 'add_member', member: member('chat_grp', 'carol') }, sys('chat_grp', 'alice', 'ev1', { kind: 'member_added', userId: uid('carol') }));
        assert.equal(m.seq, 2);
        assert.deepEqual(m.system, { kind: 'member_added', userId: uid('carol') });
        assert.deepEqual(await s.getMember('chat_grp', uid('carol')), member('chat_grp', 'carol'));
        assert.deepEqual((await s.listChatsForUser(uid('carol'))).map((c) => c.chatId), ['chat_grp']);
        assert.deepEqual(await s.getMessages('chat_grp', { afterSeq: 1, limit: 10 }), [m]);
        assert.equal((await s.getChat('chat_grp'))?.lastSeq, 2);
      });

      it('remove_member removes the member and appends its event', async () => {
        const m = await s.applyChatChange('chat_grp', { kind: 'remove_member', userId: uid('bob') }, sys('chat_grp', 'alice', 'ev1', { kind: 'member_removed', userId: uid('bob') }));
        assert.equal(m.seq, 2);
        assert.equal(await s.getMember('chat_grp', uid('bob')), undefined);
        assert.deepEqual(await s.listChatsForUser(uid('bob')), []);
        assert.deepEqual(await s.getMessages('chat_grp', { afterSeq: 1, limit: 10 }), [m]);
      });

      it('set_role changes the role and appends its event', async () => {
        const m = await s.applyChatChange('chat_grp', { kind: 'set_role', userId: uid('bob'), role: 'admin', at: T0 + 5 }, sys('chat_grp', 'alice', 'ev1', { kind: 'role_changed', userId: uid('bob'), role: 'admin' }));
        assert.equal(m.seq, 2);
        assert.equal((await s.getMember('chat_grp', uid('bob')))?.role, 'admin');
        assert.deepEqual(await s.getMessages('chat_grp', { afterSeq: 1, limit: 10 }), [m]);
      });

      it('R42 adminSince starts when a member rises to admin, survives admin → owner, and ends with a demotion', async () => {
        const setRole = (role: 'owner' | 'admin' | 'member', at: number, id: string) =>
          s.applyChatChange('chat_grp', { kind: 'set_role', userId: uid('bob'), role, at }, sys('chat_grp', 'alice', id, { kind: 'role_changed', userId: uid('bob'), role }));
        const since = async () => (await s.getMember('chat_grp', uid('bob')))?.adminSince;
        assert.equal(await since(), null);
        await setRole('admin', T0 + 10, 'ev1');
        assert.equal(await since(), T0 + 10);
        await setRole('owner', T0 + 20, 'ev2');
        assert.equal(await since(), T0 + 10, 'still an admin without a break');
        await setRole('member', T0 + 30, 'ev3');
        assert.equal(await since(), null);
        await setRole('admin', T0 + 40, 'ev4');
        assert.equal(await since(), T0 + 40, 'a new promotion starts again');
        assert.equal((await s.getMember('chat_grp', uid('alice')))?.adminSince, T0, 'the owner as created');
      });

      it('R42 a removal by an admin is recorded (the latest one); a leave is not', async () => {
        assert.equal(await s.getRemoval('chat_grp', uid('bob')), undefined);
        await s.applyChatChange('chat_grp', { kind: 'remove_member', userId: uid('bob'), removal: { by: uid('alice'), at: T0 + 7 } }, sys('chat_grp', 'alice', 'ev1', { kind: 'member_removed', userId: uid('bob') }));
        assert.equal(await s.getRemoval('chat_grp', uid('bob')), T0 + 7);
        await s.applyChatChange('chat_grp', { kind: 'add_member', member: member('chat_grp', 'bob') }, sys('chat_grp', 'alice', 'ev2', { kind: 'member_added', userId: uid('bob') }));
        await s.applyChatChange('chat_grp', { kind: 'remove_member', userId: uid('bob'), removal: { by: uid('alice'), at: T0 + 9 } }, sys('chat_grp', 'alice', 'ev3', { kind: 'member_removed', userId: uid('bob') }));
        assert.equal(await s.getRemoval('chat_grp', uid('bob')), T0 + 9);
        await s.applyChatChange('chat_grp', { kind: 'add_member', member: member('chat_grp', 'carol') }, sys('chat_grp', 'alice', 'ev4', { kind: 'member_added', userId: uid('carol') }));
        await s.applyChatChange('chat_grp', { kind: 'remove_member', userId: uid('carol') }, sys('chat_grp', 'carol', 'ev5', { kind: 'member_left', userId: uid('carol') }));
        assert.equal(await s.getRemoval('chat_grp', uid('carol')), undefined);
      });

      it('update_chat changes only the fields it names and appends its event', async () => {
        await s.applyChatChange('chat_grp', { kind: 'update_chat', name: 'Renamed' }, sys('chat_grp', 'alice', 'ev1', { kind: 'renamed', name: 'Renamed' }));
        assert.deepEqual(await s.getChat('chat_grp'), { ...group('chat_grp'), name: 'Renamed', lastSeq: 2 });
        await s.applyChatChange('chat_grp', { kind: 'update_chat', color: '#00ff00' }, sys('chat_grp', 'alice', 'ev2', { kind: 'recolored', color: '#00ff00' }));
        assert.deepEqual(await s.getChat('chat_grp'), { ...group('chat_grp'), name: 'Renamed', color: '#00ff00', lastSeq: 3 });
        assert.deepEqual((await s.getMessages('chat_grp', { afterSeq: 1, limit: 10 })).map((m) => m.system?.kind), ['renamed', 'recolored']);
      });

      it('a mutation that fails appends no event', async () => {
        // bob is already a member: the insert fails, so the log must not record his addition.
        await assert.rejects(s.applyChatChange('chat_grp', { kind: 'add_member', member: member('chat_grp', 'bob') }, sys('chat_grp', 'alice', 'ev1', { kind: 'member_added', userId: uid('bob') })));
        assert.equal((await s.getChat('chat_grp'))?.lastSeq, 1);
        assert.deepEqual(await s.getMessages('chat_grp', { afterSeq: 1, limit: 10 }), []);
        const next = await s.appendMessages([text('chat_grp', 'alice', 'msg1')]);
        assert.equal(next[0]?.message.seq, 2);
      });

      it('a change to an unknown chat is rejected with chat_not_found', async () => {
        await rejectsWith(s.applyChatChange('chat_none', { kind: 'update_chat', name: 'x' }, sys('chat_none', 'alice', 'ev1', { kind: 'renamed', name: 'x' })), 'chat_not_found');
      });
    });

    describe('receipts and unread counts', () => {
      beforeEach(async () => {
        await seedUsers(s, 'alice', 'bob');
        await seedChat(s, 'chat_ab', ['alice', 'bob']);
      });

      it('receipts only move forward', async () => {
        assert.equal(await s.updateReceipt('chat_ab', uid('bob'), 'delivered', 5), true);
        assert.equal(await s.updateReceipt('chat_ab', uid('bob'), 'delivered', 5), false);
        assert.equal(await s.updateReceipt('chat_ab', uid('bob'), 'delivered', 3), false);
        assert.equal((await s.getMember('chat_ab', uid('bob')))?.deliveredSeq, 5);
        assert.equal(await s.updateReceipt('chat_ab', uid('bob'), 'delivered', 6), true);
        assert.equal((await s.getMember('chat_ab', uid('bob')))?.deliveredSeq, 6);
      });

      it('delivered and read pointers are independent, and per member', async () => {
        assert.equal(await s.updateReceipt('chat_ab', uid('bob'), 'read', 4), true);
        const bob = await s.getMember('chat_ab', uid('bob'));
        assert.equal(bob?.readSeq, 4);
        assert.equal(bob?.deliveredSeq, 0);
        assert.equal((await s.getMember('chat_ab', uid('alice')))?.readSeq, 0);
      });

      it('a receipt of a non-member changes nothing', async () => {
        assert.equal(await s.updateReceipt('chat_ab', uid('nobody'), 'read', 4), false);
        assert.equal(await s.updateReceipt('chat_none', uid('bob'), 'read', 4), false);
      });

      it('countUnread counts messages after the pointer, excluding own messages and system events', async () => {
        // seq 1 is the 'created' system event
        await s.appendMessages([
          text('chat_ab', 'alice', 'm2'), text('chat_ab', 'bob', 'm3'), text('chat_ab', 'alice', 'm4'),
          sys('chat_ab', 'alice', 'm5', { kind: 'renamed', name: 'x' }), text('chat_ab', 'alice', 'm6'),
        ]);
        assert.equal(await s.countUnread('chat_ab', uid('bob'), 0), 3);
        assert.equal(await s.countUnread('chat_ab', uid('bob'), 4), 1);
        assert.equal(await s.countUnread('chat_ab', uid('bob'), 6), 0);
        assert.equal(await s.countUnread('chat_ab', uid('alice'), 0), 1);
      });
    });

    describe('appendMessages', () => {
      beforeEach(async () => {
        await seedUsers(s, 'alice', 'bob');
        await seedChat(s, 'chat_a', ['alice', 'bob']);
        await seedChat(s, 'chat_b', ['alice', 'bob']);
      });

      it('R3 seqs run 1, 2, 3… with no gaps across batches', async () => {
        const one = await s.appendMessages([text('chat_a', 'alice', 'm1'), text('chat_a', 'bob', 'm2')]);
        const two = await s.appendMessages([text('chat_a', 'alice', 'm3')]);
        assert.deepEqual([...one, ...two].map((r) => [r.message.seq, r.duplicate]), [[2, false], [3, false], [4, false]]);
        assert.deepEqual((await s.getMessages('chat_a', { limit: 100 })).map((m) => m.seq), [1, 2, 3, 4]);
        assert.equal((await s.getChat('chat_a'))?.lastSeq, 4);
      });

      it('R3 one batch across many chats gives each chat its own contiguous seqs', async () => {
        const ids = Array.from({ length: 20 }, (_, i) => `chat_many_${i}`);
        for (const id of ids) await seedChat(s, id, ['alice']);
        const batch = ids.flatMap((id) => [text(id, 'alice', 'x1'), text(id, 'alice', 'x2')]).concat(ids.map((id) => text(id, 'alice', 'x3')));
        const results = await s.appendMessages(batch);
        assert.equal(results.length, batch.length);
        results.forEach((r, i) => assert.equal(r.message.clientMsgId, batch[i]?.clientMsgId));
        for (const id of ids) {
          assert.deepEqual(results.filter((r) => r.message.chatId === id).map((r) => r.message.seq), [2, 3, 4]);
          assert.deepEqual((await s.getMessages(id, { limit: 10 })).map((m) => m.seq), [1, 2, 3, 4]);
        }
      });

      it('an empty batch appends nothing', async () => {
        assert.deepEqual(await s.appendMessages([]), []);
        assert.equal((await s.getChat('chat_a'))?.lastSeq, 1);
      });

      it('R1 a repeated client message id returns the original with duplicate: true', async () => {
        const [original] = await s.appendMessages([text('chat_a', 'alice', 'm1', 'hello')]);
        const [again] = await s.appendMessages([{ ...text('chat_a', 'alice', 'm1', 'changed'), sentAt: T0 + 999 }]);
        assert.deepEqual(again, { message: original?.message, duplicate: true });
        assert.equal((await s.getChat('chat_a'))?.lastSeq, 2);
        const [next] = await s.appendMessages([text('chat_a', 'alice', 'm2')]);
        assert.equal(next?.message.seq, 3);
      });

      it('R1 a client message id repeated within one batch is appended once', async () => {
        const results = await s.appendMessages([text('chat_a', 'alice', 'm1', 'one'), text('chat_a', 'alice', 'm2'), text('chat_a', 'alice', 'm1', 'two')]);
        assert.deepEqual(results.map((r) => [r.message.seq, r.duplicate]), [[2, false], [3, false], [2, true]]);
        assert.deepEqual(results[2]?.message, results[0]?.message);
        assert.equal((await s.getChat('chat_a'))?.lastSeq, 3);
      });

      it('R1 the same client message id from another sender or in another chat is a new entry', async () => {
        const results = await s.appendMessages([text('chat_a', 'alice', 'm1'), text('chat_a', 'bob', 'm1'), text('chat_b', 'alice', 'm1')]);
        assert.deepEqual(results.map((r) => [r.message.chatId, r.message.seq, r.duplicate]), [['chat_a', 2, false], ['chat_a', 3, false], ['chat_b', 2, false]]);
      });

      it('an unknown chat fails the whole batch with chat_not_found and commits none of it', async () => {
        await rejectsWith(s.appendMessages([text('chat_a', 'alice', 'm1'), text('chat_none', 'alice', 'm2'), text('chat_b', 'alice', 'm3')]), 'chat_not_found');
        assert.equal((await s.getChat('chat_a'))?.lastSeq, 1);
        assert.equal((await s.getChat('chat_b'))?.lastSeq, 1);
        assert.deepEqual(await s.getMessages('chat_a', { afterSeq: 1, limit: 10 }), []);
        // Nothing was burnt: the retry is not a duplicate and takes seq 2.
        const [retry] = await s.appendMessages([text('chat_a', 'alice', 'm1')]);
        assert.deepEqual([retry?.message.seq, retry?.duplicate], [2, false]);
      });

      it('an entry reads back exactly as the append returned it: envelope bytes, system event, sender, time', async () => {
        const bytes = Buffer.from([0, 1, 2, 3, 254, 255, 0, 10]).toString('base64');
        const results = await s.appendMessages([
          { ...text('chat_a', 'alice', 'm1'), envelope: { contentType: 'application/mls+octets', payload: bytes } },
          { ...text('chat_a', 'alice', 'm2'), envelope: { contentType: 'parley/plain+json', payload: '' } },
          sys('chat_a', 'bob', 'm3', { kind: 'role_changed', userId: uid('alice'), role: 'admin' }),
        ]);
        const stored = await s.getMessages('chat_a', { afterSeq: 1, limit: 10 });
        assert.deepEqual(stored, results.map((r) => r.message));
        assert.deepEqual(stored[0], {
          chatId: 'chat_a', seq: 2, clientMsgId: 'm1'.padEnd(8, '_'), senderUserId: uid('alice'), senderDeviceId: did('alice', 1),
          sentAt: T0 + 100, envelope: { contentType: 'application/mls+octets', payload: bytes }, system: null,
        });
        assert.deepEqual(stored[1]?.envelope, { contentType: 'parley/plain+json', payload: '' });
        assert.deepEqual(stored[2]?.system, { kind: 'role_changed', userId: uid('alice'), role: 'admin' });
        assert.equal(stored[2]?.envelope, null);
      });

      it('R83 a franking tag is kept on its entry, read back with it, and a duplicate keeps the first one', async () => {
        const tag = 'A'.repeat(43) + '=';
        assert.equal((await s.appendMessages([{ ...text('chat_a', 'alice', 'm1'), frank: tag }, text('chat_a', 'alice', 'm2')]))[0]?.message.frank, tag);
        const [again] = await s.appendMessages([{ ...text('chat_a', 'alice', 'm1'), frank: 'B'.repeat(43) + '=' }]);
        assert.deepEqual([again?.duplicate, again?.message.frank], [true, tag]);
        assert.deepEqual((await s.getMessages('chat_a', { afterSeq: 1, limit: 10 })).map((m) => m.frank), [tag, undefined]);
      });
    });

    describe('getMessages', () => {
      beforeEach(async () => {
        await seedUsers(s, 'alice');
        await seedChat(s, 'chat_a', ['alice']);
        await s.appendMessages(Array.from({ length: 9 }, (_, i) => text('chat_a', 'alice', `m${i + 2}`))); // seqs 2..10
      });
      const seqs = async (q: Parameters<Storage['getMessages']>[1]) => (await s.getMessages('chat_a', q)).map((m) => m.seq);

      it('without bounds it returns the oldest entries, ascending, up to limit', async () => {
        assert.deepEqual(await seqs({ limit: 3 }), [1, 2, 3]);
        assert.deepEqual(await seqs({ limit: 100 }), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      });

      it('afterSeq returns entries from afterSeq+1, ascending, up to limit', async () => {
        assert.deepEqual(await seqs({ afterSeq: 4, limit: 3 }), [5, 6, 7]);
        assert.deepEqual(await seqs({ afterSeq: 8, limit: 10 }), [9, 10]);
        assert.deepEqual(await seqs({ afterSeq: 10, limit: 10 }), []);
      });

      it('beforeSeq returns the newest entries below it, still in ascending order', async () => {
        assert.deepEqual(await seqs({ beforeSeq: 8, limit: 3 }), [5, 6, 7]);
        assert.deepEqual(await seqs({ beforeSeq: 3, limit: 10 }), [1, 2]);
        assert.deepEqual(await seqs({ beforeSeq: 1, limit: 10 }), []);
        assert.deepEqual(await seqs({ beforeSeq: 100, limit: 2 }), [9, 10]);
      });

      it('afterSeq and beforeSeq together bound both ends, keeping the newest', async () => {
        assert.deepEqual(await seqs({ afterSeq: 2, beforeSeq: 8, limit: 3 }), [5, 6, 7]);
        assert.deepEqual(await seqs({ afterSeq: 5, beforeSeq: 8, limit: 10 }), [6, 7]);
      });

      it('an unknown chat has no entries', async () => {
        assert.deepEqual(await s.getMessages('chat_none', { limit: 10 }), []);
      });
    });

    describe('invites', () => {
      it('an invite is found by its token, with or without an expiry and a use limit', async () => {
        await seedUsers(s, 'alice');
        await seedChat(s, 'chat_a', ['alice']);
        const forever = { token: 'invite_forever', chatId: 'chat_a', createdBy: uid('alice'), createdAt: T0, expiresAt: null, maxUses: null, uses: 0 };
        const brief = { ...forever, token: 'invite_brief', expiresAt: T0 + 60_000, maxUses: 3 };
        await s.createInvite(forever);
        await s.createInvite(brief);
        assert.deepEqual(await s.getInvite('invite_forever'), forever);
        assert.deepEqual(await s.getInvite('invite_brief'), brief);
        assert.equal(await s.getInvite('invite_unknown'), undefined);
      });

      it('R42 a chat\'s invites are listed newest first and deleted one by one, only from their own chat', async () => {
        await seedUsers(s, 'alice');
        await seedChat(s, 'chat_a', ['alice']);
        await seedChat(s, 'chat_b', ['alice']);
        const invite = (token: string, chatId: string, createdAt: number) => ({ token, chatId, createdBy: uid('alice'), createdAt, expiresAt: createdAt + 1000, maxUses: null, uses: 0 });
        await s.createInvite(invite('invite_old', 'chat_a', T0));
        await s.createInvite(invite('invite_new', 'chat_a', T0 + 5));
        await s.createInvite(invite('invite_bbb', 'chat_b', T0 + 9));
        assert.deepEqual((await s.listInvites('chat_a')).map((i) => i.token), ['invite_new', 'invite_old']);
        assert.equal(await s.deleteInvite('chat_b', 'invite_old'), false, 'another chat\'s invite is not deleted');
        assert.equal(await s.deleteInvite('chat_a', 'invite_old'), true);
        assert.equal(await s.deleteInvite('chat_a', 'invite_old'), false);
        assert.deepEqual((await s.listInvites('chat_a')).map((i) => i.token), ['invite_new']);
        assert.deepEqual(await s.listInvites('chat_none'), []);
      });

      it('R42 a join through an invite takes one use in its transaction; a used-up or deleted invite fails the join and writes nothing', async () => {
        await seedUsers(s, 'alice', 'bob', 'carol', 'dave');
        await seedChat(s, 'chat_a', ['alice']);
        await s.createInvite({ token: 'invite_two', chatId: 'chat_a', createdBy: uid('alice'), createdAt: T0, expiresAt: null, maxUses: 2, uses: 0 });
        const join = (name: string, token: string, id: string) => s.applyChatChange('chat_a',
          { kind: 'add_member', member: member('chat_a', name), invite: { token } }, sys('chat_a', name, id, { kind: 'member_joined', userId: uid(name) }));
        // Two at once for the last two uses, and one more: exactly two get in.
        const results = await Promise.allSettled([join('bob', 'invite_two', 'ev1'), join('carol', 'invite_two', 'ev2'), join('dave', 'invite_two', 'ev3')]);
        assert.equal(results.filter((r) => r.status === 'fulfilled').length, 2);
        const refused = results.find((r) => r.status === 'rejected');
        assert.equal(((refused as PromiseRejectedResult).reason as ParleyError).code, 'invite_invalid');
        assert.equal((await s.getInvite('invite_two'))?.uses, 2);
        assert.equal((await s.getMembers('chat_a')).length, 3);
        assert.equal((await s.getChat('chat_a'))?.lastSeq, 3, 'the refused join appended nothing');
        await rejectsWith(join('dave', 'invite_gone', 'ev4'), 'invite_invalid');
      });
    });

    describe('push subscriptions', () => {
      beforeEach(async () => {
        await seedUsers(s, 'alice', 'bob');
      });

      it('listPushSubscriptions returns the subscriptions of that user only', async () => {
        await s.upsertPushSubscription(push('https://push.example/a1', 'alice', 1), 5);
        await s.upsertPushSubscription(push('https://push.example/b1', 'bob', 1), 5);
        assert.deepEqual(await s.listPushSubscriptions(uid('alice')), [push('https://push.example/a1', 'alice', 1)]);
        assert.deepEqual(await s.listPushSubscriptions(uid('nobody')), []);
      });

      it('upserting a known endpoint replaces its keys and owner instead of adding a row', async () => {
        await s.upsertPushSubscription(push('https://push.example/a1', 'alice', 1), 5);
        const renewed = { ...push('https://push.example/a1', 'bob', 1), p256dh: 'newkey', auth: 'newauth' };
        await s.upsertPushSubscription(renewed, 5);
        assert.deepEqual(await s.listPushSubscriptions(uid('alice')), []);
        assert.deepEqual(await s.listPushSubscriptions(uid('bob')), [renewed]);
      });

      it('R37 a device keeps at most maxPerDevice subscriptions: a new one replaces its oldest, a renewed one counts as new', async () => {
        const at = (endpoint: string, n: number) => ({ ...push(endpoint, 'alice', 1), createdAt: T0 + n });
        for (let i = 1; i <= 5; i++) await s.upsertPushSubscription(at(`https://push.example/e${i}`, i), 5);
        await s.upsertPushSubscription(at('https://push.example/e1', 6), 5); // renewed: now the newest
        await s.upsertPushSubscription(at('https://push.example/e6', 7), 5); // sixth: e2 goes
        await s.upsertPushSubscription({ ...push('https://push.example/b1', 'bob', 1), createdAt: T0 + 8 }, 5);
        assert.deepEqual((await s.listPushSubscriptions(uid('alice'))).map((p) => p.endpoint).sort(),
          ['https://push.example/e1', 'https://push.example/e3', 'https://push.example/e4', 'https://push.example/e5', 'https://push.example/e6']);
        // The one just stored stays even when the clock gives it no later time than the others.
        await s.upsertPushSubscription(at('https://push.example/e0', 0), 2);
        assert.deepEqual((await s.listPushSubscriptions(uid('alice'))).map((p) => p.endpoint).sort(), ['https://push.example/e0', 'https://push.example/e6']);
        assert.equal((await s.listPushSubscriptions(uid('bob'))).length, 1, 'other devices keep theirs');
        // Concurrent subscriptions of one device still end at the cap.
        await Promise.all([10, 11, 12, 13, 14, 15].map((n) => s.upsertPushSubscription(at(`https://push.example/c${n}`, n), 3)));
        assert.equal((await s.listPushSubscriptions(uid('alice'))).length, 3);
      });

      it('deletePushSubscription removes that endpoint only, and an unknown endpoint is a no-op', async () => {
        await s.upsertPushSubscription(push('https://push.example/a1', 'alice', 1), 5);
        await s.upsertPushSubscription(push('https://push.example/a2', 'alice', 1), 5);
        await s.deletePushSubscription('https://push.example/a1');
        await s.deletePushSubscription('https://push.example/unknown');
        assert.deepEqual(await s.listPushSubscriptions(uid('alice')), [push('https://push.example/a2', 'alice', 1)]);
      });
    });

    describe('single-use challenges (R39)', () => {
      it('R39 redeemChallenge is true once per id, also when redemptions race', async () => {
        assert.equal(await s.redeemChallenge('challenge_a', T0 + 1000), true);
        assert.equal(await s.redeemChallenge('challenge_a', T0 + 1000), false);
        const raced = await Promise.all([1, 2, 3, 4].map(() => s.redeemChallenge('challenge_b', T0 + 1000)));
        assert.deepEqual(raced.filter(Boolean).length, 1);
      });

      it('R39 deleteRedeemedChallengesBefore forgets only the expired ones', async () => {
        await s.redeemChallenge('challenge_old', T0 + 10);
        await s.redeemChallenge('challenge_new', T0 + 20);
        assert.equal(await s.deleteRedeemedChallengesBefore(T0 + 15), 1);
        assert.equal(await s.deleteRedeemedChallengesBefore(T0 + 15), 0);
        assert.equal(await s.redeemChallenge('challenge_new', T0 + 20), false, 'not yet expired: still redeemed');
        assert.equal(await s.redeemChallenge('challenge_old', T0 + 10), true, 'forgotten after expiry');
      });
    });

    describe('deployment secrets', () => {
      it('getOrCreateSecret keeps the first value: later candidates, even concurrent ones, get the stored one', async () => {
        const first = await s.getOrCreateSecret('signing', new Uint8Array([1, 2, 3]));
        assert.deepEqual([...first], [1, 2, 3]);
        const raced = await Promise.all([4, 5, 6].map((b) => s.getOrCreateSecret('signing', new Uint8Array([b]))));
        for (const value of raced) assert.deepEqual([...value], [1, 2, 3]);
        assert.deepEqual([...(await s.getOrCreateSecret('other', new Uint8Array([9, 0, 255])))], [9, 0, 255]);
      });
    });

    describe('consent (R44)', () => {
      it('tells who shares a chat, counts a user\'s chats, and keeps requests, blocks and reports', async () => {
        await seedUsers(s, 'ann', 'ben', 'cid', 'dan');
        await seedChat(s, 'chat_ab_', ['ann', 'ben']);
        await seedChat(s, 'chat_cx_', ['cid']);
        assert.deepEqual([...(await s.sharingChats(uid('ann'), [uid('ben'), uid('cid'), uid('ann')]))].sort(), [uid('ann'), uid('ben')].sort());
        assert.deepEqual([await s.countChatsForUser(uid('ann')), await s.countChatsForUser(uid('dan'))], [1, 0]);
        const r = (id: string, chat: string, from: string, to: string, at: number) => ({ requestId: id, chatId: chat, fromUserId: uid(from), toUserId: uid(to), createdAt: T0 + at });
        await s.addChatRequests([r('req_1___', 'chat_cx_', 'cid', 'dan', 1), r('req_2___', 'chat_ab_', 'ann', 'dan', 2)]);
        await s.addChatRequests([r('req_dup_', 'chat_cx_', 'cid', 'dan', 3)]); // the same (chat, person): the first stays
        assert.deepEqual((await s.listChatRequestsTo(uid('dan'), 0, 10)).map((x) => x.requestId), ['req_1___', 'req_2___']);
        assert.deepEqual((await s.listChatRequestsTo(uid('dan'), T0 + 2, 10)).map((x) => x.requestId), ['req_2___'], 'older ones have expired');
        assert.equal(await s.countChatRequestsTo(uid('dan'), 0), 2);
        assert.deepEqual((await s.listChatRequestsFor('chat_cx_', 0)).map((x) => x.toUserId), [uid('dan')]);
        assert.deepEqual((await s.listChatRequestsBetween(uid('cid'), uid('dan'))).map((x) => x.requestId), ['req_1___']);
        assert.equal((await s.getChatRequest('req_2___'))?.fromUserId, uid('ann'));
        assert.equal(await s.deleteChatRequests(['req_2___', 'req_none']), 1);
        assert.equal(await s.getChatRequest('req_2___'), undefined);
        await s.addBlock(uid('dan'), uid('cid'), T0);
        await s.addBlock(uid('dan'), uid('cid'), T0 + 1);
        assert.deepEqual([await s.isBlocked(uid('dan'), uid('cid')), await s.isBlocked(uid('cid'), uid('dan'))], [true, false]);
        await s.addReport({ reportId: 'rep_1___', reporterUserId: uid('dan'), reportedUserId: uid('cid'), chatId: 'chat_cx_', reason: 'spam', note: null, createdAt: T0 + 5 });
        assert.deepEqual((await s.listReports(0, 10)).map((x) => [x.reportId, x.reason, x.chatId]), [['rep_1___', 'spam', 'chat_cx_']]);
      });
    });

    mlsStorageSuite(() => s);
    keyLogStorageSuite(() => s);
    callRingStorageSuite(() => s);

    describe('close', () => {
      it('close resolves, and closing again is harmless', async () => {
        await s.close();
        await s.close();
      });
    });
  });
}
