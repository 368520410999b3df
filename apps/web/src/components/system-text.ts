import type { Member } from '@parley/protocol';
import type { TimelineItem } from '@parley/client';
import type { Translate } from '../i18n/index.ts';

/** A system entry of the log ("Ann added Ben") in the reader's language. */
export function systemText(t: Translate, item: TimelineItem, members: Member[], myUserId: string): string {
  const nameOf = (id: string) => (id === myUserId ? t('you') : members.find((m) => m.userId === id)?.displayName ?? '…');
  const name = nameOf(item.senderUserId);
  const s = item.system;
  if (!s) return '';
  switch (s.kind) {
    case 'created': return t('sysCreated', { name });
    case 'member_added': return t('sysAdded', { name, other: nameOf(s.userId) });
    case 'member_joined': return t('sysJoined', { name: nameOf(s.userId) });
    case 'member_left': return t('sysLeft', { name: nameOf(s.userId) });
    case 'member_removed': return t('sysRemoved', { name, other: nameOf(s.userId) });
    case 'role_changed': return t('sysRole', { name, other: nameOf(s.userId), role: s.role === 'member' ? '' : t(s.role) });
    case 'renamed': return t('sysRenamed', { name, title: s.name });
    case 'recolored': return t('sysRecolored', { name });
  }
}
