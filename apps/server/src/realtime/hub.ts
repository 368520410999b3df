import type { Bus, BusEvent } from '../bus/bus.ts';

/** What the hub needs of a connection. */
export interface HubMember {
  readonly userId: string;
  readonly deviceId: string;
  deliver(event: BusEvent, topic: string, frame: () => string): void;
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

  constructor(bus: Bus) {
    this.#bus = bus;
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

  isUserOnline(userId: string): boolean {
    return this.#byUser.has(userId);
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
    default:
      return '';
  }
}
