import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { Api, GrammyError, InputFile, InputMediaBuilder } from 'grammy';
import { createUser, startTestServer, waitFor } from '@parley/testing';
import { fromBot, testGateway } from './bot-run.ts';
import { leaks, serverBytes } from './server-bytes.ts';

const tram = new Uint8Array(readFileSync(fileURLToPath(new URL('../../../examples/bots/assets/tram.png', import.meta.url))));
const is400 = (re: RegExp) => (e: unknown) => e instanceof GrammyError && e.error_code === 400 && re.test(e.description);

/** R150 through grammY's own Api client (as a grammY bot calls it), against a real server and gateway. */
describe('editMessageMedia and force_reply on files (R150)', () => {
  it('R150 editMessageMedia replaces a photo by upload and by file_id, and an album\'s one file; people see the new files; force_reply rides on a photo; R158 stickers both ways', async () => {
    const log: Buffer[] = [];
    const logger = pino({ level: 'debug' }, new Writable({ write(chunk: Buffer, _e, cb) { log.push(Buffer.from(chunk)); cb(); } }));
    await using server = await startTestServer({ PARLEY_LOG_LEVEL: 'debug' }, { logger });
    const owner = await createUser(server.url);
    const person = await createUser(server.url);
    await using _stop = { [Symbol.asyncDispose]: async () => { for (const u of [owner, person]) await u.client.stop(); } };
    const created = await owner.client.bots.create({ handle: 'media_edit_bot', displayName: 'Media' });
    const botId = created.bot.userId;
    await using gw = await testGateway(server.url, created.token);
    const api = new Api(created.token, { apiRoot: gw.url });
    const { chatId } = await person.client.openDirect(botId);
    await person.client.sendText(chatId, 'hi');
    let chat = 0;
    await waitFor(async () => { chat = (await api.getUpdates({ timeout: 0 })).find((u) => u.message)?.message?.chat.id ?? chat; return chat !== 0; }, { what: 'the person\'s first message' });
    const shown = (id: string) => person.client.timeline(chatId).find((i) => i.id === id);

    // R150 force_reply on a file: the person's app is asked for a reply to the photo, with the placeholder.
    const photo = await api.sendPhoto(chat, new InputFile(tram, 'tram.png'), { caption: 'Which line is this?', reply_markup: { force_reply: true, input_field_placeholder: 'A line number' } });
    let asked: Awaited<ReturnType<typeof person.client.bots.forceReply>>;
    await waitFor(async () => (asked = await person.client.bots.forceReply(chatId)) !== undefined, { what: 'the force_reply of the photo' });
    assert.equal(asked!.placeholder, 'A line number');
    assert.equal(shown(asked!.messageId)?.attachments?.[0]?.name, 'tram.png');
    const photoItem = asked!.messageId;

    // By upload: the photo becomes a document with a new caption and a keyboard; the person's device shows the new file.
    const timetable = new TextEncoder().encode('07:10 07:40 08:10\n');
    const edited = await api.editMessageMedia(chat, photo.message_id, InputMediaBuilder.document(new InputFile(timetable, 'timetable.txt'), { caption: '<b>Line 7</b> timetable', parse_mode: 'HTML' }), { reply_markup: { inline_keyboard: [[{ text: 'Refresh', callback_data: 'refresh' }]] } });
    assert.ok(edited !== true && edited.document?.file_name === 'timetable.txt', 'answered with the Message and its new document');
    assert.equal(edited.caption, 'Line 7 timetable');
    assert.equal(edited.photo, undefined);
    await waitFor(() => shown(photoItem)?.attachments?.[0]?.name === 'timetable.txt', { what: 'the person sees the new file' });
    const item = shown(photoItem)!;
    assert.deepEqual([item.attachments!.length, item.text, item.edited, item.replyMarkup?.inlineKeyboard[0]?.[0]?.text], [1, 'Line 7 timetable', true, 'Refresh']);
    const bytes = new Uint8Array(await (await person.client.downloadAttachment(item.attachments![0]!)).arrayBuffer());
    assert.deepEqual(bytes, timetable, 'the person downloads the new file (its blob is referenced by the edit, R54)');
    assert.equal((await person.client.bots.forceReply(chatId))?.messageId, photoItem, 'an edit leaves the force_reply as it was');

    // By file_id (no upload): back to the photo; the same again is "not modified".
    const back = await api.editMessageMedia(chat, photo.message_id, InputMediaBuilder.photo(photo.photo.at(-1)!.file_id));
    assert.ok(back !== true && back.photo?.length === 1 && back.caption === undefined, 'no caption given: none');
    await waitFor(() => shown(photoItem)?.attachments?.[0]?.name === 'tram.png', { what: 'the photo again' });
    assert.equal(shown(photoItem)!.text, '');
    await assert.rejects(api.editMessageMedia(chat, photo.message_id, InputMediaBuilder.photo(photo.photo.at(-1)!.file_id)), is400(/not modified/));

    // An album's second file, by file_id: the others and the album's text stay.
    const album = await api.sendMediaGroup(chat, [
      InputMediaBuilder.photo(new InputFile(tram, 'a.png'), { caption: 'Depot' }),
      InputMediaBuilder.photo(new InputFile(tram, 'b.png')),
    ]);
    const doc = await api.sendDocument(chat, new InputFile(new TextEncoder().encode('map'), 'map.txt'));
    await api.editMessageMedia(chat, album[1]!.message_id, InputMediaBuilder.document(doc.document.file_id));
    await waitFor(() => fromBot(person, chatId, botId).some((i) => i.attachments?.map((a) => a.name).join() === 'a.png,map.txt'), { what: 'the album\'s second file replaced' });
    assert.equal(fromBot(person, chatId, botId).find((i) => i.attachments?.length === 2)!.text, 'Depot');

    // Refusals, with Telegram's words.
    const text = await api.sendMessage(chat, 'plain');
    await assert.rejects(api.editMessageMedia(chat, text.message_id, InputMediaBuilder.photo(photo.photo[0]!.file_id)), is400(/no media in the message/));
    await assert.rejects(api.editMessageMedia(chat, photo.message_id, InputMediaBuilder.photo('http://127.0.0.1:9/x.png')), is400(/URL_PRIVATE_ADDRESS/)); // R163: a URL is fetched, not from loopback
    await assert.rejects(api.editMessageMedia(chat, photo.message_id, InputMediaBuilder.photo('AAAAAAAAAAAAAAAAAAAAAA')), is400(/wrong file identifier/));
    await assert.rejects(api.editMessageMedia(chat, photo.message_id, { type: 'sticker', media: photo.photo[0]!.file_id } as never), is400(/InputMedia type/));
    await assert.rejects(api.editMessageMedia(chat, album[0]!.message_id, InputMediaBuilder.photo(new InputFile(tram, 'c.png'))), is400(/for an album send a file_id/));

    // R150 force_reply on a document sent again by file_id.
    await api.sendDocument(chat, doc.document.file_id, { caption: 'Name this map', reply_markup: { force_reply: true } });
    await waitFor(async () => shown((await person.client.bots.forceReply(chatId))?.messageId ?? '')?.text === 'Name this map', { what: 'force_reply on a file sent by file_id' });

    // R158 stickers: an uploaded PNG/WebP or a file_id, shown as a sticker; a person's sticker reaches the bot as `sticker`.
    const st = await api.sendSticker(chat, new InputFile(tram, 'tram.png'), { emoji: '🚋' });
    assert.deepEqual([st.sticker?.emoji, st.sticker?.is_animated, st.sticker?.width! > 0, 'photo' in st], ['🚋', false, true, false]);
    await api.sendSticker(chat, st.sticker!.file_id);
    await waitFor(() => fromBot(person, chatId, botId).filter((i) => i.attachments?.[0]?.sticker).length === 2, { what: 'both stickers at the person' });
    assert.deepEqual(fromBot(person, chatId, botId).filter((i) => i.attachments?.[0]?.sticker).map((i) => [i.text, i.attachments![0]!.sticker, i.attachments![0]!.mime]), [['', { emoji: '🚋' }, 'image/png'], ['', { emoji: '🚋' }, 'image/png']]);
    await assert.rejects(api.sendSticker(chat, doc.document.file_id), is400(/WebP or PNG/));
    await assert.rejects(api.sendSticker(chat, new InputFile(new TextEncoder().encode('{"tgs":1}'), 'hi.tgs')), is400(/WebP or PNG/));
    await person.client.sendFiles(chatId, [{ source: new Blob([tram], { type: 'image/png' }), name: 'ok.png', mime: 'image/png', size: tram.length, kind: 'image', sticker: { emoji: '👍' } }]);
    let theirs: { emoji?: string; file_id: string } | undefined;
    await waitFor(async () => { theirs = (await api.getUpdates({ timeout: 0 })).map((u) => u.message?.sticker).find(Boolean) ?? theirs; return theirs !== undefined; }, { what: 'the person\'s sticker at the bot' });
    assert.equal(theirs!.emoji, '👍');
    assert.match((await api.getFile(theirs!.file_id)).file_path ?? '', /^stickers\//);
    await assert.rejects(person.client.sendFiles(chatId, [{ source: new Blob(['x']), name: 'a.txt', mime: 'text/plain', size: 1, kind: 'file', sticker: {} }]), (e: unknown) => (e as { code?: string }).code === 'bad_request', 'a sticker is a picture');

    // R150: an edit with files is applied only to a message with files, and only by its sender.
    await person.client.sendText(chatId, 'mine');
    await waitFor(() => person.client.timeline(chatId).some((i) => i.text === 'mine' && i.seq !== null), { what: 'the person\'s text' });
    const mine = person.client.timeline(chatId).find((i) => i.text === 'mine')!;
    const albumFiles = fromBot(person, chatId, botId).find((i) => i.attachments?.length === 2)!.attachments!;
    await person.client.bots.editFiles(chatId, mine.id, albumFiles.slice(0, 1), { text: 'now a file' });
    await waitFor(() => person.client.outbox().length === 0, { what: 'the edit accepted by the server' });
    const still = person.client.timeline(chatId).find((i) => i.id === mine.id)!;
    assert.deepEqual([still.text, still.attachments, still.edited], ['mine', undefined, false], 'a text does not become a file message');
    await assert.rejects(person.client.bots.editFiles(chatId, photoItem, [], { text: 'x' }), (e: unknown) => (e as { code?: string }).code === 'bad_request', 'no files is refused before sending');

    // R150, R56: deleting the message releases the files it shows and those its edits replaced.
    await api.deleteMessage(chat, photo.message_id);
    await waitFor(() => shown(photoItem)?.deleted === true, { what: 'the photo deleted' });
    await assert.rejects(person.client.downloadAttachment(item.attachments![0]!), (e: unknown) => (e as { code?: string }).code === 'blob_not_found', 'the replaced document is released too');

    await Promise.all([owner, person].map((u) => u.client.stop()));
    await gw.close();
    const everything = serverBytes(server.dataDir, log);
    for (const s of ['Line 7 timetable', 'timetable.txt', 'A line number', '07:10 07:40']) assert.ok(!leaks(everything, new TextEncoder().encode(s)), `plaintext found on the server: ${s}`);
  });
});
