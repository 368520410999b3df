import { ParleyError, type PutWrappedScheduledRequest, type WrappedScheduledPost } from '@parley/protocol';
import type { ChannelScheduleLimits, ChannelWrapLimits } from '../../config.ts';
import type { BlobStorage } from '../../storage/blob-storage.ts';
import type { ChannelWrapStorage } from '../../storage/channel-wrap-storage.ts';
import type { CommunityStorage } from '../../storage/community-storage.ts';
import type { WrappedScheduledRow, WrappedScheduleStorage } from '../../storage/wrapped-schedule-storage.ts';
import type { AuthContext } from '../accounts.ts';
import { holds } from '../communities/rules.ts';
import type { Clock } from '../ports.ts';
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

/** Due posts one page of the sweep reads; the sweep reads at most SWEEP_PAGES pages (the next sweep takes the rest). */
const SWEEP_BATCH = 200;
const SWEEP_PAGES = 10;

/**
 * R188: scheduled posts of wrapped channels. An admin's device seals and signs the post under the
 * current epoch as R142's, dated at the time it is to appear; the server keeps the ciphertext and its
 * sweep (R115's timer) publishes it then through R142's post path. A post sealed under an epoch that a
 * removal (or a newer epoch) ended stays, `stale`, until a device of its author re-seals it: the server
 * never publishes to the devices left a post whose key a removed subscriber holds.
 */
export class WrappedSchedule {
  readonly #d: WrappedScheduleDeps;
  constructor(deps: WrappedScheduleDeps) {
    this.#d = deps;
  }

  async #admin(communityId: string, userId: string): Promise<void> {
    if (!holds(await wrappedMember(this.#d.communities, communityId, userId), 'postAnnouncements')) {
      throw new ParleyError('channel_admin_only', 'only the channel\'s admins schedule posts');
    }
  }

  /** Whether posts sealed under `epoch` may no longer go out: not the current epoch, or a subscriber left since it began (R142's `channel_rekey_needed`). */
  async #staleness(communityId: string): Promise<(epoch: number) => boolean> {
    const current = await this.#d.wraps.currentEpoch(communityId);
    const removedAt = await this.#d.wraps.lastRemovalAt(communityId);
    const ended = !current || (removedAt !== undefined && current.createdAt < removedAt);
    return (epoch) => ended || epoch !== current?.epoch;
  }

