/** What the key directory refuses. Callers switch on `code`; show `key_log_forked` to the person. */
export const KEY_LOG_ERROR_CODES = {
  /** The server's log no longer extends the history this client saw before: it was rewritten (R22). */
  key_log_forked: 'this contact\'s key history was rewritten by the server',
  /** The server sent a log that does not verify (a hash, an index or an entry is wrong). */
  key_log_invalid: 'the server sent an invalid key log',
  /** The user has no device with a published key: there is nothing to verify yet. */
  no_device_keys: 'this user has no device keys yet',
} as const;

export type KeyLogErrorCode = keyof typeof KEY_LOG_ERROR_CODES;

export class KeyLogError extends Error {
  override readonly name = 'KeyLogError';
  readonly code: KeyLogErrorCode;
  readonly userId: string;
  constructor(code: KeyLogErrorCode, userId: string, detail?: string) {
    super(`${KEY_LOG_ERROR_CODES[code]} (${userId})${detail ? `: ${detail}` : ''}`);
    this.code = code;
    this.userId = userId;
  }
}

export function isKeyLogError(err: unknown, code?: KeyLogErrorCode): err is KeyLogError {
  return err instanceof KeyLogError && (code === undefined || err.code === code);
}
