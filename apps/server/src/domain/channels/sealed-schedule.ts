import { ParleyError } from '@parley/protocol';
import type { WrappedScheduledPost } from '@parley/protocol/channel-schemas';
import type { ChannelScheduleLimits } from '../../config.ts';
import type { BlobStorage } from '../../storage/blob-storage.ts';
import type { WrappedScheduledRow, WrappedScheduleStorage } from '../../storage/wrapped-schedule-storage.ts';
import type { AuthContext } from '../accounts.ts';
import type { Clock } from '../ports.ts';

/** What a PUT of a sealed scheduled post names: the epoch it is sealed at, the opaque body, its time (R192: and its files' blobs). */
export interface SealedScheduleInput {
  epoch: number;
  body: string;
  publishAt: number;
  blobs?: string[] | undefined;
}

/**
 * How one kind of private channel keeps its sealed scheduled posts: R188's wrapped mode (epoch keys) or
 * R191's MLS mode (the announcements chat's MLS exporter). The rest (refusals, listing, the sweep) is shared.
 */
export interface ScheduleMode {
  /** Throws unless the user may schedule posts there (holds `postAnnouncements`; a non-member: `not_found`). */
  admin(communityId: string, userId: string): Promise<void>;
  /** The largest body (base64 characters) of a post without files. */
  maxBody: number;
  /**
   * R192: a post may carry files (the caller's own complete uploads, held by the scheduled post), each
   * growing the largest body by `charsEach`. Absent: text only (R191's MLS mode), a PUT naming blobs is `bad_request`.
   */
  files?: { charsEach: number; blobs: Pick<BlobStorage, 'getBlob'> };
  /** Of the channel now: whether posts sealed under `epoch` may no longer go out (left `stale`). */
  staleness(communityId: string): Promise<(epoch: number) => boolean>;
  /** The error a PUT naming an epoch posts may not use gets. */
  staleError(epoch: number): ParleyError;
  /** Publishes a due post as its author's; `gone` when another node did (or it was cancelled or replaced), `stale` when its epoch ended meanwhile. */
  publish(row: WrappedScheduledRow): Promise<'published' | 'gone' | 'stale'>;
}

export interface SealedScheduleDeps {
  schedule: WrappedScheduleStorage;
  clock: Clock;
  /** R115's limits (PARLEY_CHANNEL_MAX_SCHEDULE_MS, PARLEY_CHANNEL_MAX_SCHEDULED), shared with public channels. */
  scheduleLimits: Pick<ChannelScheduleLimits, 'maxScheduleMs' | 'maxPerChannel'>;
  /** A scheduled post the sweep dropped (its author no longer an admin, or refused for good): said so. */
  onDropped?: (row: WrappedScheduledRow, why: string) => void;
}

/** Due posts one page of the sweep reads; the sweep reads at most SWEEP_PAGES pages (the next sweep takes the rest). */
const SWEEP_BATCH = 200;
const SWEEP_PAGES = 10;

/**
 * Scheduled posts an admin's device sealed for a private channel (R188, R191): the server keeps the
 * ciphertext and its sweep (R115's timer) publishes it at its time while the epoch it is sealed at is
 * still one posts may use; otherwise it stays, `stale`, until a device of its author re-seals it.
 */
export class SealedSchedule {
  readonly #d: SealedScheduleDeps;
  readonly #mode: ScheduleMode;
  constructor(deps: SealedScheduleDeps, mode: ScheduleMode) {
    this.#d = deps;
    this.#mode = mode;
  }

  async #admin(communityId: string, userId: string): Promise<void> {
    await this.#mode.admin(communityId, userId);
  }

  /** Schedules a post, or replaces the one with this id (an edit of its text or time, or a re-seal under the current epoch). */
  async put(auth: AuthContext, communityId: string, scheduleId: string, input: SealedScheduleInput): Promise<WrappedScheduledPost> {
    await this.#admin(communityId, auth.userId);
    const blobIds = input.blobs ?? [];
    const files = this.#mode.files;
    if (blobIds.length > 0 && !files) throw new ParleyError('bad_request', 'a scheduled post here is text only');
    const max = this.#mode.maxBody + (files?.charsEach ?? 0) * blobIds.length;
    if (input.body.length > max) throw new ParleyError('channel_post_too_large', `this scheduled post is at most ${max} base64 characters`);
    const now = this.#d.clock.now();
    const before = await this.#d.schedule.getScheduled(communityId, scheduleId);
    // A re-seal of a post whose time passed while it was stale keeps its time: the sweep publishes it at once.
    const keepsTime = before !== undefined && before.publishAt === input.publishAt;
    if (input.publishAt <= now && !keepsTime) throw new ParleyError('channel_schedule_past', 'the scheduled time is not in the future');
    const maxAhead = this.#d.scheduleLimits.maxScheduleMs;
    if (input.publishAt - now > maxAhead) throw new ParleyError('channel_schedule_too_far', `a post is scheduled at most ${maxAhead} ms ahead`);
    if ((await this.#mode.staleness(communityId))(input.epoch)) throw this.#mode.staleError(input.epoch);
    for (const blobId of blobIds) {
      // R192: as R162's post: only the caller's own complete uploads (the sweep publishes as the author, whose files they must be).
      const blob = await files?.blobs.getBlob(blobId);
      if (!blob || blob.ownerUserId !== auth.userId) throw new ParleyError('blob_not_found', `no file ${blobId} of yours`);
      if (blob.completedAt === null) throw new ParleyError('blob_incomplete', 'the upload is not finished');
    }
    const row: WrappedScheduledRow = {
      communityId, scheduleId, epoch: input.epoch, authorId: auth.userId, authorDevice: auth.deviceId, body: input.body, publishAt: input.publishAt, createdAt: now,
      ...(blobIds.length ? { blobIds } : {}),
    };
    await this.#d.schedule.putScheduled(row, this.#d.scheduleLimits.maxPerChannel);
    return view(row, false);
  }

  /** The channel's scheduled posts, soonest first, each saying whether it is stale: admins only. */
  async list(auth: AuthContext, communityId: string): Promise<WrappedScheduledPost[]> {
    await this.#admin(communityId, auth.userId);
    const stale = await this.#mode.staleness(communityId);
    return (await this.#d.schedule.listScheduled(communityId)).map((r) => view(r, stale(r.epoch)));
  }

  async cancel(auth: AuthContext, communityId: string, scheduleId: string): Promise<void> {
    await this.#admin(communityId, auth.userId);
    if (!(await this.#d.schedule.deleteScheduled(communityId, scheduleId))) throw new ParleyError('not_found', 'no such scheduled post');
  }

  /**
   * Publishes each due post whose epoch posts may still use, as its author's (the append deletes its
   * row in the same transaction: once across nodes). Stale ones stay.
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
        if (!stale) staleness.set(row.communityId, (stale = await this.#mode.staleness(row.communityId)));
        if (stale(row.epoch)) {
          out.stale++;
          continue;
        }
        const outcome = await this.#publish(row);
        if (outcome === 'published') {
          out.published++;
          staleness.delete(row.communityId); // read again for the channel's next due post
        }
        if (outcome === 'stale') out.stale++;
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
      return await this.#mode.publish(row);
    } catch (err) {
      if (!(err instanceof ParleyError)) throw err;
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
