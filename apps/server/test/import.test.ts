import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, openAsBlob, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { zipSync } from 'fflate';
import { exportSource, ParleyError, previewImport, type ExportFile, type ParleyClient, type TimelineItem } from '@parley/client';
import { createUser, startTestServer, waitFor } from '@parley/testing';
import { leaks, serverBytes } from './server-bytes.ts';

/** R104: importing Telegram and WhatsApp exports into chats through the SDK and the real server. */

const FIXTURES = join(import.meta.dirname, '../../../packages/client/src/import/fixtures');
const fixture = (name: string) => readFileSync(join(FIXTURES, name));
/** A small "photo": its bytes only have to come back the same. */
const photoBytes = (tag: string) => new TextEncoder().encode(`\xff\xd8\xff\xe0 photo ${tag} `.repeat(200));

/** What was picked, as the web app hands it over: files by their path inside the picked folder. */
async function folder(files: Record<string, Uint8Array>): Promise<ExportFile[]> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-import-'));
  const out: ExportFile[] = [];
  for (const [path, bytes] of Object.entries(files)) {
    const full = join(dir, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, bytes);
    out.push({ path, blob: await openAsBlob(full) });
  }
  return out;
}

const imported = (c: ParleyClient, chatId: string) => c.timeline(chatId).filter((i) => i.imported);
const shown = (i: TimelineItem) => [i.imported?.from, new Date(i.imported!.at).toISOString(), i.text, i.attachments?.map((a) => a.name) ?? [], i.imported?.omitted ?? 0];
const refused = (code: string) => (e: unknown) => (e instanceof ParleyError || (e as { code?: string }).code !== undefined) && (e as { code: string }).code === code;

