/** English texts of group call ringing (R124), loaded with the ring notice's chunk (calls/group-ring.tsx). */
export const enRing = {
  gringVoice: '{name} started a group call in {chat}',
  gringVideo: '{name} started a group video call in {chat}',
  gringJoin: 'Join',
  gringJoinEnding: 'End call and join',
  gringJoinLeaving: 'Leave your call and join',
  gringDismiss: 'Dismiss',
} as const;
