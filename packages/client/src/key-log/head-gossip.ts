import { MAX_KEY_LOG_HEADS, type ChatSummary, type Content, type KeyLogEntry, type KeyLogHeadOf } from '@parley/protocol';
import { NetworkError } from '../api.ts';
import { Disconnected } from '../connection.ts';
import { MLS_APP_CONTENT_TYPE } from '../e2ee/envelopes.ts';
import type { MemberIdentity } from '../mls/index.ts';
import type { ClientStore, StoredMessage } from '../store.ts';
import { headOf } from './chain.ts';
import { isKeyLogError } from './errors.ts';
import type { KeyLogSplitAlert } from './own-log-monitor.ts';

/** R33 limits; every one an option of the client (`mls.keyLogHeads`). */
export interface KeyLogHeadsOptions {
  /** A device tells one chat at most this often (ms). */
  minIntervalMs?: number;
  /** It waits this long after a change before it tells, so a burst of changes makes one message (ms). */
  settleMs?: number;
  /**
   * And this much longer per rank in the group's leaf order (at most MAX_RANKS), so usually the first
   * device tells and the others, hearing the heads they would have sent, stay quiet (ms).
   */
  rankDelayMs?: number;
  /** How long the server may take to show this device an entry another member verified (ms). */
  graceMs?: number;
}

export const KEY_LOG_HEADS_DEFAULTS: Required<KeyLogHeadsOptions> = {
  minIntervalMs: 5 * 60_000,
  settleMs: 2000,
  rankDelayMs: 1500,
  graceMs: 2 * 60_000,
};
const MAX_RANKS = 8;
/** Claims waiting for this device's log to reach them, per chat; more are dropped (a flood of them is a member's doing). */
const MAX_PENDING = 200;
/** A fetch that failed for the network is tried again this soon (ms). */
const RETRY_MS = 30_000;

/** How a head another device verified compares with this device's verified log of that user. */
export type HeadVerdict =
  /** This device has that entry, with that hash. */
  | 'same'
  /** This device has another entry at that index: the two were shown different histories. */
  | 'differs'
  /** The sender saw further than this device: fetch the log, then judge again. */
  | 'ahead';

/**
 * The comparison of R33. `log` is verified (R22: contiguous from index 1, each hash chaining on the
 * previous one), so equal hashes at one index mean equal histories up to it, and comparing a
 * single entry is enough.
 */
export function judgeHead(log: readonly KeyLogEntry[], head: { index: number; hash: string }): HeadVerdict {
  const entry = log[head.index - 1];
  if (!entry) return 'ahead';
  return entry.index === head.index && entry.hash === head.hash ? 'same' : 'differs';
}

export interface KeyLogHeadGossipDeps {
  userId: string;
  deviceId: string;
  store: Pick<ClientStore, 'getMeta' | 'setMeta'>;
  keys: {
    /** The user's log as this device last verified it, no fetch. */
    verified(userId: string): Promise<KeyLogEntry[]>;
    /** Fetched and verified now (maxAgeMs 0); throws KeyLogError when the server's log does not extend what this device saw. */
    log(userId: string, maxAgeMs?: number): Promise<KeyLogEntry[]>;
  };
  mls: {
    /** The devices in this device's view of the chat's group, in leaf order. */
    members(chatId: string): Promise<MemberIdentity[]>;
    status(chatId: string): Promise<'ready' | 'waiting' | 'removed'>;
  };
  chat(chatId: string): ChatSummary | undefined;
  chats(): Iterable<ChatSummary>;
  post(chatId: string, content: Content): Promise<string>;
  online(): boolean;
  now(): number;
  /** A split view found: shown to the person through the key-log alerts (R31's list), once per id. */
  onSplit(alert: KeyLogSplitAlert): Promise<unknown>;
  onError(error: unknown): void;
  options?: KeyLogHeadsOptions | undefined;
}

/** A user's head as said in the chat: by this device, or by another that said what this device would have. */
interface Told { index: number; hash: string; /** The log position it was said at (this device's own: the chat's last seq when it posted). */ seq: number }
/** A head the sender saw past this device's view: judged once this device's log reaches it, or after the grace period. */
interface Pending extends KeyLogHeadOf { senderUserId: string; senderDeviceId: string; seq: number; since: number; fetched: boolean }
interface ChatHeads { v: 1; told: Record<string, Told>; sentAt: number; seen: number; pending: Pending[] }

const STATE_KEY = (chatId: string) => `key-log-heads:${chatId}`;
type Timer = { timer: ReturnType<typeof setTimeout>; due: number };

