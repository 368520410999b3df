import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createUser, startTestServer, waitFor } from '@parley/testing';
import { fromBot, runBot, testGateway } from './bot-run.ts';

const tram = readFileSync(fileURLToPath(new URL('../../../examples/bots/assets/tram.png', import.meta.url)));
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('bots send and receive files (R94, files)', () => {
  it('R94 grammY\'s files example runs unmodified: the person opens its photo and document; the bot downloads what the person sends and sends it back by file_id', async () => {
    await using server = await startTestServer();
    const owner = await createUser(server.url);
    const person = await createUser(server.url);
    const created = await owner.client.bots.create({ handle: 'depot_bot', displayName: 'Depot' });
    const botId = created.bot.userId;
    await using gw = await testGateway(server.url, created.token);
    await using _bot = runBot('grammy-files.mjs', { token: created.token, apiRoot: gw.url });
    const { chatId } = await person.client.openDirect(botId);

    await person.client.sendText(chatId, '/photo');
    await waitFor(() => fromBot(person, chatId, botId).some((i) => i.attachments?.length), { what: 'the photo', timeoutMs: 40_000 });
    const photo = fromBot(person, chatId, botId).find((i) => i.attachments?.length)!;
    const pic = photo.attachments![0]!;
    assert.equal(photo.text, 'Tram 7 at the depot');
    assert.deepEqual(photo.entities, [{ type: 'bold', offset: 0, length: 6 }]);
    assert.deepEqual({ kind: pic.kind, mime: pic.mime, name: pic.name, width: pic.width, height: pic.height }, { kind: 'image', mime: 'image/png', name: 'tram.png', width: 48, height: 32 });
    assert.deepEqual(new Uint8Array(await (await person.client.downloadAttachment(pic)).arrayBuffer()), new Uint8Array(tram));

    await person.client.sendText(chatId, '/timetable');
    await waitFor(() => fromBot(person, chatId, botId).some((i) => i.attachments?.[0]?.kind === 'file'), { what: 'the document', timeoutMs: 40_000 });
    const doc = fromBot(person, chatId, botId).find((i) => i.attachments?.[0]?.kind === 'file')!.attachments![0]!;
    assert.deepEqual({ name: doc.name, mime: doc.mime }, { name: 'timetable.txt', mime: 'text/plain' });
    assert.equal(await (await person.client.downloadAttachment(doc)).text(), '07:10 07:40 08:10\n');

    // The person sends a file: the bot's code downloads it through the gateway and sends it back by file_id.
    const report = new TextEncoder().encode('minutes of the depot meeting\n'.repeat(200));
    await person.client.sendFiles(chatId, [{ source: new Blob([report]), name: 'minutes.txt', mime: 'text/plain', size: report.length }], { text: 'for you' });
    await waitFor(() => fromBot(person, chatId, botId).some((i) => i.text === `Got ${report.length} bytes, sha256 ${sha256(report)}`), { what: 'the bot read the file', timeoutMs: 40_000 });
    await waitFor(() => fromBot(person, chatId, botId).some((i) => i.text === 'Your file, back'), { what: 'the file back', timeoutMs: 40_000 });
    const back = fromBot(person, chatId, botId).find((i) => i.text === 'Your file, back')!.attachments![0]!;
    assert.equal(back.name, 'minutes.txt');
    assert.deepEqual(new Uint8Array(await (await person.client.downloadAttachment(back)).arrayBuffer()), report);
    for (const u of [owner, person]) await u.client.stop();
  });

  it('R94 telegraf\'s and node-telegram-bot-api\'s files examples run unmodified: the person opens their photos and documents (a MarkdownV2 caption, a plain one)', async () => {
    await using server = await startTestServer();
    const owner = await createUser(server.url);
    const person = await createUser(server.url);
    const created = await owner.client.bots.create({ handle: 'tf_depot_bot', displayName: 'Depot (telegraf)' });
    const botId = created.bot.userId;
    await using gw = await testGateway(server.url, created.token);
    await using _bot = runBot('telegraf-files.mjs', { token: created.token, apiRoot: gw.url });
    const { chatId } = await person.client.openDirect(botId);
    await person.client.sendText(chatId, '/photo');
    await waitFor(() => fromBot(person, chatId, botId).some((i) => i.attachments?.length), { what: 'the photo', timeoutMs: 40_000 });
    const photo = fromBot(person, chatId, botId).find((i) => i.attachments?.length)!;
    assert.equal(photo.text, 'Tram 7');
    assert.deepEqual(new Uint8Array(await (await person.client.downloadAttachment(photo.attachments![0]!)).arrayBuffer()), new Uint8Array(tram));
    await person.client.sendText(chatId, '/timetable');
    await waitFor(() => fromBot(person, chatId, botId).some((i) => i.attachments?.[0]?.kind === 'file'), { what: 'the document', timeoutMs: 40_000 });
    const doc = fromBot(person, chatId, botId).find((i) => i.attachments?.[0]?.kind === 'file')!;
    assert.equal(doc.text, 'Weekdays');
    assert.deepEqual(doc.entities, [{ type: 'bold', offset: 0, length: 8 }]);
    assert.equal(doc.attachments![0]!.name, 'timetable.txt');
    assert.equal(await (await person.client.downloadAttachment(doc.attachments![0]!)).text(), '07:10 07:40 08:10\n');

    // node-telegram-bot-api's uploads example: a photo by fromPath, a document from bytes (its examples/08-uploads.ts).
    const ntba = await owner.client.bots.create({ handle: 'ntba_depot_bot', displayName: 'Depot (ntba)' });
    await using gw2 = await testGateway(server.url, ntba.token);
    await using _bot2 = runBot('ntba-files.mjs', { token: ntba.token, apiRoot: gw2.url });
    const nchat = (await person.client.openDirect(ntba.bot.userId)).chatId;
    const files = () => fromBot(person, nchat, ntba.bot.userId).filter((i) => i.attachments?.length);
    await person.client.sendText(nchat, '/photo');
    await waitFor(() => files().length === 1, { what: 'the ntba photo', timeoutMs: 40_000 });
    const npic = files()[0]!.attachments![0]!;
    assert.deepEqual({ kind: npic.kind, mime: npic.mime, name: npic.name, width: npic.width }, { kind: 'image', mime: 'image/png', name: 'tram.png', width: 48 });
    assert.deepEqual(new Uint8Array(await (await person.client.downloadAttachment(npic)).arrayBuffer()), new Uint8Array(tram));
    await person.client.sendText(nchat, '/document');
    await waitFor(() => files().length === 2, { what: 'the ntba document', timeoutMs: 40_000 });
    const ndoc = files()[1]!;
    assert.equal(ndoc.text, 'Sent from memory');
    assert.deepEqual({ kind: ndoc.attachments![0]!.kind, name: ndoc.attachments![0]!.name, mime: ndoc.attachments![0]!.mime }, { kind: 'file', name: 'hello.txt', mime: 'text/plain' });
    assert.equal(await (await person.client.downloadAttachment(ndoc.attachments![0]!)).text(), 'hello from a Uint8Array\n');
    for (const u of [owner, person]) await u.client.stop();
  });

  it('R94 R163 an upload over the gateway\'s limit is 413 and sends nothing; an unknown file_id and a non-picture photo are 400; files by URL are fetched by the gateway, within its limits, from the addresses it allows', async () => {
    await using server = await startTestServer();
    const owner = await createUser(server.url);
    const person = await createUser(server.url);
    const created = await owner.client.bots.create({ handle: 'limits_bot', displayName: 'Limits' });
    // R163: where the bot's URLs point; 127.0.0.1 stands for the internet here (every other address is refused, as private ones are by default).
    const web = createServer((req, res) => {
      if (req.url === '/tram.png') return res.end(tram);
      if (req.url === '/notes') return res.writeHead(302, { location: '/notes.txt' }).end();
      if (req.url === '/notes.txt') return res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('minutes by URL');
      if (req.url === '/big.bin') return res.end(new Uint8Array(100 * 1024));
      if (req.url === '/private') return res.writeHead(302, { location: `http://127.0.0.2:${port}/tram.png` }).end();
      if (req.url === '/loop') return res.writeHead(302, { location: '/loop' }).end();
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', () => r()));
    const port = (web.address() as AddressInfo).port;
    await using _web = { [Symbol.asyncDispose]: () => new Promise<void>((r) => { web.closeAllConnections(); web.close(() => r()); }) };
    const at = (path: string) => `http://127.0.0.1:${port}${path}`;
    await using gw = await testGateway(server.url, created.token, { maxUploadBytes: 64 * 1024, urlFetch: { allowed: (address) => address === '127.0.0.1' } });
    const { chatId } = await person.client.openDirect(created.bot.userId);
    await person.client.sendText(chatId, 'hi');
    const api = `${gw.url}/bot${created.token}`;
    const updates = async () => (await (await fetch(`${api}/getUpdates`)).json()) as { result: { message: { chat: { id: number } } }[] };
    await waitFor(async () => (await updates()).result.length > 0, { what: 'the first update' });
    const tgChat = (await updates()).result[0]!.message.chat.id;
    const post = (method: string, form: FormData) => fetch(`${api}/${method}`, { method: 'POST', body: form });
    const form = (field: string, value: Blob | string, name?: string) => {
      const f = new FormData();
      f.set('chat_id', String(tgChat));
      if (typeof value === 'string') f.set(field, value);
      else f.set(field, value, name);
      return f;
    };

    const big = await post('sendDocument', form('document', new Blob([new Uint8Array(200 * 1024)]), 'big.bin'));
    assert.equal(big.status, 413);
    assert.deepEqual(await big.json(), { ok: false, error_code: 413, description: 'Request Entity Too Large' });
    for (const [method, f, what] of [
      ['sendPhoto', form('photo', `http://127.0.0.2:${port}/tram.png`), 'failed to get HTTP URL content: URL_PRIVATE_ADDRESS'],
      ['sendPhoto', form('photo', at('/private')), 'failed to get HTTP URL content: URL_PRIVATE_ADDRESS'], // a redirect is checked too
      ['sendDocument', form('document', at('/big.bin')), 'failed to get HTTP URL content: URL_TOO_LARGE'],
      ['sendDocument', form('document', at('/loop')), 'failed to get HTTP URL content: URL_TOO_MANY_REDIRECTS'],
      ['sendDocument', form('document', at('/gone')), 'failed to get HTTP URL content: URL_HTTP_STATUS'],
      ['sendDocument', form('document', 'file:///etc/passwd'), 'wrong file identifier/HTTP URL specified'],
      ['sendDocument', form('document', 'AAAAAAAAAAAAAAAAAAAAAA'), 'wrong file identifier/HTTP URL specified'],
      ['sendPhoto', form('photo', new Blob(['not a picture']), 'x.jpg'), 'IMAGE_PROCESS_FAILED'],
    ] as const) {
      const res = await post(method, f);
      const body = (await res.json()) as { description: string };
      assert.equal(res.status, 400, method);
      assert.match(body.description, new RegExp(`^Bad Request: ${what.replace(/\//g, '\\/')}`));
    }
    // A small one still goes through, and the person gets it.
    const ok = (await (await post('sendDocument', form('document', new Blob(['small']), 'small.txt'))).json()) as { ok: boolean; result: { document: { file_name: string; file_id: string } } };
    assert.equal(ok.result.document.file_name, 'small.txt');
    await waitFor(() => fromBot(person, chatId, created.bot.userId).some((i) => i.attachments?.[0]?.name === 'small.txt'), { what: 'the small file' });
    assert.equal(fromBot(person, chatId, created.bot.userId).filter((i) => i.attachments?.length).length, 1);
    const file = (await (await fetch(`${api}/getFile?file_id=${ok.result.document.file_id}`)).json()) as { result: { file_path: string; file_size: number } };
    assert.equal(file.result.file_size, 5);
    assert.equal(await (await fetch(`${gw.url}/file/bot${created.token}/${file.result.file_path}`)).text(), 'small');
    assert.equal((await fetch(`${gw.url}/file/bot${created.token}/documents/BBBBBBBBBBBBBBBBBBBBBB.txt`)).status, 404);
    assert.equal((await fetch(`${gw.url}/file/bot1:wrong/${file.result.file_path}`)).status, 401);

    // R163: a photo and (through a redirect) a document by URL, as JSON, the way bot libraries send a URL string.
    const json = async (method: string, body: object) => (await (await fetch(`${api}/${method}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ chat_id: tgChat, ...body }) })).json()) as { ok: boolean; result: { photo?: { width: number }[]; document?: { file_name: string; mime_type: string } } };
    assert.deepEqual((await json('sendPhoto', { photo: at('/tram.png'), caption: 'by URL' })).result.photo?.[0]?.width, 48);
    const doc = (await json('sendDocument', { document: at('/notes') })).result.document;
    assert.deepEqual([doc?.file_name, doc?.mime_type], ['notes.txt', 'text/plain']);
    await waitFor(() => fromBot(person, chatId, created.bot.userId).some((i) => i.attachments?.[0]?.name === 'notes.txt'), { what: 'the files by URL' });
    const byUrl = fromBot(person, chatId, created.bot.userId).find((i) => i.text === 'by URL')!.attachments![0]!;
    assert.deepEqual([byUrl.kind, byUrl.mime, sha256(new Uint8Array(await (await person.client.downloadAttachment(byUrl)).arrayBuffer()))], ['image', 'image/png', sha256(tram)]);
    for (const u of [owner, person]) await u.client.stop();
  });
});
