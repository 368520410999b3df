import type { Bus, BusEvent, BusHandler } from './bus.ts';

export interface MemoryBusOptions {
  /** A handler threw. Default: console.error. The other handlers still get the event. */
  onError?: (err: unknown) => void;
}

/** The in-process bus of a single node: synchronous dispatch to local subscribers. */
export class MemoryBus implements Bus {
  readonly #topics = new Map<string, Set<BusHandler>>();
  readonly #onError: (err: unknown) => void;

  constructor(opts: MemoryBusOptions = {}) {
    this.#onError = opts.onError ?? ((err) => console.error('bus handler failed', err));
  }

  async publish(topic: string, event: BusEvent): Promise<void> {
    const handlers = this.#topics.get(topic);
    if (!handlers) return;
    for (const handler of [...handlers]) {
      try {
        handler(event);
      } catch (err) {
        this.#onError(err);
      }
    }
  }

  subscribe(topic: string, handler: BusHandler): () => void {
    let handlers = this.#topics.get(topic);
    if (!handlers) this.#topics.set(topic, (handlers = new Set()));
    handlers.add(handler);
    return () => {
      handlers.delete(handler);
      if (handlers.size === 0 && this.#topics.get(topic) === handlers) this.#topics.delete(topic);
    };
  }

  /** One process cannot lose its own events: never fires. */
  onResync(_handler: () => void): () => void {
    return () => {};
  }

  /** Topics with at least one subscriber. */
  get topicCount(): number {
    return this.#topics.size;
  }

  #presence: (userId: string) => readonly string[] = () => [];

  servePresence(local: (userId: string) => readonly string[]): void {
    this.#presence = local;
  }

  async onlineDevices(userId: string): Promise<Set<string>> {
    return new Set(this.#presence(userId));
  }

  connected(): boolean {
    return true;
  }

  async close(): Promise<void> {
    this.#topics.clear();
  }
}
