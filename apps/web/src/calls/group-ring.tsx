import type { GroupRing, ParleyClient } from '@parley/client';
import { useAction } from '../components/error-line.tsx';
import { Icon } from '../components/icons.tsx';
import { chatTitle } from '../components/system-text.ts';
import { useI18n } from '../i18n/index.ts';
import { enRing } from '../i18n/en-ring.ts';
import { ruRing } from '../i18n/ru-ring.ts';
import { CallError, isLive } from './call-state.tsx';
import { useGroupCall } from './use-group-call.ts';
import { useRingTone } from './ring-tone.ts';

/**
 * R124: group calls just started in this person's groups ring above every screen: who started it
 * and where, Join and Dismiss. Joining ends what this tab is in first (a 1:1 call, or another
 * group's call; the button says so): one call at a time.
 */
export function GroupRingNotices({ client, rings }: { client: ParleyClient; rings: GroupRing[] }) {
  const { locale, t: appT } = useI18n();
  const groupCallMedia = useGroupCall();
  const dict = locale === 'ru' ? ruRing : enRing;
  const t = (key: keyof typeof enRing, vars: Record<string, string> = {}) => Object.entries(vars).reduce((s, [k, v]) => s.replaceAll(`{${k}}`, v), dict[key]);
  const [error, run] = useAction();
  const oneToOne = client.calls.list().find(isLive);
  const shown = rings.filter((r) => !(groupCallMedia.live && groupCallMedia.chatId === r.chatId));
  useRingTone(shown.length > 0 ? 'incoming' : undefined); // R124 leaves muted chats out of `rings`
  if (shown.length === 0 && !error) return null;
  return (
    <div className="call-layer">
      {shown.map((ring) => {
        const chat = client.chat(ring.chatId);
        const name = chat?.members.find((m) => m.userId === ring.fromUserId)?.displayName ?? '';
        const text = t(ring.media === 'video' ? 'gringVideo' : 'gringVoice', { name, chat: chat ? chatTitle(appT, chat) : '' });
        const join = async () => {
          if (oneToOne) await client.calls.hangUp(oneToOne.callId);
          if (groupCallMedia.live) await groupCallMedia.leave();
          await groupCallMedia.join(client, ring.chatId, ring.media);
        };
        return (
          <section key={ring.chatId} className="call-incoming" aria-label={text} data-testid="gcall-ring">
            <Icon name={ring.media === 'video' ? 'video' : 'phone'} />
            <p className="grow" role="alert">{text}</p>
            <button className="call-accept" onClick={() => run(join)}>{t(oneToOne ? 'gringJoinEnding' : groupCallMedia.live ? 'gringJoinLeaving' : 'gringJoin')}</button>
            <button onClick={() => client.calls.dismissGroupRing(ring.chatId)} aria-label={`${t('gringDismiss')}: ${text}`}>{t('gringDismiss')}</button>
          </section>
        );
      })}
      {error !== undefined && <CallError error={error} />}
    </div>
  );
}
