import { join } from 'node:path';
import WebSocket from 'ws';
import { ParleyClient, SealedStore, type WebSocketCtor } from '@parley/client';
import { FileStore } from './file-store.ts';
import { CliError, profileKey, readProfile } from './profile.ts';
import { cliStoreKey } from './store-key.ts';

/** Prints one line (stdout or stderr). */
export type Out = (line: string) => void;

export async function openClient(dir: string): Promise<ParleyClient> {
  const profile = readProfile(dir);
  return new ParleyClient({
    baseUrl: profile.server,
    session: { userId: profile.userId, deviceId: profile.deviceId },
    deviceKey: await profileKey(profile),
    // Sealed at rest (store-key.ts); a profile from before is rewritten sealed on this first open.
    store: await SealedStore.open(new FileStore(join(dir, 'store.json')), await cliStoreKey(dir)),
    WebSocket: WebSocket as unknown as WebSocketCtor,
  });
}

/** Runs `fn` with a started client; `sync` waits until the local copy matches the server. */
export async function withClient(dir: string, fn: (c: ParleyClient) => Promise<void>, opts: { sync?: boolean } = {}): Promise<number> {
  const client = await openClient(dir);
  await client.start();
  try {
    if (opts.sync) await synced(client);
    await fn(client);
  } finally {
    await client.stop();
  }
  return 0;
}

export async function synced(client: ParleyClient): Promise<void> {
  await until(() => client.connectionState === 'online' || client.connectionState === 'revoked', 15_000, 'a connection');
  if (client.connectionState === 'revoked') throw new CliError('this device was signed out');
  await until(() => client.chatListComplete, 30_000, 'the chat list');
  await until(() => client.chats().every((c) => (client.log(c.chatId).at(-1)?.seq ?? 0) >= c.lastSeq), 30_000, 'sync');
}

/** Waits until the server acknowledged these outbox items; one it refused is an error. */
export async function acknowledged(c: ParleyClient, ids: readonly string[]): Promise<void> {
  await until(() => !c.outbox().some((o) => ids.includes(o.clientMsgId) && !o.failedCode), 30_000, 'the server to acknowledge');
  const failed = c.outbox().find((o) => ids.includes(o.clientMsgId));
  if (failed) throw new CliError(`refused by the server: ${failed.failedCode}`);
}

export function need(value: string | undefined, what: string): string {
  if (!value) throw new CliError(`missing ${what}`);
  return value;
}

export async function until(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new CliError(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
