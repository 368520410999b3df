/** English texts of passkeys-card.tsx, in its lazy chunk (useChunkI18n); the app's are en.ts. */
export const enPasskeys = {
  passkeysTitle: 'Passkeys',
  passkeysHelp: 'A passkey signs you in on a new browser or device without the recovery code. Add one if this account has none, or another as a spare.',
  addPasskey: 'Add a passkey',
  passkeyAdded: 'Passkey added. Sign in with it on any device where it is available.',
  passkeysUnavailable: 'This browser can’t make passkeys. Add one on another device where you are signed in, or sign in elsewhere by linking or with the recovery code.',
  protectionLocal: 'Messages on this browser are encrypted with a key kept in this browser: anyone who can use this browser profile can read them.',
  protectionPassphrase: 'Messages on this browser are locked with your passphrase, asked each time Parley opens.',
  protectionPrf: 'Messages on this browser are locked with your passkey, asked each time Parley opens.',
};
