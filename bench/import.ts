// Issue 12: import speed of a Telegram Desktop export (result.json) and of a WhatsApp .txt, through
// the SDK's streaming parsers, with the heap they need (the JSON/text is made in memory first and
// handed over in 64 KiB chunks, as a File's stream would; its own size is reported apart).
// Usage: node --expose-gc --import tsx bench/import.ts [messages=100000]
import { parseTelegram, parseWhatsApp } from '../packages/client/src/import/index.ts';

const n = Number(process.argv[2] ?? 100_000);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
function* chunks(text: string, size = 64 * 1024): Generator<string> {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}
const words = 'собрание жильцов в четверг вода отключена с десяти до двух meeting water lift'.split(' ');
const line = (i: number) => Array.from({ length: 8 + (i % 12) }, (_, k) => words[(i * 7 + k) % words.length]).join(' ');

const tg = JSON.stringify({
  name: 'Дом 5', type: 'private_supergroup', id: 1,
  messages: Array.from({ length: n }, (_, i) => ({
    id: i + 1, type: 'message', date: '2024-01-01T09:00:00', date_unixtime: String(1704088800 + i), from: `Кв. ${i % 300}`, from_id: `user${i % 300}`,
    text: i % 5 === 0 ? [line(i), { type: 'bold', text: ' важно' }] : line(i), ...(i % 20 === 0 ? { photo: `photos/photo_${i}.jpg`, width: 1280, height: 960 } : {}),
  })),
}, null, 1);
const wa = Array.from({ length: n }, (_, i) => `01.01.2024, ${String(9 + (i % 12)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')} - Кв. ${i % 300}: ${line(i)}${i % 7 === 0 ? `\n${line(i + 1)}` : ''}`).join('\n');

for (const [name, text, run] of [
  ['telegram', tg, async (t: string) => { let c = 0; for await (const m of (await parseTelegram(chunks(t))).messages) c += m ? 1 : 0; return c; }],
  ['whatsapp', wa, async (t: string) => { let c = 0; for await (const m of parseWhatsApp(chunks(t), { utcOffsetMinutes: 180 })) c += m ? 1 : 0; return c; }],
] as const) {
  gc();
  const before = process.memoryUsage().heapUsed;
  let peak = before;
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().heapUsed); }, 5);
  const started = performance.now();
  const count = await run(text);
  const seconds = (performance.now() - started) / 1000;
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage().heapUsed);
  console.log(JSON.stringify({
    bench: 'import', format: name, messages: count, exportMB: +(Buffer.byteLength(text) / 1e6).toFixed(1),
    seconds: +seconds.toFixed(2), messagesPerSec: Math.round(count / seconds), heapGrowthMB: +((peak - before) / 1e6).toFixed(1),
  }));
}
