import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createConnection, createServer } from 'node:net';
import { describe, it } from 'node:test';
import { connect } from 'nats';
import type { BusEvent } from './bus.ts';
import { busSuite } from './bus.suite.ts';
import { NatsBus } from './nats-bus.ts';

/** The shared NATS is only ever a client here, under a prefix of our own. */
const NATS_URL = process.env['PARLEY_TEST_NATS_URL'] ?? 'nats://127.0.0.1:4222';
const NATS_SERVER = '/usr/sbin/nats-server';
const run = `t${randomBytes(4).toString('hex')}`;
let n = 0;
const freshPrefix = (): string => `${run}x${++n}`;

async function openPair(servers: string, prefix = freshPrefix()) {
  const errors: unknown[] = [];
  const onError = (err: unknown) => errors.push(err);
  const a = await NatsBus.connect({ servers, prefix, name: `${prefix}-a`, onError });
  const b = await NatsBus.connect({ servers, prefix, name: `${prefix}-b`, onError });
  return {
    a,
    b,
    prefix,
    errors,
    // a→b needs a then b flushed; b→a needs b then a.
    sync: async () => {
      await a.flush();
      await b.flush();
      await a.flush();
    },
    close: async () => {
      await Promise.all([a.close(), b.close()]);
    },
  };
}

busSuite('NatsBus', async () => {
  const pair = await openPair(NATS_URL);
  return { ...pair, topicCount: (node) => (node as NatsBus).topicCount };
});

describe('NatsBus against NATS', { timeout: 15_000 }, () => {
  it('publish on a topic that is not a plain subject is refused (no wildcard subscriptions)', async () => {
    const p = await openPair(NATS_URL);
    try {
      for (const topic of ['chat.*', 'chat.>', 'chat..x', 'chat.a b', '', 'chat.']) {
        assert.throws(() => p.b.subscribe(topic, () => {}), TypeError, topic);
        await assert.rejects(p.a.publish(topic, { type: 'chat_changed', chatId: 'chat_xxxxx' }), TypeError, topic);
      }
      assert.equal(p.b.topicCount, 0);
    } finally {
      await p.close();
    }
  });

  it('garbage on a subscribed subject is reported to onError, ignored, and the bus keeps working', async () => {
    const p = await openPair(NATS_URL);
    const raw = await connect({ servers: NATS_URL });
    try {
      const got: BusEvent[] = [];
      p.b.subscribe('chat.chat_garbage', (e) => got.push(e));
      await p.sync();
      const subject = `${p.prefix}.chat.chat_garbage`;
      raw.publish(subject, new Uint8Array([0xff, 0x00, 0xfe, 0x7b]));
      raw.publish(subject, '{"type":"message","message":{"seq":"nope"}}');
      raw.publish(subject, '{"type":"unknown_type"}');
      raw.publish(subject, '');
      await raw.flush();
      await p.a.publish('chat.chat_garbage', { type: 'chat_changed', chatId: 'chat_garbage' });
      await p.sync();
      assert.deepEqual(got, [{ type: 'chat_changed', chatId: 'chat_garbage' }]);
      assert.equal(p.errors.length, 4);
      for (const err of p.errors) assert.match(String(err), /malformed event on .*chat\.chat_garbage/);
    } finally {
      await raw.close();
      await p.close();
    }
  });

  it('a peer that announces a reconnect makes this node resync (its events during the outage were lost)', async () => {
    const p = await openPair(NATS_URL);
    const raw = await connect({ servers: NATS_URL });
    try {
      let resyncs = 0;
      p.b.onResync(() => resyncs++);
      await p.sync();
      raw.publish(`${p.prefix}._bus.resync`);
      raw.publish(`${p.prefix}._bus.resync`);
      await raw.flush();
      await until(() => resyncs > 0, 'b resyncs');
      await sleep(300);
      assert.equal(resyncs, 1, 'a burst of announcements is one resync');
    } finally {
      await raw.close();
      await p.close();
    }
  });

  it('NATS restart: publish while down does not throw and reaches local subscribers; after the restart the bus resyncs and events flow again', async () => {
    const port = await freePort();
    const url = `nats://127.0.0.1:${port}`;
    let server = await startNats(port);
    const p = await openPair(url);
    try {
      const onA: BusEvent[] = [];
      const onB: BusEvent[] = [];
      p.a.subscribe('chat.chat_restart', (e) => onA.push(e));
      p.b.subscribe('chat.chat_restart', (e) => onB.push(e));
      let resyncA = 0;
      let resyncB = 0;
      p.a.onResync(() => resyncA++);
      p.b.onResync(() => resyncB++);
      await p.sync();
      await p.a.publish('chat.chat_restart', typing('user_before'));
      await p.sync();
      assert.deepEqual(onB, [typing('user_before')]);
      assert.equal(p.a.connected(), true);

      await stopNats(server);
      await until(() => p.errors.filter((e) => /disconnected/.test(String(e))).length >= 2, 'both nodes see the disconnect');
      await p.a.publish('chat.chat_restart', typing('user_during'));
      assert.deepEqual(onA, [typing('user_before'), typing('user_during')], 'local subscribers keep working');
      assert.equal(resyncA + resyncB, 0);
      assert.equal(p.a.connected(), false, 'a node without NATS reports it (readyz turns 503)');
      p.a.servePresence((userId) => (userId === 'user_local' ? ['dev_local'] : []));
      const asked = Date.now();
      assert.deepEqual([...(await p.a.onlineDevices('user_local'))], ['dev_local'], 'presence falls back to this node while NATS is down');
      assert.ok(Date.now() - asked < 1000, 'without waiting for NATS');

      server = await startNats(port);
      await until(() => resyncA > 0 && resyncB > 0, 'both nodes resync after the reconnect');
      assert.equal(p.a.connected(), true);
      await p.sync();
      onA.length = 0;
      onB.length = 0;
      await p.a.publish('chat.chat_restart', typing('user_after_a'));
      await p.b.publish('chat.chat_restart', typing('user_after_b'));
      await p.sync();
      // Order between two publishers is not promised.
      const byUser = (events: BusEvent[]) => events.map((e) => (e.type === 'typing' ? e.userId : e.type)).sort();
      assert.deepEqual(byUser(onA), ['user_after_a', 'user_after_b']);
      assert.deepEqual(byUser(onB), ['user_after_a', 'user_after_b']);
    } finally {
      await p.close();
      await stopNats(server);
    }
  });

  it('close() while NATS is down returns promptly', async () => {
    const port = await freePort();
    const server = await startNats(port);
    const p = await openPair(`nats://127.0.0.1:${port}`);
    p.b.subscribe('chat.chat_close', () => {});
    await p.sync();
    await stopNats(server);
    await until(() => p.errors.length >= 2, 'disconnect seen');
    await p.a.publish('chat.chat_close', typing('user_down'));
    const started = Date.now();
    await p.close();
    assert.ok(Date.now() - started < 3_000, `closed in ${Date.now() - started} ms`);
  });
});

const typing = (userId: string): BusEvent => ({ type: 'typing', chatId: 'chat_restart', userId });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(10);
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  assert.ok(address && typeof address === 'object');
  return address.port;
}

/** Our own nats-server, so stopping it touches nobody else. */
async function startNats(port: number): Promise<ChildProcess> {
  const child = spawn(NATS_SERVER, ['-a', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  const deadline = Date.now() + 5_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nats-server exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (ok) return child;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`nats-server did not listen on ${port}`);
    }
    await sleep(20);
  }
}

async function stopNats(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}
