import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startGateway } from '@parley/bot-gateway';
import { createUser, startTestServer, waitFor } from '@parley/testing';
import { fromBot, runBot } from './bot-run.ts';

type Update = { update_id: number; message?: { message_id: number; text: string; chat: { id: number; type: string; title?: string }; from: { id: number; is_bot: boolean; first_name: string } } };

async function getUpdates(apiRoot: string, token: string, body: Record<string, unknown>): Promise<Update[]> {
  const res = await fetch(`${apiRoot}/bot${token}/getUpdates`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const json = (await res.json()) as { ok: boolean; result: Update[] };
  assert.equal(json.ok, true);
  return json.result;
}

describe('the bot gateway across restarts and in groups (R90b, R94)', () => {
  it('R94 a restarted gateway keeps its device, its integer ids and growing update ids; after a rotation it registers anew with the new token', async () => {
    await using server = await startTestServer();
    const owner = await createUser(server.url);
    const person = await createUser(server.url, { displayName: 'Rita' });
    const { bot, token } = await owner.client.bots.create({ handle: 'steady_bot', displayName: 'Steady' });
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-gw-'));
    const listen = { host: '127.0.0.1', port: 0 };
    let gw: Awaited<ReturnType<typeof startGateway>> | undefined;
    try {
      const chat = await person.client.openDirect(bot.userId);
      gw = await startGateway({ server: server.url, token, listen, dataDir, log: () => undefined });
      // Rita's own device must have the bot's new device in the chat's group, or 'first' is sent before it joined.
      await waitFor(async () => (await person.client.encryptionMembers(chat.chatId)).some((m) => m.userId === bot.userId), { what: 'the bot\'s device in the chat\'s group', timeoutMs: 30_000 });
      await person.client.sendText(chat.chatId, 'first');
      const [first] = await getUpdates(gw.url, token, { timeout: 20 });
      assert.equal(first?.message?.text, 'first');
      assert.deepEqual([first.message.chat.type, first.message.from.is_bot, first.message.from.first_name], ['private', false, 'Rita']);
      const devicesBefore = (await server.services.storage.listDevices(bot.userId)).filter((d) => d.revokedAt === null).map((d) => d.deviceId);
      await gw.close();

      gw = await startGateway({ server: server.url, token, listen, dataDir, log: () => undefined });
      assert.deepEqual((await server.services.storage.listDevices(bot.userId)).filter((d) => d.revokedAt === null).map((d) => d.deviceId), devicesBefore, 'no new device');
      await person.client.sendText(chat.chatId, 'second');
      const [second] = await getUpdates(gw.url, token, { offset: first.update_id + 1, timeout: 20 });
      assert.equal(second?.message?.text, 'second');
      assert.ok(second.update_id > first.update_id, 'update ids grow across restarts');
      assert.equal(second.message.chat.id, first.message.chat.id, 'the same chat id');
      assert.equal(second.message.from.id, first.message.from.id, 'the same user id');
      assert.ok(second.message.message_id !== first.message.message_id);
      await gw.close();

      const fresh = await owner.client.bots.rotateToken(bot.userId);
      gw = await startGateway({ server: server.url, token: fresh, listen, dataDir, log: () => undefined });
      const next = gw;
      // What the person sends before the new device is in the chat's encryption group is not for it (MLS): wait for it.
      await waitFor(() => next.client.chat(chat.chatId)?.encryption === 'on', { what: 'the new device in the chat\'s group', timeoutMs: 30_000 });
      const devicesAfter = (await server.services.storage.listDevices(bot.userId)).filter((d) => d.revokedAt === null).map((d) => d.deviceId);
      assert.equal(devicesAfter.length, 1);
      assert.notDeepEqual(devicesAfter, devicesBefore, 'a new device for the new token');
      await person.client.sendText(chat.chatId, 'third');
      await waitFor(async () => (await getUpdates(next.url, fresh, { timeout: 5 })).some((u) => u.message?.text === 'third'), { what: 'the new device reads', timeoutMs: 30_000 });
    } finally {
      await gw?.close();
      for (const u of [owner, person]) await u.client.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('R91 R94 a bot added to a group reads its messages and answers there (a group chat, negative id)', async () => {
    await using server = await startTestServer();
    const owner = await createUser(server.url);
    const [ann, ben] = [await createUser(server.url, { displayName: 'Ann' }), await createUser(server.url, { displayName: 'Ben' })];
    const echo = await owner.client.bots.create({ handle: 'group_echo_bot', displayName: 'Group echo' });
    await owner.client.bots.setPrivacy(echo.bot.userId, false); // R105: it reads every message of its groups
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-gw-'));
    try {
      await using gw = await startGateway({ server: server.url, token: echo.token, listen: { host: '127.0.0.1', port: 0 }, dataDir, log: () => undefined });
      const group = await ann.client.createGroup({ name: 'Trip', memberIds: [ben.userId, echo.bot.userId] });
      await waitFor(() => gw.client.chat(group.chatId) !== undefined, { what: 'the bot is in the group' });
      await ann.client.sendText(group.chatId, 'who has the tickets');
      // The first update may be my_chat_member (R106: the bot was added): the message follows it.
      let u: Update | undefined;
      await waitFor(async () => (u = (await getUpdates(gw.url, echo.token, { timeout: 5 })).find((x) => x.message)) !== undefined, { what: 'the message update', timeoutMs: 30_000 });
      assert.equal(u?.message?.text, 'who has the tickets');
      assert.equal(u.message.chat.type, 'group');
      assert.ok(u.message.chat.id < 0, 'a group\'s id is negative');
      await using _bot = runBot('grammy-echo.mjs', { token: echo.token, apiRoot: gw.url });
      await ben.client.sendText(group.chatId, 'I have them');
      await waitFor(() => fromBot(ann, group.chatId, echo.bot.userId).some((i) => i.text === 'I have them'), { what: 'the bot answers in the group', timeoutMs: 40_000 });
    } finally {
      for (const u of [owner, ann, ben]) await u.client.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
