import { ParleyError } from '@parley/protocol';
import type { MlsScheduledPost } from '@parley/protocol/channel-schemas';
import { openScheduledCopy, scheduledKey, sealScheduled, type ScheduledGroup } from '../e2ee/scheduled-post.ts';
import type { KeyDirectory } from '../key-log/index.ts';
import type { MlsIdentity } from '../mls/identity.ts';
import type { RestFn } from '../session.ts';
import type { WrappedScheduled } from './wrapped-schedule.ts';

export interface MlsScheduleDeps {
  rest: RestFn;
  identity(): Promise<MlsIdentity | undefined>;
  keys(): KeyDirectory;
  /** The channel's announcements chat (R112). */
  chatOf(communityId: string): Promise<string>;
  /** Runs `use` with the chat's group at its current epoch under the chat's lock (MlsCodec.atCurrentEpoch); undefined while not ready. */
  atCurrentEpoch<T>(chatId: string, use: (group: ScheduledGroup) => Promise<T>): Promise<T | undefined>;
  /** The epoch this device's group of the chat is at (to wait for a commit the server already holds). */
  epoch(chatId: string): Promise<number | undefined>;
  /** Waits (ms); injected for tests. */
  sleep?: (ms: number) => Promise<void>;
}

/** A scheduled post as an admin's device lists it (R188's shape): its text when this device is its author's and opens the copy. */
export type MlsScheduled = WrappedScheduled;

const path = (communityId: string, rest: string) => `/communities/${encodeURIComponent(communityId)}${rest}`;
const newId = (): string => bytesId(globalThis.crypto.getRandomValues(new Uint8Array(16)));
const bytesId = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
/** How long `schedule` waits for this device's group to reach the epoch the server is at (a commit on its way), per attempt. */
const CATCH_UP_MS = 3_000;

/**
 * R191, admins: `client.channelSchedule`, scheduled posts of a private channel in MLS mode (R112). The
 * post is sealed under the announcements chat's MLS exporter at the current epoch and signed by this
 * device (e2ee/scheduled-post.ts); the server publishes it at its time while the chat is still at that
 * epoch. Every commit (a subscriber joining or leaving) makes it stale: a device of its author re-seals
 * it (`resealScheduled`, also inside `scheduled`). So a stale post waits for a device of its author. Text only.
 */
export class MlsSchedule {
  readonly #d: MlsScheduleDeps;
  constructor(deps: MlsScheduleDeps) {
    this.#d = deps;
  }

