import {
  decodeMlsMessage, emptyPskIndex,
  type AuthenticationService, type ClientState, type CiphersuiteImpl, type KeyPackage, type LeafIndex, type LeafNode, type MLSMessage,
} from 'ts-mls';
import { applyProposals, nextEpochContext, validateLeafNodeUpdateOrCommit } from 'ts-mls/clientState.js';
import { verifyFramedContentSignature } from 'ts-mls/framedContent.js';
import { ratchetTreeFromExtension, verifyGroupInfoSignature } from 'ts-mls/groupInfo.js';
import { applyPublicUpdatePath, checkRatchetTree, keysUnique } from './tree-checks.ts';
import { invalid, forbidden, mls } from './refusal.ts';
import { makeKeyPackageRef } from 'ts-mls/keyPackage.js';
import { rememberTreeHashes, treeHashFrom } from './tree-hash.ts';
import { credentialIdentity, memberKey, type MemberIdentity } from './identity.ts';
import { leaves, type PublicGroup } from './public-group.ts';
import { isSupportedCiphersuite, loadPublicSuite } from './suite.ts';

/**
 * Where a leaf's device stands, as the delivery service knows it (the chat's members, their devices
 * and each device's key in the key log): `current` when the log binds exactly this signature key to
 * a non-revoked device of a member of the chat; `bound` when it did bind this key to that device, but
 * the device is revoked or its user is no longer a member; `unbound` for anything else.
 */
export type LeafStanding = 'current' | 'bound' | 'unbound';

export interface CommitPolicy {
  standing(member: MemberIdentity, signatureKey: Uint8Array): LeafStanding | Promise<LeafStanding>;
  /** Seconds since the epoch, for key package lifetimes. */
  nowSeconds: number;
}

/** What a checked commit does, and the group's public state after it. */
export interface CheckedCommit {
  group: PublicGroup;
  committer: MemberIdentity;
  added: MemberIdentity[];
  removed: MemberIdentity[];
}

/** A key package's notBefore may be this far in the future (clock skew between devices and server). */
const NOT_BEFORE_SKEW_SECONDS = 3600n;


function decodeOne(bytes: Uint8Array, what: string): MLSMessage {
  let decoded;
  try {
    decoded = decodeMlsMessage(bytes, 0);
  } catch {
    decoded = undefined;
  }
  if (decoded === undefined || decoded[1] !== bytes.length) return invalid(`the ${what} is not one well-formed MLS message`);
  if (decoded[0].version !== 'mls10') return invalid(`the ${what} is not MLS 1.0`);
  return decoded[0];
}

async function suiteOf(name: string): Promise<CiphersuiteImpl> {
  if (!isSupportedCiphersuite(name)) return invalid(`cipher suite ${name} is not one Parley uses`);
  return loadPublicSuite(name);
}

function identityOf(leaf: LeafNode, what: string): MemberIdentity {
  return credentialIdentity(leaf.credential) ?? forbidden(`${what} has no Parley credential (userId:deviceId)`);
}

const same = (a: MemberIdentity, b: MemberIdentity): boolean => a.userId === b.userId && a.deviceId === b.deviceId;

/** A plain loop: ts-mls calls compareKeyPackages for every pair of added key packages (a group's start adds them all). */
function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function authService(policy: CommitPolicy, accept: (s: LeafStanding) => boolean): AuthenticationService {
  return {
    async validateCredential(credential, signaturePublicKey) {
      const id = credentialIdentity(credential);
      return id !== undefined && accept(await policy.standing(id, signaturePublicKey));
    },
  };
}

