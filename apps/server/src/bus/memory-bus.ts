import type { Bus, BusEvent, BusHandler } from './bus.ts';

/** The in-process bus of a single node: synchronous dispatch to local subscribers. */
export class MemoryBus implements Bus {
  readonly #topics = new Map<string, Set<BusHandler>>();

  async publish(topic: string, event: BusEvent): Promise<void> {
    const handlers = this.#topics.get(topic);
    if (!handlers) return;
    for (const handler of [...handlers]) handler(event);
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

  async close(): Promise<void> {
    this.#topics.clear();
  }
}
