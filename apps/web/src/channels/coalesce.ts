/** The timer functions a coalesced call uses (the page's, or a test's). */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const pageTimers: Timers = { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>) };

/**
 * R182: runs `fn` once, `delayMs` after the first `trigger` of a burst, however many triggers come in
 * between (a wrapped channel's row reads its preview once per burst of post notices, not per post).
 * `cancel` drops a waiting call (the row went away).
 */
export function coalesce(fn: () => void, delayMs: number, timers: Timers = pageTimers): { trigger(): void; cancel(): void } {
  let waiting: unknown;
  let armed = false;
  return {
    trigger() {
      if (armed) return;
      armed = true;
      waiting = timers.setTimeout(() => { armed = false; fn(); }, delayMs);
    },
    cancel() {
      if (armed) timers.clearTimeout(waiting);
      armed = false;
    },
  };
}
