import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { KEY_LOG_GENESIS_HASH, keyLogEntryBytes, type KeyLogEntry, type KeyLogKind } from '@parley/protocol';
import { isKeyLogError, type KeyLogErrorCode } from './errors.ts';
import { KeyDirectory, type KeyDirectoryStore, type RestCall } from './key-directory.ts';
import { formatSafetyNumber } from './safety-number.ts';

/** KeyDirectory against an in-memory fake of the key log REST API (docs/PROTOCOL.md R22). */

const ALICE = 'user_alice';
const BOB = 'user_bob_';
const key = (label: string): string => createHash('sha256').update(label).digest('base64');
const keyBytes = (label: string): Uint8Array => new Uint8Array(createHash('sha256').update(label).digest());

/** A server holding honest hash-chained logs, which tests may then tamper with. */
class FakeServer {
  readonly logs = new Map<string, KeyLogEntry[]>();
  readonly calls: string[] = [];
  pageSize = 200;
  at = 1_700_000_000_000;

  append(userId: string, kind: KeyLogKind, deviceId: string, label?: string): KeyLogEntry {
    const log = this.logs.get(userId) ?? [];
    const prev = log.at(-1);
    const fields = { index: (prev?.index ?? 0) + 1, kind, deviceId, mlsSignatureKey: label === undefined ? null : key(label), at: ++this.at, prevHash: prev?.hash ?? KEY_LOG_GENESIS_HASH };
    const entry = { ...fields, hash: createHash('sha256').update(keyLogEntryBytes({ userId, ...fields })).digest('hex') };
    this.logs.set(userId, [...log, entry]);
    return entry;
  }

  /** Replaces the log with another honest chain: what a server rewriting history would serve. */
  rewrite(userId: string, build: () => void): void {
    this.logs.delete(userId);
    build();
  }

  rest: RestCall = async <T>(method: string, path: string): Promise<T> => {
    this.calls.push(`${method} ${path}`);
    const m = /^\/users\/([^/]+)\/key-log\?after=(\d+)&limit=(\d+)$/.exec(path);
    assert.ok(m && method === 'GET', `unexpected call ${method} ${path}`);
    const [, userId = '', after = '0', limit = '0'] = m;
    const log = this.logs.get(userId) ?? [];
    const last = log.at(-1);
    return {
      userId,
      entries: log.filter((e) => e.index > Number(after)).slice(0, Math.min(Number(limit), this.pageSize)),
      head: last ? { index: last.index, hash: last.hash } : { index: 0, hash: KEY_LOG_GENESIS_HASH },
    } as T;
  };
}

function memoryStore(): KeyDirectoryStore & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return { data, get: async (k) => data.get(k), set: async (k, v) => void data.set(k, v) };
}

/** A directory that always fetches (maxAgeMs 0) unless told otherwise. */
function directory(server: FakeServer, store = memoryStore(), maxAgeMs = 0): KeyDirectory {
  return new KeyDirectory({ rest: server.rest, store, maxAgeMs });
}

async function rejectsWith(p: Promise<unknown>, code: KeyLogErrorCode): Promise<void> {
  await assert.rejects(p, (err: unknown) => isKeyLogError(err, code));
}

