import { entitiesProblem, ParleyError, type ChannelScheduledBody, type ScheduledChannelPost, type SignedBlob } from '@parley/protocol';
import { channelTopic, type Bus } from '../../bus/bus.ts';
import type { ChannelLimits, ChannelScheduleLimits } from '../../config.ts';
import type { ChannelScheduleStorage, ScheduledPostRow } from '../../storage/channel-schedule-storage.ts';
import type { BlobStorage } from '../../storage/blob-storage.ts';
import type { ChannelStorage } from '../../storage/channel-storage.ts';
import type { AuthContext } from '../accounts.ts';
import type { Clock } from '../ports.ts';
import type { RateLimiter } from '../rate-limiter.ts';
import { checkPostFiles } from './post-files.ts';
import { openScheduled, storedKeyList } from './signed.ts';

export interface ChannelScheduleDeps {
  channels: ChannelStorage;
  schedule: ChannelScheduleStorage;
  bus: Bus;
  clock: Clock;
  limiter: RateLimiter;
  limits: ChannelLimits;
  scheduleLimits: ChannelScheduleLimits;
  /** R192: the uploads a scheduled post's photos and files are (checked as a post's, R110). */
  blobs: Pick<BlobStorage, 'getBlob'>;
  /** R110: the largest upload the server takes at all (PARLEY_MAX_FILE_BYTES). */
  maxFileBytes: number;
  /** A scheduled post the sweep could not publish (its signer left the key list meanwhile): it is dropped, and said so. */
  onDropped?: (row: ScheduledPostRow, why: string) => void;
}

/** How many due posts one sweep publishes at most (the next sweep takes the rest). */
const SWEEP_BATCH = 200;
/** Tries at the log's next seq when admins keep taking it first. */
const SEQ_ATTEMPTS = 8;

/**
 * R115: scheduled posts of public channels. An admin's device signs the post without a log position,
 * with the scheduled time as its `date`; the server keeps it until then, and a sweep on every node
 * wraps it in the log at the next seq, so it is published with every admin device offline. What the
 * reader checks (the post was signed by a listed key, was not served before its date) is in the SDK.
 */
export class ChannelSchedule {
  readonly #d: ChannelScheduleDeps;
  constructor(deps: ChannelScheduleDeps) {
    this.#d = deps;
  }

