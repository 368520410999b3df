import { textOrFiles } from '../files/summary.ts';
import { CALL_RING_MS, type Member, type SystemEvent } from '@parley/protocol';
import type { ChatView, TimelineItem } from '@parley/client';
import type { Translate } from '../i18n/index.ts';

/** A chat's name for this reader: the note-to-self chat is "Saved messages", not the user's own name. */
export function chatTitle(t: Translate, chat: Pick<ChatView, 'title' | 'noteToSelf'>): string {
  return chat.noteToSelf ? t('savedMessages') : chat.title;
}

export function memberName(t: Translate, members: readonly Member[], userId: string, myUserId: string): string {
  return userId === myUserId ? t('you') : members.find((m) => m.userId === userId)?.displayName ?? '…';
}

/** A system entry of the log ("Ann added Ben") in the reader's language. */
export function systemText(t: Translate, item: TimelineItem, members: readonly Member[], myUserId: string, noteToSelf = false): string {
  const nameOf = (id: string) => memberName(t, members, id, myUserId);
  // "You created the chat": capitalised where it starts the sentence.
  const name = item.senderUserId === myUserId ? t('youSubject') : nameOf(item.senderUserId);
  if (item.notice === 'encryption_restarted') return t('sysEncryptionRestarted', { name });
  if (item.call) return callText(t, item, myUserId);
  if (item.notice === 'pinned') {
    const text = item.pinOf?.text.replace(/\s+/g, ' ').trim() ?? '';
    return text ? t('sysPinned', { name, text: text.length > 40 ? `${text.slice(0, 40)}…` : text }) : t('sysPinnedMessage', { name });
  }
  if (item.notice === 'rights_not_signed') return t('sysRightsNotSigned', { name });
  if (item.notice === 'member_not_admitted') return t('sysNotAdmitted', { name }); // R152
  if (item.notice === 'deleted_by_moderator') return t('sysDeletedByModerator', { name, other: nameOf(item.deletedOf?.senderUserId ?? '') });
  const s = item.system;
  if (!s) return '';
  switch (s.kind) {
    case 'created': return noteToSelf ? t('savedCreated') : t('sysCreated', { name });
    case 'member_added': return t('sysAdded', { name, other: nameOf(s.userId) });
    case 'member_joined': return t('sysJoined', { name: s.userId === myUserId ? t('youSubject') : nameOf(s.userId) });
    case 'member_left': return t('sysLeft', { name: s.userId === myUserId ? t('youSubject') : nameOf(s.userId) });
    case 'member_removed': return t('sysRemoved', { name, other: nameOf(s.userId) });
    // R70: a handover logs the old owner's own new role, changed by themselves: "You became admin".
    case 'role_changed': if (s.userId === item.senderUserId) return t(s.role === 'member' ? 'sysRoleSelfMember' : 'sysRoleSelf', { name, role: t(s.role) });
      return s.role === 'member'
      ? t('sysRoleMember', { name, other: nameOf(s.userId) })
      : t('sysRole', { name, other: nameOf(s.userId), role: t(s.role) });
    case 'renamed': return t('sysRenamed', { name, title: s.name });
    case 'recolored': return t('sysRecolored', { name });
    // R138: a rights line the owner's signed standing does not confirm: devices act on the signed one.
    case 'moderation': return moderationText(t, s, name, nameOf(s.userId ?? ''), s.userId === myUserId) + (item.unconfirmed ? t('sysNotSignedSuffix') : '');
  }
}

/** R81: an audit line of a community admin's action. */
function moderationText(t: Translate, s: Extract<SystemEvent, { kind: 'moderation' }>, name: string, other: string, toMe: boolean): string {
  switch (s.action) {
    case 'banned': return t('sysModBanned', { name, other });
    case 'unbanned': return t('sysModUnbanned', { name, other });
    case 'removed': return t('sysRemoved', { name, other });
    case 'rights_changed': return t('sysModRights', { name, other });
    case 'muted': return t('sysModMuted', { name, other, until: new Date(s.untilMs ?? 0).toLocaleString() });
    case 'unmuted': return t('sysModUnmuted', { name, other });
    case 'slow_mode': return s.slowModeMs ? t('sysModSlowMode', { name, seconds: String(Math.round(s.slowModeMs / 1000)) }) : t('sysModSlowModeOff', { name });
    case 'chat_created': return t('sysModChatCreated', { name });
    case 'chat_opened': return t('sysModChatOpened', { name });
    case 'chat_closed': return t('sysModChatClosed', { name });
    case 'chat_deleted': return t('sysModChatDeleted', { name });
    case 'join_approved': return toMe ? t('sysModJoinApprovedYou', { name }) : t('sysModJoinApproved', { name, other });
    case 'join_declined': return t('sysModJoinDeclined', { name });
  }
}

/** One line for the chat list: who is typing, else the last entry. */
export function chatPreview(t: Translate, chat: ChatView, myUserId: string): { text: string; typing: boolean } {
  const typingNames = chat.typing.filter((id) => id !== myUserId).map((id) => chat.members.find((m) => m.userId === id)?.displayName).filter((n): n is string => !!n);
  if (typingNames.length > 0) return { text: t('typing', { name: typingNames.join(', ') }), typing: true };
  const last = chat.lastItem;
  if (!last) return { text: '', typing: false };
  if (last.system || last.notice || last.call) return { text: chat.noteToSelf && last.system?.kind === 'created' ? t('savedHint') : systemText(t, last, chat.members, myUserId), typing: false };
  // An unreadable last message says why in a few words (the chat itself explains it in full).
  const body = last.deleted ? t('deleted') : last.unreadable ? t(`preview_${last.unreadableReason ?? 'unknown_format'}`) : textOrFiles(t, last).replace(/\s+/g, ' ');
  const prefix = last.mine && !chat.noteToSelf ? t('youPrefix')
    : chat.kind === 'group' ? `${chat.members.find((m) => m.userId === last.senderUserId)?.displayName ?? '…'}: ` : '';
  return { text: prefix + body, typing: false };
}

/** R61: a call's line ("Outgoing video call · 1:05", "Missed call"). */
export function callText(t: Translate, item: TimelineItem, myUserId: string, now = Date.now()): string {
  const call = item.call;
  if (!call) return '';
  const mine = item.senderUserId === myUserId;
  const video = call.media === 'video';
  const outcome = call.outcome === 'ringing' && now - item.sentAt > CALL_RING_MS ? 'missed' : call.outcome;
  const s = Math.round((call.durationMs ?? 0) / 1000);
  const duration = `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
  if (call.group) {
    // R63: a group chat's call on the SFU; who started it doesn't matter.
    return outcome === 'ended' ? t('groupCallEnded', { duration }) : t('groupCallOngoing', { count: String(call.group.participants.length) });
  }
  switch (outcome) {
    case 'ended': {
      return t(mine ? (video ? 'callOutVideo' : 'callOut') : (video ? 'callInVideo' : 'callIn'), { duration });
    }
    case 'answered': return t('callOngoing');
    case 'ringing': return t(mine ? 'callRingingOut' : 'callRingingIn');
    case 'missed': return t(mine ? 'callNoAnswer' : 'callMissed');
    case 'declined': return t(mine ? 'callDeclinedByOther' : 'callDeclined');
    case 'cancelled': return t(mine ? 'callCancelled' : 'callMissed');
    case 'failed': return t('callFailed');
  }
}
