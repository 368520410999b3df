import { base64ToBytes, bytesToBase64 } from '../encoding.ts';

/**
 * Keys that unlock the browser's SealedStore (docs/ARCHITECTURE.md "Keys at rest on the device").
 * Two kinds, chosen when the store is made and kept (not secret) beside it:
 *  - `local`: a non-extractable AES-GCM key generated once and kept in IndexedDB. Script can use it
 *    but not read it; it opens without asking anyone.
 *  - `prf`: derived with HKDF from the WebAuthn PRF output of the passkey the person signed in with.
 *    Nothing on the device holds it: the passkey is asked once per app load to unlock.
 *  - `passphrase`: PBKDF2-SHA-256 of a passphrase the person chose (an account made without a passkey,
 *    R46). Only the salt and the iteration count are kept; the passphrase is asked once per app load.
 * The Node/CLI key (scrypt passphrase or a key file) is in packages/cli/src/store-key.ts.
 */
export type StoreKeyKind =
  | { kind: 'local' }
  /** `credentialId` base64url, `salt` base64 (HKDF salt, random per store). */
  | { kind: 'prf'; rpId: string; credentialId: string; salt: string }
  /** `salt` base64 (random per store); `iterations` of PBKDF2-SHA-256. */
  | { kind: 'passphrase'; salt: string; iterations: number };

/**
 * PBKDF2 iterations for a new passphrase key (OWASP's figure for PBKDF2-HMAC-SHA-256). Web Crypto
 * has no memory-hard function (the CLI uses scrypt); the count is kept with the store, so it can grow.
 */
export const PASSPHRASE_ITERATIONS = 600_000;
/** The shortest passphrase the web client accepts. */
export const PASSPHRASE_MIN_LENGTH = 8;

/** Where a structured-cloneable value is kept: IndexedDbStore's putValue/getValue/putValueIfAbsent. */
export interface KeyValueSlot {
  getValue<T>(key: string): Promise<T | undefined>;
  putValue(key: string, value: unknown): Promise<void>;
  /** Atomic: two tabs making the key at once must end up with the same one. */
  putValueIfAbsent<T>(key: string, value: T): Promise<T>;
}

const KIND_SLOT = 'store-key-kind';
const LOCAL_KEY_SLOT = 'store-key-local';

/**
 * The PRF input (`extensions.prf.eval.first`) Parley asks every passkey for. Constant on purpose: the
 * PRF is already secret per credential, and a constant lets the sign-in ceremony itself, before the
 * store exists, return the secret. The per-store randomness is the HKDF salt.
 */
export const STORE_KEY_PRF_INPUT: Uint8Array<ArrayBuffer> = new TextEncoder().encode('parley/store-key/v1');
const HKDF_INFO = new TextEncoder().encode('parley store key v1');

export async function getStoreKeyKind(slot: KeyValueSlot): Promise<StoreKeyKind | undefined> {
  return slot.getValue<StoreKeyKind>(KIND_SLOT);
}

export async function setStoreKeyKind(slot: KeyValueSlot, kind: StoreKeyKind): Promise<void> {
  await slot.putValue(KIND_SLOT, kind);
}

/** The browser default: a non-extractable AES-256-GCM key made once and kept in IndexedDB (structured clone). */
export async function localStoreKey(slot: KeyValueSlot): Promise<CryptoKey> {
  const kept = await slot.getValue<CryptoKey>(LOCAL_KEY_SLOT);
  if (kept instanceof CryptoKey) return kept;
  const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
  return slot.putValueIfAbsent(LOCAL_KEY_SLOT, key);
}

/** The store key from a passkey's PRF output: HKDF-SHA-256(prf, salt, "parley store key v1"), non-extractable. */
export async function storeKeyFromPrf(prfOutput: BufferSource, salt: Uint8Array): Promise<CryptoKey> {
  const ikm = await crypto.subtle.importKey('raw', prfOutput, 'HKDF', false, ['deriveKey']);
  return crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(salt), info: HKDF_INFO },
    ikm, { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt'],
  );
}

