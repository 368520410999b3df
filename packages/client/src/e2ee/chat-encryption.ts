import { mayAutoPost } from '../moderation/rights-in-log.ts';
import {
  ParleyError,
  type ChatDevicesResponse, type ChatSummary, type ClaimedKeyPackage, type CommunityInfo, type Content, type Envelope, type HistoryEntry, type Message, type ServerFrameOf,
} from '@parley/protocol';
import { Disconnected } from '../connection.ts';
import type { KeyPackageKeeper } from '../key-packages.ts';
import type { KeyDirectory, KeyLogSplitAlert } from '../key-log/index.ts';
import { KeyLogHeadGossip, type KeyLogHeadsOptions } from '../key-log/head-gossip.ts';
import { isNoteToSelf } from '../note-to-self.ts';
import type { ClientStore, StoredMessage } from '../store.ts';
import { applyHistory, historyChunks, historyEntries, OwedShares } from './history-share.ts';
import type { GroupStatus, MlsCodec } from './mls-codec.ts';
import { RemovalCheck, type RemovalHold } from './removal-hold.ts';
import { MessageResends } from './resend.ts';
import { EPOCH_AHEAD_OF_SERVER } from './broken-groups.ts';
import { rejoinDue } from './reconcile.ts';

/** End-to-end encryption on this device for a chat, as a ChatView shows it. */
export type EncryptionState = 'on' | 'waiting' | 'removed' | 'off';

export interface ChatEncryptionDeps {
  userId: string;
  deviceId: string;
  mls: MlsCodec;
  keys: KeyDirectory;
  keyPackages: KeyPackageKeeper;
  store: ClientStore;
  rotateAfterMs: number;
  /** How long a device waits per rank in the group's leaf order before it reconciles (1.5 s; 0 in tests that race commits). */
  rankDelayMs: number;
  /** R34: which leaves no longer belong; the codec holds application messages while one is in the group. */
  hold: RemovalHold;
  sync: {
    log(chatId: string): readonly Message[];
    catchUp(chatId: string, targetSeq: number): Promise<void>;
    receive(message: Message): Promise<void>;
    hasOlder(chatId: string): boolean;
    loadOlder(chatId: string): Promise<void>;
  };
  online(): boolean;
  chat(chatId: string): ChatSummary | undefined;
  chats(): Iterable<ChatSummary>;
  rest<T>(method: string, path: string, body?: unknown): Promise<T>;
  history(chatId: string, q: { beforeSeq: number; limit: number }): Promise<ServerFrameOf<'history'>>;
  commit(frame: { chatId: string; clientMsgId: string; epoch: number; envelope: Envelope }): Promise<ServerFrameOf<'ack'>>;
  claim(chatId: string, userIds: string[]): Promise<ClaimedKeyPackage[]>;
  openDirect(userId: string): Promise<ChatSummary>;
  /** Puts content in the chat's outbox (`membersSince`: a message sent again, R32). */
  post(chatId: string, content: Content, opts?: { membersSince?: number; auto?: true }): Promise<string>;
  /** What this device wrote to the chat and the server has not acknowledged yet, oldest first. */
  outboxContents(chatId: string): Content[];
  changed(chatId?: string): void;
  /** Sends what can go; with a chat, its message waiting for the group tries again at once. */
  flushOutbox(chatId?: string): void;
  onError(error: { task: 'encryption-group' | 'key-log'; error: unknown }): void;
  /** R51: a draft from another device of this user came through the note-to-self chat. */
  onDraft?(content: Extract<Content, { kind: 'draft' }>): void;
  /** R32: ask by itself for unreadable messages to be sent again this long after they arrive; null: only when asked. */
  resendAskAfterMs: number | null;
  /** R36: outside an existing group this long after first asking to be added (R29), start it again; 0 never. */
  restartAfterWaitingMs: number;
  /** R36b: the most devices one commit adds (default MLS_MAX_ADDS_PER_COMMIT). */
  maxAddsPerCommit?: number;
  /** R33: a member's device verified another history of a user's key log than this device did. */
  onKeyLogSplit(alert: KeyLogSplitAlert): Promise<unknown>;
  keyLogHeads?: KeyLogHeadsOptions | undefined;
}

