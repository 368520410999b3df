/**
 * A set of byte strings (public keys), compared by content. Keyed by a number made of the first six
 * bytes, with the whole bytes compared only when two share it: a tree's keys are checked for
 * uniqueness at every commit (15,000 keys at 5,000 members), and a string per key cost more than the
 * rest of the check.
 */
export class KeySet {
  readonly #byPrefix = new Map<number, Uint8Array | Uint8Array[]>();

  /** False, and nothing added, when the set has these bytes already. */
  add(key: Uint8Array): boolean {
    const p = prefix(key);
    const found = this.#byPrefix.get(p);
    if (found === undefined) {
      this.#byPrefix.set(p, key);
      return true;
    }
    const list = Array.isArray(found) ? found : [found];
    if (list.some((k) => equal(k, key))) return false;
    this.#byPrefix.set(p, [...list, key]);
    return true;
  }

  has(key: Uint8Array): boolean {
    const found = this.#byPrefix.get(prefix(key));
    return found !== undefined && (Array.isArray(found) ? found.some((k) => equal(k, key)) : equal(found, key));
  }
}

/** The length and the first six bytes, as an exact integer (below 2^53). */
function prefix(b: Uint8Array): number {
  let p = Math.min(b.length, 31);
  for (let i = 0; i < 6; i++) p = p * 256 + (b[i] ?? 0);
  return p;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