/**
 * Checks a commit against the group's public state as a delivery service can (R35), and returns the
 * next epoch's public state: a PublicMessage commit of this group at this epoch, signed by the
 * sending device's own leaf (bound to it by the key log, `current`); proposals by value, Add and
 * Remove only; every added key package valid and of a `current` device not already in the group;
 * every removed leaf no longer `current`, or added back by the same commit (R29); the update path
 * where RFC 9420 requires one, keeping the committer's credential and key, its parent hashes
 * verified, one ciphertext per node of each copath resolution; a Welcome exactly for the added key
 * packages. What no one without the group's secrets can check (the path secrets' ciphertexts, the
 * confirmation and membership tags, the Welcome's encrypted GroupInfo) members check, and recover
 * from (R36). Throws ParleyError `mls_commit_invalid` or `mls_commit_forbidden`.
 */
export async function verifyCommit(
  group: PublicGroup,
  bundle: { commit: Uint8Array; welcome: Uint8Array | undefined },
  sender: MemberIdentity,
  policy: CommitPolicy,
): Promise<CheckedCommit> {
  const gc = group.groupContext;
  const cs = await suiteOf(gc.cipherSuite);
  const message = decodeOne(bundle.commit, 'commit');
  if (message.wireformat !== 'mls_public_message') return invalid('a commit must be an MLS PublicMessage');
  const pm = message.publicMessage;
  const content = pm.content;
  if (content.contentType !== 'commit' || pm.auth.contentType !== 'commit') return invalid('not a commit');
  if (content.sender.senderType !== 'member' || pm.senderType !== 'member') return invalid('a commit must come from a member');
  if (!bytesEqual(content.groupId, gc.groupId)) return invalid('the commit is for another group');
  if (content.epoch !== gc.epoch) return invalid(`the commit is for epoch ${content.epoch}, the group is in epoch ${gc.epoch}`);

  const committerLeaf = content.sender.leafIndex as LeafIndex;
  const committerNode = group.tree[committerLeaf * 2];
  if (committerNode?.nodeType !== 'leaf') return invalid('the commit names a blank leaf as its sender');
  const committer = identityOf(committerNode.leaf, 'the committer');
  if (!same(committer, sender)) forbidden(`the commit is signed by ${memberKey(committer)}'s leaf, not by the device that sent it`);
  if ((await policy.standing(committer, committerNode.leaf.signaturePublicKey)) !== 'current') {
    forbidden('the committing device is revoked, not a member, or its leaf key is not the one its key log binds');
  }
  const signed = await mls('signature', () => verifyFramedContentSignature(committerNode.leaf.signaturePublicKey, 'mls_public_message', content, pm.auth, gc, cs.signature));
  if (!signed) invalid('the commit\'s signature does not verify');

  const adds: KeyPackage[] = [];
  const removes: number[] = [];
  for (const p of content.commit.proposals) {
    if (p.proposalOrRefType !== 'proposal') return invalid('proposals by reference are not used');
    if (p.proposal.proposalType === 'add') adds.push(p.proposal.add.keyPackage);
    else if (p.proposal.proposalType === 'remove') removes.push(p.proposal.remove.removed);
    else return invalid(`${String(p.proposal.proposalType)} proposals are not used: only add and remove`);
  }

  const added: MemberIdentity[] = [];
  for (const kp of adds) {
    const id = identityOf(kp.leafNode, 'an added key package');
    if (added.some((a) => same(a, id))) invalid(`${memberKey(id)} is added twice`);
    if ((await policy.standing(id, kp.leafNode.signaturePublicKey)) !== 'current') {
      forbidden(`${memberKey(id)} is not a current device of a member with the key its key log binds`);
    }
    const lifetime = kp.leafNode.leafNodeSource === 'key_package' ? kp.leafNode.lifetime : undefined;
    const now = BigInt(Math.floor(policy.nowSeconds));
    if (!lifetime || lifetime.notAfter < now || lifetime.notBefore > now + NOT_BEFORE_SKEW_SECONDS) invalid(`${memberKey(id)}'s key package is expired or not yet valid`);
    added.push(id);
  }
  const removed: MemberIdentity[] = [];
  for (const leafIndex of removes) {
    const node = group.tree[leafIndex * 2];
    if (node?.nodeType !== 'leaf') return invalid(`the commit removes blank leaf ${leafIndex}`);
    const id = credentialIdentity(node.leaf.credential);
    const stillCurrent = id !== undefined && (await policy.standing(id, node.leaf.signaturePublicKey)) === 'current';
    if (stillCurrent && !added.some((a) => same(a, id))) {
      forbidden(`${memberKey(id)} is still a current device of a member: remove the member from the chat (or revoke the device) first`);
    }
    if (id) removed.push(id);
  }
  const inTree = new Set(leaves(group.tree).filter((l) => !removes.includes(l.leafIndex)).map((l) => {
    const id = credentialIdentity(l.node.leaf.credential);
    return id ? memberKey(id) : '';
  }));
  for (const id of added) if (inTree.has(memberKey(id))) forbidden(`${memberKey(id)} is in the group already`);

  const config = {
    keyRetentionConfig: { retainKeysForEpochs: 0 },
    lifetimeConfig: { maximumTotalLifetime: 2628000n, validateLifetimeOnReceive: false },
    keyPackageEqualityConfig: {
      compareKeyPackages: (a: KeyPackage, b: KeyPackage) => bytesEqual(a.leafNode.signaturePublicKey, b.leafNode.signaturePublicKey),
      compareKeyPackageToLeafNode: (a: KeyPackage, b: LeafNode) => bytesEqual(a.leafNode.signaturePublicKey, b.signaturePublicKey),
    },
    paddingConfig: { kind: 'alwaysPad' as const, paddingLength: 0 },
    authService: authService(policy, (s) => s === 'current'),
  };
  // Only what applyProposals reads of a member's state for a commit by value without PSKs: no secret.
  const publicState = {
    ratchetTree: group.tree, groupContext: gc, clientConfig: config, unappliedProposals: {}, privatePath: { leafIndex: committerLeaf, privateKeys: {} },
  } as unknown as ClientState;
  const applied = await mls('proposals', () => applyProposals(publicState, content.commit.proposals, committerLeaf, emptyPskIndex, false, cs));
  if (applied.additionalResult.kind !== 'memberCommit') return invalid('not a member commit');
  const addedLeafNodes = new Set(applied.additionalResult.addedLeafNodes.map(([leafIndex]) => leafIndex * 2));

  let tree = applied.tree;
  const path = content.commit.path;
  if (applied.needsUpdatePath && path === undefined) invalid('this commit needs an update path (RFC 9420 §12.4)');
  if (path !== undefined) {
    const pathId = identityOf(path.leafNode, 'the update path\'s leaf');
    if (!same(pathId, committer) || !bytesEqual(path.leafNode.signaturePublicKey, committerNode.leaf.signaturePublicKey)) {
      forbidden('a commit may not change its committer\'s credential or signature key');
    }
    const leafError = await mls('update path leaf', () => validateLeafNodeUpdateOrCommit(path.leafNode, committerLeaf, gc, config.authService, cs.signature));
    if (leafError !== undefined) invalid(`update path leaf: ${leafError.message}`);
    // Hashing the state's tree once (when just decoded) lets the path's sibling hashes and the next tree hash reuse it.
    await rememberTreeHashes(group.tree, cs.hash);
    tree = await applyPublicUpdatePath(applied.tree, committerLeaf, path, addedLeafNodes, cs, group.tree);
  }
  if (!keysUnique(tree)) invalid('a key appears twice in the tree');

  await checkWelcome(bundle.welcome, adds, gc.cipherSuite, cs);
  const treeHash = await treeHashFrom(tree, cs.hash, group.tree);
  const groupContext = await nextEpochContext(gc, 'mls_public_message', content, pm.auth.signature, treeHash, group.confirmationTag, cs.hash);
  return { group: { groupContext, tree, confirmationTag: pm.auth.confirmationTag }, committer, added, removed };
}