/**
 * What ParleyClient does around the MLS codec: keeps each chat's group in line with its members'
 * devices (reconcile, R18; messages wait while a leaf no longer belongs, R34), asks to be re-added
 * (R29) and answers such asks, rotates leaf keys, shares history with the user's new devices through
 * the note-to-self chat, names encrypted groups, checks members against the key log and compares
 * key-log heads with them (R33). One per client; the client forwards events here.
 */
export class ChatEncryption {
  readonly #d: ChatEncryptionDeps;
  #stopped = false;
  readonly #groupStatus = new Map<string, GroupStatus>();
  /** The next check of each chat's group, and when it is due. */
  readonly #reconcileTimers = new Map<string, { timer: ReturnType<typeof setTimeout>; due: number }>();
  readonly #reconcileTries = new Map<string, number>();
  readonly #reconcileRunning = new Set<string>();
  readonly #reconcileAgain = new Set<string>();
  /** History other devices of this user shared, per chat and seq (kept in meta `history:<chatId>`). */
  readonly #history = new Map<string, Map<number, HistoryEntry>>();
  readonly #historyShared = new Set<string>();
  /** Shares under way (including their wait for the new device to join the note-to-self group). */
  readonly #sharing = new Set<string>();
  readonly #owed: OwedShares;
  /** R29: devices that asked to be added again, per chat (memberKey → when asked). */
  readonly #rejoins = new Map<string, Map<string, number>>();
  readonly #readdDone = new Map<string, number>();
  readonly #waitingSince = new Map<string, number>();
  readonly #rejoinAskedAt = new Map<string, number>();
  /** R29: per chat, the `reachableAt` of this device's key packages it asked to be added for (rejoinDue). */
  readonly #reachableAsked = new Map<string, number>();
  /** R36: when this device first asked to be added to each chat it is still outside of (this run; connected time only in effect: checks run while online). */
  readonly #firstRejoinAsk = new Map<string, number>();
  /** R32: asking for unreadable messages again, and answering such asks. */
  readonly resends: MessageResends;
  /** R33: the key-log heads this device and the chats' other devices verified, compared. */
  readonly heads: KeyLogHeadGossip;
  readonly #removal: RemovalCheck;

