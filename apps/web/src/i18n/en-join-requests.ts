/** English texts of asking to join and of answering join requests (R100-R101), in the community screens' chunks (communities/join-text.ts); the rest are en-join.ts, part of `en`. */
export const enJoinRequests = {
  inviteNeedsApproval: 'New members need an admin’s approval',
  inviteNeedsApprovalHint: 'Whoever opens the link asks to join; an admin approves or declines.',
  joinNeedsApproval: 'An admin of this community approves new members.',
  joinNoteLabel: 'A note for the admins (optional)',
  joinNotePlaceholder: 'e.g. flat 12, second entrance',
  joinAskButton: 'Ask to join',
  joinRequestSent: 'Request sent. You will be let in once an admin approves it.',
  joinRequestDeclined: 'Your request to join was declined.',
  joinRequestCancel: 'Cancel request',
  joinRequestCancelled: 'Request cancelled.',
  joinRequestsTitle: 'Join requests',
  joinRequestsNone: 'No one is waiting.',
  joinRequestApprove: 'Approve',
  joinRequestDecline: 'Decline',
  joinRequestAsked: 'asked {when}',
};
