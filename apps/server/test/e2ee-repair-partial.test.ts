import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MlsGroupSession, readGroupState, encodeCommitBundle, type ParleyClient, type TimelineItem } from '@parley/client';
import { credentialIdentity, decodePublicGroup, leaves } from '@parley/mls-public';
import { addDevice, commitFrame, createUser, startTestServer, waitFor, type TestUser } from '@parley/testing';
import { RawPeer } from './raw.ts';

/**
 * R36 and R32 when only SOME members can't apply a commit: a member's device commits an update
 * whose path secret for one device's leaf does not open (the server can't check that, R35). The
 * others apply it and write on; that device shows the commit as failed and what they wrote
 * meanwhile as unreadable (`group_broken`), starts the group again, and then gets those messages
 * sent again (R32) and shows them in place.
 */

const texts = (client: ParleyClient, chatId: string) => client.timeline(chatId).filter((i) => !i.system && !i.notice && !i.unreadable).map((i) => i.text);
const item = (client: ParleyClient, chatId: string, match: (i: TimelineItem) => boolean) => client.timeline(chatId).find(match);

async function groupEpoch(user: TestUser, chatId: string): Promise<number | undefined> {
  const bytes = await readGroupState(user.store, chatId);
  return bytes ? Number((await MlsGroupSession.deserialize(bytes)).epoch) : undefined;
}

type Hpke = { seal: (pk: unknown, pt: Uint8Array, info: Uint8Array, aad?: Uint8Array) => Promise<{ ct: Uint8Array; enc: Uint8Array }>; exportPublicKey: (pk: unknown) => Promise<Uint8Array> };

describe('R36 a commit only some members can apply', () => {
  it('the one device that can\'t apply it shows it failed and what was sent meanwhile as unreadable (group_broken), starts the group again, and gets those messages sent again (R32)', { timeout: 150_000 }, async () => {
    await using server = await startTestServer();
    const alice = await createUser(server.url, { displayName: 'Alice' });
    const bob = await createUser(server.url, { displayName: 'Bob' });
    // Carol waits a little longer before she acts (rank delay), so what Alice writes right after the bad commit reaches her first.
    const carol = await createUser(server.url, { displayName: 'Carol', client: { mls: { enabled: true, reconcileRankDelayMs: 4000, resendAskAfterMs: 1000 } } });
    const mallory = await addDevice(bob); // Bob's second device, which turns hostile (or just has a bug)
    const group = await alice.client.createGroup({ name: 'stairwell b', memberIds: [bob.userId, carol.userId] });
    const chatId = group.chatId;
    await waitFor(() => [alice, bob, carol, mallory].every((u) => u.client.chat(chatId)?.encryption === 'on'), { what: 'the group formed', timeoutMs: 30_000 });
    await alice.client.sendText(chatId, 'before the bad commit');
    await waitFor(() => [bob, carol, mallory].every((u) => texts(u.client, chatId).includes('before the bad commit')), { what: 'everyone reads' });
    await mallory.client.stop();

    // Carol's leaf key, as the server's public state of the group holds it (R35).
    const held = await server.services.storage.getMlsGroupState(chatId);
    assert.ok(held);
    const carolLeaf = leaves(decodePublicGroup(held.state).tree).find((l) => credentialIdentity(l.node.leaf.credential)?.userId === carol.userId);
    assert.ok(carolLeaf, 'carol has a leaf');
    const carolKey = Buffer.from(carolLeaf.node.leaf.hpkePublicKey);

    // Mallory's update: every path secret encrypted to Carol's leaf is damaged, the rest is sound and signed.
    const bytes = await readGroupState(mallory.store, chatId);
    assert.ok(bytes);
    const session = await MlsGroupSession.deserialize(bytes);
    const hpke = (session as unknown as { cs: { hpke: Hpke } }).cs.hpke;
    const seal = hpke.seal;
    let damaged = 0;
    hpke.seal = async (pk, pt, info, aad) => {
      const out = await seal.call(hpke, pk, pt, info, aad);
      if (Buffer.from(await hpke.exportPublicKey(pk)).equals(carolKey)) {
        damaged += 1;
        const ct = out.ct.slice();
        ct[0] = (ct[0] ?? 0) ^ 1;
        return { ...out, ct };
      }
      return out;
    };
    let commit: Uint8Array;
    try {
      ({ commit } = await session.update());
    } finally {
      hpke.seal = seal; // the suite object is shared by every session of this process
    }
    assert.equal(damaged, 1, 'one path secret went to carol\'s leaf');
    const epoch = (await alice.client.getChat(chatId)).mlsEpoch;
    const peer = await RawPeer.authed(server.url, mallory.deviceId, (d) => mallory.deviceKey.sign(d));
    const ack = await peer.request(commitFrame('partial', chatId, 'partial_commit', epoch, encodeCommitBundle({ commit })));
    assert.equal(ack['type'], 'ack', `R35 can't see that a path secret does not open: ${JSON.stringify(ack)}`);
    peer.close();
    const badSeq = Number(ack['seq']);

    // Alice and Bob apply it; Alice writes in the new epoch at once.
    await waitFor(async () => (await groupEpoch(alice, chatId)) === epoch + 1 && (await groupEpoch(bob, chatId)) === epoch + 1, { what: 'alice and bob applied the commit' });
    const meanwhile = await alice.client.sendText(chatId, 'sent while carol could not follow');
    await waitFor(() => item(carol.client, chatId, (i) => i.seq === badSeq)?.unreadableReason === 'commit_failed', { what: 'carol shows the commit she could not apply', timeoutMs: 20_000 });
    const lost = () => item(carol.client, chatId, (i) => i.id === meanwhile);
    await waitFor(() => lost()?.unreadableReason === 'group_broken', { what: 'carol shows alice\'s message as unreadable: group broken', timeoutMs: 20_000 });
    assert.equal(lost()?.resendable, true, 'it can be asked for again');
    for (const u of [alice, bob]) {
      assert.equal(item(u.client, chatId, (i) => i.seq === badSeq)?.unreadable, undefined, `${u.displayName} applied the commit`);
    }
    await waitFor(() => texts(bob.client, chatId).includes('sent while carol could not follow'), { what: 'bob reads alice in the new epoch' });

    // Carol starts the group again; everyone sees it, and Alice's device sends the lost message again.
    for (const u of [alice, bob, carol]) {
      await waitFor(() => item(u.client, chatId, (i) => i.notice === 'encryption_restarted' && (i.seq ?? 0) > badSeq) !== undefined, { what: `${u.displayName} sees the encryption set up again`, timeoutMs: 40_000 });
    }
    const restart = item(carol.client, chatId, (i) => i.notice === 'encryption_restarted' && (i.seq ?? 0) > badSeq);
    assert.equal(restart?.senderUserId, carol.userId, 'carol, the one who could not follow, set it up again');
    await waitFor(() => lost()?.text === 'sent while carol could not follow' && lost()?.resent === true, { what: 'carol reads alice\'s message, sent again', timeoutMs: 40_000 });
    assert.equal(lost()?.unreadable, undefined);

    // And the chat goes on for everyone.
    await bob.client.sendText(chatId, 'all of us again');
    await waitFor(() => texts(carol.client, chatId).includes('all of us again') && texts(alice.client, chatId).includes('all of us again'), { what: 'carol and alice read bob', timeoutMs: 20_000 });
    for (const u of [alice, bob, carol]) await u.client.stop();
  });
});
