import assert from 'node:assert/strict';
import { MessageChannel } from 'node:worker_threads';
import { describe, test } from 'node:test';
import { isMlsSessionError, MlsGroupSession, RemoteMlsEngine, serveMlsEngine, type EnginePort, type MemberIdentity } from './index.ts';
import { newDevice, utf8 } from './test-fixtures.ts';

/** A worker's seam without the worker: both ends of a MessageChannel, so every value crosses a structured clone. */
function remoteEngine(): { engine: RemoteMlsEngine; close(): void } {
  const { port1, port2 } = new MessageChannel();
  serveMlsEngine(port1 as unknown as EnginePort);
  return { engine: new RemoteMlsEngine(port2 as unknown as EnginePort), close: () => { port1.close(); port2.close(); } };
}

describe('RemoteMlsEngine (MLS off the page\'s main thread)', () => {
  test('a device whose groups live behind the seam joins, decrypts, follows a commit, encrypts, and its state resumes in-thread', async () => {
    const { engine, close } = remoteEngine();
    try {
      const [alice, bob] = await Promise.all([newDevice('alice'), newDevice('bob')]);
      const a = await MlsGroupSession.create(alice.identity, utf8('chat_remote'));
      const { commit, welcome } = await a.addMembers([bob.keyPackages[0]!.keyPackage]);
      await a.processHandshake(commit);
      const asked: MemberIdentity[] = [];
      const { session: b, usedKeyPackageRef } = await engine.join(bob.identity, welcome, bob.keyPackages, {
        authenticate: async (m) => { asked.push(m); return true; },
      });
      assert.deepEqual(usedKeyPackageRef, bob.keyPackages[0]!.ref);
      assert.ok(asked.some((m) => m.userId === 'alice'), 'the page\'s authenticate was asked about the leaves');
      assert.deepEqual(b.members().map((m) => m.userId).sort(), ['alice', 'bob']);
      assert.equal(b.epoch, a.epoch);

      const got = await b.decrypt(await a.encrypt(utf8('hello')));
      assert.equal(new TextDecoder().decode(got.plaintext), 'hello');
      assert.equal(got.sender.userId, 'alice');

      const { commit: update } = await a.update();
      await a.processHandshake(update);
      const outcome = await b.processHandshake(update);
      assert.equal(outcome.committer, 'member');
      assert.equal(b.epoch, a.epoch, 'the page\'s copy of the epoch moved with the worker\'s group');

      const back = await a.decrypt(await b.encrypt(utf8('hi back')));
      assert.equal(new TextDecoder().decode(back.plaintext), 'hi back');

      const resumed = await MlsGroupSession.deserialize(await b.serialize());
      assert.equal(resumed.epoch, a.epoch);

      await assert.rejects(b.decrypt(utf8('not an MLS message')), (e) => isMlsSessionError(e) && typeof e.code === 'string');
      const stats = await engine.stats();
      assert.equal(stats['join'], 1);
      assert.equal(stats['processHandshake'], 1);
      assert.equal(stats['decrypt'], 2);
    } finally {
      close();
    }
  });

  test('a worker that is gone fails the calls waiting and every later one, instead of leaving them waiting', async () => {
    const { port1, port2 } = new MessageChannel(); // nobody serves port1
    const engine = new RemoteMlsEngine(port2 as unknown as EnginePort);
    const alice = await newDevice('alice');
    const waiting = engine.create(alice.identity, utf8('chat_gone'), {}, 0n);
    engine.fail(new Error('the MLS worker failed'));
    await assert.rejects(waiting, /the MLS worker failed/);
    await assert.rejects(engine.deserialize(utf8('x'), {}), /the MLS worker failed/);
    port1.close();
    port2.close();
  });

  test('a leaf the page\'s authenticate refuses keeps the device out, as in-thread', async () => {
    const { engine, close } = remoteEngine();
    try {
      const [alice, bob] = await Promise.all([newDevice('alice'), newDevice('bob')]);
      const a = await MlsGroupSession.create(alice.identity, utf8('chat_remote_refused'));
      const { commit, welcome } = await a.addMembers([bob.keyPackages[0]!.keyPackage]);
      await a.processHandshake(commit);
      await assert.rejects(engine.join(bob.identity, welcome, bob.keyPackages, { authenticate: async (m) => m.userId !== 'alice' }), (e) => isMlsSessionError(e));
    } finally {
      close();
    }
  });
});
