import { MLS_SCHEDULED_CONTENT_TYPE, PLAIN_CONTENT_TYPE, type Content, type Envelope, type Message } from '@parley/protocol';
import { CodecHeld, CodecNotReady, CodecRefused, decodePlainEnvelope, type ContentCodec, type DecodedBatch, type EncodeOptions, type OwnContent } from '../codec.ts';
import { base64ToBytes, bytesToBase64 } from '../encoding.ts';
import type { KeyPackageKeeper } from '../key-packages.ts';
import { isMlsSessionError } from '../mls/errors.ts';
import { sameMember, type MemberIdentity } from '../mls/identity.ts';
import type { MlsEngine, MlsGroup } from '../mls/engine.ts';
import type { MlsSessionOptions } from '../mls/session-options.ts';
import { groupInfoGroupId, messageEpoch, welcomeRefs } from '../mls/headers.ts';
import type { ClientStore, DecodedEnvelope } from '../store.ts';
import { decodeCommitBundle, MLS_APP_CONTENT_TYPE, MLS_COMMIT_CONTENT_TYPE } from './envelopes.ts';
import { chainMoved, encodeAppPlaintext, parseAppPlaintext } from './app-plaintext.ts';
import { startGroupId } from '@parley/mls-public';
import { bytesEqual } from '../mls/byte-codec.ts';
import { BrokenGroups } from './broken-groups.ts';
import { GroupRecords } from './group-records.ts';
import { MemberSince } from './member-since.ts';
import type { MemberTrust } from './member-trust.ts';
import type { RemovalHold } from './removal-hold.ts';
import { memberKey, reconcileGroup, type ReconcileInput, type ReconcileResult } from './reconcile.ts';
import { admissionVerifies } from '../moderation/admissions.ts';

export type { ReconcileInput, ReconcileResult } from './reconcile.ts';

export interface MlsCodecDeps {
  userId: string;
  deviceId: string;
  store: ClientStore;
  keys: Pick<KeyPackageKeeper, 'identity' | 'ownKeyPackages' | 'used'>;
  /** Its `authenticate` is the strict check of every member a commit brings in (R22). */
  session?: MlsSessionOptions;
  /**
   * The key log's word on a Welcome's tree and on senders (R22). Without it (the codec alone) a
   * Welcome's tree is held to `session.authenticate` and no sender counts as revoked.
   */
  trust?: MemberTrust;
  /** R34: application messages wait while the group holds a leaf that no longer belongs (commits never do). */
  hold?: Pick<RemovalHold, 'blocks'>;
  /**
   * R35b: the group's ratchet tree at an epoch a Welcome led to, from the delivery service (for a
   * Welcome without it); undefined when the server keeps none. Throws when it can't be asked (offline).
   */
  tree?: (chatId: string, epoch: number) => Promise<Uint8Array | undefined>;
  /** Where the groups are computed (default: this thread); the web runs them in a worker (RemoteMlsEngine). */
  engine?: MlsEngine;
  /** This device's clock (R191's check of a scheduled post's date). */
  now?: () => number;
}

/** Where this device stands in a chat's encryption group. */
export type GroupStatus = 'ready' | 'waiting' | 'removed';

/**
 * The end-to-end encrypted codec: each chat is an MLS group (groupId = chatId) whose leaves are the
 * devices of its members. Application messages are PrivateMessages; commits (with their Welcome)
 * travel in the chat's log, so every device applies them in the server's order (R15). Work on one
 * chat is serialized; the group state is stored with the messages that moved it (ClientStore).
 */
export class MlsCodec implements ContentCodec {
  readonly #d: MlsCodecDeps;
  readonly #sessions = new Map<string, MlsGroup | null>();
  /** The chats' group states in the store: the trees once an epoch, the secrets per message (issue 12). */
  readonly #records: GroupRecords;
  readonly #locks = new Map<string, Promise<unknown>>();
  readonly #since: MemberSince;
  /** R36: chats whose group this device could not follow (a commit it could not apply). */
  readonly broken: BrokenGroups;

  readonly #engine: MlsEngine;

