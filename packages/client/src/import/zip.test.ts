import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { zipSync } from 'fflate';
import { bytesSource } from '../files/file-crypto.ts';
import { ExportZip, ImportError, parseWhatsApp, type ImportedMessage } from './index.ts';

const utf8 = (s: string) => new TextEncoder().encode(s);
const refused = (code: string) => (err: unknown) => err instanceof ImportError && err.code === code;
async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of chunks) parts.push(c);
  return new Uint8Array(Buffer.concat(parts));
}

describe('export zips', () => {
  test('a WhatsApp zip with media: the chat text streams into the parser, each attachment is found and read back byte for byte', async () => {
    const photo = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 2654435761) >>> 24); // incompressible
    const zip = zipSync({
      '_chat.txt': utf8(readFileSync(new URL('./fixtures/whatsapp-android-ru.txt', import.meta.url), 'utf8')),
      'IMG-20231231-WA0001.jpg': [photo, { level: 0 }],
      'PTT-20240101-WA0002.opus': utf8('opus bytes'),
      'media/': new Uint8Array(0),
    }, { level: 6 });
    const archive = await ExportZip.open(bytesSource(zip));
    assert.deepEqual(archive.entries.map((e) => e.path).sort(), ['IMG-20231231-WA0001.jpg', 'PTT-20240101-WA0002.opus', '_chat.txt']);
    const messages: ImportedMessage[] = [];
    for await (const m of parseWhatsApp(archive.text(archive.find('_chat.txt')!), { utcOffsetMinutes: 180 })) messages.push(m);
    assert.equal(messages.length, 7);
    const attached = messages.flatMap((m) => m.attachments).filter((a) => a.path !== undefined);
    assert.deepEqual(attached.map((a) => a.path), ['IMG-20231231-WA0001.jpg', 'PTT-20240101-WA0002.opus']);
    assert.deepEqual(await collect(archive.bytes(archive.find(attached[0]!.path!)!)), photo);
    assert.equal(new TextDecoder().decode(await collect(archive.bytes(archive.find(attached[1]!.path!)!))), 'opus bytes');
  });

  test('hostile zips are refused with a code: a bomb by ratio, an entry inflating past its declared size, a path out of the folder, not a zip, too many entries', async () => {
    const zeros = new Uint8Array(20 * 1024 * 1024);
    await assert.rejects(ExportZip.open(bytesSource(zipSync({ 'bomb.txt': zeros }, { level: 9 }))), refused('import_too_large'));

    // A zip whose headers say 100 bytes for an entry that inflates to 2 MB: stopped while inflating.
    const liar = zipSync({ 'chat.txt': new Uint8Array(2 * 1024 * 1024).fill(97) }, { level: 9 });
    const v = new DataView(liar.buffer, liar.byteOffset, liar.byteLength);
    for (let i = 0; i + 4 <= liar.length; i++) {
      if (v.getUint32(i, true) === 0x02014b50) v.setUint32(i + 24, 100, true); // central directory: uncompressed size
      if (v.getUint32(i, true) === 0x04034b50) v.setUint32(i + 22, 100, true); // local header
    }
    const lying = await ExportZip.open(bytesSource(liar));
    await assert.rejects(collect(lying.bytes(lying.entries[0]!)), refused('import_too_large'));

    await assert.rejects(ExportZip.open(bytesSource(zipSync({ '../../.bashrc': utf8('evil') }))), refused('import_unsafe_path'));
    await assert.rejects(ExportZip.open(bytesSource(zipSync({ 'C:/Windows/evil.txt': utf8('evil') }))), refused('import_unsafe_path'));
    await assert.rejects(ExportZip.open(bytesSource(utf8('31.12.2023, 21:42 - Eve: not a zip at all, just text that is long enough'))), refused('import_malformed'));
    await assert.rejects(ExportZip.open(bytesSource(zipSync({ a: utf8('1'), b: utf8('2'), c: utf8('3') })), { maxEntries: 2 }), refused('import_too_large'));
    const big = await ExportZip.open(bytesSource(zipSync({ 'video.mp4': [new Uint8Array(3000), { level: 0 }] })), { maxEntryBytes: 1000 }).catch((e: unknown) => e);
    assert.ok(refused('import_too_large')(big));
  });
});
