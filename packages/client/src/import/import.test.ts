import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { ImportError, parseTelegram, parseWhatsApp, type ImportedMessage, type TextChunks } from './index.ts';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
/** The text in chunks of `size` characters: the parsers must not care where a chunk ends. */
function* chunked(text: string, size: number): Generator<string> {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}
async function all(messages: AsyncIterable<ImportedMessage>): Promise<ImportedMessage[]> {
  const out: ImportedMessage[] = [];
  for await (const m of messages) out.push(m);
  return out;
}
const whatsapp = (chunks: TextChunks, opts = {}) => all(parseWhatsApp(chunks, { utcOffsetMinutes: 180, ...opts }));
const telegram = async (chunks: TextChunks, opts = {}) => {
  const { chat, messages } = await parseTelegram(chunks, opts);
  return { chat, messages: await all(messages) };
};
const refused = (code: string) => (err: unknown) => err instanceof ImportError && err.code === code;
/** 31.12.2023 21:41 Moscow time (UTC+3). */
const msk = (y: number, mo: number, d: number, h: number, mi: number, s = 0) => Date.UTC(y, mo - 1, d, h - 3, mi, s);

describe('WhatsApp exports', () => {
  test('Android, Russian: multi-line messages, the system lines, an attached photo and voice note, media left out', async () => {
    for (const size of [7, 64, 1 << 20]) {
      const ms = await whatsapp(chunked(fixture('whatsapp-android-ru.txt'), size));
      assert.equal(ms.length, 7, `chunks of ${size}`);
      assert.deepEqual(ms[0], { sourceId: '1', sentAt: msk(2023, 12, 31, 21, 40), text: 'Сообщения и звонки защищены сквозным шифрованием. Никто вне этого чата не может прочитать или прослушать их.', attachments: [], system: true });
      assert.deepEqual(ms[1], { sourceId: '2', sentAt: msk(2023, 12, 31, 21, 41), author: 'Ирина Петровна', text: 'Уважаемые родители!\nЗавтра собрание в 18:00.\nКабинет 12.', attachments: [] });
      assert.deepEqual(ms[2]!.attachments, [{ kind: 'photo', path: 'IMG-20231231-WA0001.jpg', name: 'IMG-20231231-WA0001.jpg' }]);
      assert.equal(ms[2]!.text, '');
      assert.deepEqual(ms[3]!.attachments, [{ kind: 'file' }], 'a media line the export left out');
      assert.deepEqual(ms[4]!.attachments, [{ kind: 'voice', path: 'PTT-20240101-WA0002.opus', name: 'PTT-20240101-WA0002.opus' }]);
      assert.equal(ms[4]!.sentAt, msk(2024, 1, 1, 9, 5));
      assert.equal(ms[5]!.text, 'Данное сообщение удалено');
      assert.deepEqual(ms[6], { sourceId: '9', sentAt: msk(2024, 1, 1, 9, 7), text: 'Папа Миши вышел(-а)', attachments: [], system: true });
    }
  });

  test('Android, English (US dates, 12-hour times): month first, noon and midnight, a document with a caption', async () => {
    const ms = await whatsapp([fixture('whatsapp-android-en.txt')]);
    assert.equal(ms.length, 6);
    assert.equal(ms[0]!.system, true);
    assert.equal(ms[1]!.author, 'Building Manager');
    assert.equal(ms[1]!.text, 'Dear residents,\nthe water will be off on 1/2 from 10:00 to 14:00.');
    assert.equal(ms[1]!.sentAt, msk(2023, 12, 31, 21, 41));
    assert.deepEqual(ms[2]!.attachments, [{ kind: 'file', path: 'DOC-20231231-WA0003.pdf', name: 'DOC-20231231-WA0003.pdf' }]);
    assert.equal(ms[2]!.text, 'Minutes of the meeting');
    assert.equal(ms[3]!.sentAt, msk(2024, 1, 2, 10, 15), '1/2/24 is January 2nd here');
    assert.equal(ms[4]!.sentAt, msk(2024, 1, 2, 12, 0), '12:00 PM is noon');
    assert.equal(ms[5]!.sentAt, msk(2024, 1, 2, 0, 1), '12:01 AM is just after midnight');
    assert.equal(ms[4]!.text, 'Thanks! 🙏');
  });

  test('iOS, Russian and English: bracketed dates with seconds, the app\'s lines under the chat\'s name, attachments and omitted media', async () => {
    const ru = await whatsapp([fixture('whatsapp-ios-ru.txt')]);
    assert.deepEqual(ru.map((m) => [m.system ?? false, m.author, m.text]), [
      [true, undefined, 'Сообщения и звонки защищены сквозным шифрованием.'],
      [false, 'Управляющий', 'Добрый вечер!'],
      [false, 'Управляющий', ''],
      [false, 'Кв. 3', ''],
    ]);
    assert.equal(ru[1]!.sentAt, msk(2023, 12, 31, 21, 41, 10));
    assert.deepEqual(ru[2]!.attachments, [{ kind: 'photo', path: '00000012-PHOTO-2023-12-31-21-42-00.jpg', name: '00000012-PHOTO-2023-12-31-21-42-00.jpg' }]);
    assert.deepEqual(ru[3]!.attachments, [{ kind: 'photo' }]);
    const en = await whatsapp(chunked(fixture('whatsapp-ios-en.txt'), 5));
    assert.equal(en.length, 4);
    assert.equal(en[1]!.text, 'Homework for Monday:\npage 42, exercises 1-3');
    assert.equal(en[1]!.sentAt, msk(2023, 12, 31, 21, 41, 10), 'month first: 1/13/24 proves it');
    assert.deepEqual(en[2]!.attachments, [{ kind: 'voice', path: '00000013-AUDIO-2023-12-31-21-42-00.opus', name: '00000013-AUDIO-2023-12-31-21-42-00.opus' }]);
    assert.equal(en[3]!.author, "Tom's dad");
    assert.equal(en[3]!.sentAt, msk(2024, 1, 13, 9, 5));
  });

  test('a narrow no-break space before PM, CRLF, a byte order mark; an explicit date order wins', async () => {
    const ms = await whatsapp(['\ufeff03/04/24, 1:05\u202fPM - Ann: hi\r\n']);
    assert.equal(ms[0]!.sentAt, msk(2024, 3, 4, 13, 5), 'two-digit year with / reads month first');
    const dmy = await whatsapp(['03/04/24, 1:05 PM - Ann: hi\n'], { dateOrder: 'dmy' });
    assert.equal(dmy[0]!.sentAt, msk(2024, 4, 3, 13, 5));
  });

  test('hostile or broken exports fail cleanly with a code: path traversal, a huge line, bad dates, not an export', async () => {
    await assert.rejects(whatsapp(['31.12.2023, 21:42 - Eve: ../../etc/passwd (file attached)\n']), refused('import_unsafe_path'));
    await assert.rejects(whatsapp(['[31.12.2023, 21:42:00] Eve: \u200e<attached: /etc/passwd>\n']), refused('import_unsafe_path'));
    await assert.rejects(whatsapp(['31.12.2023, 21:42 - Eve: C:\\Windows\\x.jpg (file attached)\n']), refused('import_unsafe_path'));
    await assert.rejects(whatsapp(chunked(`31.12.2023, 21:42 - Eve: ${'x'.repeat(3000)}\n`, 100), { maxItemChars: 1000 }), refused('import_too_large'));
    await assert.rejects(whatsapp([`31.12.2023, 21:42 - Eve: ${'x'.repeat(3000)}`], { maxItemChars: 1000 }), refused('import_too_large'), 'no newline at all');
    await assert.rejects(whatsapp(['31.13.2023, 21:42 - Eve: hi\n']), refused('import_malformed'));
    await assert.rejects(whatsapp(['31.02.2023, 21:42 - Eve: hi\n']), refused('import_malformed'), 'no 31st of February');
    await assert.rejects(whatsapp(['31.12.2023, 25:42 - Eve: hi\n']), refused('import_malformed'));
    await assert.rejects(whatsapp(['hello\nthis is not an export\n']), refused('import_malformed'));
    await assert.rejects(whatsapp(['']), refused('import_malformed'));
    await assert.rejects(whatsapp(['31.12.2023, 21:42 - A: 1\n31.12.2023, 21:43 - A: 2\n31.12.2023, 21:44 - A: 3\n'], { maxMessages: 2 }), refused('import_too_large'));
  });

  test('streams: a long export is read a chunk at a time, the first messages arrive before the whole text was read', async () => {
    let read = 0;
    function* source(): Generator<string> {
      for (let i = 0; i < 20_000; i++) {
        read += 1;
        yield `31.12.2023, 21:${String(i % 60).padStart(2, '0')} - Ann: message ${i}\n`;
      }
    }
    const it = parseWhatsApp(source(), { utcOffsetMinutes: 0 });
    const first = await it.next();
    assert.equal((first.value as ImportedMessage).text, 'message 0');
    assert.ok(read < 10, `only ${read} chunks read for the first message`);
    let n = 1;
    for await (const m of it) n += m ? 1 : 0;
    assert.equal(n, 20_000);
  });
});

