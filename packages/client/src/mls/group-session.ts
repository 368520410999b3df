import {
  acceptAll,
  createApplicationMessage,
  createCommit,
  createGroup,
  emptyPskIndex,
  joinGroup,
  mlsExporter,
  processMessage,
  zeroOutUint8Array,
  type CiphersuiteImpl,
  type ClientConfig,
  type ClientState,
  type GroupState,
  type KeyPackage,
  type Proposal,
} from 'ts-mls';
import { createGroupInfoWithRatchetTree } from 'ts-mls/createCommit.js';
import { verifyKeyPackage } from 'ts-mls/keyPackage.js';
import { verifyLeafNodeSignatureKeyPackage } from 'ts-mls/leafNode.js';
import { unprotectPrivateMessage } from 'ts-mls/messageProtection.js';
import { bytesEqual } from './byte-codec.ts';
import { loadCiphersuite, type MlsCiphersuite } from './ciphersuite.ts';
import { MlsSessionError, toMlsError } from './errors.ts';
import { credentialMemberIdentity, sameMember, type MemberIdentity, type MlsIdentity } from './identity.ts';
import { decodeKeyPackage, decodePrivateKeys, generateKeyPackages, type GeneratedKeyPackage } from './key-packages.ts';
import { decodeSession, encodeSession, type PendingCommit } from './session-codec.ts';
import { StateEncoder } from './state-encoder.ts';
import { clientConfig, WELCOME_TREE_MAX_BYTES, type MlsSessionOptions } from './session-options.ts';
import { encode } from 'ts-mls/codec/tlsEncoder.js';
import { decodeRatchetTree, ratchetTreeEncoder, type RatchetTree } from 'ts-mls/ratchetTree.js';
import { seedTreeHashes, storedTreeHashes } from 'ts-mls/treeHashSeeds.js';
import { decodeMessage, encodeMessage } from './wire.ts';

/** What one added device's leaf adds to a tree's encoding, about (credential, keys, signature, capabilities). */
const ADDED_LEAF_BYTES = 300;

const treeMax = (options: MlsSessionOptions): number => options.welcomeTreeMaxBytes ?? WELCOME_TREE_MAX_BYTES;

function decodeTree(bytes: Uint8Array): RatchetTree {
  const decoded = decodeRatchetTree(bytes, 0);
  if (decoded === undefined || decoded[1] !== bytes.length) throw new MlsSessionError('mls_invalid_welcome', 'the ratchet tree given for the Welcome does not decode');
  return decoded[0];
}

export interface MlsMember extends MemberIdentity {
  readonly leafIndex: number;
  readonly signaturePublicKey: Uint8Array;
}

export interface DecryptedMessage {
  readonly plaintext: Uint8Array;
  readonly sender: MemberIdentity;
  readonly epoch: bigint;
}

export interface HandshakeOutcome {
  /** 'own' when the delivery service echoed our pending commit back, 'member' for another member's commit. */
  readonly committer: 'own' | 'member';
  readonly epoch: bigint;
  /** Our pending commit lost the race to this one and was dropped: re-propose it in the new epoch. */
  readonly discardedPendingCommit: boolean;
  /** This commit removed us from the group. */
  readonly removed: boolean;
}

/**
 * One device's view of one MLS group (one chat). Not safe for concurrent use: await each call.
 *
 * Commits are two-phase, as RFC 9420 §14 asks: addMembers/removeMembers/update return a commit and
 * keep it pending; the state moves only when the delivery service accepts it (mergePendingCommit, or
 * processHandshake of the echoed bytes). A commit of another member for the same epoch wins instead:
 * processHandshake applies it and drops ours (discardedPendingCommit). Send a Welcome only after its
 * commit was accepted.
 */
export class MlsGroupSession {
  #state: ClientState;
  #pending: (PendingCommit & { consumed: Uint8Array[] }) | undefined;
  /** Reuses the encodings of unchanged tree nodes: serialize() runs after every message. */
  readonly #encoder = new StateEncoder();

  private constructor(
    private readonly cs: CiphersuiteImpl,
    private readonly config: ClientConfig,
    state: GroupState,
    pending: PendingCommit | undefined,
    private readonly welcomeTreeMaxBytes: number,
  ) {
    this.#state = { ...state, clientConfig: config };
    this.#pending = pending && { ...pending, consumed: [] };
  }