/**
 * R33: the devices of a chat tell each other, inside its MLS group, the key-log heads they verified
 * for its members, and each checks what it hears against its own verified logs. A server that
 * shows two members different (each self-consistent) histories of a user's log is then caught by
 * the members, which R22 alone can't do: it only compares a client with its own past.
 *
 * Quiet by design: a device tells only heads that changed since the chat last heard them (from it
 * or from another device that said the same), waits a little longer the later it is in the group's
 * leaf order, and tells one chat at most every `minIntervalMs`. A commit that adds devices makes
 * the heads news again: the new devices can't read what was said before they joined.
 *
 * What a member can do with false heads: raise a false alarm (once per user and index). It can't
 * make this device accept a key: a head is only ever compared, and the log it may make this
 * device fetch is verified like any (R22).
 */
export class KeyLogHeadGossip {
  readonly #d: KeyLogHeadGossipDeps;
  readonly #o: Required<KeyLogHeadsOptions>;
  readonly #state = new Map<string, ChatHeads>();
  readonly #locks = new Map<string, Promise<unknown>>();
  readonly #tellTimers = new Map<string, Timer>();
  readonly #pendingTimers = new Map<string, Timer>();
  #stopped = false;

  constructor(deps: KeyLogHeadGossipDeps) {
    this.#d = deps;
    this.#o = { ...KEY_LOG_HEADS_DEFAULTS, ...stripUndefined(deps.options ?? {}) };
  }

