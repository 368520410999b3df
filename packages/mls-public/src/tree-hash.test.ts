import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ParleyError } from '@parley/protocol';
import { decodeMlsMessage, type ClientState, type LeafIndex, type RatchetTree } from 'ts-mls';
import type { Hash } from 'ts-mls/crypto/hash.js';
import { contramapBufferEncoders, encode } from 'ts-mls/codec/tlsEncoder.js';
import { varLenDataEncoder } from 'ts-mls/codec/variableLength.js';
import { groupContextEncoder } from 'ts-mls/groupContext.js';
import { encodeRatchetTree, ratchetTreeEncoder } from 'ts-mls/ratchetTree.js';
import { treeHashRoot } from 'ts-mls/treeHash.js';
import { applyUpdatePath } from 'ts-mls/updatePath.js';
import { decodePublicGroup, encodePublicGroup, type PublicGroup } from './public-group.ts';
import { applyPublicUpdatePath } from './tree-checks.ts';
import { treeHashFrom } from './tree-hash.ts';
import { add, addDevices, apply, commit, device, leafOf, remove, startGroup, suite, type Member } from './test-fixtures.ts';

/** A hash that counts its digests. */
function counting(h: Hash): Hash & { digests: number } {
  const c = { ...h, digests: 0, digest: async (data: Uint8Array) => { c.digests++; return h.digest(data); } };
  return c;
}

/** ts-mls's own encoding of a public group (no node encodings reused): what encodePublicGroup must equal. */
const reference = encode(contramapBufferEncoders(
  [groupContextEncoder, varLenDataEncoder, ratchetTreeEncoder],
  (g: PublicGroup) => [g.groupContext, g.confirmationTag, g.tree] as const,
));

const publicOf = (s: ClientState): PublicGroup => ({ groupContext: s.groupContext, tree: s.ratchetTree, confirmationTag: s.confirmationTag });

