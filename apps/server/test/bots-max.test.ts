import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { createUser, startTestServer, waitFor } from '@parley/testing';
import { fromBot, runBot, testGateway } from './bot-run.ts';

/**
 * R109: the Max Bot API facade of the gateway. @maxhub/max-bot-api's README bot and a keyboard bot
 * written with its helpers run with only their base URL and token changed; a person talks to them
 * through the SDK.
 */
describe('Max bots on Parley through the bot gateway (R109)', () => {
  it('R109 the README bot of @maxhub/max-bot-api: bot_started greets, /ping, hello, echo; its setMyCommands is the menu people see', async () => {
    await using server = await startTestServer();
    const owner = await createUser(server.url, { displayName: 'Olga' });
    const person = await createUser(server.url, { displayName: 'Pavel' });
    const { bot, token } = await owner.client.bots.create({ handle: 'maxecho_bot', displayName: 'Max Echo' });
    await using gateway = await testGateway(server.url, token);
    await using _bot = runBot('max-echo.mjs', { token, apiRoot: `${gateway.url}/max/` });
    await waitFor(async () => (await person.client.bots.commands(bot.userId)).length > 0, { what: 'the README bot\'s setMyCommands', timeoutMs: 40_000 });
    assert.deepEqual(await person.client.bots.commands(bot.userId), [{ command: 'ping', description: 'Сыграть в пинг-понг' }]);

    const chat = await person.client.openDirect(bot.userId);
    const said = (text: string) => fromBot(person, chat.chatId, bot.userId).some((i) => i.text === text);
    await waitFor(() => said('Привет! Отправь мне команду /ping, чтобы сыграть в пинг-понг'), { what: 'bot_started greeting', timeoutMs: 40_000 });
    await waitFor(async () => (await person.client.encryptionMembers(chat.chatId)).some((m) => m.userId === bot.userId), { what: 'the bot\'s device in the chat\'s group' });
    await person.client.sendText(chat.chatId, '/ping');
    await waitFor(() => said('pong'), { what: 'pong', timeoutMs: 30_000 });
    await person.client.sendText(chat.chatId, 'hello');
    await waitFor(() => said('world'), { what: 'world', timeoutMs: 30_000 });
    await person.client.sendText(chat.chatId, 'паром отходит в 7:40');
    await waitFor(() => said('паром отходит в 7:40'), { what: 'the echo', timeoutMs: 30_000 });
    await Promise.all([owner, person].map((u) => u.client.stop()));
  });

  it('R109 a keyboard bot: callback and link buttons, answers with a notification, edits by answer and by PUT /messages', async () => {
    await using server = await startTestServer();
    const owner = await createUser(server.url, { displayName: 'Olga' });
    const person = await createUser(server.url, { displayName: 'Pavel' });
    const { bot, token } = await owner.client.bots.create({ handle: 'maxkeys_bot', displayName: 'Max Keys' });
    await using gateway = await testGateway(server.url, token);
    await using _bot = runBot('max-keyboard.mjs', { token, apiRoot: gateway.url });
    const chat = await person.client.openDirect(bot.userId);
    await waitFor(async () => (await person.client.encryptionMembers(chat.chatId)).some((m) => m.userId === bot.userId), { what: 'the bot\'s device in the chat\'s group', timeoutMs: 40_000 });
    await person.client.sendText(chat.chatId, '/start');
    await waitFor(() => fromBot(person, chat.chatId, bot.userId).some((i) => i.text === 'Вам нравится Max?' && i.replyMarkup), { what: 'the keyboard', timeoutMs: 40_000 });
    const menu = fromBot(person, chat.chatId, bot.userId).find((i) => i.text === 'Вам нравится Max?')!;
    assert.deepEqual(menu.replyMarkup, { inlineKeyboard: [[{ text: 'Да', callbackData: 'yes' }, { text: 'Нет', callbackData: 'no' }], [{ text: 'Документация', url: 'https://dev.max.ru' }]] });
    const now = () => person.client.timeline(chat.chatId).find((i) => i.id === menu.id)!;

    const yes = await person.client.bots.press(chat.chatId, menu.id, 'yes');
    await waitFor(() => now().text === 'Вы ответили: да', { what: 'the edit by the answer', timeoutMs: 30_000 });
    assert.deepEqual(now().replyMarkup, menu.replyMarkup, 'an answer\'s message without attachments keeps the keyboard');
    await waitFor(async () => (await person.client.bots.answerTo(chat.chatId, yes))?.text === 'Отлично!', { what: 'the notification' });

    const no = await person.client.bots.press(chat.chatId, menu.id, 'no');
    await waitFor(async () => (await person.client.bots.answerTo(chat.chatId, no))?.text === 'Жаль', { what: 'the second notification', timeoutMs: 30_000 });
    await waitFor(() => now().text === 'Вы ответили: нет', { what: 'the edit by PUT /messages', timeoutMs: 30_000 });
    assert.equal(now().replyMarkup, undefined, 'attachments: [] took the keyboard away');
    assert.deepEqual(now().entities, [{ type: 'bold', offset: 13, length: 3 }], 'format: markdown became formatting');
    await Promise.all([owner, person].map((u) => u.client.stop()));
  });

  it('R109 bad input: no or wrong token 401, unknown path 404, malformed JSON and bad buttons 400, a stranger 403; R151 locations; webhooks deliver with the secret and block polling', async () => {
    await using server = await startTestServer();
    const owner = await createUser(server.url, { displayName: 'Olga' });
    const person = await createUser(server.url, { displayName: 'Pavel' });
    const { bot, token } = await owner.client.bots.create({ handle: 'maxraw_bot', displayName: 'Max Raw' });
    await using gateway = await testGateway(server.url, token);
    const call = async (method: string, path: string, body?: unknown, auth = token) => {
      const res = await fetch(`${gateway.url}${path}`, {
        method, headers: { authorization: auth, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
      });
      return { status: res.status, body: await res.json() as Record<string, unknown> };
    };
    assert.equal((await call('GET', '/me', undefined, 'nope')).status, 401);
    assert.equal((await call('GET', '/me', undefined, 'nope')).body['code'], 'verify.token');
    const me = await call('GET', '/me');
    assert.equal(me.status, 200);
    assert.equal(me.body['username'], 'maxraw_bot');
    assert.equal(me.body['is_bot'], true);
    assert.equal((await call('GET', '/nothing-here')).status, 404);
    assert.equal((await call('POST', '/messages?chat_id=1', '{"text": ')).status, 400);
    assert.deepEqual((await call('GET', '/chats')).body['chats'], [], 'nobody opened a chat with the bot yet');

    const chat = await person.client.openDirect(bot.userId);
    await waitFor(async () => (await person.client.encryptionMembers(chat.chatId)).some((m) => m.userId === bot.userId), { what: 'the bot\'s device in the chat\'s group', timeoutMs: 40_000 });
    await person.client.sendText(chat.chatId, 'first');
    let updates: Record<string, unknown>[] = [];
    let marker: number | undefined;
    await waitFor(async () => {
      const got = (await call('GET', `/updates?timeout=1${marker !== undefined ? `&marker=${marker}` : ''}`)).body;
      updates = [...updates, ...(got['updates'] as Record<string, unknown>[])];
      marker = got['marker'] as number;
      return updates.some((u) => u['update_type'] === 'message_created');
    }, { what: 'message_created', timeoutMs: 30_000 });
    assert.ok(updates.some((u) => u['update_type'] === 'bot_started'), 'bot_started came first');
    const created = updates.find((u) => u['update_type'] === 'message_created')!;
    const message = created['message'] as { body: { text: string; mid: string }; recipient: { chat_id: number; chat_type: string; user_id: number }; sender: { name: string } };
    assert.equal(message.body.text, 'first');
    assert.equal(message.recipient.chat_type, 'dialog');
    assert.equal(message.sender.name, 'Pavel');
    const chatInt = message.recipient.chat_id;

    assert.equal((await call('POST', `/messages?chat_id=${chatInt}`, { text: 'x', attachments: [{ type: 'image', payload: {} }] })).status, 400);
    assert.equal((await call('POST', `/messages?chat_id=${chatInt}`, { text: 'x', attachments: [{ type: 'inline_keyboard', payload: { buttons: [[{ type: 'callback', text: 'big', payload: 'x'.repeat(65) }]] } }] })).status, 400);
    assert.equal((await call('POST', `/messages?user_id=999999`, { text: 'x' })).status, 403);
    // By user_id: the direct chat the person opened.
    const sent = await call('POST', `/messages?user_id=${message.recipient.user_id}`, { text: 'by <b>user</b> id', format: 'html' });
    assert.equal(sent.status, 200);
    await waitFor(() => fromBot(person, chat.chatId, bot.userId).some((i) => i.text === 'by user id'), { what: 'the message by user_id' });
    const mid = (sent.body['message'] as { body: { mid: string } }).body.mid;
    assert.equal((await call('PUT', `/messages?message_id=${encodeURIComponent(message.body.mid)}`, { text: 'not mine' })).status, 403);
    assert.deepEqual((await call('DELETE', `/messages?message_id=${encodeURIComponent(mid)}`)).body, { success: true });
    await waitFor(() => person.client.timeline(chat.chatId).find((i) => i.text === 'by user id' || (i.senderUserId === bot.userId && i.deleted))?.deleted === true, { what: 'the deletion' });

    // R151 on Max: a `location` attachment is a place both ways; a bad one is 400.
    const where = await call('POST', `/messages?chat_id=${chatInt}`, { text: 'Depot', attachments: [{ type: 'location', latitude: 48.8584, longitude: 2.2945 }] });
    assert.deepEqual((where.body['message'] as { body: { attachments: unknown[] } }).body.attachments, [{ type: 'location', latitude: 48.8584, longitude: 2.2945 }]);
    await waitFor(() => fromBot(person, chat.chatId, bot.userId).some((i) => i.text === 'Depot' && i.place?.lat === 48.8584), { what: 'the location at the person' });
    assert.equal((await call('POST', `/messages?chat_id=${chatInt}`, { attachments: [{ type: 'location', latitude: 91, longitude: 0 }] })).status, 400);
    await person.client.bots.sendText(chat.chatId, '', { place: { lat: 59.93, lon: 30.36 } });
    await waitFor(async () => {
      const got = (await call('GET', `/updates?timeout=1&marker=${marker}`)).body;
      updates = [...updates, ...(got['updates'] as Record<string, unknown>[])];
      marker = got['marker'] as number;
      return updates.some((u) => JSON.stringify(u).includes('"type":"location","latitude":59.93'));
    }, { what: 'the person\'s location at the Max bot', timeoutMs: 30_000 });
    // Webhooks: each update POSTed as Max sends it, with the secret; polling refused meanwhile.
    const got: { secret: string | undefined; body: Record<string, unknown> }[] = [];
    const hook = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => { got.push({ secret: req.headers['x-max-bot-api-secret'] as string | undefined, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> }); res.end('ok'); });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()));
    const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/max-hook`;
    try {
      assert.deepEqual((await call('POST', '/subscriptions', { url: hookUrl, update_types: ['message_created'], secret: 'shh_12345' })).body, { success: true });
      assert.deepEqual(((await call('GET', '/subscriptions')).body['subscriptions'] as { url: string }[]).map((s) => s.url), [hookUrl]);
      assert.equal((await call('GET', '/updates?timeout=0')).status, 409);
      await person.client.sendText(chat.chatId, 'to the hook');
      await waitFor(() => got.some((g) => (g.body['message'] as { body: { text: string } } | undefined)?.body.text === 'to the hook'), { what: 'the webhook POST', timeoutMs: 30_000 });
      assert.equal(got.find((g) => g.body['update_type'] === 'message_created')?.secret, 'shh_12345');
      assert.deepEqual((await call('DELETE', `/subscriptions?url=${encodeURIComponent(hookUrl)}`)).body, { success: true });
      assert.equal((await call('GET', '/updates?timeout=0')).status, 200);
    } finally {
      hook.close();
    }
    await owner.client.bots.revoke(bot.userId);
    await waitFor(async () => (await call('GET', '/me')).status === 401, { what: 'a revoked token is 401' });
    await Promise.all([owner, person].map((u) => u.client.stop()));
  });

  it('R109 groups: the bot added (a group made with it) is bot_added; others coming and going are user_added / user_removed; removed, bot_removed', async () => {
    await using server = await startTestServer();
    const owner = await createUser(server.url, { displayName: 'Olga' });
    const [ann, ben, cid] = [await createUser(server.url, { displayName: 'Ann' }), await createUser(server.url, { displayName: 'Ben' }), await createUser(server.url, { displayName: 'Cid' })];
    const { bot, token } = await owner.client.bots.create({ handle: 'maxgroup_bot', displayName: 'Max Group' });
    await using gateway = await testGateway(server.url, token);
    let marker: number | undefined;
    const seen: Record<string, unknown>[] = [];
    const until = (what: string, pred: (u: Record<string, unknown>) => boolean) => waitFor(async () => {
      const res = await fetch(`${gateway.url}/updates?timeout=1${marker !== undefined ? `&marker=${marker}` : ''}`, { headers: { authorization: token } });
      const got = await res.json() as { updates: Record<string, unknown>[]; marker: number };
      seen.push(...got.updates);
      marker = got.marker;
      return seen.some(pred);
    }, { what, timeoutMs: 40_000 });

    const group = await ann.client.createGroup({ name: 'Trip', memberIds: [ben.userId, bot.userId] });
    await until('bot_added', (u) => u['update_type'] === 'bot_added');
    const added = seen.find((u) => u['update_type'] === 'bot_added') as { chat_id: number; user: { name: string } };
    assert.ok(added.chat_id < 0, 'a group\'s id is negative');
    assert.equal(added.user.name, 'Ann');
    await waitFor(() => gateway.client.chat(group.chatId) !== undefined, { what: 'the bot has the group' });
    await ann.client.addMember(group.chatId, cid.userId);
    await until('user_added', (u) => u['update_type'] === 'user_added' && (u['user'] as { name: string }).name === 'Cid');
    await ann.client.removeMember(group.chatId, cid.userId);
    await until('user_removed', (u) => u['update_type'] === 'user_removed' && (u['user'] as { name: string }).name === 'Cid');
    await ann.client.removeMember(group.chatId, bot.userId);
    await until('bot_removed', (u) => u['update_type'] === 'bot_removed');
    assert.equal((seen.find((u) => u['update_type'] === 'user_added') as { chat_id: number }).chat_id, added.chat_id);
    await Promise.all([owner, ann, ben, cid].map((u) => u.client.stop()));
  });
});
