import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createUser, startTestServer, waitFor, type TestUser } from '@parley/testing';
import { ChaosProxy } from './chaos-proxy.ts';
import { assertConverged } from './convergence.ts';

describe('bad networks', () => {
  it('R4/R5 clients behind a proxy that delays, stalls and cuts connections converge with no loss, duplicates or reordering', { timeout: 180_000 }, async () => {
    await using server = await startTestServer();
    const proxy = new ChaosProxy(server.port, { maxDelayMs: 30, cutProbability: 0.03, stallMs: 1500 });
    const url = await proxy.listen();
    const users: TestUser[] = [];
    try {
      proxy.enabled = false;
      for (let i = 0; i < 4; i++) users.push(await createUser(url, { displayName: `flaky${i}` }));
      const [owner] = users;
      if (!owner) throw new Error('no users');
      const group = await owner.client.createGroup({ name: 'flaky group', memberIds: users.slice(1).map((u) => u.userId) });
      await waitFor(() => users.every((u) => u.client.chat(group.chatId) !== undefined));
      proxy.enabled = true;

      const typed = new Map<string, string[]>(users.map((u) => [u.userId, []]));
      await Promise.all(users.map(async (u, i) => {
        for (let n = 0; n < 40; n++) {
          const text = `flaky u${i} #${n}`;
          await u.client.sendText(group.chatId, text);
          typed.get(u.userId)?.push(text);
          await new Promise((r) => setTimeout(r, Math.random() * 40));
        }
      }));
      await new Promise((r) => setTimeout(r, 2000));
      assert.ok(proxy.cuts > 0, 'the proxy did cut connections');
      proxy.enabled = false;
      await assertConverged(users, group.chatId, typed, 90_000);
    } finally {
      // Stopped on failure too: running clients would hold the file open until its timeout.
      await Promise.all(users.map((u) => u.client.stop()));
      await proxy.close();
    }
  });
});
