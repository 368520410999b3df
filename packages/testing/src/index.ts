import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureBuilt } from '../../../scripts/build/build.mjs';
import WebSocket from 'ws';
import pino from 'pino';
import {
  ParleyClient, MemoryStore, accounts, generateDeviceKey,
  type ClientOptions, type ClientStore, type ContentCodec, type DeviceKey, type WebSocketCtor,
} from '@parley/client';
import { loadConfig, migratedSqliteFile, startParley, type HostResolver, type RunningServer, type StartOptions } from '@parley/server';

export interface TestServer extends RunningServer, AsyncDisposable {
  dataDir: string;
}

/** Config for tests: generous rate limits, quiet logs. Override any PARLEY_* variable. */
export function testEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    PORT: '0',
    HOST: '127.0.0.1',
    PARLEY_LOG_LEVEL: 'silent',
    // `npm start` would start a local coturn on 3478 and a Janus on 8088 (scripts/local-calls.mjs); tests start their own.
    PARLEY_LOCAL_TURN: 'off',
    PARLEY_LOCAL_SFU: 'off',
    PARLEY_RATE_SEND_PER_SEC: '10000',
    PARLEY_RATE_SEND_BURST: '10000',
    PARLEY_RATE_SIGNUP_PER_HOUR: '100000',
    PARLEY_RATE_LOGIN_PER_MIN: '100000',
    PARLEY_RATE_API_PER_SEC: '10000',
    // The insider bounds (docs/SECURITY.md): tests that make many chats, adds or commits stay clear of them.
    PARLEY_RATE_HISTORY_PER_SEC: '10000',
    PARLEY_RATE_HISTORY_BURST: '10000',
    PARLEY_RATE_RECEIPT_PER_SEC: '10000',
    PARLEY_RATE_RECEIPT_BURST: '10000',
    PARLEY_RATE_COMMIT_PER_MIN: '100000',
    PARLEY_RATE_MEMBER_CHANGES_PER_MIN: '100000',
    PARLEY_RATE_REJOIN_PER_HOUR: '100000',
    PARLEY_RATE_INVITES_PER_HOUR: '100000',
    PARLEY_RATE_CHATS_PER_HOUR: '100000',
    PARLEY_RATE_DEVICES_PER_DAY: '100000',
    PARLEY_WS_FRAMES_PER_SEC: '100000',
    // R44: tests put strangers in chats by the hundred; the consent tests (consent.test.ts, consent.e2e.ts) turn it on.
    PARLEY_CONSENT_REQUIRED: 'false',
    PARLEY_RATE_REQUESTS_PER_DAY: '100000',
    PARLEY_RATE_DIRECT_ADDS_PER_DAY: '100000',
    ...overrides,
  };
}

/** Starts a real server in this process on port 0 with a fresh data dir; `await using` stops it. */
export async function startTestServer(overrides: Record<string, string> = {}, opts: StartOptions & { dataDir?: string } = {}): Promise<TestServer> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'parley-test-'));
  const config = loadConfig(testEnv({ PARLEY_DATA_DIR: dataDir, ...overrides }));
  // A new single-node server's database starts as a copy of one migrated once (what the server's own
  // migration would make, without the wait); a given data dir, PostgreSQL or other migrations: as is.
  if (opts.dataDir === undefined && config.dataDir === dataDir && !config.databaseUrl && !config.migrationsDir) {
    migratedSqliteFile(join(dataDir, 'parley.sqlite'));
  }
  const logger = pino({ level: config.logLevel });
  const server = await startParley(config, { logger, ...opts });
  const ownDir = opts.dataDir === undefined;
  const close = async () => {
    await server.close();
    if (ownDir) rmSync(dataDir, { recursive: true, force: true });
  };
  return { ...server, dataDir, close, [Symbol.asyncDispose]: close };
}

/**
 * A resolver for push endpoints (R37) that answers every name with one public address and asks no
 * DNS: for tests whose push sender is a fake, so any `https://name/` endpoint is accepted offline.
 */
