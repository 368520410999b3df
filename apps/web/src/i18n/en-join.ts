/** English texts of join requests (R100-R101): invite links that need approval. Part of `en`; the screens' own texts are en-join-requests.ts, in their chunks. */
export const enJoin = {
  sysModJoinApproved: '{name} approved {other}’s request to join',
  sysModJoinApprovedYou: '{name} approved your request to join',
  sysModJoinDeclined: '{name} declined a request to join',
  errJoinApprovalRequired: 'This link needs an admin’s approval: ask to join instead.',
  errJoinRequestsFull: 'This community has too many requests waiting. Try again later.',
  errJoinRequestClosed: 'This request was already answered or cancelled.',
  admissionAwaiting: 'You are waiting for an admin to admit you. Until then members’ apps hold their messages to this community’s chats.',
  admissionNotAdmittedTitle: 'Not admitted yet',
  admissionNotAdmittedHint: 'No admin approved these members or gave them an invite link. Members’ apps hold their messages until they are admitted or removed.',
  admissionAdmit: 'Admit',
  admissionAdmitMember: 'Admit {name}',
} as const;
