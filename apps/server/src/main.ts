import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino, { type Logger } from 'pino';
import { userTopic } from './bus/bus.ts';
import type { Bus } from './bus/bus.ts';
import { MemoryBus } from './bus/memory-bus.ts';
import { loadConfig, type Config } from './config.ts';
import { Accounts } from './domain/accounts.ts';
import { Chats } from './domain/chats.ts';
import { Delivery } from './domain/delivery.ts';
import { Passkeys } from './domain/passkeys.ts';
import { cryptoRandom, systemClock, type Clock, type Random } from './domain/ports.ts';
import { PushNotifier, type PushSender } from './domain/push.ts';
import { RateLimiter } from './domain/rate-limiter.ts';
import { TokenSigner } from './domain/secrets.ts';
import { buildHttp } from './http/app.ts';
import { generateVapidKeys, WebPushSender, type VapidKeys } from './push/web-push-sender.ts';
import { Gateway } from './realtime/gateway.ts';
import { Hub } from './realtime/hub.ts';
import type { Services } from './services.ts';
import { SqliteStorage } from './storage/sqlite/sqlite-storage.ts';
import type { Storage } from './storage/storage.ts';

export interface RunningServer {
  /** http://host:port */
  url: string;
  port: number;
  config: Config;
  services: Services;
  gateway: Gateway;
  close(): Promise<void>;
}

export interface StartOptions {
  clock?: Clock;
  random?: Random;
  logger?: Logger;
  /** Replaces the Web Push sender (tests point it at a local push service). */
  pushSender?: PushSender;
}

/** The composition root: the one place that knows every concrete class. */
export async function startParley(config: Config, opts: StartOptions = {}): Promise<RunningServer> {
  const logger = opts.logger ?? pino({ level: config.logLevel });
  const clock = opts.clock ?? systemClock;
  const random = opts.random ?? cryptoRandom;
  mkdirSync(config.dataDir, { recursive: true });

  const storage: Storage = SqliteStorage.open(join(config.dataDir, 'parley.sqlite'));
  const bus: Bus = new MemoryBus();
  const hub = new Hub(bus);
  const limiter = new RateLimiter(clock);
  const tokens = new TokenSigner(loadOrCreate(join(config.dataDir, 'secret.key'), () => random.bytes(32)));
  const push = opts.pushSender ?? new WebPushSender(loadVapidKeys(config.dataDir), config.vapidSubject);
  const onError = (err: unknown, context: Record<string, unknown>) => logger.error({ err, ...context }, 'background error');

  const accounts = new Accounts({
    storage, clock, random, tokens, limiter,
    sessionTtlMs: config.sessionTtlMs,
    signupPerHour: config.rates.signupPerHour,
    loginPerMin: config.rates.loginPerMin,
    onDeviceRevoked: (userId, deviceId) => bus.publish(userTopic(userId), { type: 'device_revoked', deviceId }),
    onlineDevices: (userId) => hub.onlineDevices(userId),
  });
  const passkeys = new Passkeys({ storage, accounts, clock, random, tokens, rpId: config.rpId, origin: config.origin });
  const chats = new Chats({ storage, bus, clock, random, maxGroupMembers: config.limits.maxGroupMembers });
  const notifier = new PushNotifier({
    storage, sender: push, clock, minIntervalMs: config.pushMinIntervalMs, onError,
    isUserOnline: (userId) => hub.isUserOnline(userId),
  });
  const delivery = new Delivery({
    storage, bus, chats, clock, limiter, limits: config.limits, rates: config.rates,
    onCommitted: (message) => notifier.notify(message),
  });
  const services: Services = { storage, accounts, passkeys, chats, delivery, limiter, push };

  const app = await buildHttp(config, services, logger);
  const gateway = new Gateway(app.server, services, hub, {
    maxFrameBytes: config.limits.maxFrameBytes,
    bufferBytes: config.limits.wsBufferBytes,
    authTimeoutMs: config.authTimeoutMs,
    pingIntervalMs: config.wsPingIntervalMs,
    onError,
  });
  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  logger.info({ port, dataDir: config.dataDir }, 'parley listening');

  let closed = false;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    config,
    services,
    gateway,
    async close() {
      if (closed) return;
      closed = true;
      await gateway.close();
      await app.close();
      await bus.close();
      await storage.close();
    },
  };
}

function loadOrCreate(path: string, make: () => Uint8Array): Uint8Array {
  if (existsSync(path)) return readFileSync(path);
  const value = make();
  writeFileSync(path, value, { mode: 0o600 });
  return value;
}

function loadVapidKeys(dataDir: string): VapidKeys {
  const path = join(dataDir, 'vapid.json');
  if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8')) as VapidKeys;
  const keys = generateVapidKeys();
  writeFileSync(path, JSON.stringify(keys), { mode: 0o600 });
  return keys;
}

/** Default location of the built web client: apps/web/dist beside this app. */
export function defaultWebDist(): string {
  return resolve(fileURLToPath(new URL('../../web/dist', import.meta.url)));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const config = loadConfig();
  config.webDist ??= defaultWebDist();
  const server = await startParley(config);
  const stop = async () => {
    await server.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}
