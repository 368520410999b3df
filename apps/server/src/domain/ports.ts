/** What the domain needs from the outside world, injected so tests are deterministic. */
export interface Clock {
  now(): number;
}

export interface Random {
  /** A url-safe random id of `bytes` random bytes (default 16). */
  id(bytes?: number): string;
  bytes(n: number): Uint8Array;
}

export const systemClock: Clock = { now: () => Date.now() };

export const cryptoRandom: Random = {
  bytes(n) {
    return crypto.getRandomValues(new Uint8Array(n));
  },
  id(bytes = 16) {
    return toBase64Url(this.bytes(bytes));
  },
};

export function toBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}
