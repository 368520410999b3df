/** English texts of key-log-alerts.tsx, in its lazy chunk (useChunkI18n); the app's are en.ts. */
export const enKeyLogAlerts = {
  keyLogUnknownTitle: 'The server lists a device key for your account that is not one of your devices',
  keyLogUnknownBody: 'It was added to your account’s key list on {time}, but your account has no such device. Your contacts’ apps may encrypt your chats to it: tell them not to trust messages from it. The server may be compromised.',
  keyLogNewTitle: 'New key for your account: {name}, {time}',
  keyLogOwnForkedTitle: 'The server rewrote the history of your own device keys',
  keyLogOwnInvalidTitle: 'The server sent a broken list of your own device keys',
  keyLogOwnBrokenBody: 'It no longer matches what this device saw before. Someone may be trying to read your chats: check your devices and verify your contacts again.',
  reviewDevices: 'Review devices',
  keyLogSplitTitle: '{name}’s key history differs between what you and {sender} see',
  keyLogSplitOwnTitle: 'Your own key history differs between what you and {sender} see',
  keyLogSplitBody: 'The server may be showing different keys to different people. Compare safety numbers with {target} in person or on a call, and ask {sender} to do the same, before you trust what this chat says.',
  keyLogSplitOwnBody: 'The server may be showing others keys for your account that are not yours. Compare safety numbers with {sender} in person or on a call before you trust what this chat says.',
  compareSafetyNumbers: 'Compare safety numbers',
};
