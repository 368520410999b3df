import type { ParleyClient } from '@parley/client';
import type { Community, WrappedChannelInfo } from '@parley/protocol';
import type { Translate } from '../i18n/index.ts';
import { communityName } from '../communities/use-community.ts';

/**
 * R141, R147: a wrapped channel's name. It is end-to-end encrypted in the announcements chat (R66), which
 * only its admins' devices (and subscribers from before the switch) hold; other subscribers read it in
 * the wrapped log (`info`: each epoch's first entry carries it, R161, so from the device's first key on);
 * until then: "Private channel".
 */
export function wrappedTitle(t: Translate, client: ParleyClient, community: Community | undefined, info?: WrappedChannelInfo): string {
  const name = community ? communityName(t, client, community) : '';
  return name && name !== t('communityUnnamed') ? name : info?.name ?? t('chWrappedUnnamed');
}
