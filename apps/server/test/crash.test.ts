import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PlaintextCodec } from '@parley/client';
import { createUser, freePort, spawnServer, waitFor, type TestUser } from '@parley/testing';
import { assertConverged } from './convergence.ts';

describe('crash safety', () => {
  it('R2 SIGKILL at random moments under a stream of sends loses no acknowledged message', { timeout: 180_000 }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-crash-'));
    const port = await freePort();
    const env = { PORT: String(port), PARLEY_DATA_DIR: dataDir };
    let child = await spawnServer(env);
    const url = `http://127.0.0.1:${port}`;
    try {
      const users: TestUser[] = [];
      // R2 is about the server's durability: the plaintext codec keeps the clients' CPU out of it (MLS
      // costs 2-15 ms per message on this shared 2-core machine; e2ee.test.ts covers encryption).
      for (let i = 0; i < 3; i++) users.push(await createUser(url, { displayName: `crash${i}`, codec: new PlaintextCodec() }));
      const [owner] = users;
      if (!owner) throw new Error('no users');
      const group = await owner.client.createGroup({ name: 'crash group', memberIds: users.slice(1).map((u) => u.userId) });
      await waitFor(() => users.every((u) => u.client.chat(group.chatId) !== undefined));

      const typed = new Map<string, string[]>(users.map((u) => [u.userId, []]));
      let sending = true;
      const senders = users.map(async (u, i) => {
        let n = 0;
        while (sending) {
          const text = `u${i} m${n++}`;
          await u.client.sendText(group.chatId, text);
          typed.get(u.userId)?.push(text);
          await new Promise((r) => setTimeout(r, 5 + Math.random() * 20));
        }
      });

      for (let kill = 0; kill < 5; kill++) {
        await new Promise((r) => setTimeout(r, 400 + Math.random() * 1200));
        child.kill('SIGKILL');
        await new Promise((r) => child.once('exit', r));
        child = await spawnServer(env);
      }
      await new Promise((r) => setTimeout(r, 500));
      sending = false;
      await Promise.all(senders);
      await assertConverged(users, group.chatId, typed, 90_000);
      for (const u of users) await u.client.stop();
    } finally {
      child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
