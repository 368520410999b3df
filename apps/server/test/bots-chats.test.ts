import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createUser, startTestServer, waitFor, type TestUser } from '@parley/testing';
import { testGateway } from './bot-run.ts';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- Bot API JSON, read field by field

/** The Bot API as a bot's code calls it; a refusal resolves as Telegram's envelope too. */
const botApi = (root: string, token: string) => async (method: string, body: Record<string, unknown> = {}): Promise<Obj> => {
  const res = await fetch(`${root}/bot${token}/${method}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return (await res.json()) as Obj;
};

describe('the Telegram chat methods and membership updates (R106)', () => {
  it('R106 in a group: getChat, members and admins as a member sees them, a reaction both ways, a poll, forward and copy to a person, ban only with the right; my_chat_member, chat_member and message_reaction updates', async () => {
    await using server = await startTestServer();
    const owner = await createUser(server.url);
    const ann = await createUser(server.url, { displayName: 'Ann' });
    const ben = await createUser(server.url, { displayName: 'Ben' });
    await using _stop = { [Symbol.asyncDispose]: async () => { for (const u of [owner, ann, ben]) await u.client.stop(); } };
    const created = await owner.client.bots.create({ handle: 'choir_bot', displayName: 'Choir' });
    const botId = created.bot.userId;
    await owner.client.bots.setPrivacy(botId, false);
    await using gw = await testGateway(server.url, created.token);
    const call = botApi(gw.url, created.token);
    const updates: Obj[] = [];
    let offset = 0;
    const pull = async (allowed?: string[]) => {
      const res = await call('getUpdates', { offset, timeout: 3, ...(allowed ? { allowed_updates: allowed } : {}) });
      for (const u of res['result'] as Obj[]) { offset = u['update_id'] + 1; updates.push(u); }
    };
    const until = async (what: string, pred: (u: Obj) => boolean) => {
      await waitFor(async () => { await pull(); return updates.some(pred); }, { what, timeoutMs: 40_000 });
      return updates.find(pred)!;
    };
    await pull(['message', 'my_chat_member', 'chat_member', 'message_reaction']);

    const group = await ann.client.createGroup({ name: 'Choir', memberIds: [ben.userId, botId] });
    const added = await until('my_chat_member', (u) => u['my_chat_member']?.new_chat_member.status === 'member');
    assert.equal(added['my_chat_member'].old_chat_member.status, 'left');
    assert.equal(added['my_chat_member'].chat.type, 'group');
    const tgGroup: number = added['my_chat_member'].chat.id;
    const sees = async (u: TestUser) => waitFor(async () => (await u.client.encryptionMembers(group.chatId)).some((m) => m.userId === botId), { what: 'the bot in the group', timeoutMs: 30_000 });
    await sees(ann);
    await sees(ben);
    await ann.client.sendText(group.chatId, 'rehearsal at six');
    await ben.client.sendText(group.chatId, 'I will be there');
    const annMsg = (await until('Ann\'s message', (u) => u['message']?.text === 'rehearsal at six'))['message'];
    const benMsg = (await until('Ben\'s message', (u) => u['message']?.text === 'I will be there'))['message'];

    await waitFor(async () => (await call('getChat', { chat_id: tgGroup }))['result'].title === 'Choir', { what: 'the bot reads the group\'s name' });
    assert.deepEqual((await call('getChat', { chat_id: tgGroup }))['result'], { id: tgGroup, type: 'group', title: 'Choir', accent_color_id: 0, max_reaction_count: 11, permissions: { can_send_messages: true } });
    assert.equal((await call('getChatMemberCount', { chat_id: tgGroup }))['result'], 3);
    const admins = (await call('getChatAdministrators', { chat_id: tgGroup }))['result'] as Obj[];
    assert.deepEqual(admins.map((a) => [a['status'], a['user'].first_name]), [['creator', 'Ann']]);
    assert.equal((await call('getChatMember', { chat_id: tgGroup, user_id: benMsg.from.id }))['result'].status, 'member');

    // A reaction from the bot, seen by Ann; one from Ann, seen by the bot.
    assert.equal((await call('setMessageReaction', { chat_id: tgGroup, message_id: annMsg.message_id, reaction: [{ type: 'emoji', emoji: '👍' }] }))['result'], true);
    await waitFor(() => ann.client.timeline(group.chatId).find((i) => i.text === 'rehearsal at six')?.reactions.some((r) => r.emoji === '👍' && r.userIds.includes(botId)) === true, { what: 'Ann sees the bot\'s reaction' });
    const said = (await call('sendMessage', { chat_id: tgGroup, text: 'Noted: six o\'clock' }))['result'];
    await waitFor(() => ann.client.timeline(group.chatId).some((i) => i.text === 'Noted: six o\'clock'), { what: 'Ann sees the bot' });
    await ann.client.react(group.chatId, ann.client.timeline(group.chatId).find((i) => i.text === 'Noted: six o\'clock')!.id, '🎉', true);
    const reaction = (await until('message_reaction', (u) => u['message_reaction'] !== undefined))['message_reaction'];
    assert.deepEqual([reaction.message_id, reaction.user.first_name, reaction.new_reaction, reaction.old_reaction], [said.message_id, 'Ann', [{ type: 'emoji', emoji: '🎉' }], []]);

    const poll = (await call('sendPoll', { chat_id: tgGroup, question: 'Which day?', options: [{ text: 'Tuesday' }, { text: 'Thursday' }], is_anonymous: false }))['result'];
    assert.deepEqual(poll.poll.options.map((o: Obj) => o['text']), ['Tuesday', 'Thursday']);
    await waitFor(() => ann.client.timeline(group.chatId).some((i) => i.poll?.question === 'Which day?' && i.poll.options.length === 2), { what: 'Ann sees the poll' });

    // Ben writes to the bot directly; the bot forwards and copies Ann's group message to him.
    const direct = await ben.client.openDirect(botId);
    await ben.client.sendText(direct.chatId, '/start');
    const tgDirect: number = (await until('Ben\'s /start', (u) => u['message']?.text === '/start'))['message'].chat.id;
    const fwd = await call('forwardMessage', { chat_id: tgDirect, from_chat_id: tgGroup, message_id: annMsg.message_id });
    assert.equal(fwd['result'].forward_origin.sender_user.first_name, 'Ann');
    assert.deepEqual((await call('copyMessage', { chat_id: tgDirect, from_chat_id: tgGroup, message_id: annMsg.message_id }))['ok'], true);
    await waitFor(() => ben.client.timeline(direct.chatId).filter((i) => i.text === 'rehearsal at six').length === 2, { what: 'Ben gets the forward and the copy' });
    const [forwarded, copied] = ben.client.timeline(direct.chatId).filter((i) => i.text === 'rehearsal at six');
    assert.equal(forwarded!.forwarded?.from?.userId, ann.userId);
    assert.equal(copied!.forwarded, undefined);

    // Without the right, no ban; made an admin by Ann, the bot removes Ben.
    const refused = await call('banChatMember', { chat_id: tgGroup, user_id: benMsg.from.id });
    assert.deepEqual([refused['error_code'], refused['description']], [400, 'Bad Request: not enough rights to restrict/ban chat member']);
    await ann.client.setRole(group.chatId, botId, 'admin');
    await until('my_chat_member: admin', (u) => u['my_chat_member']?.new_chat_member.status === 'administrator');
    assert.equal((await call('banChatMember', { chat_id: tgGroup, user_id: benMsg.from.id }))['result'], true);
    await waitFor(() => !ann.client.chat(group.chatId)!.members.some((m) => m.userId === ben.userId), { what: 'Ben is out of the group' });
    const left = await until('chat_member: Ben left', (u) => u['chat_member']?.new_chat_member.status === 'left');
    assert.equal(left['chat_member'].new_chat_member.user.first_name, 'Ben');
  });
});