  constructor(deps: MlsCodecDeps) {
    this.#d = deps;
    this.#records = new GroupRecords(deps.store);
    this.#engine = deps.engine ?? inThreadWhenAsked;
    this.#since = new MemberSince(deps.store);
    this.broken = new BrokenGroups(deps.store);
  }

  async status(chatId: string): Promise<GroupStatus> {
    const s = await this.#load(chatId);
    if (!s) return 'waiting';
    return s.isActive ? (s.epoch > 0n ? 'ready' : 'waiting') : 'removed';
  }

  /** Members of this device's view of the group (for tests and the verification screen). */
  async members(chatId: string): Promise<MemberIdentity[]> {
    const s = await this.#load(chatId);
    return s?.members().map((m) => ({ userId: m.userId, deviceId: m.deviceId })) ?? [];
  }

  async epoch(chatId: string): Promise<number | undefined> {
    const s = await this.#load(chatId);
    return s ? Number(s.epoch) : undefined;
  }

  /**
   * R64: this device's leaf and an MLS exporter secret of the chat's current epoch (call media's
   * SFrame base key); undefined while the group is not ready or this device was removed.
   */
  exportForCall(chatId: string, label: string, length: number): Promise<{ epoch: bigint; leafIndex: number; leafCount: number; secret: Uint8Array } | undefined> {
    return this.#lock(chatId, async () => {
      const s = await this.#load(chatId);
      if (!s?.isActive || s.epoch === 0n) return undefined;
      return { epoch: s.epoch, leafIndex: s.ownLeafIndex, leafCount: s.leafCount, secret: await s.exportSecret(label, new Uint8Array(0), length) };
    });
  }

  /** R191: `use` runs with the chat's group at its current epoch, under the chat's lock (no commit moves it meanwhile); undefined while not ready. */
  atCurrentEpoch<T>(chatId: string, use: (group: MlsGroup) => Promise<T>): Promise<T | undefined> {
    return this.#lock(chatId, async () => {
      const s = await this.#load(chatId);
      return s?.isActive && s.epoch > 0n ? use(s) : undefined;
    });
  }

  /** Whether a commit the server ordered as one (R15) has a Welcome naming one of this device's key packages. */
  async welcomesMe(m: Pick<Message, 'envelope' | 'commitEpoch'>): Promise<boolean> {
    const envelope = m.envelope;
    if (envelope?.contentType !== MLS_COMMIT_CONTENT_TYPE || m.commitEpoch === undefined) return false;
    const welcome = decodeCommitBundle(envelope)?.welcome;
    if (!welcome) return false;
    try {
      const refs = (await this.#d.keys.ownKeyPackages()).map((k) => bytesToBase64(k.ref));
      return welcomeRefs(welcome).some((r) => refs.includes(r));
    } catch {
      return false;
    }
  }

  /** The chat is gone for this user: drop its group state. */
  forget(chatId: string): Promise<void> {
    return this.#lock(chatId, async () => {
      this.#sessions.set(chatId, null);
      await this.#records.delete(chatId);
    });
  }

  /** The epoch an application message was encrypted in (its header says it); undefined for anything else. */
  epochOf(envelope: Envelope): number | undefined {
    if (envelope.contentType !== MLS_APP_CONTENT_TYPE) return undefined;
    try {
      return Number(messageEpoch(base64ToBytes(envelope.payload)));
    } catch {
      return undefined;
    }
  }

  /**
   * Whether every device of another user in this device's view of the group has been in it since
   * `epoch` or earlier (R32): then what is encrypted now reaches no one who could not have read a
   * message of that epoch. This user's own devices don't count: they get its history anyway.
   */
  membersSince(chatId: string, epoch: number): Promise<boolean> {
    return this.#lock(chatId, async () => {
      const s = await this.#load(chatId);
      return s !== undefined && (await this.#othersSince(chatId, s, epoch));
    });
  }

  /**
   * `options.prev`: the id of this device's previous message in the chat. It travels encrypted with the
   * content, so a receiver sees when the server dropped or reordered one of this device's messages.
   * `options.membersSince`: checked here, under the chat's lock, so no commit slips in between.
   */
  encode(chatId: string, content: Content, options: EncodeOptions = {}): Promise<Envelope> {
    return this.#lock(chatId, async () => {
      const s = await this.#load(chatId);
      if (!s || !s.isActive || s.epoch === 0n) throw new CodecNotReady('this device is not in the chat\'s encryption group yet');
      // R36: the log went on past a commit this device could not apply (or the server lost count):
      // nothing it encrypts now reaches the group. It waits in the outbox for the group started again.
      if (await this.broken.get(chatId)) throw new CodecNotReady('the chat\'s encryption group is being set up again');
      if (this.#d.hold?.blocks(chatId, () => s.members())) throw new CodecHeld('the chat\'s encryption group still holds a device that no longer belongs: waiting for its removal');
      if (options.membersSince !== undefined && !(await this.#othersSince(chatId, s, options.membersSince))) {
        throw new CodecRefused('the group gained devices since the original was sent: they must not read it');
      }
      const ciphertext = await s.encrypt(encodeAppPlaintext(content, options.prev ?? null));
      // The ratchet moved: store it before the ciphertext leaves, so a crash never reuses a key.
      await this.#records.put(chatId, await s.serialize());
      return { contentType: MLS_APP_CONTENT_TYPE, payload: bytesToBase64(ciphertext) };
    });
  }

  decodeBatch(chatId: string, messages: readonly Message[], own: OwnContent, persist: (batch: DecodedBatch) => Promise<void>): Promise<DecodedBatch> {
    return this.#lock(chatId, async () => {
      const revoked = await this.#revocations(messages);
      const trees = await this.#joinTrees(chatId, messages);
      let changed = false;
      const decoded: (DecodedEnvelope | undefined)[] = [];
      for (const m of messages) {
        const r = await this.#decodeOne(chatId, m, own, revoked, trees);
        decoded.push(r.decoded);
        changed ||= r.changed;
      }
      const s = this.#sessions.get(chatId);
      const groups = new Map<string, Uint8Array>();
      // The chat's record and, after a commit, its new trees: written with the messages, atomically.
      const split = changed && s ? this.#records.records(chatId, await s.serialize()) : undefined;
      for (const [key, bytes] of split?.records ?? []) groups.set(key, bytes);
      const batch = { decoded, groups };
      await persist(batch);
      if (split) this.#records.wrote(chatId, split.written);
      return batch;
    });
  }

  /**
   * Brings the group in line with the devices that belong in it: creates it (server epoch 0), adds
   * missing devices from claimed key packages, removes devices that left or were revoked, in one
   * commit. Of several devices doing this at once exactly one commit wins (R15); the others see
   * `conflict`, catch up on the log and call again.
   */
  reconcile(chatId: string, input: ReconcileInput): Promise<ReconcileResult> {
    return this.#lock(chatId, async () => {
      const { result, merged } = await reconcileGroup(await this.#load(chatId), {
        chatId, userId: this.#d.userId, deviceId: this.#d.deviceId, store: this.#d.store, since: this.#since,
        putGroup: (bytes) => this.#records.put(chatId, bytes),
        broken: await this.broken.get(chatId),
        create: async (epoch) => this.#engine.create(await this.#d.keys.identity(), new TextEncoder().encode(startGroupId(chatId, epoch)), this.#d.session ?? {}, BigInt(epoch)),
      }, input);
      if (merged) {
        this.#sessions.set(chatId, merged);
        await this.broken.clear(chatId); // repaired (R36), or it never was broken
      }
      return result;
    });
  }

  /**
   * R35b: for each commit of the batch whose Welcome names this device, the group's tree at the
   * epoch it leads to, read before anything is decoded (as #revocations): a Welcome of a big group
   * does not carry it. Offline, the batch throws with nothing applied and is decoded again later.
   */
  async #joinTrees(chatId: string, messages: readonly Message[]): Promise<Map<number, Uint8Array>> {
    const trees = new Map<number, Uint8Array>();
    const tree = this.#d.tree;
    if (!tree) return trees;
    for (const m of messages) {
      if (m.envelope?.contentType !== MLS_COMMIT_CONTENT_TYPE || m.commitEpoch === undefined || !(await this.welcomesMe(m))) continue;
      const bytes = await tree(chatId, m.commitEpoch + 1);
      if (bytes) trees.set(m.commitEpoch + 1, bytes);
    }
    return trees;
  }

  /**
   * When the key log revoked the devices that sent the batch's application messages (memberKey →
   * ms), read before anything is decrypted: if a log can't be fetched the batch throws with its
   * keys unused, and is decoded when the log is synced again.
   */
  async #revocations(messages: readonly Message[]): Promise<Map<string, number>> {
    const revoked = new Map<string, number>();
    const trust = this.#d.trust;
    if (!trust) return revoked;
    const senders = new Map<string, MemberIdentity>();
    for (const m of messages) {
      const fromHere = m.senderUserId === this.#d.userId && m.senderDeviceId === this.#d.deviceId;
      if (m.envelope?.contentType === MLS_APP_CONTENT_TYPE && !fromHere) senders.set(`${m.senderUserId}:${m.senderDeviceId}`, { userId: m.senderUserId, deviceId: m.senderDeviceId });
    }
    await Promise.all([...senders].map(async ([key, sender]) => {
      const at = await trust.revokedAt(sender.userId, sender.deviceId);
      if (at !== null) revoked.set(key, at);
    }));
    return revoked;
  }

  async #decodeOne(chatId: string, m: Message, own: OwnContent, revoked: ReadonlyMap<string, number>, trees: ReadonlyMap<number, Uint8Array>): Promise<{ decoded: DecodedEnvelope | undefined; changed: boolean }> {
    const envelope = m.envelope;
    if (!envelope) return { decoded: undefined, changed: false };
    const fromHere = m.senderUserId === this.#d.userId && m.senderDeviceId === this.#d.deviceId;
    switch (envelope.contentType) {
      case PLAIN_CONTENT_TYPE:
        return { decoded: decodePlainEnvelope(envelope), changed: false };
      case MLS_APP_CONTENT_TYPE: {
        if (fromHere) {
          const content = own(m);
          return { decoded: content ? { kind: 'content', content } : { kind: 'unreadable', reason: 'before_join' }, changed: false };
        }
        const r = await this.#decrypt(chatId, m, envelope, revoked.get(`${m.senderUserId}:${m.senderDeviceId}`));
        if (r.decoded.kind !== 'content') await chainMoved(this.#d.store, m, undefined);
        return r;
      }
      case MLS_COMMIT_CONTENT_TYPE:
        return this.#handshake(chatId, m, envelope, trees);
      case MLS_SCHEDULED_CONTENT_TYPE: {
        // R191: opened with this epoch's exporter (the server appended it at that epoch); its code is a part of its own.
        const s = await this.#load(chatId);
        if (!s?.isActive) return { decoded: { kind: 'unreadable', reason: s ? 'not_in_group' : 'before_join' }, changed: false };
        const { openScheduledEntry } = await import('./scheduled-post.ts');
        return { decoded: await openScheduledEntry(s, (await this.#d.keys.identity()).ciphersuite, chatId, m, this.#d.now?.() ?? Date.now(), Number(await this.#joinedEpoch(chatId))), changed: false };
      }
      default:
        return { decoded: { kind: 'unreadable', reason: 'unknown_format', detail: envelope.contentType.slice(0, 64) }, changed: false };
    }
  }

  /** `revokedAt`: when the key log revoked the sender's device, if it did. */
  async #decrypt(chatId: string, m: Message, envelope: Envelope, revokedAt: number | undefined): Promise<{ decoded: DecodedEnvelope; changed: boolean }> {
    const s = await this.#load(chatId);
    if (!s) return { decoded: { kind: 'unreadable', reason: (await this.#hadGroup(chatId)) ? 'not_in_group' : 'before_join' }, changed: false };
    let bytes: Uint8Array;
    try {
      bytes = base64ToBytes(envelope.payload);
      if (messageEpoch(bytes) < (await this.#joinedEpoch(chatId))) return { decoded: { kind: 'unreadable', reason: 'before_join' }, changed: false };
    } catch (err) {
      return { decoded: { kind: 'unreadable', reason: 'tampered', detail: errorCode(err) }, changed: false };
    }
    try {
      const out = await s.decrypt(bytes);
      if (out.sender.userId !== m.senderUserId || out.sender.deviceId !== m.senderDeviceId) {
        return { decoded: { kind: 'unreadable', reason: 'tampered', detail: 'sender_mismatch' }, changed: true };
      }
      // Its leaf may still be in the tree until its removal commit, but after its revocation (by the
      // server's clock, as the log's) nothing it says is trusted: whoever holds it now may not be its owner (R22).
      if (revokedAt !== undefined && m.sentAt >= revokedAt) {
        return { decoded: { kind: 'unreadable', reason: 'tampered', detail: 'sender_revoked' }, changed: true };
      }
      const parsed = parseAppPlaintext(out.plaintext);
      if (!parsed) return { decoded: { kind: 'unreadable', reason: 'unknown_format' }, changed: true };
      const missingBefore = await chainMoved(this.#d.store, m, parsed.prev);
      // R152: a joiner's proof is checked here, against the sender MLS authenticated.
      const admitted = parsed.content.kind === 'community_admit' && parsed.content.proof !== undefined && (await admissionVerifies(parsed.content.proof, parsed.content.communityId, m.senderUserId));
      return { decoded: { kind: 'content', content: parsed.content, ...(missingBefore ? { missingBefore } : {}), ...(admitted ? { admitted } : {}) }, changed: true };
    } catch (err) {
      const code = errorCode(err);
      // An older message than this device's state still has keys for (e.g. scrolled back to after a restore).
      if (code === 'mls_wrong_epoch' && messageEpoch(bytes) < s.epoch) return { decoded: { kind: 'unreadable', reason: 'keys_gone' }, changed: false };
      // Sent in an epoch this device never reached (the group went on past a commit it could not apply),
      // or in the group the chat had before it was started again (R36).
      if ((code === 'mls_wrong_epoch' && (await this.broken.get(chatId))) || code === 'mls_wrong_group') {
        return { decoded: { kind: 'unreadable', reason: 'group_broken', detail: code }, changed: false };
      }
      return { decoded: { kind: 'unreadable', reason: 'tampered', detail: code }, changed: false };
    }
  }

  async #handshake(chatId: string, m: Message, envelope: Envelope, trees: ReadonlyMap<number, Uint8Array>): Promise<{ decoded: DecodedEnvelope; changed: boolean }> {
    const bundle = decodeCommitBundle(envelope);
    let epoch: bigint | undefined;
    try {
      epoch = bundle && messageEpoch(bundle.commit);
    } catch {
      epoch = undefined;
    }
    // R15: only what the server ordered as a commit (the `commit` frame, checked and counted: it
    // stamps the epoch) moves the group. A commit-typed entry without that stamp, or with another
    // epoch than its own, is applied by no device, so the group stays where the server's epoch is.
    if (m.commitEpoch === undefined || (epoch !== undefined && BigInt(m.commitEpoch) !== epoch)) {
      return { decoded: { kind: 'unreadable', reason: 'tampered', detail: m.commitEpoch === undefined ? 'not_ordered_as_commit' : 'commit_epoch_mismatch' }, changed: false };
    }
    if (!bundle || epoch === undefined) {
      // Not even a commit, yet the server ordered it as one and moved the chat's epoch: the group
      // went on without this device (R36).
      const s = await this.#load(chatId);
      if (s?.isActive) await this.broken.mark(chatId, { epoch: Number(s.epoch), seq: m.seq, by: `${m.senderUserId}:${m.senderDeviceId}`, code: 'mls_malformed' });
      return { decoded: { kind: 'unreadable', reason: s?.isActive ? 'commit_failed' : 'tampered', detail: 'bad_commit_bundle' }, changed: false };
    }
    const s = await this.#load(chatId);
    // A Welcome naming one of our key packages means we were (re-)added (R29, R36): join, replacing any old state.
    if (bundle.welcome && (!s || !s.isActive || (await this.welcomesMe(m)))) return this.#join(chatId, bundle.welcome, epoch, s?.isActive ? s : undefined, trees.get(Number(epoch) + 1));
    if (s && s.isActive) {
      // Our own commit (merged at its ack) or the one whose Welcome let us in: already applied.
      if (epoch < s.epoch) {
        const restarted = bundle.groupInfo !== undefined && new TextDecoder().decode(groupIdOf(bundle.groupInfo)) !== chatId; // R36, by this device
        return { decoded: { kind: 'handshake', epoch: Number(epoch) + 1, added: [], removed: [], ...(restarted ? { restarted } : {}) }, changed: false };
      }
      // A group started again (R36) without this device: it is outside now, and asks to be added (R29).
      if (bundle.groupInfo && !bytesEqual(groupIdOf(bundle.groupInfo), s.groupId)) {
        this.#sessions.set(chatId, null);
        await this.#records.delete(chatId);
        await this.broken.clear(chatId);
        return { decoded: { kind: 'handshake', epoch: Number(epoch) + 1, added: [], removed: [`${this.#d.userId}:${this.#d.deviceId}`], restarted: true }, changed: false };
      }
      const broken = await this.broken.get(chatId);
      if (broken && epoch > s.epoch) return { decoded: { kind: 'unreadable', reason: 'commit_failed', detail: 'after_failed_commit' }, changed: false };
      const before = s.members().map(memberKey);
      try {
        await s.processHandshake(bundle.commit);
      } catch (err) {
        // The log went on with a commit this device can't apply: it can no longer follow the group
        // and repairs it by starting it again (R36, ChatEncryption).
        await this.broken.mark(chatId, { epoch: Number(s.epoch), seq: m.seq, by: `${m.senderUserId}:${m.senderDeviceId}`, code: errorCode(err) });
        return { decoded: { kind: 'unreadable', reason: 'commit_failed', detail: errorCode(err) }, changed: false };
      }
      const after = s.members().map(memberKey);
      await this.#since.moved(chatId, before, after, Number(s.epoch));
      const usersBefore = new Set(before.map((k) => k.slice(0, k.indexOf(':'))));
      const joined = [...new Set(after.map((k) => k.slice(0, k.indexOf(':'))))].filter((u) => !usersBefore.has(u)); // R152
      return {
        decoded: { kind: 'handshake', epoch: Number(s.epoch), added: after.filter((k) => !before.includes(k)), removed: before.filter((k) => !after.includes(k)), ...(joined.length ? { joined } : {}) },
        changed: true,
      };
    }
    return { decoded: { kind: 'handshake', epoch: Number(epoch) + 1, added: [], removed: [] }, changed: false };
  }

  /**
   * Joins from a Welcome. Its tree may still hold a device the key log revoked after binding its key
   * (a commit that removes it is on its way, or this device makes one): such a leaf is accepted, a
   * key the log never bound is not. The member that signed the Welcome is held to the strict rule:
   * a revoked device must not bring anyone into a group (with a server's help, into a fork it reads).
   */
  /** `previous`: the group this device was in until now (a re-add, or a group started again, R36). */
  async #join(chatId: string, welcome: Uint8Array, epoch: bigint, previous?: MlsGroup, tree?: Uint8Array): Promise<{ decoded: DecodedEnvelope; changed: boolean }> {
    const strict = this.#d.session?.authenticate;
    const trust = this.#d.trust;
    const revoked: MemberIdentity[] = [];
    let joining = true;
    const options: MlsSessionOptions = trust
      ? {
        ...this.#d.session,
        authenticate: async (member, key) => {
          if (!joining) return strict === undefined || strict(member, key); // the session keeps this hook for later commits
          const standing = await trust.leaf(member, key);
          if (standing === 'revoked') revoked.push(member);
          return standing !== 'unbound';
        },
      }
      : this.#d.session ?? {};
    try {
      const identity = await this.#d.keys.identity();
      const keyPackages = await this.#d.keys.ownKeyPackages();
      const { session, usedKeyPackageRef } = await this.#engine.join(identity, welcome, keyPackages, options, tree);
      if (revoked.length > 0) {
        const { welcomeSigner } = await import('../mls/welcome-signer.ts'); // rare: its decryption code stays out of the page's bundle
        const signer = await welcomeSigner(identity, welcome, keyPackages);
        const signedBy = session.members().find((m) => m.leafIndex === signer);
        if (!signedBy || revoked.some((r) => sameMember(r, signedBy))) {
          return { decoded: { kind: 'unreadable', reason: 'tampered', detail: 'welcome_signer_revoked' }, changed: false };
        }
      }
      this.#sessions.set(chatId, session);
      const members = session.members().map(memberKey);
      if (previous) {
        // Still this chat's member: what it could read before stays "since" where it was for the devices in both groups.
        await this.#since.moved(chatId, previous.members().map(memberKey), members, Number(session.epoch));
      } else {
        await this.#d.store.setMeta(`mls-joined:${chatId}`, String(session.epoch));
        await this.#since.reset(chatId, members, Number(session.epoch));
      }
      await this.broken.clear(chatId);
      await this.#d.keys.used(usedKeyPackageRef);
      const restarted = previous !== undefined && !bytesEqual(previous.groupId, session.groupId);
      return { decoded: { kind: 'handshake', epoch: Number(session.epoch), added: [`${this.#d.userId}:${this.#d.deviceId}`], removed: [], ...(restarted ? { restarted } : {}) }, changed: true };
    } catch (err) {
      // A Welcome for other devices: this commit is from before we joined.
      if (isMlsSessionError(err) && err.code === 'mls_welcome_not_for_us') return { decoded: { kind: 'handshake', epoch: Number(epoch) + 1, added: [], removed: [] }, changed: false };
      return { decoded: { kind: 'unreadable', reason: 'tampered', detail: errorCode(err) }, changed: false };
    } finally {
      joining = false; // from here on the session checks as strictly as any other
    }
  }

  async #othersSince(chatId: string, s: MlsGroup, epoch: number): Promise<boolean> {
    const others = s.members().filter((m) => m.userId !== this.#d.userId).map(memberKey);
    const since = await this.#since.of(chatId, others, Number(s.epoch));
    return [...since.values()].every((e) => e <= epoch);
  }

  /**
   * Whether this device was in the chat's group once (it joined, or reconciled a group it held): with
   * no group state now, it lost it (R29), and what arrives meanwhile was meant for it too.
   */
  async #hadGroup(chatId: string): Promise<boolean> {
    return (await this.#d.store.getMeta(`mls-joined:${chatId}`)) !== undefined || (await this.#d.store.getMeta(`mls-rotated:${chatId}`)) !== undefined;
  }

  async #joinedEpoch(chatId: string): Promise<bigint> {
    const v = await this.#d.store.getMeta(`mls-joined:${chatId}`);
    return v === undefined ? 0n : BigInt(v);
  }

  async #load(chatId: string): Promise<MlsGroup | undefined> {
    const cached = this.#sessions.get(chatId);
    if (cached !== undefined) return cached ?? undefined;
    const bytes = await this.#records.get(chatId);
    const s = bytes ? await this.#engine.deserialize(bytes, this.#d.session ?? {}) : null;
    this.#sessions.set(chatId, s);
    return s ?? undefined;
  }

  #lock<T>(chatId: string, task: () => Promise<T>): Promise<T> {
    const run = (this.#locks.get(chatId) ?? Promise.resolve()).then(task, task);
    const settled = run.catch(() => undefined);
    this.#locks.set(chatId, settled);
    void settled.then(() => {
      if (this.#locks.get(chatId) === settled) this.#locks.delete(chatId);
    });
    return run;
  }
}

/**
 * The default engine, MLS in this thread, imported when first used: a page that gives the codec a
 * worker's engine never loads the group code on its main thread (nor into its bundle's chunk).
 */
const inThreadWhenAsked: MlsEngine = {
  create: async (...args) => (await import('../mls/engine.ts')).inThreadMlsEngine.create(...args),
  join: async (...args) => (await import('../mls/engine.ts')).inThreadMlsEngine.join(...args),
  deserialize: async (...args) => (await import('../mls/engine.ts')).inThreadMlsEngine.deserialize(...args),
};

/** The group id a GroupInfo names (empty when it is no GroupInfo). */
function groupIdOf(groupInfo: Uint8Array): Uint8Array {
  try {
    return groupInfoGroupId(groupInfo);
  } catch {
    return new Uint8Array();
  }
}

function errorCode(err: unknown): string {
  if (isMlsSessionError(err)) return err.code;
  return err instanceof Error ? err.name : 'error';
}
