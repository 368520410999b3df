import { isPositionContent, MAX_RESEND_IDS, type Content, type Envelope, type Message } from '@parley/protocol';
import type { ClientStore, StoredMessage, UnreadableReason } from '../store.ts';
import type { MemberIdentity } from '../mls/index.ts';

/**
 * Why a message can't be read where its sender's device sending it again helps (R32). Not
 * `before_join`: a device that joined after a message was not meant to read it (history shared on
 * purpose is the only way in), and not `unknown_format`: it would come back in the same format.
 */
export const RESENDABLE_REASONS: ReadonlySet<UnreadableReason> = new Set<UnreadableReason>(['tampered', 'keys_gone', 'not_in_group', 'group_broken']);

/** Per chat, what the answering device re-sends at most: a burst, then one message every few seconds. */
export const RESEND_ANSWER_LIMIT = { burst: 30, refillMs: 10_000 };
/** Per chat, what a device asks for by itself at most (a person's "Ask to resend" is not limited). */
export const RESEND_AUTO_ASK_LIMIT = { burst: MAX_RESEND_IDS, refillMs: 12_000 };
const KEEP_IDS = 2000;

export interface MessageResendsDeps {
  userId: string;
  deviceId: string;
  store: Pick<ClientStore, 'getMeta' | 'setMeta' | 'putMessages' | 'getMessages'>;
  mls: {
    members(chatId: string): Promise<MemberIdentity[]>;
    epochOf(envelope: Envelope): number | undefined;
    membersSince(chatId: string, epoch: number): Promise<boolean>;
  };
  /** The chat's log as loaded (ascending, contiguous). */
  log(chatId: string): readonly Message[];
  post(chatId: string, content: Content, opts?: { membersSince?: number }): Promise<string>;
  outboxContents(chatId: string): Content[];
  changed(chatId: string): void;
  /** Ask by itself this long after a message turned out unreadable; null: only when asked to. */
  askAfterMs: number | null;
  now(): number;
  onError(error: unknown): void;
}

interface Bucket { tokens: number; at: number }

/**
 * R32, both sides of "send it again". Asking: `request` posts `resend_request` in the chat for
 * messages this device shows unreadable for a reason where that helps (and, unless turned off,
 * does so by itself a little after such a message arrives). Answering: the device that sent a
 * message sends it again as `resent` once per asking device and message, within a per-chat
 * limit, only while every other user's device in the group was already in it when the original
 * was sent (the answer is encrypted for the whole group of now), and nothing for a message its
 * user deleted since. Filling: a `resent` fills only the log position it names, only from the
 * device the server's log says sent the original, and only where this device could not read it.
 */
export class MessageResends {
  readonly #d: MessageResendsDeps;
  /** Message ids this device asked for, per chat (meta `resend-asked:<chatId>`). */
  readonly #asked = new Map<string, Set<string>>();
  readonly #answerBuckets = new Map<string, Bucket>();
  readonly #askBuckets = new Map<string, Bucket>();
  readonly #autoPending = new Map<string, Set<string>>();
  readonly #autoTimers = new Map<string, ReturnType<typeof setTimeout>>();
  #stopped = false;

  constructor(deps: MessageResendsDeps) {
    this.#d = deps;
  }