  async #admin(auth: AuthContext, channelId: string) {
    const row = await this.#d.channels.getChannel(channelId);
    if (!row) throw new ParleyError('channel_not_found', 'no such channel');
    const me = await this.#d.channels.getAdmin(channelId, auth.userId);
    if (!me) throw new ParleyError('channel_admin_only', 'only the channel\'s admins schedule posts');
    return { row, me };
  }

  /** Schedules a post, or replaces the scheduled post with this id (an edit of its text or time). */
  async put(auth: AuthContext, channelId: string, postId: string, blob: SignedBlob): Promise<ScheduledChannelPost> {
    const { row, me } = await this.#admin(auth, channelId);
    const max = this.#d.limits.maxPostChars;
    if (blob.signed.length > max * 6 + 100_000) throw tooLarge(max);
    const body = openScheduled(blob);
    if (body.text.length > max) throw tooLarge(max);
    const now = this.#d.clock.now();
    checkScheduled(body, channelId, postId, now, this.#d.scheduleLimits.maxScheduleMs);
    if (body.signer !== me.publicKey) throw new ParleyError('channel_admin_only', 'a post is signed by the caller\'s own registered key');
    if (!activeKey(row.keyList, auth.userId, body.signer)) throw new ParleyError('channel_admin_only', 'the caller\'s key is not in the channel\'s key list yet');
    if (await this.#d.channels.getPost(channelId, postId)) throw new ParleyError('channel_post_invalid', 'a post with this id is published already');
    // R192: its files are checked as a post's (R110); another admin's replacement may keep the ones it named.
    const before = await this.#d.schedule.getScheduled(channelId, postId);
    const kept = new Set(before ? scheduledFiles(before).map((f) => f.blobId) : []);
    const media = await checkPostFiles({ blobs: this.#d.blobs, limits: this.#d.limits, maxFileBytes: this.#d.maxFileBytes }, auth.userId, body.attachments ?? [], kept);
    const perHour = this.#d.limits.postsPerHour;
    await this.#d.limiter.take(`channel-post:${channelId}`, perHour / 3600, perHour);
    const scheduled: ScheduledPostRow = { channelId, postId, publishAt: body.date, authorId: auth.userId, signed: blob.signed, signature: blob.signature, createdAt: now };
    await this.#d.schedule.putScheduled(scheduled, this.#d.scheduleLimits.maxPerChannel, media.map((m) => m.blobId));
    return toScheduled(scheduled);
  }

  /** The channel's scheduled posts, soonest first: admins only. */
  async list(auth: AuthContext, channelId: string): Promise<ScheduledChannelPost[]> {
    await this.#admin(auth, channelId);
    return (await this.#d.schedule.listScheduled(channelId)).map(toScheduled);
  }

  async cancel(auth: AuthContext, channelId: string, postId: string): Promise<void> {
    await this.#admin(auth, channelId);
    if (!(await this.#d.schedule.deleteScheduled(channelId, postId))) throw new ParleyError('not_found', 'no such scheduled post');
  }

  /**
   * Publishes every scheduled post whose time has come: at the log's next seq, as version 1 of its
   * post, then forgets the schedule. Every node may sweep at once: a post id is published once
   * (the second attempt is 'version' and only forgets the schedule). A post whose signer left the
   * key list meanwhile is dropped, as the server would refuse that admin's post now.
   */
  async sweep(): Promise<{ published: number; dropped: number }> {
    let published = 0;
    let dropped = 0;
    for (const due of await this.#d.schedule.listDue(this.#d.clock.now(), SWEEP_BATCH)) {
      const outcome = await this.#publish(due);
      if (outcome === 'published') published++;
      if (outcome === 'dropped') dropped++;
    }
    return { published, dropped };
  }

  async #publish(due: ScheduledPostRow): Promise<'published' | 'dropped' | 'gone'> {
    for (let attempt = 1; attempt <= SEQ_ATTEMPTS; attempt++) {
      const row = await this.#d.channels.getChannel(due.channelId);
      const signer = (JSON.parse(due.signed) as { signer: string }).signer;
      if (!row || !activeKey(row.keyList, due.authorId, signer) || !(await this.#d.channels.getAdmin(due.channelId, due.authorId))) {
        await this.#d.schedule.deleteScheduled(due.channelId, due.postId);
        this.#d.onDropped?.(due, 'its signer is no longer an admin with a listed key');
        return 'dropped';
      }
      const seq = row.lastSeq + 1;
      // R192: the post's media rows are written with it, before the schedule (and the hold it has on its files) goes: never unreferenced between.
      const media = scheduledFiles(due).map((f) => ({ blobId: f.blobId, mime: f.mime }));
      const result = await this.#d.channels.putPost({
        channelId: due.channelId, postId: due.postId, postSeq: seq, seq, version: 1, authorId: due.authorId, deleted: false, signed: due.signed, signature: due.signature,
      }, media);
      if (result === 'ok' || result === 'version') {
        await this.#d.schedule.deleteScheduled(due.channelId, due.postId);
        if (result === 'version') return 'gone';
        await this.#d.bus.publish(channelTopic(due.channelId), { type: 'channel_post', channelId: due.channelId, seq });
        return 'published';
      }
    }
    return 'gone'; // the next sweep tries again
  }
}

/** The files a stored scheduled post's signed body names (it was checked when stored). */
function scheduledFiles(row: ScheduledPostRow) {
  return (JSON.parse(row.signed) as ChannelScheduledBody).attachments ?? [];
}

const tooLarge = (max: number) => new ParleyError('channel_post_too_large', `a post has at most ${max} characters`);

function activeKey(keyList: string, userId: string, key: string): boolean {
  return storedKeyList(keyList).admins.some((a) => a.userId === userId && a.key === key && a.untilSeq === undefined);
}

/** R115: the signed fields agree with the route; the time is ahead, but not too far. */
function checkScheduled(body: ChannelScheduledBody, channelId: string, postId: string, now: number, maxAheadMs: number): void {
  const bad = (why: string) => new ParleyError('channel_post_invalid', `scheduled post: ${why}`);
  if (body.channelId !== channelId || body.postId !== postId) throw bad('signed for another channel or post id');
  if (body.date <= now) throw new ParleyError('channel_schedule_past', 'the scheduled time (the signed date) is not in the future');
  if (body.date - now > maxAheadMs) throw new ParleyError('channel_schedule_too_far', `a post is scheduled at most ${maxAheadMs} ms ahead`);
  if (body.text.trim() === '') throw bad('empty text');
  const entities = body.entities && entitiesProblem(body.text, body.entities);
  if (entities) throw bad(entities);
}

function toScheduled(row: ScheduledPostRow): ScheduledChannelPost {
  return { postId: row.postId, publishAt: row.publishAt, authorId: row.authorId, signed: row.signed, signature: row.signature };
}
