import { CALL_RING_MS, type CallContent, type ChatSummary, type Message } from '@parley/protocol';

/** R124: a group call someone just started in one of this person's groups, ringing on this device. */
export interface GroupRing {
  chatId: string;
  /** The starter's join (R63 `callId`). */
  joinId: string;
  fromUserId: string;
  media: 'audio' | 'video';
  startedAt: number;
}

/** R124: the cap when the server does not say (PARLEY_CALL_RING_MAX_MEMBERS's default). */
export const GROUP_CALL_RING_MAX_MEMBERS = 32;

export interface GroupRingsDeps {
  userId: string;
  chat(chatId: string): ChatSummary | undefined;
  /** The server's cap on members of a group whose calls ring (GET /info), fetched once. */
  maxMembers?: () => Promise<number | undefined>;
  /** Whether this device is in the chat's group call already. */
  inCall(chatId: string): boolean;
  changed(): void;
  ringMs?: number;
  now(): number;
}

/**
 * R124: group calls ringing on this device. A `group_join` that says `ring` (its device found the
 * room empty) rings every other member's devices that see it within the ring time, in groups of at
 * most the server's cap and where the person has not muted the chat; it stops when the ring time
 * is over, when the person dismisses it or joins (on this device or another: their own join is in
 * the log too), or when the starter leaves again.
 */
export class GroupRings {
  readonly #d: GroupRingsDeps;
  readonly #rings = new Map<string, { ring: GroupRing; timer: ReturnType<typeof setTimeout> }>();
  #cap: Promise<number> | undefined;

  constructor(deps: GroupRingsDeps) {
    this.#d = deps;
  }

  list(): GroupRing[] {
    return [...this.#rings.values()].map((r) => r.ring);
  }

  /** Whether a group of this many members rings (the server's cap). */
  async rings(memberCount: number): Promise<boolean> {
    this.#cap ??= (this.#d.maxMembers?.() ?? Promise.resolve(undefined)).then((n) => n ?? GROUP_CALL_RING_MAX_MEMBERS, () => GROUP_CALL_RING_MAX_MEMBERS);
    return memberCount <= await this.#cap;
  }

  /** A group call entry of the chat's log (fresh, in order). */
  async received(chatId: string, message: Message, content: CallContent): Promise<void> {
    const mine = message.senderUserId === this.#d.userId;
    const current = this.#rings.get(chatId)?.ring;
    if (content.action === 'group_join' && mine) return this.stop(chatId); // joined on one of this person's devices
    if (content.action === 'group_leave' && current && current.joinId === content.callId && current.fromUserId === message.senderUserId) return this.stop(chatId);
    if (content.action !== 'group_join' || !content.ring) return;
    const chat = this.#d.chat(chatId);
    const now = this.#d.now();
    const left = (this.#d.ringMs ?? CALL_RING_MS) - (now - message.sentAt);
    if (!chat || chat.kind !== 'group' || left <= 0 || (chat.prefs?.mutedUntil ?? 0) > now || this.#d.inCall(chatId)) return;
    if (!(await this.rings(chat.members.length))) return;
    this.stop(chatId, false);
    const ring: GroupRing = { chatId, joinId: content.callId, fromUserId: message.senderUserId, media: content.media ?? 'audio', startedAt: message.sentAt };
    this.#rings.set(chatId, { ring, timer: setTimeout(() => this.stop(chatId), left) });
    this.#d.changed();
  }

  /** Stops the chat's ring on this device (dismissed, joined, over). */
  stop(chatId: string, notify = true): void {
    const r = this.#rings.get(chatId);
    if (!r) return;
    clearTimeout(r.timer);
    this.#rings.delete(chatId);
    if (notify) this.#d.changed();
  }

  stopAll(): void {
    for (const chatId of [...this.#rings.keys()]) this.stop(chatId, false);
  }
}