/** A Welcome exactly when the commit adds, with one encrypted group secret per added key package. */
async function checkWelcome(bytes: Uint8Array | undefined, adds: readonly KeyPackage[], suite: string, cs: CiphersuiteImpl): Promise<void> {
  if (adds.length === 0) {
    if (bytes !== undefined) invalid('a Welcome for a commit that adds no one');
    return;
  }
  if (bytes === undefined) return invalid('a commit that adds devices needs their Welcome');
  const message = decodeOne(bytes, 'Welcome');
  if (message.wireformat !== 'mls_welcome') return invalid('not a Welcome');
  const w = message.welcome;
  if (w.cipherSuite !== suite) invalid('the Welcome uses another cipher suite');
  const refs = await Promise.all(adds.map(async (kp) => Buffer.from(await makeKeyPackageRef(kp, cs.hash)).toString('hex')));
  const named = w.secrets.map((s) => Buffer.from(s.newMember).toString('hex'));
  if (named.length !== refs.length || new Set(named).size !== named.length || !refs.every((r) => named.includes(r))) {
    invalid('the Welcome is not addressed to exactly the added key packages');
  }
}

/** How a group's public state may start from a GroupInfo (R35). */
export interface GroupInfoExpectation {
  groupId: Uint8Array;
  epoch: bigint;
  /** The device that sent it must have signed it from its own leaf. */
  signer: MemberIdentity;
  /** `start`: a fresh group of the signer alone. `adopt`: an existing group's whole tree (its leaves `current` or `bound`). */
  kind: 'start' | 'adopt';
}

