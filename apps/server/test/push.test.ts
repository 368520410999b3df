import assert from 'node:assert/strict';
import { createECDH, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { describe, it } from 'node:test';
// @ts-expect-error http_ece ships no types
import ece from 'http_ece';
import { createUser, startTestServer, waitFor } from '@parley/testing';

describe('Web Push', () => {
  it('R12 an offline member gets a push that carries no message text, sender or chat', async (t) => {
    const received: Buffer[] = [];
    const pushService = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push(Buffer.concat(chunks));
        res.writeHead(201).end();
      });
    });
    await new Promise<void>((r) => pushService.listen(0, '127.0.0.1', r));
    t.after(() => pushService.close());
    const address = pushService.address();
    const port = typeof address === 'object' && address ? address.port : 0;

    await using server = await startTestServer({ PARLEY_PUSH_MIN_INTERVAL_MS: '0' });
    const alice = await createUser(server.url, { displayName: 'Alice Sender' });
    const bob = await createUser(server.url);
    const receiver = createECDH('prime256v1');
    receiver.generateKeys();
    const authSecret = randomBytes(16);
    assert.ok((await bob.client.pushVapidKey()).length > 40);
    await bob.client.subscribePush({
      endpoint: `http://127.0.0.1:${port}/push/bob-device`,
      keys: { p256dh: receiver.getPublicKey().toString('base64url'), auth: authSecret.toString('base64url') },
    });
    const { chatId } = await alice.client.openDirect(bob.userId);
    await waitFor(() => bob.client.chat(chatId) !== undefined);
    await alice.client.sendText(chatId, 'while you were online');
    await waitFor(() => bob.client.timeline(chatId).some((i) => i.text === 'while you were online'));
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(received.length, 0, 'no push while the user is connected');

    await bob.client.stop();
    await waitFor(() => server.gateway.connections === 1, { what: 'bob disconnected' });
    await alice.client.sendText(chatId, 'the door code is 4711');
    await waitFor(() => received.length === 1, { what: 'a push' });
    const body = received[0] as Buffer;
    assert.ok(!body.toString('latin1').includes('4711'));
    const plaintext = ece.decrypt(body, { version: 'aes128gcm', privateKey: receiver, authSecret: authSecret.toString('base64url') }) as Buffer;
    assert.deepEqual(JSON.parse(plaintext.toString('utf8')), { type: 'new_messages', v: 1 });
    await alice.client.stop();
  });
});
