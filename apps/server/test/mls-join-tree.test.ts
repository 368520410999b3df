import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ParleyError, type ParleyClient } from '@parley/client';
import { API_PREFIX, type MlsTreeResponse } from '@parley/protocol';
import { createUser, startTestServer, waitFor, type ClientTweaks } from '@parley/testing';

/**
 * R35b: a Welcome of a big group does not carry the ratchet tree; the devices it adds read it from
 * the server, which keeps the group's public state for them, and check it against the tree hash the
 * committer signed. Here every device leaves the tree out of every Welcome (welcomeTreeMaxBytes 0),
 * as they do for groups of more than about 250 devices.
 */
const treeless: ClientTweaks = { mls: { enabled: true, welcomeTreeMaxBytes: 0 } };
const texts = (client: ParleyClient, chatId: string) => client.timeline(chatId).filter((i) => !i.system && !i.unreadable).map((i) => i.text);
const code = (c: string) => (err: unknown) => err instanceof ParleyError && err.code === c;

describe('R35b the ratchet tree from the server for a Welcome without it', () => {
  it('members added by Welcomes without the tree join from the tree the server kept and read the chat; non-members get none', { timeout: 90_000 }, async () => {
    await using server = await startTestServer();
    const [alice, bob, carol, mallory] = await Promise.all([1, 2, 3, 4].map(() => createUser(server.url, { client: treeless })));
    if (!alice || !bob || !carol || !mallory) throw new Error('users');
    try {
      const { chatId } = await alice.client.createGroup({ name: 'Entrance 3', memberIds: [bob.userId] });
      await waitFor(() => bob.client.chat(chatId)?.encryption === 'on', { what: 'bob joined from a Welcome without the tree', timeoutMs: 30_000 });
      await alice.client.sendText(chatId, 'the lift is fixed');
      await waitFor(() => texts(bob.client, chatId).includes('the lift is fixed'), { what: 'bob reads' });

      // The tree is served to members by the epoch the Welcome led to, and to no one else.
      const rest = (c: ParleyClient) => c['rest'].bind(c) as <T>(method: string, path: string) => Promise<T>;
      const epoch = 1; // the group's first commit (epoch 0) added bob
      const { tree } = await rest(bob.client)<MlsTreeResponse>('GET', `/chats/${chatId}/mls/tree/${epoch}`);
      assert.ok(Buffer.from(tree, 'base64').length > 100, 'a tree with two leaves');
      await assert.rejects(rest(mallory.client)('GET', `/chats/${chatId}/mls/tree/${epoch}`), code('not_member'));
      await assert.rejects(rest(bob.client)('GET', `/chats/${chatId}/mls/tree/999`), code('mls_tree_not_found'));
      const noSession = await fetch(`${server.url}${API_PREFIX}/chats/${chatId}/mls/tree/${epoch}`);
      assert.equal(noSession.status, 401);

      // Another member added later joins the same way (the tree at the epoch its Welcome led to).
      await alice.client.addMember(chatId, carol.userId);
      await waitFor(() => carol.client.chat(chatId)?.encryption === 'on', { what: 'carol joined from a Welcome without the tree', timeoutMs: 30_000 });
      await bob.client.sendText(chatId, 'meeting on Thursday at 7');
      await waitFor(() => texts(carol.client, chatId).includes('meeting on Thursday at 7'), { what: 'carol reads' });
    } finally {
      await Promise.all([alice, bob, carol, mallory].map((u) => u.client.stop()));
    }
  });
});
