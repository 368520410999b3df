import { createHash, createHmac, createPublicKey, timingSafeEqual, verify } from 'node:crypto';
import { ParleyError } from '@parley/protocol';

/** Hashes for high-entropy secrets (session tokens, recovery codes): sha256 is enough for them. */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

export function equalHex(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Verifies an Ed25519 signature made with a raw 32-byte public key (base64). */
export function verifyEd25519(publicKeyB64: string, data: Uint8Array, signatureB64: string): boolean {
  const raw = Buffer.from(publicKeyB64, 'base64');
  const signature = Buffer.from(signatureB64, 'base64');
  if (raw.length !== 32 || signature.length !== 64) return false;
  try {
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
    return verify(null, data, key, signature);
  } catch {
    return false;
  }
}

/**
 * Stateless, server-signed tokens (auth challenges, passkey ceremonies): `payload.mac`, both
 * base64url. Any node holding the same secret can check them, so a cluster needs no shared state.
 */
export class TokenSigner {
  readonly #secret: Buffer;
  constructor(secret: Uint8Array) {
    if (secret.length < 32) throw new Error('token secret must be at least 32 bytes');
    this.#secret = Buffer.from(secret);
  }

  sign(kind: string, data: Record<string, unknown>, expiresAt: number): string {
    const payload = Buffer.from(JSON.stringify({ ...data, k: kind, exp: expiresAt })).toString('base64url');
    return `${payload}.${this.#mac(payload)}`;
  }

  /** Returns the data or throws `challenge_expired` (bad mac, wrong kind or expired alike). */
  verify(kind: string, token: string, now: number): Record<string, unknown> {
    const [payload, mac, extra] = token.split('.');
    if (!payload || !mac || extra !== undefined) throw new ParleyError('challenge_expired', 'invalid or expired challenge');
    const expected = Buffer.from(this.#mac(payload));
    const given = Buffer.from(mac);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
      throw new ParleyError('challenge_expired', 'invalid or expired challenge');
    }
    let data: unknown;
    try {
      data = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      throw new ParleyError('challenge_expired', 'invalid or expired challenge');
    }
    if (typeof data !== 'object' || data === null) throw new ParleyError('challenge_expired', 'invalid challenge');
    const record = data as Record<string, unknown>;
    if (record['k'] !== kind || typeof record['exp'] !== 'number' || record['exp'] < now) {
      throw new ParleyError('challenge_expired', 'invalid or expired challenge');
    }
    return record;
  }

  /** A keyed hash (hex) of `value`: stored instead of a value that must be compared but not read back (R43's sources). */
  digest(value: string): string {
    return createHmac('sha256', this.#secret).update(`digest\0${value}`).digest('hex');
  }

  #mac(payload: string): string {
    return createHmac('sha256', this.#secret).update(payload).digest('base64url');
  }
}