  /**
   * A group of this device alone. `epoch`: where it starts (0 for a chat's first group; a reset starts
   * a fresh group at the chat's current epoch so epochs keep counting up the chat's log, R36). The
   * epoch only enters the GroupContext, which the first commit's GroupInfo carries to the others.
   */
  static async create(identity: MlsIdentity, groupId: Uint8Array, options: MlsSessionOptions = {}, epoch = 0n): Promise<MlsGroupSession> {
    const cs = await loadCiphersuite(identity.ciphersuite);
    const [own] = await generateKeyPackages(identity, 1);
    if (own === undefined) throw new MlsSessionError('mls_internal', 'no key package generated');
    const config = clientConfig(options);
    try {
      const state = await createGroup(groupId, decodeKeyPackage(own.keyPackage), decodePrivateKeys(own.privateKeys, identity), [], cs, config);
      return new MlsGroupSession(cs, config, { ...state, groupContext: { ...state.groupContext, epoch } }, undefined, treeMax(options));
    } catch (e) {
      throw toMlsError(e, 'commit');
    }
  }

  /**
   * Join from a Welcome made for one of `keyPackages` (ours, with their private keys). Returns the
   * ref of the key package used: delete it unless it is a last-resort one. `tree`: the group's
   * ratchet tree (`ratchet_tree` encoding) when the Welcome does not carry it (R35b); ts-mls checks
   * it against the tree hash of the GroupInfo the committer signed.
   */
  static async join(
    identity: MlsIdentity,
    welcome: Uint8Array,
    keyPackages: readonly GeneratedKeyPackage[],
    options: MlsSessionOptions = {},
    tree?: Uint8Array,
  ): Promise<{ session: MlsGroupSession; usedKeyPackageRef: Uint8Array }> {
    const cs = await loadCiphersuite(identity.ciphersuite);
    const w = decodeMessage(welcome, 'mls_welcome').welcome;
    if (w.cipherSuite !== identity.ciphersuite) throw new MlsSessionError('mls_unsupported_suite', `welcome uses ${w.cipherSuite}`);
    const mine = keyPackages.find((kp) => w.secrets.some((s) => bytesEqual(s.newMember, kp.ref)));
    if (mine === undefined) throw new MlsSessionError('mls_welcome_not_for_us');
    const config = clientConfig(options);
    try {
      // The ratchet tree travels in the Welcome (ratchet_tree extension) for small groups; else it is `tree`.
      const ratchetTree = tree && decodeTree(tree);
      const state = await joinGroup(w, decodeKeyPackage(mine.keyPackage), decodePrivateKeys(mine.privateKeys, identity), emptyPskIndex, cs, ratchetTree, undefined, config);
      return { session: new MlsGroupSession(cs, config, state, undefined, treeMax(options)), usedKeyPackageRef: mine.ref };
    } catch (e) {
      if (tree === undefined && e instanceof Error && /No RatchetTree passed/.test(e.message)) throw new MlsSessionError('mls_tree_missing', undefined, { cause: e });
      throw toMlsError(e, 'join');
    }
  }

  /** Restore a session written by serialize(). Options are not stored: pass the same ones again. */
  static async deserialize(bytes: Uint8Array, options: MlsSessionOptions = {}): Promise<MlsGroupSession> {
    const stored = decodeSession(bytes);
    const cs = await loadCiphersuite(stored.ciphersuite);
    // Issue 12: the subtree hashes stored with the state, so that the first commit hashes only what it changed.
    if (stored.treeHashes !== undefined) seedTreeHashes(stored.state.ratchetTree, stored.treeHashes, cs.hash);
    return new MlsGroupSession(cs, clientConfig(options), stored.state, stored.pending, treeMax(options));
  }

