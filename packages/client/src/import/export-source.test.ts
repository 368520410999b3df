import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { zipSync } from 'fflate';
import { exportSource } from './export-source.ts';
import { previewImport } from './import-history.ts';
import { ImportError } from './types.ts';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));
const blob = (bytes: Uint8Array | string, type = '') => new Blob([bytes as BlobPart], { type });

test('R104 a Telegram folder as picked (under its own folder name): media by the paths result.json names, the chat name, a preview', async () => {
  const source = await exportSource([
    { path: 'ChatExport_2024-01-01/result.json', blob: blob(fixture('telegram-chat.json')) },
    { path: 'ChatExport_2024-01-01/photos/photo_1@31-12-2023_21-45-00.jpg', blob: blob('jpeg bytes') },
    { path: 'elsewhere/voice_messages/audio_1@01-01-2024_09-00-00.ogg', blob: blob('not in the export folder') },
  ]);
  assert.deepEqual(source.chat, { source: 'telegram', name: 'Дом 5, подъезд 2' });
  const photo = source.media('photos/photo_1@31-12-2023_21-45-00.jpg');
  assert.deepEqual(photo && { size: photo.size, name: photo.name, mime: photo.mime }, { size: 10, name: 'photo_1@31-12-2023_21-45-00.jpg', mime: 'image/jpeg' });
  assert.equal(source.media('voice_messages/audio_1@01-01-2024_09-00-00.ogg'), undefined, 'only inside the export\'s folder');
  const preview = await previewImport(source);
  assert.equal(preview.messages, 6);
  assert.deepEqual([preview.files, preview.missingFiles], [1, 2]);
  // Read twice (preview, then send): the same messages each time.
  let count = 0;
  for await (const _ of source.messages()) count += 1;
  assert.equal(count, 6);
});

test('R104 a WhatsApp .txt with its photos picked beside it: media by name, the chat name from the file name; a zip likewise', async () => {
  const txt = '31.12.2023, 21:42 - Ирина Петровна: IMG-20231231-WA0001.jpg (файл добавлен)\nподпись\n';
  const loose = await exportSource([
    { path: 'Чат WhatsApp с Родители 3Б.txt', blob: blob(txt) },
    { path: 'IMG-20231231-WA0001.jpg', blob: blob('jpg', 'image/jpeg') },
  ], { utcOffsetMinutes: 180 });
  assert.deepEqual(loose.chat, { source: 'whatsapp', name: 'Родители 3Б' });
  assert.equal(loose.media('IMG-20231231-WA0001.jpg')?.size, 3);
  const zip = await exportSource([{ path: 'WhatsApp Chat with Parents 3B.zip', blob: blob(zipSync({ '_chat.txt': new TextEncoder().encode(txt), 'IMG-20231231-WA0001.jpg': new TextEncoder().encode('jpg') })) }]);
  assert.deepEqual(zip.chat, { source: 'whatsapp', name: 'Parents 3B' });
  const media = zip.media('IMG-20231231-WA0001.jpg');
  assert.equal(await (await media!.source() as Blob).text(), 'jpg');
  const all = [];
  for await (const x of zip.messages()) all.push(x);
  const [m] = all;
  assert.deepEqual([m?.author, m?.text, m?.attachments.length], ['Ирина Петровна', 'подпись', 1]);
});

test('R104 what is not an export, or names a path outside it, is refused with its code', async () => {
  await assert.rejects(exportSource([{ path: 'photo.jpg', blob: blob('x') }]), (e: unknown) => e instanceof ImportError && e.code === 'import_malformed');
  await assert.rejects(exportSource([{ path: '../result.json', blob: blob('{}') }]), (e: unknown) => e instanceof ImportError && e.code === 'import_unsafe_path');
  const bad = await exportSource([{ path: 'chat.txt', blob: blob('31.12.2023, 21:42 - Ann: ../secret.jpg (file attached)\n') }]);
  await assert.rejects(previewImport(bad), (e: unknown) => e instanceof ImportError && e.code === 'import_unsafe_path');
});
