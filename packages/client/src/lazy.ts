/** The async methods of `T`: what a lazily loaded part of the SDK offers before it is loaded. */
export type AsyncMethods<T> = { [K in keyof T as T[K] extends (...args: never[]) => Promise<unknown> ? K : never]: T[K] };

/**
 * A part of the SDK loaded on its first use (its code is a chunk of its own in the web bundle, so the
 * chat screen does not pay for it): each async method loads it once, then calls through.
 */
export function lazyAsync<T extends object>(load: () => Promise<T>): AsyncMethods<T> {
  let loaded: Promise<T> | undefined;
  return new Proxy({}, {
    get: (_target, key) => async (...args: unknown[]) => {
      const part = await (loaded ??= load());
      const method = Reflect.get(part, key) as unknown;
      if (typeof method !== 'function') throw new TypeError(`no method ${String(key)}`);
      return (method as (...a: unknown[]) => unknown).apply(part, args);
    },
  }) as AsyncMethods<T>;
}