  /** Everything needed to resume, private keys included: store it encrypted at rest. */
  serialize(): Uint8Array {
    const treeHashes = storedTreeHashes(this.#state.ratchetTree, this.cs.hash);
    return encodeSession({ ciphersuite: this.cs.name as MlsCiphersuite, state: this.#state, pending: this.#pending, treeHashes }, (states) => this.#encoder.encode(states));
  }

  /** The group's ratchet tree as the `ratchet_tree` extension encodes it: public keys, credentials, signatures (R35b). */
  ratchetTreeBytes(): Uint8Array {
    return encode(ratchetTreeEncoder)(this.#state.ratchetTree);
  }

  get groupId(): Uint8Array {
    return this.#state.groupContext.groupId;
  }

  get epoch(): bigint {
    return this.#state.groupContext.epoch;
  }

  get hasPendingCommit(): boolean {
    return this.#pending !== undefined;
  }

  /** False once a commit removed us. */
  get isActive(): boolean {
    return this.#state.groupActiveState.kind === 'active';
  }

  get ownLeafIndex(): number {
    return this.#state.privatePath.leafIndex;
  }

  /** Leaves of the current epoch's tree, blank ones included (the same number on every member's side). */
  get leafCount(): number {
    return Math.floor((this.#state.ratchetTree.length + 1) / 2);
  }

  /** MLS-Exporter(label, context, length) of the current epoch (RFC 9420 §8.5): e.g. call media's SFrame base key (R64). */
  async exportSecret(label: string, context: Uint8Array, length: number): Promise<Uint8Array> {
    this.#assertActive();
    return mlsExporter(this.#state.keySchedule.exporterSecret, label, context, length, this.cs);
  }

  /** Members of the current epoch (not counting a pending commit), in leaf order. */
  members(): MlsMember[] {
    const out: MlsMember[] = [];
    this.#state.ratchetTree.forEach((node, nodeIndex) => {
      if (node?.nodeType !== 'leaf') return;
      out.push({ ...credentialMemberIdentity(node.leaf.credential), leafIndex: nodeIndex / 2, signaturePublicKey: node.leaf.signaturePublicKey });
    });
    return out;
  }

  /**
   * Whether a claimed key package can go into a commit of this group: it decodes, is for this group's
   * suite and version, its signatures verify, its keys differ, its lifetime covers now, and
   * `authenticate` accepts its credential. A bad one (forged, garbage a hostile device uploaded) is
   * left out alone instead of failing the whole commit.
   */
  async usableKeyPackage(bytes: Uint8Array, nowSeconds = Math.floor(Date.now() / 1000)): Promise<boolean> {
    let kp: KeyPackage;
    try {
      kp = decodeKeyPackage(bytes);
    } catch {
      return false;
    }
    const gc = this.#state.groupContext;
    if (kp.cipherSuite !== gc.cipherSuite || kp.version !== gc.version || bytesEqual(kp.initKey, kp.leafNode.hpkePublicKey)) return false;
    const leaf = kp.leafNode;
    if (leaf.leafNodeSource !== 'key_package') return false;
    const now = BigInt(nowSeconds);
    if (leaf.lifetime.notBefore > now + 3600n || leaf.lifetime.notAfter < now) return false;
    try {
      return (await verifyKeyPackage(kp, this.cs.signature))
        && (await verifyLeafNodeSignatureKeyPackage(leaf, this.cs.signature))
        && (await this.config.authService.validateCredential(leaf.credential, leaf.signaturePublicKey));
    } catch {
      return false;
    }
  }

  /** Commit adding one device per key package (TLS-encoded MLSMessage, as generateKeyPackages returns). */
  async addMembers(keyPackages: readonly Uint8Array[]): Promise<{ commit: Uint8Array; welcome: Uint8Array }> {
    if (keyPackages.length === 0) throw new RangeError('addMembers needs at least one key package');
    const proposals = keyPackages.map((kp): Proposal => ({ proposalType: 'add', add: { keyPackage: decodeKeyPackage(kp) } }));
    const { commit, welcome } = await this.#commit(proposals);
    if (welcome === undefined) throw new MlsSessionError('mls_internal', 'add commit without welcome');
    return { commit, welcome };
  }

  async removeMembers(members: readonly MemberIdentity[]): Promise<{ commit: Uint8Array }> {
    if (members.length === 0) throw new RangeError('removeMembers needs at least one member');
    const current = this.members();
    const proposals = members.map((m): Proposal => {
      const leaf = current.find((c) => sameMember(c, m));
      if (leaf === undefined) throw new MlsSessionError('mls_not_member', `${m.userId}:${m.deviceId} is not in the group`);
      if (leaf.leafIndex === this.ownLeafIndex) throw new MlsSessionError('mls_unexpected_message', 'cannot remove ourselves by commit');
      return { proposalType: 'remove', remove: { removed: leaf.leafIndex } };
    });
    return { commit: (await this.#commit(proposals)).commit };
  }

  /**
   * One commit that adds devices (their key packages) and removes others: how a chat's group follows
   * its members' devices. The Welcome is there when something was added.
   */
  async changeMembers(change: { add: readonly Uint8Array[]; remove: readonly MemberIdentity[] }): Promise<{ commit: Uint8Array; welcome: Uint8Array | undefined }> {
    if (change.add.length === 0 && change.remove.length === 0) throw new RangeError('changeMembers needs something to change');
    const current = this.members();
    const proposals: Proposal[] = change.remove.map((m): Proposal => {
      const leaf = current.find((c) => sameMember(c, m));
      if (leaf === undefined) throw new MlsSessionError('mls_not_member', `${m.userId}:${m.deviceId} is not in the group`);
      if (leaf.leafIndex === this.ownLeafIndex) throw new MlsSessionError('mls_unexpected_message', 'cannot remove ourselves by commit');
      return { proposalType: 'remove', remove: { removed: leaf.leafIndex } };
    });
    for (const kp of change.add) proposals.push({ proposalType: 'add', add: { keyPackage: decodeKeyPackage(kp) } });
    return this.#commit(proposals);
  }

  /** Commit with an update path only: rotates our leaf key and the group secrets (post-compromise security). */
  async update(): Promise<{ commit: Uint8Array }> {
    return { commit: (await this.#commit([])).commit };
  }

  /**
   * The public state of the current epoch (a pending commit does not count) as a GroupInfo with the
   * ratchet tree, signed by this device: what the delivery service checks a commit against when it
   * holds no state of the group yet (R35).
   */
  async groupInfo(): Promise<Uint8Array> {
    this.#assertActive();
    const s = this.#state;
    const gi = await createGroupInfoWithRatchetTree(s.groupContext, s.confirmationTag, s, s.ratchetTree, [], this.cs);
    return encodeMessage({ version: 'mls10', wireformat: 'mls_group_info', groupInfo: gi });
  }

  /** The delivery service accepted our pending commit: move to its epoch. */
  mergePendingCommit(): void {
    const p = this.#pending;
    if (p === undefined) throw new MlsSessionError('mls_no_pending_commit');
    this.#state = { ...p.state, clientConfig: this.config };
    this.#pending = undefined;
    p.consumed.forEach(zeroOutUint8Array);
  }

  /** The delivery service refused our pending commit: stay in the current epoch. */
  discardPendingCommit(): void {
    if (this.#pending === undefined) throw new MlsSessionError('mls_no_pending_commit');
    this.#pending = undefined;
  }

  /** Apply a commit, in the order the delivery service fixed. Our own echoed commit merges the pending one. */
  async processHandshake(bytes: Uint8Array): Promise<HandshakeOutcome> {
    if (this.#pending !== undefined && bytesEqual(bytes, this.#pending.commit)) {
      this.mergePendingCommit();
      return { committer: 'own', epoch: this.epoch, discardedPendingCommit: false, removed: false };
    }
    const message = decodeMessage(bytes, 'mls_private_message', 'mls_public_message');
    const header = message.wireformat === 'mls_private_message' ? message.privateMessage : message.publicMessage.content;
    if (header.contentType !== 'commit') throw new MlsSessionError('mls_unexpected_message', `expected a commit, got ${header.contentType}`);
    this.#checkGroupAndEpoch(header.groupId, header.epoch);
    this.#assertActive();
    let result;
    try {
      result = await processMessage(message, this.#state, emptyPskIndex, acceptAll, this.cs);
    } catch (e) {
      throw toMlsError(e, 'handshake');
    }
    if (result.kind !== 'newState') throw new MlsSessionError('mls_internal', 'commit produced an application message');
    const discardedPendingCommit = this.#pending !== undefined;
    this.#pending = undefined;
    this.#state = result.newState;
    result.consumed.forEach(zeroOutUint8Array);
    return { committer: 'member', epoch: this.epoch, discardedPendingCommit, removed: !this.isActive };
  }

  /** Encrypt an application message in the current epoch (a pending commit does not change that). */
  async encrypt(plaintext: Uint8Array, authenticatedData?: Uint8Array): Promise<Uint8Array> {
    this.#assertActive();
    try {
      const r = await createApplicationMessage(this.#state, plaintext, this.cs, authenticatedData);
      this.#state = r.newState;
      r.consumed.forEach(zeroOutUint8Array);
      return encodeMessage({ version: 'mls10', wireformat: 'mls_private_message', privateMessage: r.privateMessage });
    } catch (e) {
      throw toMlsError(e, 'encrypt');
    }
  }

  /** Decrypt and authenticate an application message; each message decrypts at most once. */
  async decrypt(ciphertext: Uint8Array): Promise<DecryptedMessage> {
    const pm = decodeMessage(ciphertext, 'mls_private_message').privateMessage;
    if (pm.contentType !== 'application') throw new MlsSessionError('mls_unexpected_message', `expected an application message, got ${pm.contentType}`);
    this.#assertActive();
    const current = this.#state.groupContext.epoch;
    const historical = pm.epoch < current ? this.#state.historicalReceiverData.get(pm.epoch) : undefined;
    this.#checkGroupAndEpoch(pm.groupId, pm.epoch, historical !== undefined && current - pm.epoch <= BigInt(this.config.keyRetentionConfig.retainKeysForEpochs));
    const keys = historical ?? {
      senderDataSecret: this.#state.keySchedule.senderDataSecret,
      secretTree: this.#state.secretTree,
      ratchetTree: this.#state.ratchetTree,
      groupContext: this.#state.groupContext,
    };
    let result;
    try {
      result = await unprotectPrivateMessage(keys.senderDataSecret, pm, keys.secretTree, keys.ratchetTree, keys.groupContext, this.config.keyRetentionConfig, this.cs);
    } catch (e) {
      throw toMlsError(e, 'decrypt');
    }
    const { content } = result.content;
    if (content.contentType !== 'application' || content.sender.senderType !== 'member') {
      throw new MlsSessionError('mls_tampered', 'decrypted content is not a member application message');
    }
    const leaf = keys.ratchetTree[content.sender.leafIndex * 2];
    if (leaf?.nodeType !== 'leaf') throw new MlsSessionError('mls_tampered', 'sender leaf is blank');
    if (historical === undefined) {
      this.#state = { ...this.#state, secretTree: result.tree };
    } else {
      const receiverData = new Map(this.#state.historicalReceiverData).set(pm.epoch, { ...historical, secretTree: result.tree });
      this.#state = { ...this.#state, historicalReceiverData: receiverData };
    }
    result.consumed.forEach(zeroOutUint8Array);
    return { plaintext: content.applicationData, sender: credentialMemberIdentity(leaf.leaf.credential), epoch: pm.epoch };
  }

  async #commit(extraProposals: Proposal[]): Promise<{ commit: Uint8Array; welcome: Uint8Array | undefined }> {
    if (this.#pending !== undefined) throw new MlsSessionError('mls_pending_commit');
    this.#assertActive();
    let r;
    try {
      // A PublicMessage: the delivery service checks it against the group's public state before it orders it (R35).
      // R35b: the tree rides in the Welcome while it is small; beyond, joiners read it from the server.
      const adds = extraProposals.filter((p) => p.proposalType === 'add').length;
      const ratchetTreeExtension = adds === 0 || encode(ratchetTreeEncoder)(this.#state.ratchetTree).length + adds * ADDED_LEAF_BYTES <= this.welcomeTreeMaxBytes;
      r = await createCommit({ state: this.#state, cipherSuite: this.cs }, { extraProposals, ratchetTreeExtension, wireAsPublicMessage: true });
    } catch (e) {
      throw toMlsError(e, 'commit');
    }
    const commit = encodeMessage(r.commit);
    const welcome = r.welcome && encodeMessage({ version: 'mls10', wireformat: 'mls_welcome', welcome: r.welcome });
    this.#pending = { state: r.newState, commit, welcome, consumed: r.consumed };
    return { commit, welcome };
  }

  #checkGroupAndEpoch(groupId: Uint8Array, epoch: bigint, retainedPast = false): void {
    if (!bytesEqual(groupId, this.groupId)) throw new MlsSessionError('mls_wrong_group');
    if (epoch !== this.epoch && !retainedPast) {
      throw new MlsSessionError('mls_wrong_epoch', `message is for epoch ${epoch}, group is in epoch ${this.epoch}`);
    }
  }

  #assertActive(): void {
    if (!this.isActive) throw new MlsSessionError('mls_not_member', `group state is ${this.#state.groupActiveState.kind}`);
  }
}