export const everyNamePublic: HostResolver = { resolve: async () => [{ address: '93.184.216.34', family: 4 }] };

let counter = 0;
/** A handle no other test in this run uses. */
export function uniqueHandle(prefix = 'user'): string {
  counter += 1;
  return `${prefix}_${process.pid.toString(36)}${counter.toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`.slice(0, 32);
}

export interface TestUser {
  client: ParleyClient;
  userId: string;
  deviceId: string;
  handle: string;
  displayName: string;
  deviceKey: DeviceKey;
  recoveryCode: string;
  store: ClientStore;
  baseUrl: string;
}

/** Client options a test may set on top of newClient's defaults (e.g. `mls: { enabled: true, reconcileRankDelayMs: 0 }`). */
export type ClientTweaks = Partial<Pick<ClientOptions, 'mls' | 'WebSocket' | 'backoff' | 'calls' | 'communities' | 'files'>>;

/** Creates an account held by a device key and returns a started client (through the real SDK). */
export async function createUser(baseUrl: string, opts: { handle?: string; displayName?: string; store?: ClientStore; start?: boolean; codec?: ContentCodec; client?: ClientTweaks } = {}): Promise<TestUser> {
  const handle = opts.handle ?? uniqueHandle();
  const displayName = opts.displayName ?? handle;
  const deviceKey = await generateDeviceKey();
  const created = await accounts.createWithDeviceKey(baseUrl, { handle, displayName, deviceName: 'test device', deviceKey });
  const store = opts.store ?? new MemoryStore();
  const client = newClient(baseUrl, created.userId, created.deviceId, deviceKey, store, opts.codec, opts.client);
  if (opts.start !== false) {
    await client.start();
    await waitFor(() => client.connectionState === 'online', { what: `${handle} online` });
  }
  return { client, userId: created.userId, deviceId: created.deviceId, handle, displayName, deviceKey, recoveryCode: created.recoveryCode, store, baseUrl };
}

/** Another client for an existing device (a restarted app), sharing its store if given. */
export function newClient(baseUrl: string, userId: string, deviceId: string, deviceKey: DeviceKey, store: ClientStore = new MemoryStore(), codec?: ContentCodec, tweaks: ClientTweaks = {}): ParleyClient {
  return new ParleyClient({
    ...(codec ? { codec } : {}),
    baseUrl,
    session: { userId, deviceId },
    deviceKey,
    store,
    WebSocket: WebSocket as unknown as WebSocketCtor,
    backoff: { minMs: 50, maxMs: 1000 },
    ...tweaks,
  });
}

/**
 * Another device of an existing user, signed in with the recovery code (the user gets the new
 * code), started and online. Its TestUser shares the user's ids and handle.
 */
export async function addDevice(user: TestUser, opts: { client?: ClientTweaks } = {}): Promise<TestUser> {
  const deviceKey = await generateDeviceKey();
  const added = await accounts.recover(user.baseUrl, { handle: user.handle, recoveryCode: user.recoveryCode, device: { name: 'another device', publicKey: deviceKey.publicKey } });
  user.recoveryCode = added.recoveryCode ?? user.recoveryCode;
  const store = new MemoryStore();
  const client = newClient(user.baseUrl, user.userId, added.deviceId, deviceKey, store, undefined, opts.client);
  await client.start();
  await waitFor(() => client.connectionState === 'online', { what: `${user.handle}'s new device online` });
  return { ...user, client, deviceId: added.deviceId, deviceKey, store };
}