describe('KeyDirectory', () => {
  test('R22 a verified log gives the current devices; revoked ones are left out', async () => {
    const server = new FakeServer();
    server.append(ALICE, 'add', 'dev_phone', 'phone');
    server.append(ALICE, 'add', 'dev_laptop', 'laptop');
    server.append(ALICE, 'revoke', 'dev_phone');
    const devices = await directory(server).devices(ALICE);
    assert.deepEqual(devices.map((d) => [d.deviceId, d.mlsSignatureKey, d.revokedAt]), [['dev_laptop', key('laptop'), null]]);
  });

  test('R22 a later fetch asks only for entries after the last one seen, and pages until the head', async () => {
    const server = new FakeServer();
    server.pageSize = 2;
    for (let i = 0; i < 5; i++) server.append(ALICE, 'add', `dev_${i}_____`, `k${i}`);
    const store = memoryStore();
    assert.equal((await directory(server, store).log(ALICE)).length, 5);
    assert.deepEqual(server.calls.map((c) => /after=(\d+)/.exec(c)?.[1]), ['0', '2', '4']);
    server.append(ALICE, 'add', 'dev_5_____', 'k5');
    server.calls.length = 0;
    // A new instance (an app restart) starts from the stored log.
    assert.equal((await directory(server, store).log(ALICE)).length, 6);
    assert.deepEqual(server.calls.map((c) => /after=(\d+)/.exec(c)?.[1]), ['5']);
  });

  test('R22 a rewritten history is key_log_forked, and what was seen stays stored', async () => {
    const server = new FakeServer();
    server.append(ALICE, 'add', 'dev_phone', 'phone');
    const store = memoryStore();
    await directory(server, store).log(ALICE);
    const seen = store.data.get(`key-log:${ALICE}`);
    // The server swaps the phone's key and adds a device on top: a valid chain, but not ours.
    server.rewrite(ALICE, () => {
      server.append(ALICE, 'add', 'dev_phone', 'mallory');
      server.append(ALICE, 'add', 'dev_evil', 'evil');
    });
    await rejectsWith(directory(server, store).log(ALICE), 'key_log_forked');
    await rejectsWith(directory(server, store).verifyMember(ALICE, 'dev_phone', keyBytes('mallory')), 'key_log_forked');
    assert.equal(store.data.get(`key-log:${ALICE}`), seen);
  });

  test('R22 a log cut back, or the same length with another head, is key_log_forked', async () => {
    const server = new FakeServer();
    server.append(ALICE, 'add', 'dev_phone', 'phone');
    server.append(ALICE, 'add', 'dev_laptop', 'laptop');
    const store = memoryStore();
    await directory(server, store).log(ALICE);
    server.rewrite(ALICE, () => server.append(ALICE, 'add', 'dev_phone', 'phone'));
    await rejectsWith(directory(server, store).log(ALICE), 'key_log_forked');
    server.rewrite(ALICE, () => {
      server.append(ALICE, 'add', 'dev_phone', 'phone');
      server.append(ALICE, 'add', 'dev_laptop', 'other');
    });
    await rejectsWith(directory(server, store).log(ALICE), 'key_log_forked');
  });

  test('R22 a wrong hash, a gap, a revoke of an unknown device or a second add is key_log_invalid', async () => {
    const tamper = async (edit: (log: KeyLogEntry[]) => KeyLogEntry[]) => {
      const server = new FakeServer();
      server.append(ALICE, 'add', 'dev_phone', 'phone');
      server.append(ALICE, 'add', 'dev_laptop', 'laptop');
      server.logs.set(ALICE, edit(server.logs.get(ALICE) ?? []));
      await rejectsWith(directory(server).log(ALICE), 'key_log_invalid');
    };
    await tamper(([a, b]) => [a!, { ...b!, mlsSignatureKey: key('mallory') }]);
    await tamper(([a, b]) => [a!, { ...b!, index: 3 }]);
    await tamper(([a]) => [{ ...a!, at: a!.at + 1 }]);
    const server = new FakeServer();
    server.append(ALICE, 'revoke', 'dev_ghost');
    await rejectsWith(directory(server).log(ALICE), 'key_log_invalid');
    const twice = new FakeServer();
    twice.append(ALICE, 'add', 'dev_phone', 'phone');
    twice.append(ALICE, 'add', 'dev_phone', 'phone2');
    await rejectsWith(directory(twice).log(ALICE), 'key_log_invalid');
    const alien = new FakeServer();
    alien.append(BOB, 'add', 'dev_phone', 'phone');
    alien.logs.set(ALICE, alien.logs.get(BOB) ?? []); // bob's entries served as alice's: the hash binds the user
    await rejectsWith(directory(alien).log(ALICE), 'key_log_invalid');
  });

  test('a malformed response is key_log_invalid', async () => {
    const rest: RestCall = async <T>() => ({ userId: ALICE, entries: [{ index: 'one' }], head: { index: 1, hash: 'x' } }) as T;
    await rejectsWith(new KeyDirectory({ rest, store: memoryStore() }).log(ALICE), 'key_log_invalid');
  });

  test('verifyMember: the logged key of a current device only; an unknown device makes it fetch again', async () => {
    const server = new FakeServer();
    server.append(ALICE, 'add', 'dev_phone', 'phone');
    server.append(ALICE, 'add', 'dev_old__', 'old');
    server.append(ALICE, 'revoke', 'dev_old__');
    const keys = directory(server, memoryStore(), 60_000);
    assert.equal(await keys.verifyMember(ALICE, 'dev_phone', keyBytes('phone')), true);
    assert.equal(await keys.verifyMember(ALICE, 'dev_phone', keyBytes('mallory')), false);
    assert.equal(await keys.verifyMember(ALICE, 'dev_old__', keyBytes('old')), false);
    const before = server.calls.length;
    assert.equal(await keys.verifyMember(ALICE, 'dev_phone', keyBytes('phone')), true);
    assert.equal(server.calls.length, before, 'a known device is answered from the cache');
    server.append(ALICE, 'add', 'dev_new__', 'new');
    assert.equal(await keys.verifyMember(ALICE, 'dev_new__', keyBytes('new')), true);
    assert.equal(await keys.verifyMember(ALICE, 'dev_none_', keyBytes('new')), false);
  });

  test('concurrent questions about one user share one fetch', async () => {
    const server = new FakeServer();
    server.append(ALICE, 'add', 'dev_phone', 'phone');
    const keys = directory(server, memoryStore(), 60_000);
    await Promise.all(Array.from({ length: 10 }, () => keys.verifyMember(ALICE, 'dev_phone', keyBytes('phone'))));
    assert.equal(server.calls.length, 1);
  });
});

