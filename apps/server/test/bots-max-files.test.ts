import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { createUser, startTestServer, waitFor } from '@parley/testing';
import { fromBot, runBot, testGateway } from './bot-run.ts';
import { leaks, serverBytes } from './server-bytes.ts';

const asset = (name: string) => new Uint8Array(readFileSync(fileURLToPath(new URL(`../../../examples/bots/public/${name}`, import.meta.url))));
type Obj = Record<string, any>;

describe('files in the Max facade (R127)', () => {
  it('R127 R163 @maxhub/max-bot-api\'s attachments example runs unmodified: video, audio and file uploads reach the person, an image by URL (fetched by the gateway) and an album of a URL, an upload and a token; a person\'s file reaches the bot with a URL and goes back by token; the server holds none of it', async () => {
    const log: Buffer[] = [];
    const logger = pino({ level: 'debug' }, new Writable({ write(chunk: Buffer, _e, cb) { log.push(Buffer.from(chunk)); cb(); } }));
    await using server = await startTestServer({ PARLEY_LOG_LEVEL: 'debug' }, { logger });
    const owner = await createUser(server.url, { displayName: 'Olga' });
    const person = await createUser(server.url, { displayName: 'Pavel' });
    const { bot, token } = await owner.client.bots.create({ handle: 'maxfiles_bot', displayName: 'Max Files' });
    // R163: the example's image URL, served here (CI has no internet); loopback is allowed for this gateway only.
    const pictures = createServer((req, res) => {
      if (req.url?.startsWith('/cat.png')) return res.end(asset('image.png'));
      res.writeHead(req.url === '/loop' ? 302 : 404, req.url === '/loop' ? { location: '/loop' } : {}).end();
    });
    await new Promise<void>((r) => pictures.listen(0, '127.0.0.1', () => r()));
    const picturesUrl = `http://127.0.0.1:${(pictures.address() as AddressInfo).port}`;
    await using _pictures = { [Symbol.asyncDispose]: () => new Promise<void>((r) => { pictures.closeAllConnections(); pictures.close(() => r()); }) };
    await using gateway = await testGateway(server.url, token, { maxUploadBytes: 64 * 1024, urlFetch: { allowPrivate: true } });
    const chat = await person.client.openDirect(bot.userId);
    // The example's /album names a file by token (one on Max's servers there): here a picture the person sent the bot.
    await person.client.sendFiles(chat.chatId, [{ source: new Blob([asset('image.png')]), name: 'tram.png', mime: 'image/png', size: asset('image.png').length }]);
    await waitFor(() => person.client.timeline(chat.chatId).some((i) => i.attachments?.[0]?.name === 'tram.png' && !i.upload && i.state === 'sent'), { what: 'the person\'s picture sent' });
    const tramToken = person.client.timeline(chat.chatId).find((i) => i.attachments?.[0]?.name === 'tram.png')!.attachments![0]!.blobId;
    const fileOf = (kind: string) => fromBot(person, chat.chatId, bot.userId).find((i) => i.attachments?.[0]?.kind === kind)?.attachments?.[0];
    const bytesOf = async (a: NonNullable<ReturnType<typeof fileOf>>) => new Uint8Array(await (await person.client.downloadAttachment(a)).arrayBuffer());
    {
      await using _bot = runBot('max-attachments/attachments-bot.ts', { token, apiRoot: `${gateway.url}/max/`, extra: { IMAGE_URL: `${picturesUrl}/cat.png?q=65`, IMAGE_TOKEN: tramToken } });
      await waitFor(async () => (await person.client.bots.commands(bot.userId)).length === 7, { what: 'the example\'s setMyCommands', timeoutMs: 40_000 });
      await waitFor(async () => (await person.client.encryptionMembers(chat.chatId)).some((m) => m.userId === bot.userId), { what: 'the bot\'s device in the chat\'s group' });
      await person.client.sendText(chat.chatId, '/local');
      await waitFor(() => fileOf('video') !== undefined, { what: 'the video (a file path, streamed in chunks)', timeoutMs: 40_000 });
      assert.deepEqual({ name: fileOf('video')!.name, mime: fileOf('video')!.mime }, { name: 'video.mp4', mime: 'video/mp4' });
      assert.deepEqual(await bytesOf(fileOf('video')!), asset('video.mp4'));
      await person.client.sendText(chat.chatId, '/stream');
      await waitFor(() => fileOf('audio') !== undefined, { what: 'the audio (a read stream)', timeoutMs: 40_000 });
      assert.deepEqual({ name: fileOf('audio')!.name, mime: fileOf('audio')!.mime }, { name: 'audio.mp3', mime: 'audio/mpeg' });
      assert.deepEqual(await bytesOf(fileOf('audio')!), asset('audio.mp3'));
      await person.client.sendText(chat.chatId, '/buffer');
      await waitFor(() => fileOf('file') !== undefined, { what: 'the file (a buffer, multipart)', timeoutMs: 40_000 });
      assert.equal(fileOf('file')!.mime, 'image/png');
      assert.deepEqual(await bytesOf(fileOf('file')!), asset('image.png'));
      await person.client.sendText(chat.chatId, '/url');
      await waitFor(() => fileOf('image') !== undefined, { what: 'the image by URL', timeoutMs: 40_000 });
      assert.deepEqual([fileOf('image')!.name, fileOf('image')!.mime, await bytesOf(fileOf('image')!)], ['cat.png', 'image/png', asset('image.png')]);
      await person.client.sendText(chat.chatId, '/album');
      const album = () => fromBot(person, chat.chatId, bot.userId).find((i) => (i.attachments?.length ?? 0) > 1);
      await waitFor(() => album() !== undefined, { what: 'the album (a URL, an upload, a token)', timeoutMs: 40_000 });
      // (The library names a buffer it uploads with a random UUID.)
      assert.deepEqual(album()!.attachments!.map((a) => [a.kind, a.name.replace(/^[0-9a-f-]{36}\./, 'uuid.')]), [['image', 'cat.png'], ['image', 'uuid.png'], ['image', 'tram.png']]);
      for (const a of album()!.attachments!) assert.deepEqual(await bytesOf(a), asset('image.png'));
    }

    // The person sends a document; the bot (raw calls now) gets it as an attachment with a URL it can fetch.
    const minutes = new TextEncoder().encode('minutes of the ferry board meeting\n'.repeat(100));
    // Several files in one message (an album) reach it as they are: every attachment, in order.
    await person.client.sendFiles(chat.chatId, [{ source: new Blob([minutes]), name: 'minutes.txt', mime: 'text/plain', size: minutes.length },
      { source: new Blob([asset('image.png')]), name: 'plan.png', mime: 'image/png', size: asset('image.png').length }], { text: 'протокол' });
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${gateway.url}${path}`, { method, headers: { authorization: token, 'content-type': 'application/json' }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
      return { status: res.status, body: await res.json() as Obj };
    };
    let got: Obj | undefined;
    await waitFor(async () => {
      const { body } = await call('GET', '/updates?timeout=0');
      got = (body['updates'] as Obj[]).find((u) => u['update_type'] === 'message_created' && u['message'].body.text === 'протокол');
      return got !== undefined;
    }, { what: 'the person\'s file as an update' });
    const [doc, plan] = got!['message'].body.attachments as Obj[];
    assert.equal(doc!['type'], 'file');
    assert.deepEqual([plan?.['type'], new Uint8Array(await (await fetch(plan!['payload'].url)).arrayBuffer())], ['image', asset('image.png')], 'the album\'s second file too');
    assert.deepEqual([doc!['filename'], doc!['size']], ['minutes.txt', minutes.length]);
    assert.deepEqual(new Uint8Array(await (await fetch(doc!['payload'].url)).arrayBuffer()), minutes, 'the URL serves the decrypted file, no token needed');
    const forged = (doc!['payload'].url as string).replace(/\/files\/([^/]+)\/[^/]+/, '/files/$1/AAAAAAAAAAAAAAAAAAAAAA');
    assert.equal((await fetch(forged)).status, 404, 'a URL not signed by the gateway serves nothing');

    const chatId = got!['message'].recipient.chat_id as number;
    const back = await call('POST', `/messages?chat_id=${chatId}`, { text: 'назад', attachments: [{ type: 'file', payload: { token: doc!['payload'].token } }] });
    assert.equal(back.status, 200);
    await waitFor(() => fromBot(person, chat.chatId, bot.userId).some((i) => i.text === 'назад' && i.attachments?.[0]?.name === 'minutes.txt'), { what: 'the file back by token' });
    assert.deepEqual(await bytesOf(fromBot(person, chat.chatId, bot.userId).find((i) => i.text === 'назад')!.attachments![0]!), minutes);

    // Refusals: URLs that give no file (R163), an unknown token, a chunk over the gateway's limit, a missing upload type.
    for (const [url, code] of [[`${picturesUrl}/gone.png`, 'url.http.status'], [`${picturesUrl}/loop`, 'url.too.many.redirects'], ['ftp://example.org/cat.jpg', 'url.invalid']]) {
      const byUrl = await call('POST', `/messages?chat_id=${chatId}`, { attachments: [{ type: 'image', payload: { url } }] });
      assert.deepEqual([byUrl.status, byUrl.body['code']], [400, code], url);
    }
    const unknown = await call('POST', `/messages?chat_id=${chatId}`, { attachments: [{ type: 'video', payload: { token: 'no-such-token' } }] });
    assert.deepEqual([unknown.status, unknown.body['code']], [400, 'proto.payload']);
    assert.equal((await call('POST', '/uploads?type=sticker')).status, 400);
    const { body: up } = await call('POST', '/uploads?type=video');
    const huge = await fetch(up['url'], { method: 'POST', headers: { 'content-range': `bytes 0-9/${200 * 1024}` }, body: new Uint8Array(10) });
    assert.equal(huge.status, 413);
    const notPicture = await call('POST', '/uploads?type=image');
    const form = new FormData();
    form.set('data', new Blob(['not a picture']), 'x.jpg');
    assert.equal((await fetch(notPicture.body['url'], { method: 'POST', body: form })).status, 200);
    const refused = await call('POST', `/messages?chat_id=${chatId}`, { attachments: [{ type: 'image', payload: { token: notPicture.body['token'] } }] });
    assert.deepEqual([refused.status, refused.body['message']], [400, 'an image must be a PNG, JPEG, GIF or WebP']);

    await Promise.all([owner, person].map((u) => u.client.stop()));
    await gateway.close();
    const everything = serverBytes(server.dataDir, log);
    assert.ok(leaks(everything, new TextEncoder().encode(chat.chatId)), 'the scan finds what is there (chat ids)');
    for (const s of [minutes.subarray(0, 40), new TextEncoder().encode('parley example video'), new TextEncoder().encode('протокол'), new TextEncoder().encode('назад'), asset('image.png').subarray(16, 60)]) {
      assert.ok(!leaks(everything, s), `plaintext found on the server: ${new TextDecoder().decode(s)}`);
    }
  });
});
