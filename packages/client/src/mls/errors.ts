import {
  CodecError,
  CryptoError,
  CryptoVerificationError,
  DependencyError,
  UsageError,
  ValidationError,
} from 'ts-mls/mlsError.js';

/** Stable codes for everything the MLS layer can refuse. Callers switch on `code`, never on message text. */
export const MLS_ERROR_CODES = {
  /** The message belongs to an epoch we are not in (future, or past the retention window). */
  mls_wrong_epoch: 'message epoch is not one we can process',
  /** The message names another group. */
  mls_wrong_group: 'message belongs to another group',
  /** AEAD opening failed: wrong key or a modified ciphertext / sender data. */
  mls_decrypt_failed: 'decryption failed',
  /** Decrypted, but a signature, confirmation tag or membership tag did not verify. */
  mls_tampered: 'authentication failed',
  /** The generation key was already used (a replay) or was evicted from the retention window. */
  mls_replayed: 'message key already consumed',
  /** The bytes are not a well-formed MLS message of the expected kind. */
  mls_malformed: 'malformed MLS message',
  /** A well-formed message of the wrong kind for this call (e.g. a commit given to decrypt()). */
  mls_unexpected_message: 'unexpected MLS message kind',
  /** A commit that fails RFC 9420 validation. */
  mls_invalid_commit: 'commit rejected',
  /** A key package that fails validation. */
  mls_invalid_key_package: 'key package rejected',
  /** A Welcome that fails validation (signature, confirmation tag, tree). */
  mls_invalid_welcome: 'welcome rejected',
  /** R35b: the Welcome carries no ratchet tree and none was given (the server kept none for its epoch). */
  mls_tree_missing: 'welcome has no ratchet tree and none was given',
  /** None of our key packages is named by the Welcome. */
  mls_welcome_not_for_us: 'welcome is not addressed to any of our key packages',
  /** We are not (or no longer) a member, or a named member does not exist. */
  mls_not_member: 'not a member of the group',
  /** A commit of ours awaits the delivery service's verdict: merge or discard it first. */
  mls_pending_commit: 'a commit is pending',
  mls_no_pending_commit: 'no commit is pending',
  /** The cipher suite is unknown, not installed, or differs from the group's. */
  mls_unsupported_suite: 'cipher suite not supported',
  /** A stored identity or group state could not be read back. */
  mls_invalid_state: 'stored MLS state is invalid',
  mls_invalid_identity: 'invalid MLS identity',
  /** Anything ts-mls raised that we do not classify; the cause is kept. */
  mls_internal: 'internal MLS error',
} as const;

export type MlsErrorCode = keyof typeof MLS_ERROR_CODES;

export class MlsSessionError extends Error {
  readonly code: MlsErrorCode;
  constructor(code: MlsErrorCode, message?: string, options?: { cause?: unknown }) {
    super(message ?? MLS_ERROR_CODES[code], options);
    this.name = 'MlsSessionError';
    this.code = code;
  }
}

export function isMlsSessionError(e: unknown, code?: MlsErrorCode): e is MlsSessionError {
  return e instanceof MlsSessionError && (code === undefined || e.code === code);
}

/** What the caller was doing when ts-mls threw: decides how a generic ValidationError is classified. */
export type MlsOperation = 'decrypt' | 'handshake' | 'join' | 'commit' | 'encrypt' | 'key_package';

/**
 * Translate a ts-mls (or WebCrypto) failure into a typed error. Always keeps the original as `cause`.
 * ts-mls only distinguishes error classes, so the replay case is recognised by its message; if that text
 * changes in a new ts-mls version the replay test fails and shows it here.
 */
export function toMlsError(e: unknown, op: MlsOperation): MlsSessionError {
  if (e instanceof MlsSessionError) return e;
  const detail = e instanceof Error ? e.message : String(e);
  const wrap = (code: MlsErrorCode): MlsSessionError => new MlsSessionError(code, `${MLS_ERROR_CODES[code]}: ${detail}`, { cause: e });
  if (e instanceof CryptoVerificationError) return wrap('mls_tampered');
  if (e instanceof CryptoError) return wrap(op === 'decrypt' || op === 'handshake' ? 'mls_decrypt_failed' : 'mls_internal');
  // ts-mls reports undecryptable sender data as a CodecError, so on the receive path it means "did not open".
  if (e instanceof CodecError) return wrap(op === 'decrypt' || op === 'handshake' ? 'mls_decrypt_failed' : 'mls_malformed');
  if (e instanceof DependencyError) return wrap('mls_unsupported_suite');
  if (e instanceof UsageError) return wrap(/removed/i.test(detail) ? 'mls_not_member' : 'mls_internal');
  if (e instanceof ValidationError) {
    if (/gen(eration)? in the past/i.test(detail)) return wrap('mls_replayed');
    if (/epoch/i.test(detail)) return wrap('mls_wrong_epoch');
    switch (op) {
      case 'decrypt':
        return wrap('mls_tampered');
      case 'handshake':
        return wrap('mls_invalid_commit');
      case 'join':
        return wrap('mls_invalid_welcome');
      case 'key_package':
      case 'commit':
        return wrap('mls_invalid_key_package');
      case 'encrypt':
        return wrap('mls_internal');
    }
  }
  return wrap('mls_internal');
}
