import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ParleyError } from '@parley/protocol';
import { decodeCommitBundle, encodeCommitBundle } from './bundle.ts';
import { decodePublicGroup, encodePublicGroup, type PublicGroup } from './public-group.ts';
import { verifyCommit, verifyGroupInfo } from './verify.ts';
import {
  add, addDevices, apply, commit, device, groupInfoOf, leafOf, policyOf, remove, startGroup, type Member, type TestDevice,
} from './test-fixtures.ts';

const chat = 'chat_1';
const gid = new TextEncoder().encode(chat);

async function refused(p: Promise<unknown>, code: 'mls_commit_invalid' | 'mls_commit_forbidden', pattern?: RegExp, what?: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof ParleyError, `expected ParleyError(${code}), got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (pattern) assert.match(e.message, pattern);
    return true;
  }, what);
}

function flip(bytes: Uint8Array, at: number): Uint8Array {
  const out = bytes.slice();
  out[at] = (out[at] ?? 0) ^ 1;
  return out;
}

/** The public state the server holds equals what every member computed (same epoch, tree hash, transcript). */
function sameAsMembers(group: PublicGroup, members: readonly Member[]): void {
  for (const m of members) {
    assert.equal(group.groupContext.epoch, m.state.groupContext.epoch);
    assert.deepEqual(Buffer.from(group.groupContext.treeHash), Buffer.from(m.state.groupContext.treeHash), `${m.device.userId}: tree hash`);
    assert.deepEqual(Buffer.from(group.groupContext.confirmedTranscriptHash), Buffer.from(m.state.groupContext.confirmedTranscriptHash), `${m.device.userId}: transcript`);
  }
}

/** Alice starts the chat's group and adds Bob and Carol; the server checks and follows. */
async function threeMembers(): Promise<{ alice: TestDevice; bob: TestDevice; carol: TestDevice; group: PublicGroup; members: Member[] }> {
  const [alice, bob, carol] = await Promise.all([device('alice', 'a1'), device('bob', 'b1'), device('carol', 'c1')]);
  const policy = policyOf([alice, bob, carol]);
  const { member, groupInfo } = await startGroup(alice, chat);
  const base = await verifyGroupInfo(groupInfo, { groupId: gid, epoch: 0n, signer: alice, kind: 'start' }, policy);
  const { made, members } = await addDevices(member, [], [bob, carol]);
  const checked = await verifyCommit(base, made, alice, policy);
  assert.deepEqual(checked.added.map((a) => a.userId), ['bob', 'carol']);
  sameAsMembers(checked.group, members);
  return { alice, bob, carol, group: checked.group, members };
}

describe('R35 the server checks a commit against the group\'s public state', () => {
  it('follows an honest group: start, add, update, remove after the device is revoked; its state equals every member\'s', async () => {
    const { alice, bob, carol, group, members } = await threeMembers();
    const [a, b, c] = members as [Member, Member, Member];
    // Bob rotates his leaf (an empty commit: update path only).
    const upd = await commit(b, []);
    let g = (await verifyCommit(group, upd, bob, policyOf([alice, bob, carol]))).group;
    const a2 = await apply(a.state, upd.commit);
    const c2 = await apply(c.state, upd.commit);
    sameAsMembers(g, [{ device: alice, state: a2 }, { device: carol, state: c2 }, { device: bob, state: upd.next }]);
    // Carol's device is revoked: Alice removes its leaf.
    const rm = await commit({ device: alice, state: a2 }, [remove(leafOf(a2, carol))]);
    const checked = await verifyCommit(g, rm, alice, policyOf([alice, bob], [carol]));
    assert.deepEqual(checked.removed, [{ userId: 'carol', deviceId: 'c1' }]);
    g = checked.group;
    sameAsMembers(g, [{ device: alice, state: rm.next }, { device: bob, state: await apply(upd.next, rm.commit) }]);
    // The state survives its storage encoding.
    const again = decodePublicGroup(encodePublicGroup(g));
    assert.deepEqual(Buffer.from(encodePublicGroup(again)), Buffer.from(encodePublicGroup(g)));
  });

  it('refuses random bytes, a PrivateMessage commit, and a commit with a flipped bit in what it signs', async () => {
    const { alice, bob, carol, group, members } = await threeMembers();
    const policy = policyOf([alice, bob, carol]);
    const random = Uint8Array.from({ length: 300 }, (_, i) => (i * 151 + 7) & 0xff);
    await refused(verifyCommit(group, { commit: random, welcome: undefined }, alice, policy), 'mls_commit_invalid');
    const priv = await commit(members[0]!, [], { privateMessage: true });
    await refused(verifyCommit(group, priv, alice, policy), 'mls_commit_invalid', /PublicMessage/);
    const honest = await commit(members[0]!, []);
    // PublicMessage: content ‖ signature ‖ confirmation tag (33 bytes) ‖ membership tag (33 bytes)
    const signedEnd = honest.commit.length - 66;
    for (const at of [20, 40, Math.floor(signedEnd / 2), signedEnd - 5]) {
      await refused(verifyCommit(group, { commit: flip(honest.commit, at), welcome: undefined }, alice, policy), 'mls_commit_invalid', undefined, `bit at ${at}`);
    }
    // The tags are MACs under the epoch's secrets: no one without them can check them, the server included.
    // A member refuses such a commit (R36 recovers the group from it).
    for (const at of [honest.commit.length - 40, honest.commit.length - 5]) {
      const tagged = flip(honest.commit, at);
      await verifyCommit(group, { commit: tagged, welcome: undefined }, alice, policy);
      await assert.rejects(apply(members[1]!.state, tagged), `a member refuses a bad tag at ${at}`);
    }
    await verifyCommit(group, honest, alice, policy);
  });

  it('refuses an add of a device its owner\'s key log does not bind (or binds to another key)', async () => {
    const { alice, bob, carol, group, members } = await threeMembers();
    const dave = await device('dave', 'd1');
    const ghost = await device('bob', 'ghost');
    const made = await commit(members[0]!, [add((await dave.keyPackage()).publicPackage), add((await ghost.keyPackage()).publicPackage)]);
    await refused(verifyCommit(group, made, alice, policyOf([alice, bob, carol, dave])), 'mls_commit_forbidden', /bob:ghost/);
    // Dave's device with a key other than the logged one.
    const imposter = { ...dave, signatureKey: (await device('x', 'y')).signatureKey };
    const made2 = await commit(members[0]!, [add((await dave.keyPackage()).publicPackage)]);
    await refused(verifyCommit(group, made2, alice, policyOf([alice, bob, carol, imposter])), 'mls_commit_forbidden', /dave:d1/);
    await verifyCommit(group, made2, alice, policyOf([alice, bob, carol, dave]));
  });

  it('refuses the removal of a device that still belongs, by anyone; allows a removal paired with its re-add (R29)', async () => {
    const { alice, bob, carol, group, members } = await threeMembers();
    const policy = policyOf([alice, bob, carol]);
    const b = members[1]!;
    const kick = await commit(b, [remove(leafOf(b.state, alice))]);
    await refused(verifyCommit(group, kick, bob, policy), 'mls_commit_forbidden', /alice:a1 is still a current device/);
    const readd = await commit(b, [remove(leafOf(b.state, carol)), add((await carol.keyPackage()).publicPackage)]);
    const checked = await verifyCommit(group, readd, bob, policy);
    assert.deepEqual(checked.added, [{ userId: 'carol', deviceId: 'c1' }]);
    assert.deepEqual(checked.removed, [{ userId: 'carol', deviceId: 'c1' }]);
  });

  it('refuses a replayed commit of an earlier epoch, a commit sent by another device than its signer, and one by a revoked device', async () => {
    const { alice, bob, carol, group, members } = await threeMembers();
    const policy = policyOf([alice, bob, carol]);
    const first = await commit(members[0]!, []);
    const next = (await verifyCommit(group, first, alice, policy)).group;
    await refused(verifyCommit(next, first, alice, policy), 'mls_commit_invalid', /epoch/);
    const bobs = await commit(members[1]!, []);
    await refused(verifyCommit(group, bobs, alice, policy), 'mls_commit_forbidden', /not by the device that sent it/);
    await refused(verifyCommit(group, bobs, bob, policyOf([alice, carol], [bob])), 'mls_commit_forbidden', /revoked/);
  });

  it('refuses a Welcome that does not match the adds, and an add without one', async () => {
    const { alice, bob, carol, group, members } = await threeMembers();
    const dave = await device('dave', 'd1');
    const policy = policyOf([alice, bob, carol, dave]);
    const made = await commit(members[0]!, [add((await dave.keyPackage()).publicPackage)]);
    await refused(verifyCommit(group, { commit: made.commit, welcome: undefined }, alice, policy), 'mls_commit_invalid', /Welcome/);
    const other = await commit(members[0]!, [add((await dave.keyPackage()).publicPackage)]);
    await refused(verifyCommit(group, { commit: made.commit, welcome: other.welcome }, alice, policy), 'mls_commit_invalid', /Welcome/);
    const upd = await commit(members[0]!, []);
    await refused(verifyCommit(group, { commit: upd.commit, welcome: made.welcome }, alice, policy), 'mls_commit_invalid', /Welcome/);
  });

  it('refuses an update path that leaves a copath node without its ciphertext', async () => {
    const { alice, bob, carol, group, members } = await threeMembers();
    const policy = policyOf([alice, bob, carol]);
    const { createCommit } = await import('ts-mls');
    const { suite } = await import('./test-fixtures.ts');
    const cs = await suite();
    const r = await createCommit({ state: members[0]!.state, cipherSuite: cs }, { wireAsPublicMessage: true });
    assert.ok(r.commit.wireformat === 'mls_public_message' && r.commit.publicMessage.content.contentType === 'commit');
    const path = r.commit.publicMessage.content.commit.path;
    assert.ok(path && path.nodes.length > 0);
    path.nodes[path.nodes.length - 1]!.encryptedPathSecret.pop();
    const { encodeMlsMessage } = await import('ts-mls');
    // The signature covers the path, so this fails either way; the count check names it first.
    await refused(verifyCommit(group, { commit: encodeMlsMessage(r.commit), welcome: undefined }, alice, policy), 'mls_commit_invalid');
  });

  it('starts a group only from its creator alone, signed by the sender; adopts an existing group\'s whole tree', async () => {
    const { alice, bob, carol, members } = await threeMembers();
    const policy = policyOf([alice, bob, carol]);
    const { groupInfo } = await startGroup(alice, chat);
    await refused(verifyGroupInfo(groupInfo, { groupId: gid, epoch: 0n, signer: bob, kind: 'start' }, policy), 'mls_commit_forbidden');
    await refused(verifyGroupInfo(groupInfo, { groupId: gid, epoch: 3n, signer: alice, kind: 'start' }, policy), 'mls_commit_invalid', /epoch/);
    await refused(verifyGroupInfo(groupInfo, { groupId: new TextEncoder().encode('other'), epoch: 0n, signer: alice, kind: 'start' }, policy), 'mls_commit_invalid');
    // A three-member tree is no start, but may be adopted at its epoch (a group from before the server checked).
    const full = await groupInfoOf(members[1]!.state);
    await refused(verifyGroupInfo(full, { groupId: gid, epoch: 1n, signer: bob, kind: 'start' }, policy), 'mls_commit_invalid', /alone/);
    const adopted = await verifyGroupInfo(full, { groupId: gid, epoch: 1n, signer: bob, kind: 'adopt' }, policyOf([alice, bob], [carol]));
    sameAsMembers(adopted, members);
    // ...but not with a leaf the key log never bound.
    await refused(verifyGroupInfo(full, { groupId: gid, epoch: 1n, signer: bob, kind: 'adopt' }, policyOf([alice, bob])), 'mls_commit_invalid', /credential/);
    // A reset group may start at any epoch (R36).
    const reset = await startGroup(carol, `${chat}#5`, 5n);
    await verifyGroupInfo(reset.groupInfo, { groupId: new TextEncoder().encode(`${chat}#5`), epoch: 5n, signer: carol, kind: 'start' }, policy);
  });
});

