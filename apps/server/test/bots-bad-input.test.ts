import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { MAX_BODY_BYTES, startGateway } from '@parley/bot-gateway';
import { CallbackContent, ReplyMarkup } from '@parley/protocol';
import { createUser, startTestServer, waitFor } from '@parley/testing';

/** A raw Bot API call, as a bot library makes it; answers the status and the JSON envelope. */
async function call(url: string, init: RequestInit = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, init);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
const json = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('bot gateway bad input (R93, R94)', () => {
  it('R94 wrong token 401, unknown method 404, malformed JSON and bodies 400, oversize 413, callback data over 64 bytes 400; a revoked token 401 — in Telegram\'s envelope, nothing crashes', async () => {
    await using server = await startTestServer();
    const owner = await createUser(server.url);
    const person = await createUser(server.url);
    const { bot, token } = await owner.client.bots.create({ handle: 'strict_bot', displayName: 'Strict' });
    const dir = mkdtempSync(join(tmpdir(), 'parley-gw-'));
    try {
      await using gw = await startGateway({ server: server.url, token, listen: { host: '127.0.0.1', port: 0 }, dataDir: dir, log: () => undefined });
      const api = (method: string) => `${gw.url}/bot${token}/${method}`;

      const me = await call(api('getMe'));
      assert.equal(me.status, 200);
      assert.deepEqual({ ok: me.body['ok'], is_bot: (me.body['result'] as Record<string, unknown>)['is_bot'], username: (me.body['result'] as Record<string, unknown>)['username'] }, { ok: true, is_bot: true, username: 'strict_bot' });

      assert.deepEqual(await call(`${gw.url}/bot${bot.userId}:${'x'.repeat(43)}/getMe`), { status: 401, body: { ok: false, error_code: 401, description: 'Unauthorized' } });
      assert.deepEqual(await call(api('sendDice')), { status: 404, body: { ok: false, error_code: 404, description: 'Not Found' } });
      assert.deepEqual(await call(`${gw.url}/nothing/here`), { status: 404, body: { ok: false, error_code: 404, description: 'Not Found' } });
      const broken = await call(api('sendMessage'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"chat_id": 1, "text": ' });
      assert.deepEqual(broken, { status: 400, body: { ok: false, error_code: 400, description: 'Bad Request: can\'t parse JSON body' } });
      const badMultipart = await call(api('sendMessage'), { method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=zzz' }, body: '--zzz\r\nnonsense' });
      assert.equal(badMultipart.status, 400);
      assert.equal((await call(api('sendMessage'), json({ chat_id: 'abc', text: 'x' }))).body['description'], 'Bad Request: chat_id is not a number');
      assert.equal((await call(api('sendMessage'), json({ chat_id: 424242, text: 'x' }))).body['description'], 'Bad Request: chat not found');
      const huge = await call(api('sendMessage'), json({ chat_id: 1, text: 'x'.repeat(MAX_BODY_BYTES) }));
      assert.deepEqual(huge, { status: 413, body: { ok: false, error_code: 413, description: 'Request Entity Too Large' } });

      // A chat the person opened: the bot learns its id from the update, as a Telegram bot does.
      const chat = await person.client.openDirect(bot.userId);
      await person.client.sendText(chat.chatId, 'hi');
      const updates = await call(api('getUpdates'), json({ timeout: 20 }));
      const first = (updates.body['result'] as { update_id: number; message: { chat: { id: number }; text: string } }[])[0]!;
      assert.equal(first.message.text, 'hi');
      const chatId = first.message.chat.id;
      const overData = 'ж'.repeat(33); // 66 bytes in UTF-8, 33 characters
      const refused = await call(api('sendMessage'), json({ chat_id: chatId, text: 'pick', reply_markup: { inline_keyboard: [[{ text: 'a', callback_data: overData }]] } }));
      assert.deepEqual(refused, { status: 400, body: { ok: false, error_code: 400, description: 'Bad Request: BUTTON_DATA_INVALID' } });
      // The same over form-urlencoded and multipart, the way other libraries send it.
      const form = await call(api('sendMessage'), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ chat_id: String(chatId), text: 'by form' }).toString() });
      assert.equal(form.status, 200);
      const multipart = new FormData();
      multipart.set('chat_id', String(chatId));
      multipart.set('text', '<b>bold</b> by <i>multipart</i>');
      multipart.set('parse_mode', 'HTML');
      assert.equal((await call(api('sendMessage'), { method: 'POST', body: multipart })).status, 200);
      const unparsable = await call(api('sendMessage'), json({ chat_id: chatId, text: '<b>open', parse_mode: 'HTML' }));
      assert.equal((await call(api('sendMessage'), json({ chat_id: chatId, text: '*x*', parse_mode: 'Markdown' }))).status, 400, 'legacy Markdown is not taken');
      assert.equal(unparsable.status, 400);
      assert.match(String(unparsable.body['description']), /^Bad Request: can't parse entities/);
      assert.equal((await call(api('sendMessage'), json({ chat_id: chatId, text: '*fare* is 2\\.50 \\(cash\\)', parse_mode: 'MarkdownV2' }))).status, 200);
      const unescaped = await call(api('sendMessage'), json({ chat_id: chatId, text: 'fare is 2.50', parse_mode: 'MarkdownV2' }));
      assert.equal(unescaped.status, 400, 'MarkdownV2 reserves "." as Telegram does');
      await waitFor(() => person.client.timeline(chat.chatId).some((i) => i.text === 'bold by multipart' && i.entities?.length === 2), { what: 'the person reads both', timeoutMs: 20_000 });
      await waitFor(() => person.client.timeline(chat.chatId).some((i) => i.text === 'fare is 2.50 (cash)' && i.entities?.[0]?.type === 'bold'), { what: 'the MarkdownV2 text' });
      assert.ok(person.client.timeline(chat.chatId).some((i) => i.text === 'by form'));

      // editMessageReplyMarkup: the keyboard changes, the text stays; the same keyboard again is "not modified".
      const menu = await call(api('sendMessage'), json({ chat_id: chatId, text: 'vote', reply_markup: { inline_keyboard: [[{ text: 'yes', callback_data: 'y' }]] } }));
      const messageId = (menu.body['result'] as { message_id: number }).message_id;
      const newKeys = { inline_keyboard: [[{ text: 'closed', url: 'https://vote.example/results' }]] };
      assert.equal((await call(api('editMessageReplyMarkup'), json({ chat_id: chatId, message_id: messageId, reply_markup: newKeys }))).status, 200);
      assert.match(String((await call(api('editMessageReplyMarkup'), json({ chat_id: chatId, message_id: messageId, reply_markup: newKeys }))).body['description']), /message is not modified/);
      assert.equal((await call(api('editMessageText'), json({ chat_id: chatId, message_id: 999_999, text: 'x' }))).body['description'], 'Bad Request: message to edit not found');
      await waitFor(() => person.client.timeline(chat.chatId).some((i) => i.text === 'vote' && i.replyMarkup?.inlineKeyboard[0]?.[0]?.url === 'https://vote.example/results'), { what: 'the new keyboard' });
      assert.ok(!person.client.timeline(chat.chatId).some((i) => i.text === 'pick'), 'nothing of a refused call was sent');

      // Revoked: the gateway's device is signed out and every call answers 401, as for a revoked Telegram token.
      await owner.client.bots.revoke(bot.userId);
      await waitFor(async () => (await call(api('getMe'))).status === 401, { what: 'the gateway refuses the revoked token' });
      assert.deepEqual((await call(api('getUpdates'))).body, { ok: false, error_code: 401, description: 'Unauthorized' });
      await assert.rejects(startGateway({ server: server.url, token, listen: { host: '127.0.0.1', port: 0 }, dataDir: join(dir, 'second'), log: () => undefined }),
        (err: unknown) => (err as { code?: string }).code === 'bot_token_invalid', 'a fresh gateway cannot register with a revoked token');
    } finally {
      await Promise.all([owner, person].map((u) => u.client.stop()));
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('R93 callback data over 64 bytes and malformed keyboards are refused by the schema (what every device checks, sending and receiving)', () => {
    const base = { kind: 'callback', target: 'msg_000001', queryId: 'query_00001' };
    assert.ok(CallbackContent.safeParse({ ...base, data: 'x'.repeat(64) }).success);
    assert.ok(!CallbackContent.safeParse({ ...base, data: 'x'.repeat(65) }).success);
    assert.ok(!CallbackContent.safeParse({ ...base, data: 'ж'.repeat(33) }).success, '66 bytes in 33 characters');
    assert.ok(!ReplyMarkup.safeParse({ inlineKeyboard: [[{ text: 'a' }]] }).success, 'a button needs data or a URL');
    assert.ok(!ReplyMarkup.safeParse({ inlineKeyboard: [[{ text: 'a', callbackData: 'x', url: 'https://a.example' }]] }).success, 'not both');
    assert.ok(!ReplyMarkup.safeParse({ inlineKeyboard: [[{ text: 'a', url: 'javascript:alert(1)' }]] }).success);
    assert.ok(!ReplyMarkup.safeParse({ inlineKeyboard: Array.from({ length: 26 }, () => Array.from({ length: 4 }, () => ({ text: 'b', callbackData: 'd' }))) }).success, 'at most 100 buttons');
  });
});