  stop(): void {
    this.#stopped = true;
    for (const t of [...this.#tellTimers.values(), ...this.#pendingTimers.values()]) clearTimeout(t.timer);
    this.#tellTimers.clear();
    this.#pendingTimers.clear();
  }

  /** Came online: every chat tells what changed while offline, and claims waiting for a fetch are looked at. */
  online(): void {
    for (const chat of this.#d.chats()) {
      this.schedule(chat.chatId);
      this.#background(this.recheck(chat.chatId));
    }
  }

  /** This device verified more of a user's log: the chats that user is in hear of it, and claims about the user are judged again. */
  headMoved(userId: string): void {
    for (const chat of this.#d.chats()) {
      if (!chat.members.some((m) => m.userId === userId)) continue;
      this.schedule(chat.chatId);
      this.#background(this.recheck(chat.chatId));
    }
  }

  /** This device's own commit at `seq` added devices to the chat's group: they never heard the heads said before. */
  groupGrew(chatId: string, seq: number): void {
    this.#background(this.#serial(chatId, async () => {
      const state = await this.#load(chatId);
      forgetTold(state, seq);
      await this.#save(chatId, state);
    }));
    this.schedule(chatId);
  }

  /** After a batch of the chat's log was decoded and stored: takes in the heads other devices told, in log order. */
  afterDecode(chatId: string, messages: readonly StoredMessage[]): void {
    const relevant = messages.some((m) => heads(m, this.#d) !== undefined || (m.decoded?.kind === 'handshake' && m.decoded.added.length > 0));
    if (relevant) this.#background(this.#serial(chatId, () => this.#take(chatId, messages)));
  }

  /** Soon (after settleMs and this device's rank delay), tells the chat the heads that changed. */
  schedule(chatId: string): void {
    if (this.#stopped) return;
    this.#background((async () => {
      const group = await this.#d.mls.members(chatId);
      const rank = Math.max(0, group.findIndex((m) => m.userId === this.#d.userId && m.deviceId === this.#d.deviceId));
      this.#arm(this.#tellTimers, chatId, this.#o.settleMs + Math.min(rank, MAX_RANKS) * this.#o.rankDelayMs, () => this.tell(chatId));
    })());
  }

  /**
   * Tells the chat, now, the heads this device verified for its members that the chat has not
   * heard (the timers call it; tests too). Nothing while the device is outside the group or alone
   * in it, and nothing within `minIntervalMs` of its last telling (it tells then instead).
   */
  tell(chatId: string): Promise<void> {
    return this.#serial(chatId, async () => {
      if (this.#stopped || !this.#d.online()) return;
      const chat = this.#d.chat(chatId);
      if (!chat || (await this.#d.mls.status(chatId)) !== 'ready') return;
      const group = await this.#d.mls.members(chatId);
      if (!group.some((m) => m.userId !== this.#d.userId || m.deviceId !== this.#d.deviceId)) return;
      const state = await this.#load(chatId);
      const now = this.#d.now();
      const fresh: KeyLogHeadOf[] = [];
      for (const { userId } of chat.members) {
        const head = headOf(await this.#d.keys.verified(userId));
        const told = state.told[userId];
        if (head.index === 0 || (told?.index === head.index && told.hash === head.hash)) continue;
        fresh.push({ userId, index: head.index, hash: head.hash });
      }
      if (fresh.length === 0) return;
      const wait = state.sentAt + this.#o.minIntervalMs - now;
      if (wait > 0) {
        this.#arm(this.#tellTimers, chatId, wait, () => this.tell(chatId));
        return;
      }
      for (let i = 0; i < fresh.length; i += MAX_KEY_LOG_HEADS) await this.#d.post(chatId, { kind: 'key_log_heads', heads: fresh.slice(i, i + MAX_KEY_LOG_HEADS) });
      for (const h of fresh) state.told[h.userId] = { index: h.index, hash: h.hash, seq: chat.lastSeq };
      state.sentAt = now;
      await this.#save(chatId, state);
    });
  }

  /** Judges again the claims that waited for this device's log to reach them (the timers call it; tests too). */
  recheck(chatId: string): Promise<void> {
    return this.#serial(chatId, async () => this.#settle(chatId, await this.#load(chatId)));
  }

  async #take(chatId: string, messages: readonly StoredMessage[]): Promise<void> {
    const state = await this.#load(chatId);
    const chat = this.#d.chat(chatId);
    const alerts: KeyLogSplitAlert[] = [];
    let tellAgain = false;
    let group: MemberIdentity[] | undefined;
    for (const m of messages) {
      if (m.seq <= state.seen) continue; // a page scrolled back to, or a batch seen before a restart
      state.seen = m.seq;
      if (m.decoded?.kind === 'handshake' && m.decoded.added.length > 0) {
        forgetTold(state, m.seq);
        tellAgain = true;
        continue;
      }
      const said = heads(m, this.#d);
      if (!said || !chat) continue;
      // Only from a device in the group now, of a user in the chat now (the codec checked the MLS sender is the one the server names).
      group ??= await this.#d.mls.members(chatId);
      if (!group.some((g) => g.userId === m.senderUserId && g.deviceId === m.senderDeviceId) || !chat.members.some((x) => x.userId === m.senderUserId)) continue;
      for (const head of said) {
        if (!chat.members.some((x) => x.userId === head.userId)) continue;
        const log = await this.#d.keys.verified(head.userId);
        const verdict = judgeHead(log, head);
        if (verdict === 'same') {
          if (headOf(log).index === head.index) state.told[head.userId] = { index: head.index, hash: head.hash, seq: m.seq };
        } else if (verdict === 'differs') {
          alerts.push(this.#alert(chat, head.userId, head.index, m, 'hash_differs'));
          delete state.told[head.userId]; // the sender should hear this device's view too
          tellAgain = true;
        } else {
          addPending(state, { ...head, senderUserId: m.senderUserId, senderDeviceId: m.senderDeviceId, seq: m.seq, since: this.#d.now(), fetched: false });
        }
      }
    }
    await this.#save(chatId, state);
    for (const alert of alerts) await this.#d.onSplit(alert);
    if (tellAgain) this.schedule(chatId);
    await this.#settle(chatId, state);
  }

  /** The claims this device's log did not reach: fetch once at once, and again when the grace period is over; then it is a split view. */
  async #settle(chatId: string, state: ChatHeads): Promise<void> {
    if (state.pending.length === 0 || this.#stopped || !this.#d.online()) return;
    const chat = this.#d.chat(chatId);
    const alerts: KeyLogSplitAlert[] = [];
    const keep: Pending[] = [];
    let retry = false;
    let tellAgain = false;
    for (const p of state.pending) {
      const now = this.#d.now();
      const due = now >= p.since + this.#o.graceMs;
      let log = await this.#d.keys.verified(p.userId);
      if (judgeHead(log, p) === 'ahead' && (!p.fetched || due)) {
        try {
          log = await this.#d.keys.log(p.userId, 0);
        } catch (err) {
          // A log that does not extend what this device saw does not reach the sender's entry either: that is the finding.
          if (!isKeyLogError(err)) {
            if (!(err instanceof NetworkError) && !(err instanceof Disconnected)) this.#d.onError(err);
            keep.push(p);
            retry = true;
            continue;
          }
        }
        p.fetched = true;
      }
      if (!chat) continue; // no longer in the chat: nobody to compare with there
      const verdict = judgeHead(log, p);
      if (verdict === 'same') {
        if (headOf(log).index === p.index) state.told[p.userId] = { index: p.index, hash: p.hash, seq: p.seq };
      } else if (verdict === 'differs') {
        alerts.push(this.#alert(chat, p.userId, p.index, p, 'hash_differs'));
        delete state.told[p.userId];
        tellAgain = true;
      } else if (due) {
        // Named by this device's head, not the claimed index: a member inventing ever higher indices raises one alarm, not one per index.
        alerts.push(this.#alert(chat, p.userId, headOf(log).index, p, 'unreached'));
      } else {
        keep.push(p);
      }
    }
    state.pending = keep;
    await this.#save(chatId, state);
    for (const alert of alerts) await this.#d.onSplit(alert);
    if (tellAgain) this.schedule(chatId);
    if (keep.length > 0) {
      const now = this.#d.now();
      const next = Math.min(...keep.map((p) => p.since + this.#o.graceMs)) - now;
      this.#arm(this.#pendingTimers, chatId, retry || next <= 0 ? Math.min(RETRY_MS, this.#o.graceMs) : next, () => this.recheck(chatId));
    }
  }

  #alert(chat: ChatSummary, userId: string, index: number, from: { senderUserId: string; senderDeviceId: string }, reason: KeyLogSplitAlert['reason']): KeyLogSplitAlert {
    const name = (id: string) => chat.members.find((m) => m.userId === id)?.displayName ?? id;
    return {
      id: `key_log_split:${userId}:${index}`, kind: 'key_log_split', reason, userId, userName: name(userId), index,
      chatId: chat.chatId, senderUserId: from.senderUserId, senderDeviceId: from.senderDeviceId, senderName: name(from.senderUserId),
      detectedAt: this.#d.now(),
    };
  }

  /** One chat's state changes one step at a time: decoding, telling and rechecking interleave at awaits. */
  #serial<T>(chatId: string, run: () => Promise<T>): Promise<T> {
    const next = (this.#locks.get(chatId) ?? Promise.resolve()).catch(() => undefined).then(run);
    const tail = next.catch(() => undefined);
    this.#locks.set(chatId, tail);
    void tail.then(() => { if (this.#locks.get(chatId) === tail) this.#locks.delete(chatId); });
    return next;
  }

  #arm(timers: Map<string, Timer>, chatId: string, delayMs: number, run: () => Promise<void>): void {
    if (this.#stopped) return;
    const due = this.#d.now() + delayMs;
    const pending = timers.get(chatId);
    if (pending && pending.due <= due) return;
    if (pending) clearTimeout(pending.timer);
    timers.set(chatId, {
      due,
      timer: unref(setTimeout(() => {
        timers.delete(chatId);
        this.#background(run());
      }, Math.max(0, delayMs))),
    });
  }

  #background(work: Promise<unknown>): void {
    work.catch((err: unknown) => { if (!this.#stopped) this.#d.onError(err); });
  }

  async #load(chatId: string): Promise<ChatHeads> {
    let state = this.#state.get(chatId);
    if (!state) {
      const json = await this.#d.store.getMeta(STATE_KEY(chatId));
      state = this.#state.get(chatId) ?? (json ? (JSON.parse(json) as ChatHeads) : { v: 1, told: {}, sentAt: 0, seen: 0, pending: [] });
      this.#state.set(chatId, state);
    }
    return state;
  }

  async #save(chatId: string, state: ChatHeads): Promise<void> {
    await this.#d.store.setMeta(STATE_KEY(chatId), JSON.stringify(state));
  }
}

/** The heads an end-to-end encrypted message of another device carries; undefined for anything else. */
function heads(m: StoredMessage, me: { userId: string; deviceId: string }): readonly KeyLogHeadOf[] | undefined {
  const d = m.decoded;
  if (d?.kind !== 'content' || d.content.kind !== 'key_log_heads') return undefined;
  // Not plaintext (anyone could have written it), not a copy another device passed on: what the MLS sender said itself.
  if (m.envelope?.contentType !== MLS_APP_CONTENT_TYPE || d.unencrypted || d.shared || d.resent) return undefined;
  if (m.senderUserId === me.userId && m.senderDeviceId === me.deviceId) return undefined;
  return d.content.heads;
}

/** A commit at `seq` added devices: heads said before it are news to them. */
function forgetTold(state: ChatHeads, seq: number): void {
  for (const [userId, told] of Object.entries(state.told)) if (told.seq < seq) delete state.told[userId];
}

/** One claim per (user, sender device), the highest. */
function addPending(state: ChatHeads, claim: Pending): void {
  const i = state.pending.findIndex((p) => p.userId === claim.userId && p.senderUserId === claim.senderUserId && p.senderDeviceId === claim.senderDeviceId);
  const old = i >= 0 ? state.pending[i] : undefined;
  if (old && old.index >= claim.index) return;
  if (old) state.pending[i] = claim;
  else if (state.pending.length < MAX_PENDING) state.pending.push(claim);
}

function stripUndefined(o: KeyLogHeadsOptions): Partial<Required<KeyLogHeadsOptions>> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<Required<KeyLogHeadsOptions>>;
}

/** Node keeps a process alive for a pending timer; a background check must not (browsers have no unref). */
function unref<T>(timer: T): T {
  (timer as { unref?: () => void }).unref?.();
  return timer;
}