  async #identity(): Promise<MlsIdentity> {
    const identity = await this.#d.identity();
    if (!identity) throw new ParleyError('bad_request', 'scheduled posts of a private channel need end-to-end encryption on this device');
    return identity;
  }

  /** Schedules `text` at `publishAt` (or replaces the scheduled post `opts.id`), sealed at the chat's current epoch. */
  async schedule(communityId: string, text: string, publishAt: number, opts: { id?: string } = {}): Promise<MlsScheduled> {
    if (text.trim() === '') throw new ParleyError('bad_request', 'a scheduled post needs text');
    const post = await this.#put(communityId, opts.id ?? newId(), text, publishAt);
    return { id: post.id, publishAt: post.publishAt, epoch: post.epoch, authorId: post.authorId, stale: false, text };
  }

  /** Seals at this device's current epoch and puts; when the server is at a later one, waits for the commit and tries again. */
  async #put(communityId: string, id: string, text: string, publishAt: number): Promise<MlsScheduledPost> {
    const identity = await this.#identity();
    const chatId = await this.#d.chatOf(communityId);
    const authorDevices = (await this.#d.keys().devices(identity.userId)).filter((d) => d.revokedAt === null);
    for (let attempt = 0; ; attempt++) {
      const sealed = await this.#d.atCurrentEpoch(chatId, async (group) => {
        const epoch = Number(group.epoch);
        const body = await sealScheduled({ key: await scheduledKey(group, id), identity, chatId, epoch, scheduleId: id, date: publishAt, text, authorDevices });
        return { epoch, body };
      });
      if (!sealed) throw new ParleyError('bad_request', 'this device is not in the channel\'s encryption group yet');
      try {
        const { scheduled } = await this.#d.rest<{ scheduled: MlsScheduledPost }>('PUT', path(communityId, `/channel-scheduled/${encodeURIComponent(id)}`), { ...sealed, publishAt });
        return scheduled;
      } catch (err) {
        if (!(err instanceof ParleyError && err.code === 'epoch_conflict') || attempt >= 2) throw err;
        await this.#epochMoved(chatId, sealed.epoch);
      }
    }
  }

  async #epochMoved(chatId: string, from: number): Promise<void> {
    const sleep = this.#d.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    for (let waited = 0; waited < CATCH_UP_MS && (await this.#d.epoch(chatId)) === from; waited += 100) await sleep(100);
  }

  /**
   * The channel's scheduled posts, soonest first. Stale ones of this user are re-sealed at the current
   * epoch first; each of this user's opens from its copy (its text), others' say whose they are.
   */
  async scheduled(communityId: string): Promise<MlsScheduled[]> {
    let rows = await this.#list(communityId);
    const me = (await this.#identity()).userId;
    if (rows.some((r) => r.stale && r.authorId === me)) {
      await this.resealScheduled(communityId, rows);
      rows = await this.#list(communityId);
    }
    return Promise.all(rows.map(async (r) => {
      const opened = r.authorId === me ? await this.#open(communityId, r) : undefined;
      return {
        id: r.id, publishAt: r.publishAt, epoch: r.epoch, authorId: r.authorId, stale: r.stale === true,
        ...(opened ? { text: opened.text } : { problem: r.authorId === me ? 'its copy does not open on this device' : 'another admin\'s post: only their devices open it before it is published' }),
      };
    }));
  }

  async #list(communityId: string): Promise<MlsScheduledPost[]> {
    return (await this.#d.rest<{ scheduled: MlsScheduledPost[] }>('GET', path(communityId, '/channel-scheduled'))).scheduled;
  }

  async cancelScheduled(communityId: string, id: string): Promise<void> {
    await this.#d.rest('DELETE', path(communityId, `/channel-scheduled/${encodeURIComponent(id)}`));
  }

  /**
   * Re-seals this user's stale scheduled posts at the chat's current epoch: each is opened from the copy
   * sealed to this device, its signature checked as this user's (a device never re-signs a text another
   * wrote, nor one the server made up), and put again with the same id, text and time. Returns how many.
   */
  async resealScheduled(communityId: string, listed?: readonly MlsScheduledPost[]): Promise<number> {
    const me = (await this.#identity()).userId;
    const rows = (listed ?? (await this.#list(communityId))).filter((r) => r.stale && r.authorId === me);
    let done = 0;
    for (const r of rows) {
      const opened = await this.#open(communityId, r);
      if (!opened) continue;
      try {
        await this.#put(communityId, r.id, opened.text, r.publishAt);
        done++;
      } catch (err) {
        // Cancelled meanwhile, or its time passed and the server refuses to move it: left as it is.
        if (!(err instanceof ParleyError && ['not_found', 'channel_schedule_past', 'epoch_conflict'].includes(err.code))) throw err;
      }
    }
    return done;
  }

  async #open(communityId: string, r: MlsScheduledPost): Promise<{ text: string } | undefined> {
    const identity = await this.#identity();
    const chatId = await this.#d.chatOf(communityId);
    const devices = await this.#d.keys().devices(identity.userId);
    const plain = await openScheduledCopy(r.body, identity, chatId, r.id, async (deviceId) => devices.find((d) => d.deviceId === deviceId && d.revokedAt === null)?.mlsSignatureKey);
    if (!plain || plain.date !== r.publishAt) return undefined;
    return { text: plain.text };
  }
}
