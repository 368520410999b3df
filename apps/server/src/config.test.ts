import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cipherSize, MIN_FILE_CHUNK_BYTES } from '@parley/protocol';
import { isLoopbackHost, loadConfig } from './config.ts';

describe('config', () => {
  it('PARLEY_METRICS_LISTEN is host:port or [ipv6]:port; unset leaves /metrics on the main port', () => {
    assert.equal(loadConfig({}).metricsListen, undefined);
    assert.deepEqual(loadConfig({ PARLEY_METRICS_LISTEN: '127.0.0.1:9464' }).metricsListen, { host: '127.0.0.1', port: 9464 });
    assert.deepEqual(loadConfig({ PARLEY_METRICS_LISTEN: 'monitor.internal:0' }).metricsListen, { host: 'monitor.internal', port: 0 });
    assert.deepEqual(loadConfig({ PARLEY_METRICS_LISTEN: '[::1]:9464' }).metricsListen, { host: '::1', port: 9464 });
    for (const bad of ['9464', '127.0.0.1', '127.0.0.1:', ':9464', '127.0.0.1:65536', '::1:9464', 'http://127.0.0.1:9464', '']) {
      assert.throws(() => loadConfig({ PARLEY_METRICS_LISTEN: bad }), /PARLEY_METRICS_LISTEN: must be host:port/, bad);
    }
  });

  it('R129 PARLEY_HOSTED_BOTS is TOKEN@HOST:PORT, comma-separated; a bad entry is named by position, never echoed (it holds a token)', () => {
    const token = `bot12345:${'s'.repeat(43)}`;
    assert.deepEqual(loadConfig({}).hostedBots, []);
    assert.deepEqual(loadConfig({ PARLEY_HOSTED_BOTS: `${token}@127.0.0.1:8081, ${token}@[::1]:0` }).hostedBots,
      [{ token, listen: { host: '127.0.0.1', port: 8081 } }, { token, listen: { host: '::1', port: 0 } }]);
    for (const bad of [token, `${token}@127.0.0.1`, `nocolon@127.0.0.1:8081`, `${token}@127.0.0.1:8081,${token}`]) {
      assert.throws(() => loadConfig({ PARLEY_HOSTED_BOTS: bad }), (err: Error) => /PARLEY_HOSTED_BOTS: entry \d/.test(err.message) && !err.message.includes('s'.repeat(43)), bad);
    }
  });

  it('R40 what a server cannot split fits a connection\'s send buffer: a message at the size limit, a group at the member limit', () => {
    assert.equal(loadConfig({}).limits.chatPageMax, 200);
    assert.throws(() => loadConfig({ PARLEY_WS_BUFFER_BYTES: '65536' }), /PARLEY_WS_BUFFER_BYTES \(65536\) must be at least PARLEY_MAX_COMMIT_BYTES/);
    // R116: 5,000 by default, which the default buffer holds; more members need a bigger buffer.
    assert.equal(loadConfig({}).limits.maxGroupMembers, 5000);
    assert.equal(loadConfig({ PARLEY_MAX_GROUP_MEMBERS: '1000' }).limits.maxGroupMembers, 1000);
    assert.throws(() => loadConfig({ PARLEY_MAX_GROUP_MEMBERS: '10000' }), /summary of a group at the member limit/);
    assert.throws(() => loadConfig({ PARLEY_MAX_GROUP_MEMBERS: '5000', PARLEY_WS_BUFFER_BYTES: String(1024 * 1024) }), /summary of a group at the member limit/);
    assert.equal(loadConfig({ PARLEY_MAX_GROUP_MEMBERS: '10000', PARLEY_WS_BUFFER_BYTES: String(8 * 1024 * 1024) }).limits.maxGroupMembers, 10000);
    assert.throws(() => loadConfig({ PARLEY_CHAT_PAGE_MAX: '0' }), /PARLEY_CHAT_PAGE_MAX/);
  });

  it('R42 R43 invite lifetime, sign-in request limits and origin hint, trusted proxies', () => {
    const defaults = loadConfig({});
    assert.equal(defaults.inviteTtlMs, 7 * 86_400_000);
    assert.deepEqual([defaults.deviceLink.originHint, defaults.deviceLink.perAccountPerHour, defaults.trustProxy], ['none', 5, []]);
    assert.throws(() => loadConfig({ PARLEY_INVITE_TTL_MS: '1000' }), /PARLEY_INVITE_TTL_MS/);
    assert.throws(() => loadConfig({ PARLEY_LINK_ORIGIN_HINT: 'full' }), /PARLEY_LINK_ORIGIN_HINT/);
    assert.equal(loadConfig({ PARLEY_LINK_ORIGIN_HINT: 'ip-prefix' }).deviceLink.originHint, 'ip-prefix');
    assert.deepEqual(loadConfig({ PARLEY_TRUST_PROXY: '10.0.0.0/8, 127.0.0.1,::1' }).trustProxy, ['10.0.0.0/8', '127.0.0.1', '::1']);
    for (const bad of ['true', '10.0.0.0/33', 'proxy.internal', '1.2.3', '::1/129']) assert.throws(() => loadConfig({ PARLEY_TRUST_PROXY: bad }), /PARLEY_TRUST_PROXY/, bad);
    assert.deepEqual(loadConfig({ PARLEY_TRUST_PROXY: 'fd00::/8' }).trustProxy, ['fd00::/8']);
  });

  it('the insider bounds have the defaults docs/OPERATIONS.md and docs/SECURITY.md give, and 0 turns one off', () => {
    const { rates, limits } = loadConfig({});
    assert.deepEqual(
      [rates.historyPerSec, rates.historyBurst, rates.receiptPerSec, rates.receiptBurst, rates.typingPerSec, rates.commitPerMin,
        rates.memberChangesPerMin, rates.rejoinPerHour, rates.invitesPerHour, rates.chatsPerHour, rates.devicesPerDay, limits.wsFramesPerSec],
      [10, 300, 20, 400, 2, 30, 60, 10, 30, 100, 10, 200],
    );
    assert.equal(loadConfig({ PARLEY_RATE_MEMBER_CHANGES_PER_MIN: '0' }).rates.memberChangesPerMin, 0);
    assert.throws(() => loadConfig({ PARLEY_RATE_COMMIT_PER_MIN: '-1' }), /PARLEY_RATE_COMMIT_PER_MIN/);
  });

  it('loopback hosts are told apart from addresses others can reach', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST', '::1', '::ffff:127.0.0.1']) assert.ok(isLoopbackHost(host), host);
    for (const host of ['0.0.0.0', '::', '10.0.0.5', 'chat.example.org', '127.0.0.1.example.org']) assert.ok(!isLoopbackHost(host), host);
  });

  it('R37 push settings: a per-device limit of at least 1, host names or *.domain, networks in CIDR form', () => {
    assert.deepEqual(loadConfig({}).push, { maxSubscriptionsPerDevice: 5, allowedHosts: [], allowPrivateNetworks: [], callRingMs: 45_000, callRingRequestsPerMin: 10, callPushesPerMin: 6, callRingMaxMembers: 32 });
    const push = loadConfig({
      PARLEY_PUSH_MAX_SUBSCRIPTIONS_PER_DEVICE: '2',
      PARLEY_PUSH_ALLOWED_HOSTS: 'fcm.googleapis.com, updates.push.services.mozilla.com,*.push.apple.com,*.notify.windows.com,',
      PARLEY_PUSH_ALLOW_PRIVATE_NETWORKS: '10.1.2.0/24, fd00::/64',
    }).push;
    assert.deepEqual(push, {
      maxSubscriptionsPerDevice: 2,
      allowedHosts: ['fcm.googleapis.com', 'updates.push.services.mozilla.com', '*.push.apple.com', '*.notify.windows.com'],
      allowPrivateNetworks: ['10.1.2.0/24', 'fd00::/64'],
      callRingMs: 45_000, callRingRequestsPerMin: 10, callPushesPerMin: 6, callRingMaxMembers: 32,
    });
    assert.throws(() => loadConfig({ PARLEY_PUSH_MAX_SUBSCRIPTIONS_PER_DEVICE: '0' }), /PARLEY_PUSH_MAX_SUBSCRIPTIONS_PER_DEVICE/);
    // R118: call ringing limits, as docs/OPERATIONS.md gives them.
    const ring = loadConfig({ PARLEY_CALL_RING_MS: '30000', PARLEY_RATE_CALL_RING_PER_MIN: '4', PARLEY_PUSH_CALL_PUSHES_PER_MIN: '3' }).push;
    assert.deepEqual([ring.callRingMs, ring.callRingRequestsPerMin, ring.callPushesPerMin], [30_000, 4, 3]);
    assert.throws(() => loadConfig({ PARLEY_CALL_RING_MS: '1000' }), /PARLEY_CALL_RING_MS/);
    assert.throws(() => loadConfig({ PARLEY_CALL_RING_MS: '600000' }), /PARLEY_CALL_RING_MS/);
    assert.throws(() => loadConfig({ PARLEY_RATE_CALL_RING_PER_MIN: '0' }), /PARLEY_RATE_CALL_RING_PER_MIN/);
    // R124: groups ring up to this many members.
    assert.equal(loadConfig({ PARLEY_CALL_RING_MAX_MEMBERS: '8' }).push.callRingMaxMembers, 8);
    assert.throws(() => loadConfig({ PARLEY_CALL_RING_MAX_MEMBERS: '1' }), /PARLEY_CALL_RING_MAX_MEMBERS/);
    assert.throws(() => loadConfig({ PARLEY_PUSH_CALL_PUSHES_PER_MIN: '0' }), /PARLEY_PUSH_CALL_PUSHES_PER_MIN/);
    for (const bad of ['https://fcm.googleapis.com', 'fcm.googleapis.com/x', '*', '*.', 'a..b', 'ex ample.com']) {
      assert.throws(() => loadConfig({ PARLEY_PUSH_ALLOWED_HOSTS: bad }), /PARLEY_PUSH_ALLOWED_HOSTS: not a host name/, bad);
    }
    for (const bad of ['10.0.0.1', '10.0.0.0/33', 'lan', '::1/129']) {
      assert.throws(() => loadConfig({ PARLEY_PUSH_ALLOW_PRIVATE_NETWORKS: bad }), /PARLEY_PUSH_ALLOW_PRIVATE_NETWORKS: not a network/, bad);
    }
  });
  it('R60 TURN: off by default; URLs and secret together, checked; defaults as docs/OPERATIONS.md gives them', () => {
    assert.equal(loadConfig({}).turn, undefined);
    const secret = 'a-secret-of-24-characters';
    assert.deepEqual(loadConfig({ PARLEY_TURN_URLS: 'turn:turn.example.org:3478?transport=udp, turns:turn.example.org:443?transport=tcp', PARLEY_TURN_SECRET: secret }).turn, {
      urls: ['turn:turn.example.org:3478?transport=udp', 'turns:turn.example.org:443?transport=tcp'], secret, ttlMs: 12 * 3600 * 1000, perHour: 60,
    });
    assert.throws(() => loadConfig({ PARLEY_TURN_URLS: 'turn:turn.example.org:3478' }), /both PARLEY_TURN_URLS and PARLEY_TURN_SECRET/);
    assert.throws(() => loadConfig({ PARLEY_TURN_SECRET: secret }), /both PARLEY_TURN_URLS and PARLEY_TURN_SECRET/);
    assert.throws(() => loadConfig({ PARLEY_TURN_URLS: 'turn:x:3478', PARLEY_TURN_SECRET: 'short' }), /PARLEY_TURN_SECRET/);
    for (const bad of ['http://turn.example.org', 'turn:turn.example.org:3478?transport=sctp', 'stun:x:3478', 'turn:a b']) {
      assert.throws(() => loadConfig({ PARLEY_TURN_URLS: bad, PARLEY_TURN_SECRET: secret }), /PARLEY_TURN_URLS: not a TURN URL/, bad);
    }
    assert.throws(() => loadConfig({ PARLEY_TURN_URLS: 'turn:x:3478', PARLEY_TURN_SECRET: secret, PARLEY_TURN_TTL_MS: '1000' }), /PARLEY_TURN_TTL_MS/);
  });
  it('R62 Janus: off by default; all four settings together, checked; defaults as docs/OPERATIONS.md gives them', () => {
    assert.equal(loadConfig({}).sfu, undefined);
    const janus = {
      PARLEY_JANUS_URL: 'https://sfu.example.org/janus', PARLEY_JANUS_ADMIN_URL: 'http://127.0.0.1:7088/admin',
      PARLEY_JANUS_ADMIN_SECRET: 'an-admin-secret-of-24-ch', PARLEY_JANUS_ROOM_ADMIN_KEY: 'a-room-admin-key-24-chars',
    };
    assert.deepEqual(loadConfig(janus).sfu, {
      url: janus.PARLEY_JANUS_URL, adminUrl: janus.PARLEY_JANUS_ADMIN_URL, adminSecret: janus.PARLEY_JANUS_ADMIN_SECRET, roomAdminKey: janus.PARLEY_JANUS_ROOM_ADMIN_KEY,
      maxParticipants: 50, tokenTtlMs: 3_600_000, perHour: 120, sweepIntervalMs: 60_000,
    });
    assert.throws(() => loadConfig({ PARLEY_JANUS_URL: janus.PARLEY_JANUS_URL }), /PARLEY_JANUS_URL, PARLEY_JANUS_ADMIN_URL, PARLEY_JANUS_ADMIN_SECRET and PARLEY_JANUS_ROOM_ADMIN_KEY/);
    assert.throws(() => loadConfig({ ...janus, PARLEY_JANUS_ADMIN_SECRET: 'short' }), /PARLEY_JANUS_ADMIN_SECRET/);
    assert.throws(() => loadConfig({ ...janus, PARLEY_JANUS_ADMIN_URL: 'ws://127.0.0.1:7188' }), /PARLEY_JANUS_ADMIN_URL/);
    assert.throws(() => loadConfig({ ...janus, PARLEY_JANUS_URL: 'wss://sfu.example.org/janus' }), /PARLEY_JANUS_URL/);
    assert.throws(() => loadConfig({ ...janus, PARLEY_CALL_MAX_PARTICIPANTS: '1' }), /PARLEY_CALL_MAX_PARTICIPANTS/);
    assert.throws(() => loadConfig({ ...janus, PARLEY_SFU_TOKEN_TTL_MS: '1000' }), /PARLEY_SFU_TOKEN_TTL_MS/);
  });
  it('R53 R56 file limits and the blob store: defaults as docs/OPERATIONS.md gives them; s3 needs a bucket and both keys or none', () => {
    const { files, blobStore } = loadConfig({ PARLEY_DATA_DIR: '/srv/parley' });
    assert.deepEqual(files, {
      maxFileBytes: 4 * 1024 ** 3, maxBlobBytes: cipherSize(4 * 1024 ** 3, MIN_FILE_CHUNK_BYTES), quotaBytes: 20 * 1024 ** 3,
      maxUploadsInFlight: 8, uploadsPerHour: 300, unreferencedTtlMs: 86_400_000, gcIntervalMs: 600_000, idleTimeoutMs: 60_000,
    });
    assert.deepEqual(blobStore, { kind: 'disk', dir: '/srv/parley/blobs' });
    assert.throws(() => loadConfig({ PARLEY_BLOB_STORE: 's3' }), /needs PARLEY_S3_BUCKET/);
    assert.throws(() => loadConfig({ PARLEY_BLOB_STORE: 's3', PARLEY_S3_BUCKET: 'parley', PARLEY_S3_ACCESS_KEY_ID: 'k' }), /both/);
    assert.throws(() => loadConfig({ PARLEY_MAX_FILE_BYTES: String(65 * 1024 ** 3) }), /PARLEY_MAX_FILE_BYTES/);
    assert.throws(() => loadConfig({ PARLEY_S3_PART_BYTES: '1000' }), /PARLEY_S3_PART_BYTES/);
    assert.deepEqual(loadConfig({
      PARLEY_BLOB_STORE: 's3', PARLEY_S3_BUCKET: 'parley', PARLEY_S3_ENDPOINT: 'http://127.0.0.1:4569', PARLEY_S3_FORCE_PATH_STYLE: 'true',
      PARLEY_S3_ACCESS_KEY_ID: 'k', PARLEY_S3_SECRET_ACCESS_KEY: 's',
    }).blobStore, {
      kind: 's3', bucket: 'parley', region: 'us-east-1', endpoint: 'http://127.0.0.1:4569', forcePathStyle: true, partBytes: 8 * 1024 * 1024,
      credentials: { accessKeyId: 'k', secretAccessKey: 's' },
    });
  });

  it('R82 R84 R84b moderation limits: defaults as docs/OPERATIONS.md gives them; slow mode at most a day', () => {
    assert.deepEqual(loadConfig({}).moderation, { maxMuteMs: 30 * 86_400_000, maxSlowModeMs: 3_600_000, reportsPerHour: 20, reportsPageMax: 200, reportRetentionMs: 90 * 86_400_000, reportSweepIntervalMs: 3_600_000 });
    assert.equal(loadConfig({ PARLEY_MAX_SLOW_MODE_MS: '86400000' }).moderation.maxSlowModeMs, 86_400_000);
    assert.throws(() => loadConfig({ PARLEY_MAX_SLOW_MODE_MS: '86400001' }), /PARLEY_MAX_SLOW_MODE_MS/);
    assert.throws(() => loadConfig({ PARLEY_REPORTS_PAGE_MAX: '0' }), /PARLEY_REPORTS_PAGE_MAX/);
  });
});
