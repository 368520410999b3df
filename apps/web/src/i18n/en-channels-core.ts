/** English texts of public channels that are part of `en`: the chat list rows, New chat's buttons, error texts (the rest are en-channels.ts, in the channel screens' chunk). */
export const enChannelsCore = {
  chNew: 'New channel',
  chFind: 'Find channels',
  chRowHint: 'Public channel · @{handle}',
  chWrappedUnnamed: 'Private channel',
  chWrappedRowHint: 'End-to-end encrypted · keys wrapped per device',
  chCreateNote: 'A public channel can be read by anyone, with or without an account. Its posts are not encrypted; each is signed on an admin’s device.',
  chNotFound: 'No such channel.',
  chAdminOnly: 'Only the channel’s admins can do this.',
  chLimit: 'A channel limit was reached.',
  chPinLimit: 'This channel has as many pinned posts as it may hold: unpin one first.',
  chPostTooLarge: 'The post is too long.',
} as const;
