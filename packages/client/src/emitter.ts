type Handler = (...args: unknown[]) => void;

/** A minimal typed event emitter that works the same in browsers and Node. */
export class Emitter<Events extends Record<string, unknown[]>> {
  readonly #handlers = new Map<keyof Events, Set<Handler>>();

  on<E extends keyof Events>(event: E, handler: (...args: Events[E]) => void): () => void {
    let set = this.#handlers.get(event);
    if (!set) this.#handlers.set(event, (set = new Set()));
    const h = handler as unknown as Handler;
    set.add(h);
    return () => set.delete(h);
  }

  protected emit<E extends keyof Events>(event: E, ...args: Events[E]): void {
    for (const handler of [...(this.#handlers.get(event) ?? [])]) {
      try {
        handler(...args);
      } catch (err) {
        console.error('parley: event handler failed', err);
      }
    }
  }
}