  /** Schedules a post, or replaces the one with this id (an edit of its text or time, or a re-seal under the current epoch). */
  async put(auth: AuthContext, communityId: string, scheduleId: string, input: PutWrappedScheduledRequest): Promise<WrappedScheduledPost> {
    await this.#admin(communityId, auth.userId);
    const max = this.#d.wrapLimits.postMaxChars + this.#d.wrapLimits.postFileChars * (input.blobs?.length ?? 0);
    if (input.body.length > max) throw new ParleyError('channel_post_too_large', `this scheduled post is at most ${max} base64 characters`);
    const now = this.#d.clock.now();
    const before = await this.#d.schedule.getScheduled(communityId, scheduleId);
    // A re-seal of a post whose time passed while it was stale keeps its time: the sweep publishes it at once.
    const keepsTime = before !== undefined && before.publishAt === input.publishAt;
    if (input.publishAt <= now && !keepsTime) throw new ParleyError('channel_schedule_past', 'the scheduled time is not in the future');
    const maxAhead = this.#d.scheduleLimits.maxScheduleMs;
    if (input.publishAt - now > maxAhead) throw new ParleyError('channel_schedule_too_far', `a post is scheduled at most ${maxAhead} ms ahead`);
    if ((await this.#staleness(communityId))(input.epoch)) throw new ParleyError('channel_rekey_needed', `epoch ${input.epoch} is not one posts may use now: draw a new key`);
    for (const blobId of input.blobs ?? []) {
      // R192: as R162's post: only the caller's own complete uploads (the sweep publishes as the author, whose files they must be).
      const blob = await this.#d.blobs.getBlob(blobId);
      if (!blob || blob.ownerUserId !== auth.userId) throw new ParleyError('blob_not_found', `no file ${blobId} of yours`);
      if (blob.completedAt === null) throw new ParleyError('blob_incomplete', 'the upload is not finished');
    }
    const row: WrappedScheduledRow = {
      communityId, scheduleId, epoch: input.epoch, authorId: auth.userId, authorDevice: auth.deviceId, body: input.body, publishAt: input.publishAt, createdAt: now,
      ...(input.blobs?.length ? { blobIds: input.blobs } : {}),
    };
    await this.#d.schedule.putScheduled(row, this.#d.scheduleLimits.maxPerChannel);
    return view(row, false);
  }

  /** The channel's scheduled posts, soonest first, each saying whether it is stale: admins only. */
  async list(auth: AuthContext, communityId: string): Promise<WrappedScheduledPost[]> {
    await this.#admin(communityId, auth.userId);
    const stale = await this.#staleness(communityId);
    return (await this.#d.schedule.listScheduled(communityId)).map((r) => view(r, stale(r.epoch)));
  }

  async cancel(auth: AuthContext, communityId: string, scheduleId: string): Promise<void> {
    await this.#admin(communityId, auth.userId);
    if (!(await this.#d.schedule.deleteScheduled(communityId, scheduleId))) throw new ParleyError('not_found', 'no such scheduled post');
  }

  /**
   * Publishes each due post whose epoch posts may still use, as its author's post through R142's path
   * (the append deletes its row in the same transaction: once across nodes). Stale ones stay.
   */
  async sweep(): Promise<{ published: number; stale: number; dropped: number }> {
    const out = { published: 0, stale: 0, dropped: 0 };
    const now = this.#d.clock.now();
    const staleness = new Map<string, (epoch: number) => boolean>();
    let after: WrappedScheduledRow | undefined;
    for (let page = 0; page < SWEEP_PAGES; page++) {
      const due = await this.#d.schedule.listDue(now, SWEEP_BATCH, after);
      for (const row of due) {
        let stale = staleness.get(row.communityId);
        if (!stale) staleness.set(row.communityId, (stale = await this.#staleness(row.communityId)));
        if (stale(row.epoch)) {
          out.stale++;
          continue;
        }
        const outcome = await this.#publish(row);
        if (outcome === 'published') {
          out.published++;
          staleness.delete(row.communityId); // read again for the channel's next due post
        }
        if (outcome === 'dropped') out.dropped++;
      }
      if (due.length < SWEEP_BATCH) break;
      after = due.at(-1);
    }
    return out;
  }

  async #publish(row: WrappedScheduledRow): Promise<'published' | 'dropped' | 'gone' | 'stale'> {
    const drop = async (why: string) => {
      await this.#d.schedule.deleteScheduled(row.communityId, row.scheduleId);
      this.#d.onDropped?.(row, why);
      return 'dropped' as const;
    };
    try {
      await this.#admin(row.communityId, row.authorId);
    } catch (err) {
      if (err instanceof ParleyError) return drop(`its author can't post there any more (${err.code})`);
      throw err;
    }
    try {
      await this.#d.channelWraps.post({ userId: row.authorId, deviceId: row.authorDevice }, row.communityId, { epoch: row.epoch, body: row.body, ...(row.blobIds ? { blobs: row.blobIds } : {}) }, row.scheduleId);
      return 'published';
    } catch (err) {
      if (!(err instanceof ParleyError)) throw err;
      if (err.code === 'not_found') return 'gone'; // another node published it, or an admin cancelled or replaced it meanwhile
      if (err.code === 'channel_rekey_needed') return 'stale'; // a removal or an epoch came between the check and the append
      return drop(`refused as a post (${err.code})`);
    }
  }
}

function view(r: WrappedScheduledRow, stale: boolean): WrappedScheduledPost {
  return {
    id: r.scheduleId, epoch: r.epoch, authorId: r.authorId, authorDevice: r.authorDevice, body: r.body, publishAt: r.publishAt, createdAt: r.createdAt,
    ...(r.blobIds ? { blobs: r.blobIds } : {}),
    ...(stale ? { stale: true as const } : {}),
  };
}
