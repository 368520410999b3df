import assert from 'node:assert/strict';
import { createServer, request, type IncomingMessage } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startGateway } from '@parley/bot-gateway';
import { createUser, freePort, startTestServer, waitFor } from '@parley/testing';
import { fromBot, runBot, testGateway } from './bot-run.ts';
import { selfSignedCert } from './local-push.ts';

async function call(url: string, body: unknown = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/**
 * The TLS proxy a bot's webhook sits behind (telegraf and Max's library register https URLs only):
 * https on 127.0.0.1 with a self-signed certificate, forwarding to the bot's plain http port.
 */
async function tlsProxy(tls: { key: string; cert: string }, botPort: number): Promise<{ port: number } & AsyncDisposable> {
  const proxy = createHttpsServer(tls, (req, res) => {
    const up = request({ host: '127.0.0.1', port: botPort, path: req.url, method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.writeHead(502).end());
    req.pipe(up);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
  return { port: (proxy.address() as AddressInfo).port, [Symbol.asyncDispose]: () => new Promise<void>((r) => { proxy.closeAllConnections(); proxy.close(() => r()); }) };
}

describe('webhooks through the bot gateway (R94b)', () => {
  it('R94b grammY\'s, node-telegram-bot-api\'s, telegraf\'s and a @maxhub/max-bot-api webhook bot run unmodified (the last two behind a TLS proxy with a self-signed certificate the gateway trusts): the gateway POSTs each update with the secret token, getUpdates is refused meanwhile', async () => {
    await using server = await startTestServer();
    const owner = await createUser(server.url);
    const person = await createUser(server.url);
    const hook = await owner.client.bots.create({ handle: 'hook_bot', displayName: 'Hook' });
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-gw-'));
    try {
      await using gw = await startGateway({ server: server.url, token: hook.token, listen: { host: '127.0.0.1', port: 0 }, dataDir, log: () => undefined });
      const port = await freePort();
      await using _bot = runBot('grammy-webhook.mjs', {
        token: hook.token, apiRoot: gw.url, extra: { PORT: String(port), WEBHOOK_URL: `http://127.0.0.1:${port}/`, WEBHOOK_SECRET: 'sEcReT_42' },
      });
      const api = (m: string) => `${gw.url}/bot${hook.token}/${m}`;
      await waitFor(async () => ((await call(api('getWebhookInfo'))).body['result'] as { url: string }).url !== '', { what: 'the webhook set', timeoutMs: 30_000 });
      assert.deepEqual((await call(api('getUpdates'))).body, { ok: false, error_code: 409, description: 'Conflict: can\'t use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first' });
      const chat = await person.client.openDirect(hook.bot.userId);
      await person.client.sendText(chat.chatId, '/start');
      await waitFor(() => fromBot(person, chat.chatId, hook.bot.userId).some((i) => i.text === 'Webhook bot here.'), { what: 'the webhook bot\'s answer', timeoutMs: 40_000 });
      await person.client.sendText(chat.chatId, 'lunch at noon');
      await waitFor(() => fromBot(person, chat.chatId, hook.bot.userId).some((i) => i.text === 'You said: lunch at noon'), { what: 'the second answer', timeoutMs: 20_000 });
      assert.equal(((await call(api('getWebhookInfo'))).body['result'] as { pending_update_count: number }).pending_update_count, 0);

      // node-telegram-bot-api's node:http webhook example (its examples/13-webhook-node-server.ts).
      const ntba = await owner.client.bots.create({ handle: 'ntba_hook_bot', displayName: 'NTBA hook' });
      await using gw2 = await testGateway(server.url, ntba.token);
      const port2 = await freePort();
      const publicUrl = `http://127.0.0.1:${port2}/telegram`;
      await using _bot2 = runBot('ntba-webhook.mjs', { token: ntba.token, apiRoot: gw2.url, extra: { PORT: String(port2), PUBLIC_URL: publicUrl, WEBHOOK_SECRET: 'n7ba' } });
      await waitFor(async () => ((await call(`${gw2.url}/bot${ntba.token}/getWebhookInfo`)).body['result'] as { url: string }).url === publicUrl, { what: 'the ntba webhook set', timeoutMs: 30_000 });
      const nchat = await person.client.openDirect(ntba.bot.userId);
      await person.client.sendText(nchat.chatId, '/start');
      await waitFor(() => fromBot(person, nchat.chatId, ntba.bot.userId).some((i) => i.text === 'Hello from a raw node:http webhook 🌐'), { what: 'the ntba webhook bot\'s answer', timeoutMs: 40_000 });

      // telegraf's README webhook bot and a Max one behind a TLS proxy whose self-signed certificate the gateway is given (--webhook-ca).
      const tls = selfSignedCert(['127.0.0.1']);
      const tf = await owner.client.bots.create({ handle: 'tf_hook_bot', displayName: 'Telegraf hook' });
      await using gw3 = await testGateway(server.url, tf.token, { webhookCa: tls.cert });
      const tfPort = await freePort();
      await using tfProxy = await tlsProxy(tls, tfPort);
      await using _bot3 = runBot('telegraf-webhook.mjs', {
        token: tf.token, apiRoot: gw3.url, extra: { PORT: String(tfPort), WEBHOOK_DOMAIN: `127.0.0.1:${tfProxy.port}`, WEBHOOK_PATH: '/tg-hook', WEBHOOK_SECRET: 'tElEgRaF' },
      });
      await waitFor(async () => ((await call(`${gw3.url}/bot${tf.token}/getWebhookInfo`)).body['result'] as { url: string }).url === `https://127.0.0.1:${tfProxy.port}/tg-hook`, { what: 'telegraf\'s https webhook set', timeoutMs: 30_000 });
      const tchat = await person.client.openDirect(tf.bot.userId);
      await person.client.sendText(tchat.chatId, 'anyone there?');
      await waitFor(() => fromBot(person, tchat.chatId, tf.bot.userId).some((i) => i.text === 'Hello'), { what: 'telegraf\'s webhook answer', timeoutMs: 40_000 });

      const mx = await owner.client.bots.create({ handle: 'max_hook_bot', displayName: 'Max hook' });
      await using gw4 = await testGateway(server.url, mx.token, { webhookCa: tls.cert });
      const mxPort = await freePort();
      await using mxProxy = await tlsProxy(tls, mxPort);
      await using _bot4 = runBot('max-webhook.mjs', { token: mx.token, apiRoot: `${gw4.url}/max/`, extra: { PORT: String(mxPort), WEBHOOK_DOMAIN: `127.0.0.1:${mxProxy.port}`, WEBHOOK_SECRET: 'mAxSeCrEt' } });
      const subs = async () => (await (await fetch(`${gw4.url}/max/subscriptions`, { headers: { authorization: mx.token } })).json()) as { subscriptions: { url: string }[] };
      await waitFor(async () => (await subs()).subscriptions[0]?.url === `https://127.0.0.1:${mxProxy.port}/max-webhook`, { what: 'the Max subscription', timeoutMs: 30_000 });
      const mchat = await person.client.openDirect(mx.bot.userId);
      await person.client.sendText(mchat.chatId, 'привет');
      await waitFor(() => fromBot(person, mchat.chatId, mx.bot.userId).some((i) => i.text === 'Вы написали: привет'), { what: 'the Max webhook answer', timeoutMs: 40_000 });
    } finally {
      for (const u of [owner, person]) await u.client.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('R94b a webhook that fails, then hangs, is retried with backoff: every update arrives once, in order; the error is told; a call in its answer is made; nothing piles up past the limit', async () => {
    await using server = await startTestServer();
    const owner = await createUser(server.url);
    const person = await createUser(server.url);
    const hook = await owner.client.bots.create({ handle: 'flaky_hook_bot', displayName: 'Flaky' });
    // The bot's endpoint: 500 twice, then one request left hanging, then it works.
    const received: { text: string; secret: string | undefined }[] = [];
    let calls = 0;
    const endpoint = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        calls += 1;
        if (calls <= 2) return void res.writeHead(500).end();
        if (calls === 3) return; // hangs: the gateway gives up after its timeout
        const update = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { message?: { text: string; chat: { id: number } } };
        received.push({ text: update.message?.text ?? '', secret: req.headers['x-telegram-bot-api-secret-token'] as string | undefined });
        // A call in the answer (as telegraf's webhookReply makes): the gateway makes it.
        if (update.message?.text === 'two') return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ method: 'sendMessage', chat_id: update.message.chat.id, text: 'two, in the answer' }));
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => endpoint.listen(0, '127.0.0.1', () => r()));
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-gw-'));
    try {
      await using gw = await startGateway({
        server: server.url, token: hook.token, listen: { host: '127.0.0.1', port: 0 }, dataDir, log: () => undefined,
        webhookTimeoutMs: 500, webhookRetryMinMs: 100, maxUpdates: 3,
      });
      const api = (m: string) => `${gw.url}/bot${hook.token}/${m}`;
      assert.equal((await call(api('setWebhook'), { url: 'ftp://x' })).status, 400);
      assert.equal((await call(api('setWebhook'), { url: 'http://127.0.0.1:1/', secret_token: 'no spaces' })).status, 400);
      const url = `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}/hook`;
      assert.equal((await call(api('setWebhook'), { url, secret_token: 'k3y' })).status, 200);
      const chat = await person.client.openDirect(hook.bot.userId);
      for (const t of ['one', 'two']) await person.client.sendText(chat.chatId, t);
      await waitFor(async () => Boolean(((await call(api('getWebhookInfo'))).body['result'] as { last_error_message?: string }).last_error_message), { what: 'an error told', timeoutMs: 20_000 });
      const info = (await call(api('getWebhookInfo'))).body['result'] as { last_error_message: string; url: string };
      assert.equal(info.url, url);
      assert.match(info.last_error_message, /Wrong response from the webhook: 500|Read timeout expired/);
      await waitFor(() => received.length === 2, { what: 'both delivered after the retries', timeoutMs: 30_000 });
      assert.deepEqual(received, [{ text: 'one', secret: 'k3y' }, { text: 'two', secret: 'k3y' }]);
      assert.ok(calls >= 5, 'two refusals and a hang came first');
      await waitFor(() => fromBot(person, chat.chatId, hook.bot.userId).some((i) => i.text === 'two, in the answer'), { what: 'the call in the webhook\'s answer made' });

      // Updates wait in the bounded queue while the bot's endpoint is gone: at most maxUpdates, the newest.
      await new Promise<void>((r) => endpoint.close(() => r()));
      endpoint.closeAllConnections();
      for (const t of ['a', 'b', 'c', 'd', 'e']) await person.client.sendText(chat.chatId, t);
      await waitFor(() => gw.client.timeline(chat.chatId).some((i) => i.text === 'e'), { what: 'the gateway has the last one', timeoutMs: 30_000 });
      await waitFor(async () => ((await call(api('getWebhookInfo'))).body['result'] as { pending_update_count: number }).pending_update_count === 3, { what: 'the queue at its limit', timeoutMs: 30_000 });
      assert.equal((await call(api('deleteWebhook'), { drop_pending_updates: false })).status, 200);
      const kept = async () => ((await call(api('getUpdates'))).body['result'] as { message: { text: string } }[]).map((u) => u.message.text);
      // The newest three stay (the last update is queued just after its message is decoded).
      await waitFor(async () => (await kept()).at(-1) === 'e', { what: 'the last update queued' });
      assert.deepEqual(await kept(), ['c', 'd', 'e']);
    } finally {
      for (const u of [owner, person]) await u.client.stop();
      endpoint.closeAllConnections();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