describe('safety numbers and verification', () => {
  function twoPeople() {
    const server = new FakeServer();
    server.append(ALICE, 'add', 'dev_a1___', 'a1');
    server.append(BOB, 'add', 'dev_b1___', 'b1');
    server.append(BOB, 'add', 'dev_b2___', 'b2');
    return { server, alice: directory(server), bob: directory(server) };
  }

  test('R22 both people get the same 60 digits; any device change on either side changes them', async () => {
    const { server, alice, bob } = twoPeople();
    const number = await alice.safetyNumber(ALICE, BOB);
    assert.match(number, /^\d{60}$/);
    assert.equal(await bob.safetyNumber(BOB, ALICE), number);
    assert.match(formatSafetyNumber(number), /^(\d{5} ){11}\d{5}$/);
    server.append(BOB, 'revoke', 'dev_b2___');
    const afterRevoke = await alice.safetyNumber(ALICE, BOB);
    assert.notEqual(afterRevoke, number);
    server.append(ALICE, 'add', 'dev_a2___', 'a2');
    assert.notEqual(await bob.safetyNumber(BOB, ALICE), afterRevoke);
    assert.equal(await bob.safetyNumber(BOB, ALICE), await alice.safetyNumber(ALICE, BOB));
  });

  test('R22 a user without device keys has no safety number yet', async () => {
    const { alice } = twoPeople();
    await rejectsWith(alice.safetyNumber(ALICE, 'user_nobody'), 'no_device_keys');
  });

  test('R22 a QR payload shown by one side matches when the other scans it, and not after a change or for someone else', async () => {
    const { server, alice, bob } = twoPeople();
    const shown = await alice.qrPayload(ALICE, BOB);
    assert.match(shown, /^parley-verify:1:user_alice:[0-9a-f]{64}:user_bob_:[0-9a-f]{64}$/);
    assert.deepEqual(await bob.scanQrPayload(BOB, shown), { theirUserId: ALICE, match: true });
    assert.deepEqual(await bob.scanQrPayload('user_carol', shown), { theirUserId: ALICE, match: false });
    assert.equal(await bob.scanQrPayload(BOB, 'https://example.org'), undefined);
    server.append(ALICE, 'add', 'dev_a2___', 'a2');
    assert.deepEqual(await bob.scanQrPayload(BOB, shown), { theirUserId: ALICE, match: false });
  });

  test('R22 verification: unverified, then verified, then changed when the contact\'s devices change, verified again when re-marked', async () => {
    const { server, alice } = twoPeople();
    assert.equal(await alice.verificationState(BOB), 'unverified');
    await alice.markVerified(BOB);
    assert.equal(await alice.verificationState(BOB), 'verified');
    server.append(BOB, 'add', 'dev_b3___', 'b3');
    assert.equal(await alice.verificationState(BOB), 'changed');
    await alice.markVerified(BOB);
    assert.equal(await alice.verificationState(BOB), 'verified');
    server.append(BOB, 'revoke', 'dev_b1___');
    assert.equal(await alice.verificationState(BOB), 'changed');
  });
});