  constructor(deps: ChatEncryptionDeps) {
    this.#d = deps;
    this.#owed = new OwedShares(deps.store);
    // R69, R82: this device's own automatic posts (resend asks and answers, key-log heads) stay out of a
    // chat where the server would refuse them or where they would use up this member's slow-mode slot
    // (judged again when they go: `auto`).
    const autoPost: typeof deps.post = (chatId, content, opts) => (mayAutoPost(deps.chat(chatId), deps.userId) ? deps.post(chatId, content, { ...opts, auto: true }) : Promise.resolve(''));
    this.resends = new MessageResends({
      userId: deps.userId, deviceId: deps.deviceId, store: deps.store, mls: deps.mls,
      log: (chatId) => deps.sync.log(chatId),
      post: autoPost,
      outboxContents: (chatId) => deps.outboxContents(chatId),
      changed: (chatId) => deps.changed(chatId),
      askAfterMs: deps.resendAskAfterMs,
      now: () => Date.now(),
      onError: (error) => deps.onError({ task: 'encryption-group', error }),
    });
    this.heads = new KeyLogHeadGossip({
      userId: deps.userId, deviceId: deps.deviceId, store: deps.store, keys: deps.keys, mls: deps.mls,
      chat: (chatId) => deps.chat(chatId),
      chats: () => deps.chats(),
      post: (chatId, content) => autoPost(chatId, content),
      online: () => deps.online(),
      now: () => Date.now(),
      onSplit: (alert) => deps.onKeyLogSplit(alert),
      onError: (error) => deps.onError({ task: 'key-log', error }),
      options: deps.keyLogHeads,
    });
    this.#removal = new RemovalCheck({
      hold: deps.hold, keys: deps.keys, me: { userId: deps.userId, deviceId: deps.deviceId },
      fetchDevices: async (chatId) => (await deps.rest<ChatDevicesResponse>('GET', `/chats/${chatId}/devices`)).devices,
      members: (chatId) => deps.mls.members(chatId), waiting: (chatId) => deps.outboxContents(chatId).length, released: (chatId) => deps.flushOutbox(chatId),
    });
  }

  stop(): void {
    this.#stopped = true;
    this.resends.stop();
    this.heads.stop();
    for (const t of this.#reconcileTimers.values()) clearTimeout(t.timer);
  }

  /** Refreshes what `encryption()` says for a chat (after its log moved the group). */
  async refresh(chatId: string): Promise<void> {
    this.#groupStatus.set(chatId, await this.#d.mls.status(chatId));
    await this.resends.load(chatId);
  }

  /** Asks the chat's members to add this device to its encryption group again (R29): the way out of "waiting". */
  async requestRejoin(chatId: string): Promise<void> {
    this.#rejoinAskedAt.set(chatId, Date.now());
    await this.#d.rest('POST', `/chats/${encodeURIComponent(chatId)}/rejoin`);
  }

  /** A member's device asked to be added again (R29). At most once a minute per device: a server can't make members churn a group by replaying it. */
  onRejoinRequested(frame: { chatId: string; userId: string; deviceId: string }): void {
    const key = `${frame.chatId}:${frame.userId}:${frame.deviceId}`;
    if (Date.now() - (this.#readdDone.get(key) ?? 0) < 60_000) return;
    let asks = this.#rejoins.get(frame.chatId);
    if (!asks) this.#rejoins.set(frame.chatId, (asks = new Map()));
    asks.set(`${frame.userId}:${frame.deviceId}`, Date.now());
    this.schedule(frame.chatId, 0);
  }

  /** Fills messages this device could not read from history its other devices shared (before they are stored). */
  async fillFromHistory(chatId: string, messages: readonly Message[]): Promise<void> {
    const shared = await this.historyFor(chatId);
    if (shared.size > 0) applyHistory(messages, shared);
  }

  /**
   * After a batch of a chat's log was decoded and stored: shares history with new devices of this
   * user, takes history shared with this one, and refreshes the chat's status after a commit.
   * True when the status was refreshed (the outbox may be able to send now).
   */
  async afterDecode(chatId: string, messages: readonly StoredMessage[]): Promise<boolean> {
    const { userId, deviceId } = this.#d;
    let handshake = false;
    for (const m of messages) {
      const d = m.decoded;
      // R36: a commit this device could not apply; it starts the chat's group again (after its rank delay).
      if (d?.kind === 'unreadable' && d.reason === 'commit_failed') this.schedule(chatId, 0);
      // R15: a commit-typed entry the server did not order as a commit: applied by no device here, but
      // an older device may have: check the group against the server's epoch (R36).
      if (d?.kind === 'unreadable' && (d.detail === 'not_ordered_as_commit' || d.detail === 'commit_epoch_mismatch')) this.schedule(chatId, 0);
      if (d?.kind === 'handshake') {
        handshake = true;
        for (const key of d.added) if (key.startsWith(`${userId}:`) && key !== `${userId}:${deviceId}`) void this.shareHistory(chatId, key.slice(userId.length + 1));
      }
      // R51: drafts come from this user's other devices, in the note-to-self chat only.
      if (d?.kind === 'content' && d.content.kind === 'draft' && m.senderUserId === userId && m.senderDeviceId !== deviceId) {
        const chat = this.#d.chat(chatId);
        if (chat && this.isSelfChat(chat)) this.#d.onDraft?.(d.content);
      }
      // Only this user's own devices may share history with it (the MLS sender was checked in the codec).
      if (d?.kind === 'content' && d.content.kind === 'history' && d.content.forDevice === deviceId && m.senderUserId === userId) {
        void this.takeHistory(d.content).catch((error: unknown) => this.#d.onError({ task: 'encryption-group', error }));
      }
    }
    try {
      await this.resends.afterDecode(chatId, messages);
    } catch (error) {
      this.#d.onError({ task: 'encryption-group', error });
    }
    this.heads.afterDecode(chatId, messages);
    if (!handshake && this.#groupStatus.has(chatId)) return false;
    await this.refresh(chatId);
    return true;
  }

  /** Publishes this device's MLS key in the key log (R20) before its key packages: others check leaves against it. */
  async publishKey(): Promise<void> {
    const keeper = this.#d.keyPackages;
    if (!keeper) return;
    try {
      await this.#d.keys.publish(await keeper.identity());
    } catch (err) {
      if (!(err instanceof Disconnected) && !this.#stopped) this.#d.onError({ task: 'key-log', error: err });
    }
    const reachable = keeper.reachableAt;
    keeper.replenish();
    // R29: its first key packages just reached the server: where it waits outside a group, it asks now (rejoinDue).
    void keeper.idle().then(() => {
      if (keeper.reachableAt !== reachable) for (const chatId of this.#waitingSince.keys()) this.schedule(chatId, 0);
    });
  }

  /** With MLS, a device that has no group for a chat starts its log at the commit that welcomed it. */
  async findStart(chatId: string, targetSeq: number): Promise<number | undefined> {
    const mls = this.#d.mls;
    if (!mls || (await mls.status(chatId)) !== 'waiting') return undefined;
    let before = targetSeq + 1;
    for (let pages = 0; pages < 20 && before > 1; pages++) {
      const page = await this.#d.history(chatId, { beforeSeq: before, limit: 100 });
      for (const m of [...page.messages].reverse()) if (await mls.welcomesMe(m)) return m.seq;
      const first = page.messages[0]?.seq;
      if (first === undefined || first >= before) return undefined;
      before = first;
    }
    return undefined;
  }

  /** The newest end-to-end encrypted group name this device can read (outbox first: what it just set). */
  groupName(chatId: string): string | undefined {
    const pending = this.#d.outboxContents(chatId);
    for (let i = pending.length - 1; i >= 0; i--) {
      const c = pending[i];
      if (c?.kind === 'chat_info') return c.name;
    }
    const log = this.#d.sync.log(chatId) as readonly StoredMessage[];
    for (let i = log.length - 1; i >= 0; i--) {
      const d = log[i]?.decoded;
      if (d?.kind === 'content' && d.content.kind === 'chat_info') return d.content.name;
    }
    return undefined;
  }

  /**
   * R79: the newest `field` a `chat_info` of the chat carried (a community's description, '' when
   * cleared, or its directory of open chats), outbox first, as `groupName` reads names.
   */
  groupInfo<K extends keyof CommunityInfo>(chatId: string, field: K): CommunityInfo[K] {
    const pending = this.#d.outboxContents(chatId);
    for (let i = pending.length - 1; i >= 0; i--) {
      const c = pending[i];
      if (c?.kind === 'chat_info' && c[field] !== undefined) return c[field];
    }
    const log = this.#d.sync.log(chatId) as readonly StoredMessage[];
    for (let i = log.length - 1; i >= 0; i--) {
      const d = log[i]?.decoded;
      if (d?.kind === 'content' && d.content.kind === 'chat_info' && d.content[field] !== undefined) return d.content[field];
    }
    return undefined;
  }

  isSelfChat(chat: ChatSummary): boolean {
    return isNoteToSelf(chat, this.#d.userId);
  }

  /** The user's note-to-self chat (created on first use): where its devices share history. */
  async #selfChat(): Promise<string | undefined> {
    for (const chat of this.#d.chats()) if (this.isSelfChat(chat)) return chat.chatId;
    try {
      return (await this.#d.openDirect(this.#d.userId)).chatId;
    } catch {
      return undefined;
    }
  }

  /** R51: sends this device's draft to the user's other devices through the note-to-self chat. */
  async shareDraft(content: Extract<Content, { kind: 'draft' }>): Promise<void> {
    const self = await this.#selfChat();
    if (self && self !== content.chatId) await this.#d.post(self, content);
  }

  async historyFor(chatId: string): Promise<Map<number, HistoryEntry>> {
    let map = this.#history.get(chatId);
    if (!map) {
      const stored = await this.#d.store.getMeta(`history:${chatId}`);
      map = new Map((stored ? (JSON.parse(stored) as HistoryEntry[]) : []).map((e) => [e.seq, e]));
      this.#history.set(chatId, map);
    }
    return map;
  }

  /**
   * Another device of this user was added to a chat's group: the first of this user's devices in
   * that group sends it the chat's earlier messages it holds, through the note-to-self chat, once
   * the new device is in that chat's group too (else it could not decrypt them).
   */
  async shareHistory(chatId: string, deviceId: string): Promise<void> {
    const key = `${chatId}:${deviceId}`;
    if (!this.#d.mls || this.#stopped || this.#historyShared.has(key) || this.#sharing.has(key)) return;
    this.#sharing.add(key);
    try {
      await this.#owed.add({ chatId, deviceId });
      await this.#tryShare(chatId, deviceId, 0);
    } catch (err) {
      this.#sharing.delete(key); // still owed: resumed at the next connect
      this.#d.onError({ task: 'encryption-group', error: err });
    }
  }

  /** Shares still owed from before a restart or a failure (OwedShares): on coming online. */
  async resumeHistoryShares(): Promise<void> {
    for (const { chatId, deviceId } of await this.#owed.list()) void this.shareHistory(chatId, deviceId);
  }

  async #tryShare(chatId: string, deviceId: string, attempt: number): Promise<void> {
    const mls = this.#d.mls;
    const key = `${chatId}:${deviceId}`;
    const settle = async () => {
      this.#sharing.delete(key);
      await this.#owed.remove({ chatId, deviceId });
    };
    if (!mls || this.#stopped) return;
    const self = await this.#selfChat();
    if (!self) throw new Error('no note-to-self chat to share history through');
    if (self === chatId) return settle();
    const mine = (await mls.members(chatId)).filter((m) => m.userId === this.#d.userId && m.deviceId !== deviceId);
    if (mine[0]?.deviceId !== this.#d.deviceId) return settle(); // another device of this user shares
    const entries = historyEntries(this.#d.sync.log(chatId));
    if (entries.length === 0) return settle();
    if (!(await mls.members(self)).some((m) => m.userId === this.#d.userId && m.deviceId === deviceId)) {
      this.schedule(self, 0);
      if (attempt < 40) {
        setTimeout(() => void this.#tryShare(chatId, deviceId, attempt + 1).catch((err: unknown) => {
          this.#sharing.delete(key);
          this.#d.onError({ task: 'encryption-group', error: err });
        }), 1500);
      } else {
        this.#sharing.delete(key); // still owed: tried again at the next connect
      }
      return;
    }
    this.#historyShared.add(key);
    for (const chunk of historyChunks(entries)) await this.#d.post(self, { kind: 'history', chatId, forDevice: deviceId, entries: chunk });
    await settle(); // posted: the outbox keeps it from here
  }

  /** History shared with this device: kept, applied to what is loaded, and older pages loaded to show it. */
  async takeHistory(h: Extract<Content, { kind: 'history' }>): Promise<void> {
    const map = await this.historyFor(h.chatId);
    for (const e of h.entries) map.set(e.seq, e);
    await this.#d.store.setMeta(`history:${h.chatId}`, JSON.stringify([...map.values()]));
    const changed = applyHistory(this.#d.sync.log(h.chatId), map);
    if (changed.length > 0) {
      await this.#d.store.putMessages(changed);
      this.#d.changed(h.chatId);
    }
    const oldest = Math.min(...h.entries.map((e) => e.seq));
    while (this.#d.sync.hasOlder(h.chatId) && (this.#d.sync.log(h.chatId)[0]?.seq ?? 0) > oldest) {
      const before = this.#d.sync.log(h.chatId)[0]?.seq;
      await this.#d.sync.loadOlder(h.chatId);
      if (this.#d.sync.log(h.chatId)[0]?.seq === before) break;
    }
  }

  encryption(chatId: string): EncryptionState {
    if (!this.#d.mls) return 'off';
    const status = this.#groupStatus.get(chatId) ?? 'waiting';
    return status === 'ready' ? 'on' : status;
  }

  /**
   * Soon, re-checks that the chat's MLS group holds exactly its members' devices (R18) and commits
   * the difference. Devices later in the group's leaf order wait a little longer, so usually one
   * device does it and the others find nothing left to do. Asked while a check runs, it checks
   * again afterwards (the running one may have read the devices before the change); asked while a
   * later retry is pending, it brings the retry forward.
   */
  schedule(chatId: string, delayMs: number): void {
    if (!this.#d.mls || this.#stopped) return;
    if (this.#reconcileRunning.has(chatId)) {
      this.#reconcileAgain.add(chatId);
      return;
    }
    const due = Date.now() + delayMs;
    const pending = this.#reconcileTimers.get(chatId);
    if (pending && pending.due <= due) return;
    if (pending) clearTimeout(pending.timer);
    this.#reconcileTimers.set(chatId, { due, timer: setTimeout(() => void this.#run(chatId), delayMs) });
  }

  /** The outbox holds a message for a removal (R34): commit it now rather than after this device's rank delay. */
  held(chatId: string): void {
    if (!this.#removal.cut(chatId) && !this.#reconcileRunning.has(chatId) && !this.#reconcileTimers.has(chatId)) this.schedule(chatId, 0);
  }

  async #run(chatId: string): Promise<void> {
    this.#reconcileTimers.delete(chatId);
    this.#reconcileRunning.add(chatId);
    let retryMs: number | undefined;
    try {
      retryMs = await this.#reconcile(chatId);
    } finally {
      this.#reconcileRunning.delete(chatId);
    }
    if (this.#reconcileAgain.delete(chatId)) this.schedule(chatId, 0);
    else if (retryMs !== undefined) this.schedule(chatId, retryMs);
  }

  /**
   * R36: this device's group is at a later epoch than the server's chat (it applied a commit the
   * server never counted: an older or malicious server, a rolled-back database). Every commit of
   * its own would be refused as `epoch_conflict`, for good: it marks the group broken and starts it
   * again. The server's epoch only moves forward and counts every commit it delivers, so a snapshot
   * asked for after this device's epoch was read is never behind it unless the server lost count.
   */
  async #checkAhead(chatId: string, chat: ChatSummary): Promise<ChatSummary> {
    const mls = this.#d.mls;
    const mine = await mls.epoch(chatId);
    if (mine === undefined || mine <= chat.mlsEpoch || (await mls.status(chatId)) !== 'ready') return chat;
    const fresh = (await this.#d.rest<{ chat: ChatSummary }>('GET', `/chats/${chatId}`)).chat;
    if (mine > fresh.mlsEpoch) await mls.broken.mark(chatId, { epoch: mine, seq: fresh.lastSeq, by: 'server', code: EPOCH_AHEAD_OF_SERVER });
    return fresh;
  }

  /** One check of the chat's group; returns when to check again (a lost race, a partial add, an error), if at all. */
  async #reconcile(chatId: string): Promise<number | undefined> {
    const mls = this.#d.mls;
    if (!mls || this.#stopped || !this.#d.online() || !this.#d.chat(chatId)) return undefined;
    let retryMs: number | undefined;
    try {
      const members = await mls.members(chatId);
      const rank = Math.max(0, members.findIndex((m) => m.userId === this.#d.userId && m.deviceId === this.#d.deviceId));
      if (rank > 0 && this.#d.rankDelayMs > 0) await this.#removal.rankDelay(chatId, Math.min(rank, 8) * this.#d.rankDelayMs);
      let { chat } = await this.#d.rest<{ chat: ChatSummary }>('GET', `/chats/${chatId}`);
      await this.#d.sync.catchUp(chatId, chat.lastSeq);
      chat = await this.#checkAhead(chatId, chat);
      const devices = await this.#removal.devices(chatId);
      let acked: Message | undefined;
      const asks = [...(this.#rejoins.get(chatId)?.keys() ?? [])];
      const firstAsked = this.#firstRejoinAsk.get(chatId);
      const restartOutside = this.#d.restartAfterWaitingMs > 0 && firstAsked !== undefined && Date.now() - firstAsked >= this.#d.restartAfterWaitingMs;
      const result = await mls.reconcile(chatId, {
        ...(restartOutside ? { restartOutside } : {}),
        ...(this.#d.maxAddsPerCommit !== undefined ? { maxAdds: this.#d.maxAddsPerCommit } : {}),
        readd: asks.map((k) => ({ userId: k.slice(0, k.indexOf(':')), deviceId: k.slice(k.indexOf(':') + 1) })),
        serverEpoch: chat.mlsEpoch,
        devices,
        rotateAfterMs: this.#d.rotateAfterMs,
        claim: (userIds) => this.#d.claim(chatId, userIds),
        send: async ({ epoch, envelope, clientMsgId }) => {
          try {
            const ack = await this.#d.commit({ chatId, clientMsgId, epoch, envelope });
            acked = { chatId, seq: ack.seq, clientMsgId, senderUserId: this.#d.userId, senderDeviceId: this.#d.deviceId, sentAt: ack.sentAt, envelope, system: null, commitEpoch: epoch };
            return 'accepted';
          } catch (err) {
            if (err instanceof ParleyError && (err.code === 'epoch_conflict' || err.code === 'mls_commit_incomplete')) return 'conflict';
            if (err instanceof ParleyError && err.code === 'mls_group_info_required') return 'group_info_required';
            throw err;
          }
        },
      });
      if (acked) await this.#d.sync.receive(acked);
      if (result.kind === 'committed' || result.kind === 'in_sync') {
        for (const k of asks) this.#readdDone.set(`${chatId}:${k}`, Date.now());
        this.#rejoins.delete(chatId);
      }
      if (result.kind === 'committed' || result.kind === 'committed_partly') {
        if (acked && result.added.length > 0) this.heads.groupGrew(chatId, acked.seq);
        for (const key of result.added) if (key.startsWith(`${this.#d.userId}:`)) void this.shareHistory(chatId, key.slice(this.#d.userId.length + 1));
        // Devices just added can't read the older message that named the group: name it again for them.
        // R69, R82: not where the server would refuse it or it would take this member's slow-mode slot.
        const name = chat.kind === 'group' && result.added.length > 0 && mayAutoPost(chat, this.#d.userId) ? this.groupName(chatId) : undefined;
        // R79: a community's description and directory go with it.
        const description = name ? this.groupInfo(chatId, 'description') : undefined;
        const chats = name ? this.groupInfo(chatId, 'chats') : undefined;
        if (name) await this.#d.post(chatId, { kind: 'chat_info', name, announce: true, ...(description ? { description } : {}), ...(chats ? { chats } : {}) });
      }
      if (result.kind === 'waiting' && chat.mlsEpoch > 0) {
        // Still outside a group that exists: after 10 s, or once its first key packages are on the server, ask the members to add this device (R29).
        const since = this.#waitingSince.get(chatId) ?? Date.now();
        this.#waitingSince.set(chatId, since);
        const reachableAt = this.#d.keyPackages.reachableAt;
        const due = rejoinDue({ now: Date.now(), waitingSince: since, askedAt: this.#rejoinAskedAt.get(chatId), reachableAt, reachableAsked: this.#reachableAsked.get(chatId) });
        if (due) {
          if (due === 'waited' && !this.#firstRejoinAsk.has(chatId)) this.#firstRejoinAsk.set(chatId, Date.now());
          if (due === 'reachable' && reachableAt !== undefined) this.#reachableAsked.set(chatId, reachableAt);
          // The server limits asks per device and chat (PARLEY_RATE_REJOIN_PER_HOUR): refused, this one waits for the next turn.
          await (due === 'waited' ? this.requestRejoin(chatId) : this.#d.rest('POST', `/chats/${encodeURIComponent(chatId)}/rejoin`)).catch((err: unknown) => {
            if (!(err instanceof ParleyError && err.code === 'rate_limited')) throw err;
          });
        }
        // Look again every 10 s, and when a restart (R36) falls due; waiting is not a failure to back off from.
        const asked = this.#firstRejoinAsk.get(chatId);
        const restartIn = asked === undefined || this.#d.restartAfterWaitingMs <= 0 ? Infinity : asked + this.#d.restartAfterWaitingMs - Date.now();
        retryMs = Math.max(200, Math.min(10_000, restartIn));
        this.#reconcileTries.delete(chatId);
      } else {
        this.#waitingSince.delete(chatId);
        this.#firstRejoinAsk.delete(chatId);
      }
      this.#groupStatus.set(chatId, await mls.status(chatId));
      this.#d.changed(chatId);
      this.#d.flushOutbox();
      if (result.kind === 'conflict') retryMs = 200;
      else if (result.kind === 'committed_partly' && result.more) {
        // R36b: the next part of a big add goes at once; progress, not a failure to back off from.
        this.#reconcileTries.delete(chatId);
        retryMs = 50;
      } else if (result.kind === 'committed_partly') retryMs = 5000;
      else if (retryMs === undefined) this.#reconcileTries.delete(chatId);
    } catch (err) {
      if (this.#stopped || (err instanceof ParleyError && err.code === 'device_revoked')) return undefined;
      // A server limit (commits per chat, claims, REST) says when to come back: no error, just wait.
      if (err instanceof ParleyError && err.code === 'rate_limited') return (err.retryAfter ?? 1) * 1000 * (1 + Math.random() / 2);
      if (!(err instanceof Disconnected)) this.#d.onError({ task: 'encryption-group', error: err });
      retryMs = 2000;
    }
    if (retryMs === undefined || this.#stopped) return undefined;
    const tries = (this.#reconcileTries.get(chatId) ?? 0) + 1;
    this.#reconcileTries.set(chatId, tries);
    return Math.min(30_000, retryMs * 2 ** Math.min(tries - 1, 6)) * (0.5 + Math.random() / 2);
  }
}