describe('Telegram Desktop exports (result.json)', () => {
  test('one chat: its name, service lines, formatted text flattened, a reply with an edited photo, a voice message, a file left out, a poll', async () => {
    for (const size of [3, 100, 1 << 20]) {
      const { chat, messages: ms } = await telegram(chunked(fixture('telegram-chat.json'), size));
      assert.deepEqual(chat, { source: 'telegram', name: 'Дом 5, подъезд 2' }, `chunks of ${size}`);
      assert.equal(ms.length, 6);
      assert.deepEqual(ms[0], { sourceId: '1', sentAt: 1704048000_000, text: 'Управляющий create group Дом 5, подъезд 2 Управляющий', attachments: [], system: true });
      assert.deepEqual(ms[1], { sourceId: '2', sentAt: 1704048060_000, author: 'Управляющий', authorId: 'user111', text: 'Собрание жильцов в четверг — подробности: https://example.org/meeting', attachments: [], forwardedFrom: 'Совет дома' });
      assert.deepEqual(ms[2], {
        sourceId: '3', sentAt: 1704048300_000, author: 'Кв. 14', authorId: 'user222', text: 'Вот "объявление" у лифта\nвторая строка', replyTo: '2', editedAt: 1704048360_000,
        attachments: [{ kind: 'photo', path: 'photos/photo_1@31-12-2023_21-45-00.jpg', name: 'photo_1@31-12-2023_21-45-00.jpg', width: 1280, height: 960 }],
      });
      assert.deepEqual(ms[3]!.attachments, [{ kind: 'voice', path: 'voice_messages/audio_1@01-01-2024_09-00-00.ogg', name: 'audio_1@01-01-2024_09-00-00.ogg', mimeType: 'audio/ogg', durationMs: 7000 }]);
      assert.deepEqual(ms[4]!.attachments, [{ kind: 'file', name: 'Протокол собрания.pdf', mimeType: 'application/pdf' }], 'a file the export left out: no path');
      assert.equal(ms[5]!.text, '📊 Когда удобно?\n• Четверг\n• Пятница');
    }
  });

  test('a whole-account export: the first chat by default, another by its id; brackets inside strings do not confuse it', async () => {
    const first = await telegram([fixture('telegram-account.json')]);
    assert.equal(first.chat.name, 'Book club');
    assert.deepEqual(first.messages.map((m) => m.text), ['first chat']);
    const parents = await telegram(chunked(fixture('telegram-account.json'), 11), { chatId: 222 });
    assert.equal(parents.chat.name, 'Parents 3B');
    assert.deepEqual(parents.messages.map((m) => m.sourceId), ['20', '21']);
    assert.equal(parents.messages[1]!.text, 'see the [timetable] {new}');
    assert.equal(parents.messages[1]!.forwardedFrom, 'School news');
    assert.deepEqual(parents.messages[1]!.attachments, [{ kind: 'file', path: 'files/timetable.pdf', name: 'timetable.pdf', mimeType: 'application/pdf' }]);
  });

  test('streams: the first message is parsed before the rest of the export was read', async () => {
    let read = 0;
    function* source(): Generator<string> {
      read += 1;
      yield '{"name": "big", "id": 5, "messages": [';
      for (let i = 0; i < 5000; i++) {
        read += 1;
        yield `${i ? ',' : ''}{"id": ${i}, "type": "message", "date_unixtime": "${1704048000 + i}", "from": "Ann", "text": "message ${i}"}`;
      }
      yield ']}';
    }
    const { messages } = await parseTelegram(source());
    const first = await messages.next();
    assert.equal((first.value as ImportedMessage).text, 'message 0');
    assert.ok(read < 10, `only ${read} chunks read for the first message`);
    let n = 1;
    for await (const m of messages) n += m ? 1 : 0;
    assert.equal(n, 5000);
  });

  test('hostile or broken exports fail cleanly with a code', async () => {
    const one = (m: object) => [JSON.stringify({ name: 'x', id: 1, messages: [m] })];
    const base = { id: 1, type: 'message', date_unixtime: '1704048000', from: 'Eve', text: '' };
    await assert.rejects(telegram(one({ ...base, photo: '../../../etc/passwd' })), refused('import_unsafe_path'));
    await assert.rejects(telegram(one({ ...base, file: '/etc/shadow' })), refused('import_unsafe_path'));
    await assert.rejects(telegram(one({ ...base, file: 'files/a\u0000b' })), refused('import_unsafe_path'));
    await assert.rejects(telegram(one({ ...base, date_unixtime: 'soon', date: 'yesterday' })), refused('import_malformed'));
    await assert.rejects(telegram(one({ ...base, text: 'x'.repeat(5000) }), { maxItemChars: 1000 }), refused('import_too_large'));
    await assert.rejects(telegram(['{"name": "x", "messages": [{"id": 1, "text": "cut here']), refused('import_malformed'));
    await assert.rejects(telegram(['{"name": "x", "messages": [{"id": 1]}']), refused('import_malformed'));
    await assert.rejects(telegram(['{"name": "x", "chats": []}']), refused('import_malformed'));
    await assert.rejects(telegram(['31.12.2023, 21:42 - Eve: a WhatsApp file given as Telegram']), refused('import_malformed'));
    await assert.rejects(telegram(['{"messages": [1]}']), refused('import_malformed'));
  });
});