describe('R104 importing chat history from Telegram and WhatsApp exports', () => {
  it('a Telegram folder into an existing group: in order, dated, named, marked imported, a photo, a mapped author as a label; a re-run and a resumed run send nothing twice; limits refuse before sending', async () => {
    await using server = await startTestServer();
    const [ann, ben] = await Promise.all(['Ann', 'Ben'].map((displayName) => createUser(server.url, { displayName })));
    if (!ann || !ben) throw new Error('users');
    const { chatId } = await ann.client.createGroup({ name: 'Дом 5', memberIds: [ben.userId] });
    await waitFor(() => [ann, ben].every((u) => u.client.chat(chatId)?.encryption === 'on'), { what: 'encryption on', timeoutMs: 30_000 });

    const photo = photoBytes('tg');
    const files = await folder({
      'ChatExport_2024-01-01/result.json': fixture('telegram-chat.json'),
      'ChatExport_2024-01-01/photos/photo_1@31-12-2023_21-45-00.jpg': photo,
    });
    const source = await exportSource(files);
    const preview = await previewImport(source);
    assert.deepEqual({ ...preview, chat: preview.chat.name }, {
      chat: 'Дом 5, подъезд 2', messages: 6, firstAt: 1704048000_000, lastAt: 1704093600_000,
      authors: [{ name: 'Управляющий', messages: 3 }, { name: 'Кв. 14', messages: 2 }], files: 1, fileBytes: photo.length, missingFiles: 2,
    });

    // Limits: refused whole, before anything is sent.
    const logBefore = ann.client.log(chatId).length;
    await assert.rejects(ann.client.importHistory(chatId, source, { maxMessages: 5 }), refused('import_too_large'));
    await assert.rejects(ann.client.importHistory(chatId, source, { maxFileBytes: photo.length - 1 }), refused('import_too_large'));
    await assert.rejects(ann.client.importHistory(chatId, source, { authorMap: { 'Кв. 14': 'nosuchuser1' } }), refused('bad_request'));
    assert.equal(ann.client.log(chatId).length, logBefore, 'nothing sent');

    // Interrupted after two messages (cancel), then run again: it continues, nothing twice.
    const stop = new AbortController();
    await assert.rejects(ann.client.importHistory(chatId, source, {
      authorMap: { 'Кв. 14': ben.userId }, window: 1, signal: stop.signal, onProgress: (p) => { if (p.done >= 2) stop.abort(); },
    }), (e: unknown) => (e as Error).name === 'AbortError');
    const progress: number[] = [];
    const result = await ann.client.importHistory(chatId, source, { authorMap: { 'Кв. 14': ben.userId }, onProgress: (p) => progress.push(p.done) });
    assert.equal(result.chatId, chatId);
    assert.ok(result.skipped >= 2 && result.sent + result.skipped === 6, JSON.stringify(result));
    assert.equal(progress.at(-1), 6);

    const expected = [
      ['', '2023-12-31T18:40:00.000Z', 'Управляющий create group Дом 5, подъезд 2 Управляющий', [], 0],
      ['Управляющий', '2023-12-31T18:41:00.000Z', 'Собрание жильцов в четверг — подробности: https://example.org/meeting', [], 0],
      ['Кв. 14', '2023-12-31T18:45:00.000Z', 'Вот "объявление" у лифта\nвторая строка', ['photo_1@31-12-2023_21-45-00.jpg'], 0],
      ['Кв. 14', '2024-01-01T06:00:00.000Z', '', [], 1],
      ['Управляющий', '2024-01-01T06:05:00.000Z', 'Протокол', [], 1],
      ['Управляющий', '2024-01-01T07:20:00.000Z', '📊 Когда удобно?\n• Четверг\n• Пятница', [], 0],
    ];
    await waitFor(() => imported(ben.client, chatId).length === 6, { what: 'Ben sees the six imported messages', timeoutMs: 30_000 });
    const seen = imported(ben.client, chatId);
    assert.deepEqual(seen.map(shown), expected, 'in the original order, with dates, names and texts');
    assert.deepEqual(imported(ann.client, chatId).map(shown), expected);
    assert.ok(seen.every((i) => i.senderUserId === ann.userId), 'the sender is the importer, never the mapped member');
    assert.deepEqual(seen.map((i) => i.imported?.userId ?? null), [null, null, ben.userId, ben.userId, null, null], 'Кв. 14 mapped to Ben, as a label');
    assert.equal(seen[0]!.imported?.system, true);
    assert.equal(seen[2]!.replyTo?.id, seen[1]!.id, 'a reply in the export is a reply here');
    assert.equal(seen[2]!.replyTo?.text, seen[1]!.text);
    assert.ok(seen.every((i) => i.imported?.source === 'telegram'));
    // Issue 12: an edited message keeps its edit time, a forwarded one whom it came from; the rest neither.
    assert.deepEqual(seen.map((i) => [i.imported?.editedAt ?? null, i.imported?.forwardedFrom ?? null]),
      [[null, null], [null, 'Совет дома'], [1704048360_000, null], [null, null], [null, null], [null, null]]);
    const got = new Uint8Array(await (await ben.client.downloadAttachment(seen[2]!.attachments![0]!)).arrayBuffer());
    assert.deepEqual(got, photo, 'the photo, through the encrypted files path');

    // Run again: nothing new.
    const logAfter = ann.client.log(chatId).length;
    assert.deepEqual(await ann.client.importHistory(chatId, source, { authorMap: { 'Кв. 14': ben.userId } }), { chatId, sent: 0, skipped: 6 });
    await ann.client.sendText(chatId, 'after the re-run');
    await waitFor(() => ben.client.timeline(chatId).some((i) => i.text === 'after the re-run'), { what: 'a later message', timeoutMs: 30_000 });
    assert.equal(ann.client.log(chatId).length, logAfter + 1, 'the re-run sent nothing');
    assert.equal(imported(ben.client, chatId).length, 6);

    await Promise.all([ann, ben].map((u) => u.client.stop()));
    const stored = serverBytes(server.dataDir);
    assert.ok(leaks(stored, new TextEncoder().encode(chatId)), 'the scan finds what is there');
    for (const secret of ['объявление', 'Управляющий', 'Кв. 14', 'photo tg']) assert.ok(!leaks(stored, new TextEncoder().encode(secret)), `no "${secret}" on the server`);
  });

  it('a WhatsApp .zip with a photo (iOS, Russian) into a new chat; a stranger in the author map and a hostile zip are refused', async () => {
    await using server = await startTestServer();
    const [ann, ben] = await Promise.all(['Ann', 'Ben'].map((displayName) => createUser(server.url, { displayName })));
    if (!ann || !ben) throw new Error('users');
    const photo = photoBytes('wa');
    const zip = zipSync({ '_chat.txt': fixture('whatsapp-ios-ru.txt'), '00000012-PHOTO-2023-12-31-21-42-00.jpg': [photo, { level: 0 }] });
    const source = await exportSource(await folder({ 'WhatsApp Chat - Дом 5.zip': zip }), { utcOffsetMinutes: 180 });
    assert.equal(source.chat.name, 'Дом 5');
    await assert.rejects(ann.client.importHistory({ newChat: 'Дом 5' }, source, { authorMap: { 'Кв. 3': ben.userId } }), refused('bad_request'));

    const { chatId, sent } = await ann.client.importHistory({ newChat: 'Дом 5 (WhatsApp)' }, source);
    assert.equal(sent, 4);
    await waitFor(() => ann.client.chat(chatId)?.title === 'Дом 5 (WhatsApp)', { what: 'the new chat has its name' });
    const expected = [
      ['', '2023-12-31T18:40:05.000Z', 'Сообщения и звонки защищены сквозным шифрованием.', [], 0],
      ['Управляющий', '2023-12-31T18:41:10.000Z', 'Добрый вечер!', [], 0],
      ['Управляющий', '2023-12-31T18:42:00.000Z', '', ['00000012-PHOTO-2023-12-31-21-42-00.jpg'], 0],
      ['Кв. 3', '2024-01-01T06:05:00.000Z', '', [], 1],
    ];
    assert.deepEqual(imported(ann.client, chatId).map(shown), expected);
    assert.ok(imported(ann.client, chatId).every((i) => i.imported?.source === 'whatsapp'));
    const item = imported(ann.client, chatId)[2]!;
    assert.deepEqual(new Uint8Array(await (await ann.client.downloadAttachment(item.attachments![0]!)).arrayBuffer()), photo);
    assert.equal(item.attachments![0]!.kind, 'image');

    // A zip whose entry inflates far past its size (a zip bomb) is refused before anything is read.
    const bomb = zipSync({ '_chat.txt': new Uint8Array(8 * 1024 * 1024) });
    await assert.rejects(exportSource(await folder({ 'bomb.zip': bomb })), refused('import_too_large'));
    // Path traversal in a media name refuses the export.
    const evil = await exportSource(await folder({ 'chat.txt': new TextEncoder().encode('31.12.2023, 21:42 - Ann: ../../etc/passwd (file attached)\n') }));
    await assert.rejects(previewImport(evil), refused('import_unsafe_path'));
    await Promise.all([ann, ben].map((u) => u.client.stop()));
  });

  it('R104 R83 into a community\'s general chat: imported texts are franked, so a member can report one (the report names the importer as its sender)', async () => {
    await using server = await startTestServer();
    const [ann, ben] = await Promise.all(['Ann', 'Ben'].map((displayName) => createUser(server.url, { displayName })));
    if (!ann || !ben) throw new Error('users');
    const c = await ann.client.communities.create({ name: 'Lenina 12' });
    const { token } = await ann.client.communities.createInvite(c.communityId);
    await ben.client.communities.joinInvite(token);
    const general = (await ann.client.communities.chats(c.communityId)).find((x) => x.kind === 'general')?.chatId;
    if (!general) throw new Error('no general chat');
    await waitFor(async () => (await ann.client.encryptionMembers(general)).length === 2 && (await ben.client.encryptionMembers(general)).length === 2, { what: 'both in the group', timeoutMs: 60_000 });
    const source = await exportSource(await folder({ 'WhatsApp Chat with Lenina 12.txt': fixture('whatsapp-android-en.txt') }));
    assert.equal((await ann.client.importHistory(general, source)).sent, 6);
    await waitFor(() => imported(ben.client, general).length === 6, { what: 'Ben sees the import', timeoutMs: 30_000 });
    const thanks = imported(ben.client, general).find((i) => i.text === 'Thanks! 🙏');
    assert.equal(thanks?.franked?.text, 'Thanks! 🙏');
    const report = await ben.client.communities.report(c.communityId, general, thanks.id, 'spam');
    assert.deepEqual([report.senderUserId, report.text], [ann.userId, 'Thanks! 🙏']);
    await Promise.all([ann, ben].map((u) => u.client.stop()));
  });
});
