import type { Message } from '@parley/protocol';
import type { Bus, BusEvent } from '../bus/bus.ts';

/** What the hub needs of a connection. */
export interface HubMember {
  readonly userId: string;
  readonly deviceId: string;
  deliver(event: BusEvent, topic: string, frame: () => string): void;
  /** Sends the connection its chats' summaries again, so its client fills any gap (R4). */
  resync(): void;
}

/**
 * The node's local fan-out: one bus subscription per topic that has local listeners, however
 * many connections listen to it, and the presence of this node's connected users/devices.
 * A frame is serialized once per event and the same string goes to every listener.
 */
export class Hub {
  readonly #bus: Bus;
  readonly #topics = new Map<string, { members: Set<HubMember>; unsubscribe: () => void }>();
  readonly #byUser = new Map<string, Set<HubMember>>();

  readonly #onDispatch: ((message: Message, listeners: number) => void) | undefined;

  /** `onDispatch` is told of each message event fanned out here and to how many connections (metrics). */
  constructor(bus: Bus, onDispatch?: (message: Message, listeners: number) => void) {
    this.#bus = bus;
    this.#onDispatch = onDispatch;
  }

  join(member: HubMember, topic: string): void {
    let entry = this.#topics.get(topic);
    if (!entry) {
      const members = new Set<HubMember>();
      const unsubscribe = this.#bus.subscribe(topic, (event) => this.#dispatch(topic, members, event));
      entry = { members, unsubscribe };
      this.#topics.set(topic, entry);
    }
    entry.members.add(member);
  }

  leave(member: HubMember, topic: string): void {
    const entry = this.#topics.get(topic);
    if (!entry) return;
    entry.members.delete(member);
    if (entry.members.size === 0) {
      entry.unsubscribe();
      this.#topics.delete(topic);
    }
  }

  online(member: HubMember): void {
    let set = this.#byUser.get(member.userId);
    if (!set) this.#byUser.set(member.userId, (set = new Set()));
    set.add(member);
  }

  offline(member: HubMember): void {
    const set = this.#byUser.get(member.userId);
    if (!set) return;
    set.delete(member);
    if (set.size === 0) this.#byUser.delete(member.userId);
  }

  onlineDevices(userId: string): Set<string> {
    return new Set([...(this.#byUser.get(userId) ?? [])].map((m) => m.deviceId));
  }

  get topicCount(): number {
    return this.#topics.size;
  }

  #dispatch(topic: string, members: Set<HubMember>, event: BusEvent): void {
    let frame: string | undefined;
    const lazyFrame = () => (frame ??= serializeEvent(event));
    for (const member of [...members]) member.deliver(event, topic, lazyFrame);
    if (event.type === 'message') this.#onDispatch?.(event.message, members.size);
  }

  /** Every connection on this node re-reads its chats (after a bus outage events may be lost). */
  resyncAll(): void {
    for (const members of this.#byUser.values()) for (const member of members) member.resync();
  }
}

/** The wire frame for events that go out unchanged to every listener. */
function serializeEvent(event: BusEvent): string {
  switch (event.type) {
    case 'message':
      return JSON.stringify({ type: 'message', message: event.message });
    case 'receipt':
      return JSON.stringify({ type: 'receipt', chatId: event.chatId, userId: event.userId, kind: event.kind, upToSeq: event.upToSeq });
    case 'typing':
      return JSON.stringify({ type: 'typing', chatId: event.chatId, userId: event.userId });
    case 'channel_post':
      return JSON.stringify({ type: 'channel_post', channelId: event.channelId, seq: event.seq });
    case 'wrapped_post':
      return JSON.stringify({ type: 'wrapped_post', communityId: event.communityId, seq: event.seq, ...(event.info ? { info: true } : {}), ...(event.deleted ? { deleted: true } : {}), ...(event.edit ? { edit: true } : {}) });
    case 'wrapped_votes':
      return JSON.stringify({ type: 'wrapped_votes', communityId: event.communityId, seq: event.seq });
    default:
      return '';
  }
}