/** The store key from a passphrase: PBKDF2-SHA-256(NFC passphrase, salt, iterations), non-extractable. */
export async function storeKeyFromPassphrase(passphrase: string, kind: Extract<StoreKeyKind, { kind: 'passphrase' }>): Promise<CryptoKey> {
  const material = await crypto.subtle.importKey('raw', new TextEncoder().encode(passphrase.normalize('NFC')), 'PBKDF2', false, ['deriveKey']);
  return crypto.subtle.deriveKey(
    { name: 'PBKDF2', hash: 'SHA-256', salt: new Uint8Array(base64ToBytes(kind.salt)), iterations: kind.iterations },
    material, { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt'],
  );
}

/** A new `passphrase` kind (fresh salt) and the key it gives. */
export async function newPassphraseStoreKey(passphrase: string, iterations = PASSPHRASE_ITERATIONS): Promise<{ kind: StoreKeyKind; key: CryptoKey }> {
  if (passphrase.length < PASSPHRASE_MIN_LENGTH) throw new Error(`a passphrase has at least ${PASSPHRASE_MIN_LENGTH} characters`);
  const kind = { kind: 'passphrase' as const, salt: bytesToBase64(crypto.getRandomValues(new Uint8Array(16))), iterations };
  return { kind, key: await storeKeyFromPassphrase(passphrase, kind) };
}

/** A new `prf` kind for the credential that returned `prfOutput`, and the key it gives. */
export async function newPrfStoreKey(prfOutput: BufferSource, credentialId: string, rpId: string): Promise<{ kind: StoreKeyKind; key: CryptoKey }> {
  const salt = crypto.getRandomValues(new Uint8Array(32));
  return { kind: { kind: 'prf', rpId, credentialId, salt: bytesToBase64(salt) }, key: await storeKeyFromPrf(prfOutput, salt) };
}

/** The PRF extension input to add to a WebAuthn create/get request (`publicKey.extensions`). */
export function prfExtension(): { prf: { eval: { first: Uint8Array<ArrayBuffer> } } } {
  return { prf: { eval: { first: STORE_KEY_PRF_INPUT } } };
}

/**
 * The PRF output in a ceremony's client extension results, and removes it from them: it must never
 * be sent to the server with the rest of the response. Undefined when the authenticator has no PRF.
 */
export function takePrfOutput(clientExtensionResults: unknown): ArrayBuffer | undefined {
  const results = clientExtensionResults as { prf?: { results?: { first?: unknown } } } | undefined;
  const first = results?.prf?.results?.first;
  if (results?.prf) delete results.prf;
  if (first instanceof ArrayBuffer) return first;
  if (ArrayBuffer.isView(first)) return new Uint8Array(first.buffer, first.byteOffset, first.byteLength).slice().buffer;
  return undefined;
}

/**
 * Asks the passkey for its PRF output again (once per app load) and derives the store key. Purely
 * local: the assertion is not sent anywhere, so the challenge is random and nothing verifies it.
 */
export async function unlockWithPasskey(kind: Extract<StoreKeyKind, { kind: 'prf' }>): Promise<CryptoKey> {
  const credential = await navigator.credentials.get({
    publicKey: {
      challenge: crypto.getRandomValues(new Uint8Array(32)),
      rpId: kind.rpId,
      allowCredentials: [{ type: 'public-key', id: base64UrlToBytes(kind.credentialId) }],
      userVerification: 'required',
      extensions: prfExtension(),
    },
  }) as PublicKeyCredential | null;
  const output = credential ? takePrfOutput(credential.getClientExtensionResults()) : undefined;
  if (!output) throw new Error('the passkey gave no PRF secret');
  return storeKeyFromPrf(output, base64ToBytes(kind.salt));
}

function base64UrlToBytes(value: string): Uint8Array<ArrayBuffer> {
  const bytes = base64ToBytes(value.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (value.length % 4)) % 4));
  return new Uint8Array(bytes);
}
