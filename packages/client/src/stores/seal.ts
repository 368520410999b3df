/**
 * The sealed-record format of the local store (docs/ARCHITECTURE.md "Keys at rest on the device"):
 *
 *   "PRLYSEAL" (8 bytes) · version 1 (1 byte) · IV (12 random bytes) · AES-256-GCM ciphertext+tag
 *
 * The associated data names the record's place (`messages:<chatId>:<seq>…`, `mlsGroup:<chatId>`), so
 * a sealed record copied into another slot fails to open instead of being read as that slot's.
 */

export const STORE_SEAL_ERROR_CODES = {
  /** The store is locked: no key was given yet, or it was locked again. */
  store_locked: 'the local store is locked',
  /** The key given does not open this store (another passkey, another key file, a new local key). */
  store_key_mismatch: 'this key does not open the local store',
  /** A sealed record failed to open with the right key: damaged, altered or moved to another place. */
  store_record_invalid: 'a record of the local store is damaged or was moved',
} as const;
export type StoreSealErrorCode = keyof typeof STORE_SEAL_ERROR_CODES;

export class StoreSealError extends Error {
  override readonly name = 'StoreSealError';
  readonly code: StoreSealErrorCode;
  constructor(code: StoreSealErrorCode, detail?: string) {
    super(`${STORE_SEAL_ERROR_CODES[code]}${detail ? ` (${detail})` : ''}`);
    this.code = code;
  }
}

export function isStoreSealError(err: unknown, code?: StoreSealErrorCode): err is StoreSealError {
  return err instanceof StoreSealError && (code === undefined || err.code === code);
}

const MAGIC = new TextEncoder().encode('PRLYSEAL');
const VERSION = 1;
const HEADER = MAGIC.length + 1;
const IV_BYTES = 12;
const encoder = new TextEncoder();

/** Whether `bytes` is a sealed record (anything else is a record written before sealing). */
export function isSealed(bytes: Uint8Array): boolean {
  if (bytes.length < HEADER + IV_BYTES + 16) return false;
  for (let i = 0; i < MAGIC.length; i++) if (bytes[i] !== MAGIC[i]) return false;
  return bytes[MAGIC.length] === VERSION;
}

function additionalData(place: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(`parley-store/v${VERSION}/${place}`);
}

/** Encrypts `plaintext` for the record at `place` under `key` (AES-256-GCM, fresh random 96-bit IV). */
export async function seal(key: CryptoKey, place: string, plaintext: Uint8Array): Promise<Uint8Array> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const ciphertext = new Uint8Array(
    await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: additionalData(place) }, key, new Uint8Array(plaintext)),
  );
  const out = new Uint8Array(HEADER + IV_BYTES + ciphertext.length);
  out.set(MAGIC, 0);
  out[MAGIC.length] = VERSION;
  out.set(iv, HEADER);
  out.set(ciphertext, HEADER + IV_BYTES);
  return out;
}

/** Opens a record sealed for `place`; throws `store_record_invalid` when it does not open. */
export async function open(key: CryptoKey, place: string, sealed: Uint8Array): Promise<Uint8Array> {
  if (!isSealed(sealed)) throw new StoreSealError('store_record_invalid', place);
  const iv = sealed.slice(HEADER, HEADER + IV_BYTES);
  try {
    return new Uint8Array(
      await crypto.subtle.decrypt({ name: 'AES-GCM', iv, additionalData: additionalData(place) }, key, sealed.slice(HEADER + IV_BYTES)),
    );
  } catch {
    throw new StoreSealError('store_record_invalid', place);
  }
}

export async function sealJson(key: CryptoKey, place: string, value: unknown): Promise<Uint8Array> {
  return seal(key, place, encoder.encode(JSON.stringify(value)));
}

export async function openJson<T>(key: CryptoKey, place: string, sealed: Uint8Array): Promise<T> {
  return JSON.parse(new TextDecoder().decode(await open(key, place, sealed))) as T;
}
