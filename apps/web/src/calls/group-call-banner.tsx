import type { ParleyClient } from '@parley/client';
import { Avatar, colorFor } from '../components/avatar.tsx';
import { Icon } from '../components/icons.tsx';
import { useI18n } from '../i18n/index.ts';
import { groupCallPeople } from './group-call-people.ts';
import { useGroupCall } from './use-group-call.ts';

/** How many faces the banner shows before "+N". */
const FACES = 4;

/**
 * Under a group chat's header while its call runs (R63 call line): "Call in progress", who is in it
 * (faces, names, count), and Join, or that this device is in it.
 */
export function GroupCallBanner({ client, chatId, busy, onJoin }: { client: ParleyClient; chatId: string; busy: boolean; onJoin: (media: 'audio' | 'video') => void }) {
  const { t } = useI18n();
  const g = useGroupCall();
  const running = groupCallPeople(client, chatId);
  if (!running || running.people.length === 0) return null;
  const here = g.live && g.chatId === chatId;
  // One face per person (a person may be in it from two devices).
  const people = running.people.filter((p, i, all) => all.findIndex((x) => x.userId === p.userId) === i);
  const names = people.map((p) => (p.userId === client.userId ? t('gcallYou') : p.name)).join(', ');
  return (
    <section className="gcall-banner" aria-label={t('gcallInProgress')} data-testid="gcall-banner">
      <Icon name={running.media === 'video' ? 'video' : 'phone'} />
      <span className="gcall-faces" aria-hidden="true">
        {people.slice(0, FACES).map((p) => <Avatar key={p.userId} name={p.name} color={colorFor(p.userId)} size={28} />)}
        {people.length > FACES && <span className="gcall-more">+{people.length - FACES}</span>}
      </span>
      <span className="gcall-banner-text grow">
        <strong>{t('gcallInProgress')}</strong>
        <span className="muted small" data-testid="gcall-banner-people">{t('gcallCount', { count: people.length })} · {names}</span>
      </span>
      {here
        ? <span className="muted small">{t('gcallYouAreIn')}</span>
        : <button className="call-accept" disabled={busy || g.live} aria-label={t('gcallJoinCall', { name: client.chat(chatId)?.title ?? '' })}
            onClick={() => onJoin(running.media)}>{t('gcallJoin')}</button>}
    </section>
  );
}
