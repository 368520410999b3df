import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { KEY_LOG_GENESIS_HASH, keyLogEntryBytes, type KeyLogEntry, type KeyLogKind } from '@parley/protocol';
import { KeyDirectory, type KeyDirectoryStore, type RestCall } from './key-directory.ts';
import { OwnKeyLogMonitor, type AccountDevice, type KeyLogAlert, type OwnKeyLogMonitorOptions } from './own-log-monitor.ts';

/** OwnKeyLogMonitor against a fake of GET /me and the key log REST API (docs/PROTOCOL.md R31). */

const ALICE = 'user_alice';
const PHONE = 'dev_phone';

/** Alice's account as a server holds it: an honest hash-chained log and the /me device list, which tests make disagree. */
class FakeAccount {
  log: KeyLogEntry[] = [];
  devices: AccountDevice[] = [];
  at = 1_700_000_000_000;
  /** Runs between the monitor's log read and its /me read (a race with a revocation, say). */
  afterLogRead: (() => void) | undefined;

  addDevice(deviceId: string, name = deviceId): void {
    this.devices.push({ deviceId, name, createdAt: ++this.at });
  }

  append(kind: KeyLogKind, deviceId: string): KeyLogEntry {
    const prev = this.log.at(-1);
    const fields = {
      index: (prev?.index ?? 0) + 1, kind, deviceId, at: ++this.at, prevHash: prev?.hash ?? KEY_LOG_GENESIS_HASH,
      mlsSignatureKey: kind === 'add' ? createHash('sha256').update(deviceId).digest('base64') : null,
    };
    const entry = { ...fields, hash: createHash('sha256').update(keyLogEntryBytes({ userId: ALICE, ...fields })).digest('hex') };
    this.log.push(entry);
    return entry;
  }

  /** A device signs in and publishes its key: what the honest server does. */
  signIn(deviceId: string, name = deviceId): void {
    this.addDevice(deviceId, name);
    this.append('add', deviceId);
  }

  revoke(deviceId: string): void {
    this.devices = this.devices.filter((d) => d.deviceId !== deviceId);
    this.append('revoke', deviceId);
  }

  rest: RestCall = async <T>(method: string, path: string): Promise<T> => {
    const m = /^\/users\/([^/]+)\/key-log\?after=(\d+)&limit=\d+$/.exec(path);
    assert.ok(m && method === 'GET' && m[1] === ALICE, `unexpected call ${method} ${path}`);
    const last = this.log.at(-1);
    const page = { userId: ALICE, entries: this.log.filter((e) => e.index > Number(m[2])), head: last ? { index: last.index, hash: last.hash } : { index: 0, hash: KEY_LOG_GENESIS_HASH } };
    const hook = this.afterLogRead;
    this.afterLogRead = undefined;
    hook?.();
    return page as T;
  };
}

function memoryStore(): KeyDirectoryStore {
  const data = new Map<string, string>();
  return { get: async (k) => data.get(k), set: async (k, v) => void data.set(k, v) };
}

/** A monitor on Alice's phone, with its own directory over `store` (shared by a "restarted" one). */
function monitor(account: FakeAccount, store = memoryStore(), extra: Partial<OwnKeyLogMonitorOptions> = {}) {
  const keys = new KeyDirectory({ rest: account.rest, store, maxAgeMs: 0 });
  const raised: KeyLogAlert[] = [];
  const errors: unknown[] = [];
  const m = new OwnKeyLogMonitor({
    userId: ALICE, deviceId: PHONE, store,
    log: () => keys.log(ALICE, 0),
    devices: async () => [...account.devices],
    online: () => true,
    onAlert: (a) => raised.push(a),
    onChange: () => {},
    onError: (e) => errors.push(e),
    ...extra,
  });
  return { m, raised, errors, store };
}

const kinds = (alerts: readonly KeyLogAlert[]) => alerts.map((a) => `${a.kind}${'deviceId' in a ? ` ${a.deviceId}` : ''}`);

