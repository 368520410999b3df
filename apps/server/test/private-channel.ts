import assert from 'node:assert/strict';
import type { Content, Message } from '@parley/protocol';
import { MlsCodec, type ParleyClient } from '@parley/client';
import { createUser, type TestUser } from '@parley/testing';

/** Helpers shared by the private channel tests (channels-private, channels-wrapped, channels-comments). */

/** How long a test waits for a chat's encryption group to hold its members. */
export const GROUP_FORMED = 30_000;

/** The user ids in the chat's encryption group, as this client sees it. */
export const inGroup = (client: ParleyClient, chatId: string) => client.encryptionMembers(chatId).then((ms) => ms.map((m) => m.userId));

/** Users made by name, kept in `started` (a test adds the clients it makes itself); `stopAll` (each file's afterEach) stops them. */
export function userPool(): { started: TestUser[]; users(url: string, ...names: string[]): Promise<TestUser[]>; stopAll(): Promise<void> } {
  const started: TestUser[] = [];
  return {
    started,
    async users(url, ...names) {
      const made = await Promise.all(names.map((displayName) => createUser(url, { displayName })));
      started.push(...made);
      return made;
    },
    async stopAll() {
      for (const u of started.splice(0)) await u.client.stop();
    },
  };
}

/** What a device that kept its group state reads when it follows the chat's log as a member holds it, and the epochs. */
export async function follow(device: TestUser, chatId: string, log: readonly Message[]): Promise<{ read: string[]; contents: Content[]; epoch: number | undefined; epochOf: (m: Message) => number | undefined }> {
  const keeper = device.client.keyPackages;
  assert.ok(keeper);
  const reader = new MlsCodec({ userId: device.userId, deviceId: device.deviceId, store: device.store, keys: keeper });
  const epoch = await reader.epoch(chatId);
  const last = (await device.store.getMessages(chatId)).at(-1)?.seq ?? 0;
  const batch = await reader.decodeBatch(chatId, log.filter((m) => m.seq > last), () => undefined, async () => {});
  const read = batch.decoded.flatMap((d) => (d?.kind === 'content' && d.content.kind === 'text' ? [d.content.text] : []));
  const contents = batch.decoded.flatMap((d) => (d?.kind === 'content' ? [d.content] : []));
  return { read, contents, epoch, epochOf: (m) => (m.envelope ? reader.epochOf(m.envelope) : undefined) };
}