/**
 * The public state a GroupInfo (with the ratchet_tree extension) describes, checked: signed by the
 * sending device's `current` leaf, for the expected group and epoch, a tree that validates (leaf
 * signatures and credentials, parent hashes, the tree hash the GroupContext names, unique keys).
 */
export async function verifyGroupInfo(bytes: Uint8Array, expect: GroupInfoExpectation, policy: CommitPolicy): Promise<PublicGroup> {
  const message = decodeOne(bytes, 'GroupInfo');
  if (message.wireformat !== 'mls_group_info') return invalid('not a GroupInfo');
  const gi = message.groupInfo;
  const gc = gi.groupContext;
  const cs = await suiteOf(gc.cipherSuite);
  if (gc.version !== 'mls10') invalid('the GroupInfo is not MLS 1.0');
  if (!bytesEqual(gc.groupId, expect.groupId)) invalid('the GroupInfo is for another group');
  if (gc.epoch !== expect.epoch) invalid(`the GroupInfo is for epoch ${gc.epoch}, the chat is at ${expect.epoch}`);
  const tree = await mls('ratchet tree', async () => ratchetTreeFromExtension(gi)) ?? invalid('the GroupInfo carries no ratchet tree');
  const signerNode = tree[gi.signer * 2];
  if (signerNode?.nodeType !== 'leaf') return invalid('the GroupInfo\'s signer is a blank leaf');
  const signer = identityOf(signerNode.leaf, 'the GroupInfo\'s signer');
  if (!same(signer, expect.signer)) forbidden('the GroupInfo is not signed by the device that sent it');
  if ((await policy.standing(signer, signerNode.leaf.signaturePublicKey)) !== 'current') forbidden('the GroupInfo\'s signer is not a current device with its logged key');
  if (!(await mls('signature', () => verifyGroupInfoSignature(gi, signerNode.leaf.signaturePublicKey, cs.signature)))) invalid('the GroupInfo\'s signature does not verify');
  if (expect.kind === 'start') {
    if (leaves(tree).length !== 1) invalid('a new group starts with its creator alone');
    if (gc.confirmedTranscriptHash.length !== 0 || gc.extensions.length !== 0) invalid('a new group starts with an empty transcript and no extensions');
  }
  const accept = expect.kind === 'start' ? (s: LeafStanding) => s === 'current' : (s: LeafStanding) => s !== 'unbound';
  await checkRatchetTree(tree, gc, authService(policy, accept), cs);
  return { groupContext: gc, tree, confirmationTag: gi.confirmationTag };
}