describe('OwnKeyLogMonitor', () => {
  test('R31 the first check takes the log as reviewed; a key added later is new_device_key once, also across a restart', async () => {
    const account = new FakeAccount();
    account.signIn('dev_laptop', 'Laptop');
    account.signIn(PHONE, 'Phone');
    const { m, raised, store } = monitor(account);
    assert.deepEqual(await m.check(), [], 'the devices that were there before this one are not news');
    account.signIn('dev_tablet', 'Tablet');
    const [alert, ...rest] = await m.check();
    assert.equal(rest.length, 0);
    assert.ok(alert?.kind === 'new_device_key');
    assert.deepEqual([alert.deviceId, alert.deviceName, alert.index], ['dev_tablet', 'Tablet', 3]);
    assert.equal(alert.deviceCreatedAt, account.devices.find((d) => d.deviceId === 'dev_tablet')?.createdAt);
    assert.deepEqual(await m.check(), []);
    assert.deepEqual(kinds(raised), ['new_device_key dev_tablet']);
    assert.deepEqual(kinds(m.alerts()), ['new_device_key dev_tablet']);

    // The app restarts with the same store: the alert is still listed, and not raised again.
    const again = monitor(account, store);
    await again.m.load();
    assert.deepEqual(kinds(again.m.alerts()), ['new_device_key dev_tablet']);
    assert.deepEqual(await again.m.check(), []);
    await again.m.dismiss(alert.id);
    assert.deepEqual(again.m.alerts(), []);
    const third = monitor(account, store);
    assert.deepEqual(await third.m.check(), []);
    assert.deepEqual(third.m.alerts(), []);
  });

  test('R31 a current key of a device /me does not list is unknown_device_key, on the very first check too; a dismissed one stays dismissed', async () => {
    const account = new FakeAccount();
    account.signIn(PHONE);
    account.append('add', 'dev_ghost'); // in the log, not in the account
    const { m, raised } = monitor(account);
    const [ghost] = await m.check();
    assert.ok(ghost?.kind === 'unknown_device_key');
    assert.deepEqual([ghost.deviceId, ghost.index, ghost.at], ['dev_ghost', 2, account.log[1]?.at]);
    assert.deepEqual(await m.check(), [], 'raised once while it is listed');
    await m.dismiss(ghost.id);
    assert.deepEqual(await m.check(), [], 'and not again once dismissed');

    // A later ghost is reported, not as a new device of the account.
    account.append('add', 'dev_ghost2');
    assert.deepEqual(kinds(await m.check()), ['unknown_device_key dev_ghost2']);
    assert.deepEqual(kinds(raised), ['unknown_device_key dev_ghost', 'unknown_device_key dev_ghost2']);

    // The server drops a listed device from /me without logging its revocation: its key is still served.
    account.signIn('dev_laptop');
    assert.deepEqual(kinds(await m.check()), ['new_device_key dev_laptop']);
    account.devices = account.devices.filter((d) => d.deviceId !== 'dev_laptop');
    assert.deepEqual(kinds(await m.check()), ['unknown_device_key dev_laptop']);
  });

  test('R31 this device\'s own entry and revoke entries are never alerts; a device revoked between the two reads is no ghost', async () => {
    const account = new FakeAccount();
    const { m } = monitor(account);
    assert.deepEqual(await m.check(), []);
    account.append('add', PHONE); // this device's own key, before /me lists it (it cannot, for itself: no alert either way)
    account.signIn('dev_old__');
    account.revoke('dev_old__');
    assert.deepEqual(await m.check(), [], 'added and revoked between two looks: the account no longer has it');
    account.signIn('dev_laptop');
    assert.deepEqual(kinds(await m.check()), ['new_device_key dev_laptop']);
    // The laptop is revoked after the monitor read the log but before it read /me.
    account.afterLogRead = () => account.revoke('dev_laptop');
    assert.deepEqual(await m.check(), []);
    assert.deepEqual(kinds(m.alerts()), [], '"Not you? Revoke it": the revocation settles the new key\'s alert');
  });

  test('R31 a rewritten or broken own log is an alert (key_log_forked, key_log_invalid), raised once', async () => {
    const account = new FakeAccount();
    account.signIn(PHONE);
    account.signIn('dev_laptop');
    const { m } = monitor(account);
    await m.check();
    // The server swaps the laptop's key for its own: a valid chain, but not the history the phone saw.
    const phoneEntry = account.log[0];
    assert.ok(phoneEntry);
    account.log = [phoneEntry];
    account.append('add', 'dev_laptop2');
    const [forked] = await m.check();
    assert.equal(forked?.kind, 'key_log_forked');
    assert.deepEqual(await m.check(), []);
    await m.dismiss(forked.id);
    assert.deepEqual(await m.check(), []);

    const broken = new FakeAccount();
    broken.signIn(PHONE);
    broken.log = [{ ...broken.log[0]!, at: 1 }];
    assert.deepEqual(kinds(await monitor(broken).m.check()), ['key_log_invalid']);
  });

  test('a failure other than the log (network, /me) rejects the check and leaves the reviewed index where it was', async () => {
    const account = new FakeAccount();
    account.signIn(PHONE);
    let down = false;
    const { m } = monitor(account, memoryStore(), { devices: async () => { if (down) throw new Error('offline'); return [...account.devices]; } });
    await m.check();
    account.signIn('dev_laptop');
    down = true;
    await assert.rejects(m.check(), /offline/);
    down = false;
    assert.deepEqual(kinds(await m.check()), ['new_device_key dev_laptop']);
  });

  test('concurrent checks queue behind the running one and share one queued run', async () => {
    const account = new FakeAccount();
    account.signIn(PHONE);
    let reads = 0;
    let release = () => {};
    const gate = new Promise<void>((r) => { release = r; });
    const { m } = monitor(account, memoryStore(), { devices: async () => { reads++; await gate; return [...account.devices]; } });
    const first = m.check();
    while (reads === 0) await new Promise((r) => setImmediate(r));
    const later = [m.check(), m.check(), m.check()];
    release();
    await Promise.all([first, ...later]);
    assert.equal(reads, 2, 'one running, one queued for whatever asked while it ran');
  });

  test('R31 online: a check soon and every intervalMs; device_added looks again until the key is logged; offline: none', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
    let now = 0;
    const advance = async (ms: number) => {
      now += ms;
      t.mock.timers.tick(ms);
      for (let i = 0; i < 50; i++) await new Promise<void>((r) => queueMicrotask(r));
    };
    const account = new FakeAccount();
    account.signIn(PHONE);
    let reads = 0;
    const { m, raised } = monitor(account, memoryStore(), {
      now: () => now, settleMs: 100, intervalMs: 30_000,
      log: async () => [...account.log], // no Web Crypto here: its digests finish outside the mocked clock
      devices: async () => { reads++; return [...account.devices]; },
    });
    m.online();
    m.schedule(); // a burst of triggers makes one check
    m.schedule();
    await advance(100);
    assert.equal(reads, 1);
    await advance(30_000);
    assert.equal(reads, 2);

    // A login alert: the new device is in /me at once, its key follows when it comes online.
    account.addDevice('dev_laptop', 'Laptop');
    m.deviceAdded('dev_laptop');
    await advance(100);
    assert.equal(reads, 3);
    await advance(2000);
    assert.equal(reads, 4);
    account.append('add', 'dev_laptop');
    await advance(4000);
    assert.equal(reads, 5);
    assert.deepEqual(kinds(raised), ['new_device_key dev_laptop']);
    await advance(8000);
    assert.equal(reads, 5, 'no more follow-ups once the key is there');

    m.offline();
    await advance(60_000);
    assert.equal(reads, 5);
    m.stop();
  });
});
