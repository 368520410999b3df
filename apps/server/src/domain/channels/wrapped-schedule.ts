import { ParleyError } from '@parley/protocol';
import type { ChannelScheduleLimits, ChannelWrapLimits } from '../../config.ts';
import type { BlobStorage } from '../../storage/blob-storage.ts';
import type { ChannelWrapStorage } from '../../storage/channel-wrap-storage.ts';
import type { CommunityStorage } from '../../storage/community-storage.ts';
import type { WrappedScheduledRow, WrappedScheduleStorage } from '../../storage/wrapped-schedule-storage.ts';
import { holds } from '../communities/rules.ts';
import type { Clock } from '../ports.ts';
import { SealedSchedule } from './sealed-schedule.ts';
import { wrappedMember, type ChannelWraps } from './wrapped.ts';

export interface WrappedScheduleDeps {
  communities: Pick<CommunityStorage, 'getCommunityMember' | 'getCommunity'>;
  wraps: Pick<ChannelWrapStorage, 'currentEpoch' | 'lastRemovalAt'>;
  schedule: WrappedScheduleStorage;
  /** R142's post path: the sweep publishes through it, so everything a `POST …/wrapped-posts` does happens (R148's notice included). */
  channelWraps: Pick<ChannelWraps, 'post'>;
  clock: Clock;
  /** R115's limits (PARLEY_CHANNEL_MAX_SCHEDULE_MS, PARLEY_CHANNEL_MAX_SCHEDULED), shared with public channels. */
  scheduleLimits: Pick<ChannelScheduleLimits, 'maxScheduleMs' | 'maxPerChannel'>;
  /** R142's size (PARLEY_CHANNEL_WRAPPED_POST_MAX_CHARS), plus R168's PARLEY_CHANNEL_WRAPPED_POST_FILE_CHARS per file (R192). */
  wrapLimits: Pick<ChannelWrapLimits, 'postMaxChars' | 'postFileChars'>;
  /** R192: the uploads a scheduled post's files are (the caller's own complete ones, as R162's). */
  blobs: Pick<BlobStorage, 'getBlob'>;
  /** A scheduled post the sweep dropped (its author no longer an admin, or refused for good): said so. */
  onDropped?: (row: WrappedScheduledRow, why: string) => void;
}

/**
 * R188: scheduled posts of wrapped channels. An admin's device seals and signs the post under the
 * current epoch as R142's, dated at the time it is to appear; the server keeps the ciphertext and its
 * sweep (R115's timer) publishes it then through R142's post path. A post sealed under an epoch that a
 * removal (or a newer epoch) ended stays, `stale`, until a device of its author re-seals it: the server
 * never publishes to the devices left a post whose key a removed subscriber holds.
 */
export class WrappedSchedule extends SealedSchedule {
  constructor(d: WrappedScheduleDeps) {
    super(d, {
      admin: async (communityId, userId) => {
        if (!holds(await wrappedMember(d.communities, communityId, userId), 'postAnnouncements')) {
          throw new ParleyError('channel_admin_only', 'only the channel\'s admins schedule posts');
        }
      },
      maxBody: d.wrapLimits.postMaxChars,
      files: { charsEach: d.wrapLimits.postFileChars, blobs: d.blobs },
      // Not the current epoch, or a subscriber left since it began (R142's `channel_rekey_needed`).
      staleness: async (communityId) => {
        const current = await d.wraps.currentEpoch(communityId);
        const removedAt = await d.wraps.lastRemovalAt(communityId);
        const ended = !current || (removedAt !== undefined && current.createdAt < removedAt);
        return (epoch) => ended || epoch !== current?.epoch;
      },
      staleError: (epoch) => new ParleyError('channel_rekey_needed', `epoch ${epoch} is not one posts may use now: draw a new key`),
      publish: async (row) => {
        try {
          await d.channelWraps.post({ userId: row.authorId, deviceId: row.authorDevice }, row.communityId, { epoch: row.epoch, body: row.body, ...(row.blobIds ? { blobs: row.blobIds } : {}) }, row.scheduleId);
          return 'published';
        } catch (err) {
          if (!(err instanceof ParleyError)) throw err;
          if (err.code === 'not_found') return 'gone'; // another node published it, or an admin cancelled or replaced it meanwhile
          if (err.code === 'channel_rekey_needed') return 'stale'; // a removal or an epoch came between the check and the append
          throw err;
        }
      },
    });
  }
}