  stop(): void {
    this.#stopped = true;
    for (const t of this.#autoTimers.values()) clearTimeout(t);
  }

  /** Takes in what this device asked for before (shown as "requested"). */
  async load(chatId: string): Promise<void> {
    if (this.#asked.has(chatId)) return;
    const raw = await this.#d.store.getMeta(`resend-asked:${chatId}`);
    if (this.#asked.has(chatId)) return;
    this.#asked.set(chatId, new Set(raw ? (JSON.parse(raw) as string[]) : []));
    if (raw) this.#d.changed(chatId);
  }

  /** The ids of messages this device asked to be sent again (for the timeline). */
  requested(chatId: string): ReadonlySet<string> {
    return this.#asked.get(chatId) ?? new Set();
  }

  /**
   * Asks the senders' devices to send these messages again. Only messages this device shows
   * unreadable for a RESENDABLE_REASONS reason and has not asked for yet; returns those it asked for.
   */
  async request(chatId: string, clientMsgIds: readonly string[]): Promise<string[]> {
    await this.load(chatId);
    const asked = this.#asked.get(chatId) ?? new Set<string>();
    const wanted = new Set(clientMsgIds);
    const ids = this.#d.log(chatId).filter((m) => wanted.has(m.clientMsgId) && !asked.has(m.clientMsgId) && this.#resendable(m)).map((m) => m.clientMsgId);
    if (ids.length === 0) return [];
    for (const id of ids) asked.add(id);
    this.#asked.set(chatId, asked);
    await this.#d.store.setMeta(`resend-asked:${chatId}`, JSON.stringify([...asked].slice(-KEEP_IDS)));
    for (let i = 0; i < ids.length; i += MAX_RESEND_IDS) await this.#d.post(chatId, { kind: 'resend_request', ids: ids.slice(i, i + MAX_RESEND_IDS) });
    this.#d.changed(chatId);
    return ids;
  }

  /** After a batch of the chat's log was decoded and stored: answers requests, fills from answers, plans its own asks. */
  async afterDecode(chatId: string, batch: readonly StoredMessage[]): Promise<void> {
    const filled: StoredMessage[] = [];
    const seen = Number((await this.#d.store.getMeta(`resend-seen:${chatId}`)) ?? 0);
    let newest = seen;
    for (const m of batch) {
      const d = m.decoded;
      const fromHere = m.senderUserId === this.#d.userId && m.senderDeviceId === this.#d.deviceId;
      if (d?.kind !== 'content' || fromHere) continue;
      // Only requests newer than the last one handled: scrolling back or a replayed page asks nothing twice.
      if (d.content.kind === 'resend_request' && m.seq > seen) {
        newest = Math.max(newest, m.seq);
        await this.#answer(chatId, m, d.content.ids, batch);
      }
      if (d.content.kind === 'resent') {
        const target = await this.#fill(chatId, m, d.content, batch);
        if (target) filled.push(target);
      }
    }
    if (newest > seen) await this.#d.store.setMeta(`resend-seen:${chatId}`, String(newest));
    if (filled.length > 0) {
      await this.#d.store.putMessages(filled);
      this.#d.changed(chatId);
    }
    this.#planAsk(chatId, batch);
  }

  #resendable(m: Message): boolean {
    const d = (m as StoredMessage).decoded;
    const fromHere = m.senderUserId === this.#d.userId && m.senderDeviceId === this.#d.deviceId;
    return !fromHere && d?.kind === 'unreadable' && RESENDABLE_REASONS.has(d.reason);
  }

  /** The sender's side: re-sends what this device itself sent there, if the group may read it. */
  async #answer(chatId: string, request: Message, ids: readonly string[], batch: readonly StoredMessage[]): Promise<void> {
    const members = await this.#d.mls.members(chatId);
    if (!members.some((x) => x.userId === request.senderUserId && x.deviceId === request.senderDeviceId)) return;
    const asker = `${request.senderUserId}:${request.senderDeviceId}`;
    const answeredKey = `resend-answered:${chatId}`;
    const answered = new Set(JSON.parse((await this.#d.store.getMeta(answeredKey)) ?? '[]') as string[]);
    const log = this.#d.log(chatId);
    for (const id of new Set(ids)) {
      const once = `${asker}/${id}`;
      if (answered.has(once)) continue;
      const original = find(batch, log, (o) => o.clientMsgId === id && o.senderUserId === this.#d.userId && o.senderDeviceId === this.#d.deviceId && o.seq < request.seq);
      const d = original?.decoded;
      // Its key-log heads too (R33): nothing to read there, but the asking device is left no unreadable line.
      if (!original?.envelope || d?.kind !== 'content' || !isPositionContent(d.content)) continue;
      const content = d.content;
      // A deleted message is not sent again (nor an edit of one): its text should not travel any more.
      if (this.#deleted(chatId, content.kind === 'edit' ? content.target : id, batch, log)) continue;
      const epoch = this.#d.mls.epochOf(original.envelope);
      if (epoch === undefined || !(await this.#d.mls.membersSince(chatId, epoch))) continue;
      if (!take(this.#answerBuckets, chatId, RESEND_ANSWER_LIMIT, this.#d.now())) return;
      answered.add(once);
      await this.#d.store.setMeta(answeredKey, JSON.stringify([...answered].slice(-KEEP_IDS)));
      // The codec checks the group again when it encrypts (a commit may come first): else it is dropped.
      await this.#d.post(chatId, { kind: 'resent', seq: original.seq, id, content }, { membersSince: epoch });
    }
  }

  #deleted(chatId: string, target: string, batch: readonly StoredMessage[], log: readonly Message[]): boolean {
    const deletes = (c: Content | undefined) => c?.kind === 'delete' && c.target === target;
    if (this.#d.outboxContents(chatId).some(deletes)) return true;
    return [...log, ...batch].some((m) => {
      const d = (m as StoredMessage).decoded;
      return m.senderUserId === this.#d.userId && d?.kind === 'content' && deletes(d.content);
    });
  }

  /** The asking side: the answer fills the position it names, from the original's own sender device only. */
  async #fill(chatId: string, answer: Message, r: Extract<Content, { kind: 'resent' }>, batch: readonly StoredMessage[]): Promise<StoredMessage | undefined> {
    const at = (m: Message) => m.seq === r.seq;
    let target = find(batch, this.#d.log(chatId), at);
    // Not loaded (older than the log this device holds in memory): the stored copy, if any.
    target ??= (await this.#d.store.getMessages(chatId)).find(at);
    if (!target || target.clientMsgId !== r.id || target.seq >= answer.seq) return undefined;
    if (target.senderUserId !== answer.senderUserId || target.senderDeviceId !== answer.senderDeviceId) return undefined;
    if (!this.#resendable(target)) return undefined; // never replaces what this device could read
    target.decoded = { kind: 'content', content: r.content, resent: true };
    return target;
  }

  /** Unless turned off, asks by itself for newly unreadable messages a little later, once each, within a limit. */
  #planAsk(chatId: string, batch: readonly StoredMessage[]): void {
    const delay = this.#d.askAfterMs;
    if (delay === null || this.#stopped) return;
    const asked = this.#asked.get(chatId);
    const fresh = batch.filter((m) => this.#resendable(m) && !asked?.has(m.clientMsgId));
    if (fresh.length === 0) return;
    let pending = this.#autoPending.get(chatId);
    if (!pending) this.#autoPending.set(chatId, (pending = new Set()));
    for (const m of fresh) pending.add(m.clientMsgId);
    if (this.#autoTimers.has(chatId)) return;
    this.#autoTimers.set(chatId, setTimeout(() => {
      this.#autoTimers.delete(chatId);
      const ids = [...(this.#autoPending.get(chatId) ?? [])];
      this.#autoPending.delete(chatId);
      const allowed = ids.filter(() => take(this.#askBuckets, chatId, RESEND_AUTO_ASK_LIMIT, this.#d.now()));
      if (allowed.length > 0 && !this.#stopped) this.request(chatId, allowed).catch((err: unknown) => this.#d.onError(err));
    }, delay));
  }
}

function find<T extends Message>(batch: readonly T[], log: readonly Message[], match: (m: Message) => boolean): StoredMessage | undefined {
  return (batch.find(match) ?? log.find(match)) as StoredMessage | undefined;
}

/** A token bucket per chat: `burst` at once, one more every `refillMs`. */
function take(buckets: Map<string, Bucket>, key: string, limit: { burst: number; refillMs: number }, now: number): boolean {
  const b = buckets.get(key) ?? { tokens: limit.burst, at: now };
  b.tokens = Math.min(limit.burst, b.tokens + (now - b.at) / limit.refillMs);
  b.at = now;
  buckets.set(key, b);
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}
