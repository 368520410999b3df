import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createUser, startTestServer, waitFor } from '@parley/testing';
import { testGateway } from './bot-run.ts';

type Update = { update_id: number; message?: { message_id: number; text?: string; chat: { id: number } } };

/** A small Bot API caller, as a bot's code would call it. */
const botApi = (root: string, token: string) => async <T>(method: string, body: Record<string, unknown> = {}): Promise<T> => {
  const res = await fetch(`${root}/bot${token}/${method}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const json = (await res.json()) as { ok: boolean; result: T; description?: string };
  if (!json.ok) throw new Error(`${method}: ${json.description}`);
  return json.result;
};

describe('privacy mode in groups (R105)', () => {
  it('R105 privacy on: the bot\'s code gets commands, replies to it and mentions of it, not the group\'s other messages; turned off by the owner, it gets them all', async () => {
    await using server = await startTestServer();
    const owner = await createUser(server.url);
    const [ann, ben] = [await createUser(server.url, { displayName: 'Ann' }), await createUser(server.url, { displayName: 'Ben' })];
    const created = await owner.client.bots.create({ handle: 'quiet_bot', displayName: 'Quiet' });
    assert.equal(created.bot.groupPrivacy, true, 'on for a new bot');
    await using gw = await testGateway(server.url, created.token);
    const call = botApi(gw.url, created.token);
    assert.equal((await call<{ can_read_all_group_messages: boolean }>('getMe')).can_read_all_group_messages, false);

    const group = await ann.client.createGroup({ name: 'Choir', memberIds: [ben.userId, created.bot.userId] });
    await waitFor(async () => (await ann.client.encryptionMembers(group.chatId)).some((m) => m.userId === created.bot.userId), { what: 'the bot\'s device in Ann\'s group', timeoutMs: 30_000 });
    await waitFor(() => gw.client.chat(group.chatId)?.encryption === 'on', { what: 'the bot reads the group', timeoutMs: 30_000 });
    const seen: string[] = [];
    let offset = 0;
    let tgChat = 0;
    const pull = async () => {
      for (const u of await call<Update[]>('getUpdates', { offset, timeout: 5 })) {
        offset = u.update_id + 1;
        if (u.message?.text) seen.push(u.message.text);
        if (u.message) tgChat = u.message.chat.id;
      }
    };

    await ann.client.sendText(group.chatId, 'rehearsal moved to Thursday');
    await ben.client.sendText(group.chatId, '/status');
    await ben.client.sendText(group.chatId, '/status@other_bot');
    await ann.client.sendText(group.chatId, 'hey @quiet_bot, who is coming?');
    await waitFor(async () => { await pull(); return seen.includes('hey @quiet_bot, who is coming?'); }, { what: 'the mention', timeoutMs: 40_000 });
    const mine = await call<{ message_id: number }>('sendMessage', { chat_id: tgChat, text: 'Ann and Ben so far' });
    await waitFor(() => ben.client.timeline(group.chatId).some((i) => i.text === 'Ann and Ben so far'), { what: 'Ben sees the bot' });
    const botLine = ben.client.timeline(group.chatId).find((i) => i.text === 'Ann and Ben so far')!;
    await ann.client.sendText(group.chatId, 'and Ben is late again');
    await ben.client.sendText(group.chatId, 'add Carl too', { replyTo: botLine.id });
    await waitFor(async () => { await pull(); return seen.includes('add Carl too'); }, { what: 'the reply to the bot', timeoutMs: 40_000 });
    assert.ok(mine.message_id > 0);
    // Every message was read by the bot's device in order: the ordinary ones came before and were left out.
    assert.deepEqual(seen, ['/status', 'hey @quiet_bot, who is coming?', 'add Carl too']);

    assert.equal((await owner.client.bots.setPrivacy(created.bot.userId, false)).groupPrivacy, false);
    await waitFor(async () => (await call<{ can_read_all_group_messages: boolean }>('getMe')).can_read_all_group_messages, { what: 'the gateway reads the new setting', timeoutMs: 30_000 });
    await ann.client.sendText(group.chatId, 'bring the sheet music');
    await waitFor(async () => { await pull(); return seen.includes('bring the sheet music'); }, { what: 'an ordinary message with privacy off', timeoutMs: 40_000 });
    for (const u of [owner, ann, ben]) await u.client.stop();
  });

  it('R105 only the owner sets privacy mode, and only a bot\'s own device reads it', async () => {
    await using server = await startTestServer();
    const owner = await createUser(server.url);
    const other = await createUser(server.url);
    const created = await owner.client.bots.create({ handle: 'kept_bot', displayName: 'Kept' });
    await assert.rejects(other.client.bots.setPrivacy(created.bot.userId, false), { code: 'bot_not_found' });
    await assert.rejects(other.client.bots.self(), { code: 'forbidden' });
    assert.equal((await owner.client.bots.list())[0]?.groupPrivacy, true);
    for (const u of [owner, other]) await u.client.stop();
  });
});
