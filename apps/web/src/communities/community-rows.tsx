import type { ParleyClient } from '@parley/client';
import { useI18n } from '../i18n/index.ts';
import { go } from '../state/use-client.ts';
import { Icon } from '../components/icons.tsx';
import { communityName, useCommunities } from './use-community.ts';

/** The person's communities at the top of the chat list; a row opens the community's chats. */
export function CommunityRows({ client, activeId }: { client: ParleyClient; activeId: string | undefined }) {
  const { t } = useI18n();
  const { value: communities } = useCommunities(client);
  if (!communities || communities.length === 0) return null;
  return (
    <>
      {communities.map((c) => {
        const name = communityName(t, client, c);
        const active = c.communityId === activeId;
        return (
          <li key={c.communityId}>
            <button className={`chat-row${active ? ' active' : ''}`} data-testid="community-row" aria-current={active ? 'page' : undefined}
              onClick={() => go(`/community/${c.communityId}`)}>
              <span className="avatar community-avatar" style={{ width: 40, height: 40 }} aria-hidden="true"><Icon name="community" /></span>
              <span className="chat-text">
                <span className="chat-line"><span className="chat-title">{name}</span></span>
                <span className="chat-line"><span className="chat-preview">{t('communityRowHint', { count: c.memberCount })}</span></span>
              </span>
            </button>
          </li>
        );
      })}
    </>
  );
}
