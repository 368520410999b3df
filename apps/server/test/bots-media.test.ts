import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Api, GrammyError, InputFile, InputMediaBuilder } from 'grammy';
import { createUser, startTestServer, waitFor } from '@parley/testing';
import { fromBot, testGateway } from './bot-run.ts';

const tram = new Uint8Array(readFileSync(fileURLToPath(new URL('../../../examples/bots/assets/tram.png', import.meta.url))));

/** R128 through grammY's own Api client (as a grammY bot calls it), against a real server and gateway. */
describe('albums, caption edits, reply keyboards on files and poll answers (R128)', () => {
  it('R128 sendMediaGroup is one message of files; R107 a person\'s album is one update a file; editMessageCaption edits its text; sendDocument carries a reply keyboard; a vote in a non-anonymous poll is a poll_answer', async () => {
    await using server = await startTestServer();
    const owner = await createUser(server.url);
    const person = await createUser(server.url);
    await using _stop = { [Symbol.asyncDispose]: async () => { for (const u of [owner, person]) await u.client.stop(); } };
    const created = await owner.client.bots.create({ handle: 'album_bot', displayName: 'Album' });
    const botId = created.bot.userId;
    await using gw = await testGateway(server.url, created.token);
    const api = new Api(created.token, { apiRoot: gw.url });
    const { chatId } = await person.client.openDirect(botId);
    await person.client.sendText(chatId, 'hi');
    let offset = 0;
    const take = async () => { const u = await api.getUpdates({ offset, timeout: 0, allowed_updates: ['message', 'poll_answer'] }); if (u.length) offset = u.at(-1)!.update_id + 1; return u; };
    let chat = 0;
    await waitFor(async () => { chat = (await take()).find((u) => u.message)?.message?.chat.id ?? chat; return chat !== 0; }, { what: 'the person\'s first message' });

    // R107: a person's album reaches the bot as one update a file with a shared media_group_id, the caption on the first.
    const png = (name: string) => ({ source: new Blob([tram]), name, mime: 'image/png', size: tram.length });
    await person.client.sendFiles(chatId, [png('a.png'), png('b.png'), { source: new Blob(['notes']), name: 'c.txt', mime: 'text/plain', size: 5 }], { text: 'three files' });
    type Got = { message_id: number; media_group_id?: string; caption?: string; photo?: unknown[]; document?: { file_name?: string } };
    let got: Got[] = [];
    await waitFor(async () => { got = [...got, ...(await take()).flatMap((u) => (u.message ? [u.message as Got] : []))]; return got.length >= 3; }, { what: 'the album\'s updates' });
    assert.equal(got.length, 3);
    assert.ok(got[0]!.media_group_id && got.every((m) => m.media_group_id === got[0]!.media_group_id), 'one media_group_id');
    assert.equal(new Set(got.map((m) => m.message_id)).size, 3);
    assert.deepEqual(got.map((m) => [m.caption, !!m.photo, m.document?.file_name]), [['three files', true, undefined], [undefined, true, undefined], [undefined, false, 'c.txt']]);

    type Sent = { message_id: number; media_group_id?: string; photo?: { file_id: string; width: number }[] };
    const album: Sent[] = await api.sendMediaGroup(chat, [
      InputMediaBuilder.photo(new InputFile(tram, 'tram.png'), { caption: '<b>Depot</b> at dawn', parse_mode: 'HTML' }),
      InputMediaBuilder.photo(new InputFile(tram, 'tram-2.png')),
      InputMediaBuilder.photo(new InputFile(tram, 'tram-3.png')),
    ]);
    assert.equal(album.length, 3);
    assert.equal(new Set(album.map((m) => m.message_id)).size, 3, 'one Message a file, each its own id');
    assert.ok(album.every((m) => m.media_group_id === album[0]!.media_group_id && m.photo?.[0]?.width === 48));
    await waitFor(() => fromBot(person, chatId, botId).some((i) => i.attachments?.length === 3), { what: 'the album' });
    const shown = () => fromBot(person, chatId, botId).find((i) => i.attachments?.length === 3)!;
    assert.deepEqual([shown().text, shown().entities], ['Depot at dawn', [{ type: 'bold', offset: 0, length: 5 }]]);
    assert.deepEqual(shown().attachments!.map((a) => a.name), ['tram.png', 'tram-2.png', 'tram-3.png']);

    // The caption of the album, edited through the second file's id (it names the same message).
    await api.editMessageCaption(chat, album[1]!.message_id, { caption: 'Depot, 7:40' });
    await waitFor(() => shown().text === 'Depot, 7:40', { what: 'the edited caption' });
    assert.equal(shown().attachments!.length, 3, 'the files stay');
    assert.equal(shown().edited, true);
    await assert.rejects(api.editMessageCaption(chat, album[0]!.message_id, { caption: 'Depot, 7:40' }), (e: unknown) => e instanceof GrammyError && /not modified/.test(e.description));
    await assert.rejects(api.editMessageText(chat, album[0]!.message_id, 'no'), (e: unknown) => e instanceof GrammyError && e.error_code === 400);

    // A reply keyboard on a file message.
    await api.sendDocument(chat, new InputFile(new TextEncoder().encode('07:10 07:40\n'), 'timetable.txt'), { caption: 'Which day?', reply_markup: { keyboard: [[{ text: 'Mon' }, { text: 'Tue' }]], one_time_keyboard: true, resize_keyboard: true } });
    await waitFor(async () => (await person.client.bots.keyboard(chatId))?.rows.length === 1, { what: 'the keyboard of the document' });
    assert.deepEqual((await person.client.bots.keyboard(chatId))!.rows, [[{ text: 'Mon' }, { text: 'Tue' }]]);

    // A poll that is not anonymous: the person's vote is a poll_answer; an anonymous poll's is not.
    const poll = await api.sendPoll(chat, 'Which tram?', [{ text: '7' }, { text: '9' }], { is_anonymous: false });
    const secret = await api.sendPoll(chat, 'Secret?', [{ text: 'yes' }, { text: 'no' }]);
    await waitFor(() => fromBot(person, chatId, botId).filter((i) => i.poll).length === 2, { what: 'the polls' });
    const [open, anon] = fromBot(person, chatId, botId).filter((i) => i.poll);
    await person.client.polls.vote(chatId, anon!.id, [0]);
    await person.client.polls.vote(chatId, open!.id, [1]);
    let answers: NonNullable<Awaited<ReturnType<typeof take>>[number]['poll_answer']>[] = [];
    await waitFor(async () => { answers = [...answers, ...(await take()).flatMap((u) => (u.poll_answer ? [u.poll_answer] : []))]; return answers.length > 0; }, { what: 'the poll_answer' });
    assert.equal(answers.length, 1, 'only the open poll\'s vote');
    assert.deepEqual([answers[0]!.poll_id, answers[0]!.option_ids], [poll.poll.id, [1]]);
    assert.notEqual(poll.poll.id, secret.poll.id);

    // Refusals: one file is no album; new uploads and file ids are not mixed.
    await assert.rejects(api.sendMediaGroup(chat, [InputMediaBuilder.photo(new InputFile(tram, 'a.png'))]), (e: unknown) => e instanceof GrammyError && e.error_code === 400);
    await assert.rejects(api.sendMediaGroup(chat, [InputMediaBuilder.photo(album[0]!.photo![0]!.file_id), InputMediaBuilder.photo(new InputFile(tram, 'b.png'))]), (e: unknown) => e instanceof GrammyError && /all new uploads or all file_ids/.test(e.description));
    // An album again by file ids: no upload.
    const again: Sent[] = await api.sendMediaGroup(chat, [InputMediaBuilder.photo(album[0]!.photo![0]!.file_id), InputMediaBuilder.photo(album[2]!.photo![0]!.file_id)]);
    assert.equal(again.length, 2);
    await waitFor(() => fromBot(person, chatId, botId).some((i) => i.attachments?.length === 2), { what: 'the album by file ids' });
  });

  it('R128 a selective reply keyboard is for the members the text mentions and the sender of the message it replies to; the others keep theirs. R144 force_reply asks the one replied to', async () => {
    await using server = await startTestServer();
    const owner = await createUser(server.url);
    const ann = await createUser(server.url, { displayName: 'Ann' });
    const ben = await createUser(server.url, { displayName: 'Ben' });
    const cat = await createUser(server.url, { displayName: 'Cat' });
    await using _stop = { [Symbol.asyncDispose]: async () => { for (const u of [owner, ann, ben, cat]) await u.client.stop(); } };
    const created = await owner.client.bots.create({ handle: 'select_bot', displayName: 'Select' });
    await owner.client.bots.setPrivacy(created.bot.userId, false);
    await using gw = await testGateway(server.url, created.token);
    const api = new Api(created.token, { apiRoot: gw.url });
    const group = await ann.client.createGroup({ name: 'Choir', memberIds: [ben.userId, cat.userId, created.bot.userId] });
    await waitFor(async () => (await ann.client.encryptionMembers(group.chatId)).some((m) => m.userId === created.bot.userId), { what: 'the bot in the group', timeoutMs: 40_000 });
    await ben.client.sendText(group.chatId, 'which voice?');
    let offset = 0;
    let asked: { message_id: number; chat: { id: number } } | undefined;
    await waitFor(async () => { const u = await api.getUpdates({ offset, timeout: 0 }); if (u.length) offset = u.at(-1)!.update_id + 1; asked = u.find((x) => x.message?.text === 'which voice?')?.message ?? asked; return asked !== undefined; }, { what: 'Ben\'s question' });
    await api.sendMessage(asked!.chat.id, 'Everyone: pick a day', { reply_markup: { keyboard: [[{ text: 'Tue' }, { text: 'Thu' }]] } });
    const annHandle = (await ann.client.me()).user.handle;
    await api.sendMessage(asked!.chat.id, `@${annHandle} and you: pick a voice`, { reply_parameters: { message_id: asked!.message_id }, reply_markup: { keyboard: [[{ text: 'Alto' }, { text: 'Tenor' }]], selective: true } });
    const rows = async (u: typeof ann) => (await u.client.bots.keyboard(group.chatId))?.rows.flat().map((b) => b.text).join(',');
    await waitFor(async () => (await rows(ann)) === 'Alto,Tenor' && (await rows(ben)) === 'Alto,Tenor', { what: 'the selective keyboard for Ann (mentioned) and Ben (replied to)' });
    await waitFor(async () => (await rows(cat)) === 'Tue,Thu', { what: 'Cat keeps the keyboard for everyone' });

    // R144: force_reply, selective: Ben (replied to) is asked for a reply with the placeholder; Cat is not; his reply ends it; the keyboards stay.
    const range = await api.sendMessage(asked!.chat.id, 'Your range?', { reply_parameters: { message_id: asked!.message_id }, reply_markup: { force_reply: true, input_field_placeholder: 'e.g. A2-E4', selective: true } });
    assert.equal(range.text, 'Your range?');
    let pending: Awaited<ReturnType<typeof ben.client.bots.forceReply>>;
    await waitFor(async () => (pending = await ben.client.bots.forceReply(group.chatId)) !== undefined, { what: 'Ben is asked for a reply' });
    assert.equal(pending!.placeholder, 'e.g. A2-E4');
    assert.equal(ben.client.timeline(group.chatId).find((i) => i.id === pending!.messageId)?.text, 'Your range?');
    await waitFor(() => cat.client.timeline(group.chatId).some((i) => i.text === 'Your range?'), { what: 'Cat has the question' });
    assert.equal(await cat.client.bots.forceReply(group.chatId), undefined, 'not for Cat');
    assert.equal(await rows(ben), 'Alto,Tenor', 'a force_reply changes no keyboard');
    await ben.client.sendText(group.chatId, 'C3-A4', { replyTo: pending!.messageId });
    await waitFor(async () => (await ben.client.bots.forceReply(group.chatId)) === undefined, { what: 'answered' });
  });
});
