import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ParleyError, parseMarkdown } from '@parley/client';
import type { MessageEntity } from '@parley/protocol';
import { createUser, startTestServer, waitFor } from '@parley/testing';

describe('R47 formatting travels end-to-end encrypted', () => {
  it('entities of a message and of its edit reach the other member through MLS; malformed ones are never sent', async () => {
    await using server = await startTestServer();
    const [alice, bob] = await Promise.all([1, 2].map(() => createUser(server.url)));
    if (!alice || !bob) throw new Error('users');
    const direct = await alice.client.openDirect(bob.userId);
    await waitFor(() => direct.chatId !== undefined && alice.client.chat(direct.chatId)?.encryption === 'on', { what: 'encryption on' });

    const every = parseMarkdown('**b** _i_ ++u++ ~~s~~ ||sp|| `c` [link](https://example.com/x) https://parley.example @bob_b\n> quoted\n```ts\nconst x = 1;\n```');
    assert.deepEqual(new Set(every.entities.map((e) => e.type)),
      new Set(['bold', 'italic', 'underline', 'strikethrough', 'spoiler', 'code', 'text_link', 'url', 'mention', 'blockquote', 'pre']));
    const id = await alice.client.sendText(direct.chatId, every.text, { entities: every.entities });
    await waitFor(() => bob.client.timeline(direct.chatId).some((i) => i.id === id), { what: 'bob reads it', timeoutMs: 30_000 });
    const got = bob.client.timeline(direct.chatId).find((i) => i.id === id);
    assert.equal(got?.unencrypted, undefined, 'it came MLS-encrypted');
    assert.deepEqual([got?.text, got?.entities], [every.text, every.entities]);

    const edited = parseMarkdown('now **only** this');
    await alice.client.edit(direct.chatId, id, edited.text, { entities: edited.entities });
    await waitFor(() => bob.client.timeline(direct.chatId).find((i) => i.id === id)?.edited === true, { what: 'bob sees the edit', timeoutMs: 30_000 });
    assert.deepEqual(bob.client.timeline(direct.chatId).find((i) => i.id === id)?.entities, [{ type: 'bold', offset: 4, length: 4 }]);
    await alice.client.edit(direct.chatId, id, 'plain again');
    await waitFor(() => bob.client.timeline(direct.chatId).find((i) => i.id === id)?.text === 'plain again', { what: 'bob sees the plain edit', timeoutMs: 30_000 });
    assert.equal(bob.client.timeline(direct.chatId).find((i) => i.id === id)?.entities, undefined);

    // The SDK refuses to send what the schema refuses.
    const malformed: MessageEntity[][] = [
      [{ type: 'bold', offset: 0, length: 99 }],
      [{ type: 'bold', offset: 0, length: 4 }, { type: 'italic', offset: 2, length: 4 }],
      [{ type: 'text_link', offset: 0, length: 3, url: 'javascript:alert(1)' }],
      Array.from({ length: 1001 }, (_, k) => ({ type: 'bold' as const, offset: k % 6, length: 1 })),
    ];
    for (const entities of malformed) {
      await assert.rejects(alice.client.sendText(direct.chatId, 'abcdef', { entities }), (e: unknown) => e instanceof ParleyError && e.code === 'bad_request');
      await assert.rejects(alice.client.edit(direct.chatId, id, 'abcdef', { entities }), (e: unknown) => e instanceof ParleyError && e.code === 'bad_request');
    }
    assert.equal(alice.client.outbox().length, 0, 'nothing malformed waits in the outbox');
    await Promise.all([alice.client.stop(), bob.client.stop()]);
  });
});
