import { MLS_SCHEDULED_CONTENT_TYPE, ParleyError } from '@parley/protocol';
import type { ChannelScheduleLimits, Limits } from '../../config.ts';
import type { CommunityStorage } from '../../storage/community-storage.ts';
import type { AppendRequest, Storage } from '../../storage/storage.ts';
import type { WrappedScheduledRow, WrappedScheduleStorage } from '../../storage/wrapped-schedule-storage.ts';
import { holds } from '../communities/rules.ts';
import type { Delivery } from '../delivery.ts';
import type { Clock } from '../ports.ts';
import { SealedSchedule } from './sealed-schedule.ts';

export interface MlsScheduleDeps {
  communities: Pick<CommunityStorage, 'getCommunityMember' | 'getCommunity' | 'listCommunityChats'>;
  storage: Pick<Storage, 'getChat' | 'getDevice' | 'appendScheduled'>;
  /** The `channel_mls_scheduled` table's store. */
  schedule: WrappedScheduleStorage;
  /** Fans a published post out as any message (R3) and tells the push notifier. */
  delivery: Pick<Delivery, 'announce'>;
  clock: Clock;
  scheduleLimits: Pick<ChannelScheduleLimits, 'maxScheduleMs' | 'maxPerChannel'>;
  /** A scheduled post is at most an envelope's size (PARLEY_MAX_ENVELOPE_BYTES): it becomes one. */
  limits: Pick<Limits, 'maxEnvelopeBytes'>;
  onDropped?: (row: WrappedScheduledRow, why: string) => void;
}

/**
 * R191: scheduled posts of private channels in MLS mode (R112). An admin's device seals the post under a
 * key from the announcements chat's MLS exporter at the chat's current epoch and signs it; the server
 * keeps the body and its sweep (R115's timer) appends it to the chat's log as its author's entry when the
 * chat is still at that epoch, so each reader's group is at that epoch when it reaches the entry. After
 * any commit the post is `stale` until a device of its author re-seals it under the new epoch.
 */
export class MlsSchedule extends SealedSchedule {
  constructor(d: MlsScheduleDeps) {
    const chats = new Map<string, string>();
    // The channel's announcements chat (never changes: R112); a non-member: R141's `not_found`.
    const chatOf = async (communityId: string): Promise<string> => {
      const known = chats.get(communityId);
      if (known) return known;
      const chat = (await d.communities.listCommunityChats(communityId)).find((c) => c.kind === 'announcements');
      if (!chat) throw new ParleyError('not_found', 'no such community');
      chats.set(communityId, chat.chatId);
      return chat.chatId;
    };
    super(d, {
      admin: async (communityId, userId) => {
        const me = await d.communities.getCommunityMember(communityId, userId);
        const community = me && (await d.communities.getCommunity(communityId));
        if (!me || !community) throw new ParleyError('not_found', 'no such community');
        if (!community.settings.channel) throw new ParleyError('bad_request', 'this community is not a channel');
        if (community.settings.wrapped) throw new ParleyError('bad_request', 'this channel is in wrapped mode: its scheduled posts are …/wrapped-scheduled (R188)');
        if (!holds(me, 'postAnnouncements')) throw new ParleyError('channel_admin_only', 'only the channel\'s admins schedule posts');
      },
      maxBody: d.limits.maxEnvelopeBytes - MLS_SCHEDULED_CONTENT_TYPE.length,
      staleness: async (communityId) => {
        const current = (await d.storage.getChat(await chatOf(communityId)))?.mlsEpoch;
        return (epoch) => epoch !== current;
      },
      staleError: (epoch) => new ParleyError('epoch_conflict', `the channel's group is no longer at epoch ${epoch}: seal it again under the current one`),
      publish: async (row) => {
        const device = await d.storage.getDevice(row.authorDevice);
        if (!device || device.revokedAt !== null) throw new ParleyError('device_revoked', 'its author\'s device was revoked: readers would not trust its signature');
        const chatId = await chatOf(row.communityId);
        const entry: AppendRequest = {
          chatId, clientMsgId: row.scheduleId, senderUserId: row.authorId, senderDeviceId: row.authorDevice, sentAt: d.clock.now(),
          envelope: { contentType: MLS_SCHEDULED_CONTENT_TYPE, payload: row.body }, system: null,
        };
        const result = await d.storage.appendScheduled(entry, row.epoch, { communityId: row.communityId, scheduleId: row.scheduleId, body: row.body });
        if (result === 'gone') return 'gone';
        if ('conflict' in result) return 'stale'; // a commit came between the sweep's read and the append
        if (!result.duplicate) await d.delivery.announce(result.message);
        return 'published';
      },
    });
  }
}