/** Polls until `predicate` is true; fails with `what` after `timeoutMs`. */
export async function waitFor(predicate: () => boolean | Promise<boolean>, opts: { timeoutMs?: number; what?: string; intervalMs?: number } = {}): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${opts.what ?? 'condition'}`);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 20));
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

const serverMain = fileURLToPath(new URL('../../../apps/server/src/main.ts', import.meta.url));
const serverBundle = fileURLToPath(new URL('../../../apps/server/dist/main.js', import.meta.url));

/**
 * What a spawned server runs: the server's bundle (what `npm start` runs), built first when it is
 * older than the sources (`npm test` has just built it; a build under the lock of scripts/build,
 * once per change), or the sources through tsx when it does not build. The bundle starts in ~0.5 s
 * of CPU, the sources through tsx in ~4 s (crash.test.ts starts six servers one after another).
 * PARLEY_TEST_BUNDLE=0 (as for scripts/run-tests.mjs): the sources through tsx.
 */
async function serverProgram(): Promise<string[]> {
  if (process.env['PARLEY_TEST_BUNDLE'] === '0') return ['--import', 'tsx', serverMain];
  try {
    await ensureBuilt(['server']);
    return ['--enable-source-maps', serverBundle];
  } catch (err) {
    process.stderr.write(`spawnServer: the server bundle did not build, running the sources through tsx (${String(err)})\n`);
    return ['--import', 'tsx', serverMain];
  }
}

/**
 * Starts the server as a separate process (for crash tests); resolves when it accepts requests.
 * With `nodeArgs` (e.g. an --import of a source module that hooks into the server) it runs the
 * sources through tsx, so such a module and the server share one copy of each source module.
 */
export async function spawnServer(env: Record<string, string>, opts: { nodeArgs?: string[] } = {}): Promise<ChildProcess> {
  const program = opts.nodeArgs ? [...opts.nodeArgs, '--import', 'tsx', serverMain] : await serverProgram();
  const child = spawn(process.execPath, program, {
    env: { ...process.env, ...testEnv(env) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const port = env['PORT'];
  await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      return (await fetch(`http://127.0.0.1:${port}/healthz`)).ok;
    } catch {
      return false;
    }
  }, { timeoutMs: 60_000, what: 'server process to start', intervalMs: 100 }).catch((err: unknown) => {
    // Not left running (and loading the machine for the tests after) when it did not come up in time.
    child.kill('SIGKILL');
    throw err;
  });
  return child;
}

export { TcpBalancer } from './balancer.ts';
export { NatsServer } from './nats-server.ts';
export { Coturn, type CoturnOptions } from './coturn.ts';
export { Janus } from './janus.ts';
export { blockTcpFrom, canUseNetns, cutOff, NetnsLab, type LabRules } from './netns-lab.ts';
export { createTestDatabase, dropInBackground, freshDatabases, TEST_PG_URL, type DatabaseTemplate, type TestDatabase } from './postgres.ts';
export { appendAsMessage, appendUncheckedCommit, forgeKeyLogEntry, forgetGroupStates, rewriteKeyLogEntry, rollBackChatEpoch, tamperMessage } from './forge.ts';
export {
  channelHead, channelKeyList, channelPostRow, dropChannelPost, insertChannelPost, outsideChannelKey, putChannelPostRow, replaceChannelKeyList, rewriteChannelPost,
  setChannelHead, swapChannelPosts,
} from './forge-channels.ts';
export { tappedWebSocket, type SocketTap } from './socket-tap.ts';
export { claimFor, commitFrame, mlsTestDevice, startGroup, type MlsTestDevice } from './mls-device.ts';
export { seedLargeGroup } from './large-group.ts';
export { rejectsWithCode } from './assertions.ts';
export {
  CLIENT_FRAME_TYPES, FUZZ_CONTENT_TYPES, encodeFrame, expectReply, fuzzFrame, fuzzSeed, validFrame,
  type Expectation, type FrameFuzzContext, type FuzzFrame,
} from './fuzz-frames.ts';
export { FUZZ_CLOSE_CODES, FrameFuzzer, type AckEntry, type FrameFuzzerOptions, type FuzzStats, type SentEntry } from './fuzz-driver.ts';
export { fuzzRequest, hasRestGenerator, routeKey, type FuzzRequest, type RestFuzzContext } from './fuzz-rest.ts';
export { freshCheckout, repoRoot, startProcess, type Checkout, type StartedProcess } from './checkout.ts';
export { S3_TEST_CREDENTIALS, startTestS3, type TestS3 } from './s3.ts';