describe('commit bundle', () => {
  it('carries a commit, then an optional Welcome and GroupInfo, and refuses anything else', async () => {
    const { members } = await threeMembers();
    const dave = await device('dave', 'd1');
    const made = await commit(members[0]!, [add((await dave.keyPackage()).publicPackage)]);
    const gi = await groupInfoOf(members[0]!.state);
    const all = decodeCommitBundle(encodeCommitBundle({ commit: made.commit, welcome: made.welcome, groupInfo: gi }));
    assert.deepEqual(all && [all.commit.length, all.welcome?.length, all.groupInfo?.length], [made.commit.length, made.welcome?.length, gi.length]);
    const only = decodeCommitBundle(encodeCommitBundle({ commit: made.commit }));
    assert.equal(only?.welcome, undefined);
    assert.equal(decodeCommitBundle(encodeCommitBundle({ commit: made.commit, welcome: gi, groupInfo: gi })), undefined, 'two GroupInfos');
    assert.equal(decodeCommitBundle(Uint8Array.of(0, 0, 0, 9, 1, 2)), undefined, 'truncated');
    const trailing = new Uint8Array([...encodeCommitBundle({ commit: made.commit }), 1, 2, 3]);
    assert.equal(decodeCommitBundle(trailing), undefined, 'trailing bytes');
  });
});