describe('tree hashes, update paths and state encodings reuse what did not change, with ts-mls\'s results', () => {
  it('through adds, updates, removes, a tree that grows and shrinks: each tree hash equals ts-mls\'s and the group\'s, each encoding ts-mls\'s', async () => {
    const cs = await suite();
    const devices = await Promise.all(Array.from({ length: 9 }, (_, i) => device(`u${i}`, `d${i}`)));
    const { member } = await startGroup(devices[0]!, 'chat_hash');
    let a: Member = member;
    let prev: RatchetTree = a.state.ratchetTree;
    await treeHashFrom(prev, cs.hash);
    const step = async (what: string, next: ClientState) => {
      const h = counting(cs.hash);
      const cached = await treeHashFrom(next.ratchetTree, h, prev);
      const full = await treeHashRoot(next.ratchetTree, cs.hash);
      assert.deepEqual(Buffer.from(cached), Buffer.from(full), `${what}: the tree hash`);
      assert.deepEqual(Buffer.from(cached), Buffer.from(next.groupContext.treeHash), `${what}: the group's tree hash`);
      assert.deepEqual(Buffer.from(encodePublicGroup(publicOf(next))), Buffer.from(reference(publicOf(next))), `${what}: the encoding`);
      prev = next.ratchetTree;
      return h.digests;
    };
    // 1 → 5 members (the tree grows from 1 to 8 leaves), then one more (a blank leaf is filled).
    let r = await addDevices(a, [], devices.slice(1, 5));
    a = r.members[0]!;
    await step('bulk add', a.state);
    r = await addDevices(a, r.members.slice(1), [devices[5]!]);
    a = r.members[0]!;
    const members = r.members;
    await step('add one', a.state);
    // An update path: only the committer's path and the root side are hashed again.
    const upd = await commit(a, []);
    a = { device: a.device, state: upd.next };
    const digests = await step('update', a.state);
    assert.ok(digests < a.state.ratchetTree.length / 2 + 3, `an update hashes its path, not the tree (${digests} digests for ${a.state.ratchetTree.length} nodes)`);
    // Another member commits: its state's tree is made from its own view of the tree, not `prev`.
    const b = { device: members[2]!.device, state: await apply(members[2]!.state, upd.commit) };
    const bUpd = await commit(b, []);
    a = { device: a.device, state: await apply(a.state, bUpd.commit) };
    await step('another member\'s update, applied', a.state);
    // Removing the right-most members shrinks the tree.
    const rm = await commit(a, [remove(leafOf(a.state, devices[5]!)), remove(leafOf(a.state, devices[4]!)), remove(leafOf(a.state, devices[3]!))]);
    a = { device: a.device, state: rm.next };
    await step('remove (tree shrinks)', a.state);
    const kps = await Promise.all(devices.slice(6).map((d) => d.keyPackage()));
    const grow = await commit(a, kps.map((k) => add(k.publicPackage)));
    a = { device: a.device, state: grow.next };
    await step('add three (tree grows again)', a.state);
    // A decoded state (a cache miss) knows no hashes: all computed again, same result.
    const decoded = decodePublicGroup(encodePublicGroup(publicOf(a.state)));
    assert.deepEqual(Buffer.from(await treeHashFrom(decoded.tree, cs.hash, undefined)), Buffer.from(a.state.groupContext.treeHash));
    assert.deepEqual(Buffer.from(encodePublicGroup(decoded)), Buffer.from(reference(publicOf(a.state))));
  });

  it('an update path is applied as ts-mls applies it: the same tree, and a path key already in the tree refused with ts-mls\'s reason', async () => {
    const cs = await suite();
    const devices = await Promise.all(Array.from({ length: 5 }, (_, i) => device(`w${i}`, `f${i}`)));
    const { member } = await startGroup(devices[0]!, 'chat_hash_3');
    const { members } = await addDevices(member, [], devices.slice(1));
    // Bob's update sets parents; then Alice's update crosses them (and Bob's leaf is merged).
    const bob = members[1]!;
    const bUpd = await commit(bob, []);
    const alice = { device: members[0]!.device, state: await apply(members[0]!.state, bUpd.commit) };
    const tree = alice.state.ratchetTree;
    await treeHashFrom(tree, cs.hash);
    const made = await commit(alice, []);
    const m = decodeMlsMessage(made.commit, 0)?.[0];
    assert.ok(m?.wireformat === 'mls_public_message' && m.publicMessage.content.contentType === 'commit');
    const path = m.publicMessage.content.commit.path;
    assert.ok(path);
    const sender = leafOf(alice.state, alice.device) as LeafIndex;
    const ours = await applyPublicUpdatePath(tree, sender, path, new Set(), cs, tree);
    assert.deepEqual(Buffer.from(encodeRatchetTree(ours)), Buffer.from(encodeRatchetTree(await applyUpdatePath(tree, sender, path, cs.hash))));
    const parentKey = tree.find((n) => n?.nodeType === 'parent');
    assert.ok(parentKey?.nodeType === 'parent');
    const reused = { ...path, nodes: path.nodes.map((n, i) => (i === 0 ? { ...n, hpkePublicKey: parentKey.parent.hpkePublicKey } : n)) };
    const why = await applyUpdatePath(tree, sender, reused, cs.hash).then(() => 'accepted', (e: unknown) => (e as Error).message);
    assert.match(why, /may not appear/);
    await assert.rejects(applyPublicUpdatePath(tree, sender, reused, new Set(), cs, tree), (e: unknown) => e instanceof ParleyError && e.code === 'mls_commit_invalid' && e.message === `update path: ${why}`);
  });

  it('a tree that was never hashed here as the base hashes everything (and equals ts-mls)', async () => {
    const cs = await suite();
    const devices = await Promise.all(Array.from({ length: 4 }, (_, i) => device(`v${i}`, `e${i}`)));
    const { member } = await startGroup(devices[0]!, 'chat_hash_2');
    const { members } = await addDevices(member, [], devices.slice(1));
    const tree = members[0]!.state.ratchetTree;
    const h = counting(cs.hash);
    assert.deepEqual(Buffer.from(await treeHashFrom(tree, h, tree.slice())), Buffer.from(await treeHashRoot(tree, cs.hash)));
    assert.equal(h.digests, tree.length);
  });
});
