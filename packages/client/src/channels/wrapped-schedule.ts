import { ParleyError, WrappedChannelInfo, WrappedPoll, WrappedPostPlain, type Attachment } from '@parley/protocol';
import type { WrappedScheduledPost } from '@parley/protocol/channel-schemas';
import { base64ToBytes, bytesToBase64 } from '../encoding.ts';
import type { KeyDirectory } from '../key-log/index.ts';
import { loadCiphersuite } from '../mls/ciphersuite.ts';
import type { MlsIdentity } from '../mls/identity.ts';
import type { RestFn } from '../session.ts';
import { openPost, sealPost, wrappedPostSigningBytes } from './epoch-keys.ts';

/**
 * R188: how long before its signed time a scheduled wrapped post may be served before a reader calls it
 * early (R115's SCHEDULE_TOLERANCE_MS: clocks differ).
 */
export const WRAPPED_SCHEDULE_TOLERANCE_MS = 10 * 60_000;

/** A scheduled post as an admin's device lists it: its text when this device opens it and its signature checks. */
export interface WrappedScheduled {
  id: string;
  publishAt: number;
  epoch: number;
  authorId: string;
  /** Sealed under an epoch posts may no longer use (R142): the server keeps it until a device of its author re-seals it. */
  stale: boolean;
  /** Its text, when this device holds its epoch's key and its signature checks (and it has one); else why not. */
  text?: string;
  /** R192: its files (photos, voice, …) and its poll, as its signed plaintext names them. */
  attachments?: Attachment[];
  poll?: WrappedPoll;
  problem?: string;
}

/** R192: what a scheduled post carries besides its text: files already uploaded (R162's, its `blobs`), a poll (R185). */
export interface ScheduledExtras {
  attachments?: readonly Attachment[];
  poll?: WrappedPoll;
}

type Opened = { text?: string; attachments?: Attachment[]; poll?: WrappedPoll };

export interface WrappedScheduleDeps {
  rest: RestFn;
  identity(): Promise<MlsIdentity>;
  keys(): KeyDirectory;
  epochKey(communityId: string, epoch: number): Promise<Uint8Array | undefined>;
  current(communityId: string): Promise<{ epoch: { epoch: number } | null; rekeyNeeded: boolean }>;
  /** Opens the next epoch (and re-seals this user's stale scheduled posts under it). */
  rekey(communityId: string): Promise<{ epoch: number }>;
  channelInfo?(communityId: string): Promise<WrappedChannelInfo | undefined>;
}

const path = (communityId: string, rest: string) => `/communities/${encodeURIComponent(communityId)}${rest}`;
const newId = (): string => bytesToBase64(globalThis.crypto.getRandomValues(new Uint8Array(16))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

/**
 * R188, admins: scheduled posts of a wrapped channel. A scheduled post is sealed and signed as R142's
 * post under the current epoch, its signed `date` the time it is to appear and `scheduled: true`; the
 * server's sweep publishes it then. R192: with files (uploaded first; the scheduled post holds them on
 * the server until it is published) and a poll, as a post carries them.
 */
export class WrappedSchedule {
  readonly #d: WrappedScheduleDeps;
  constructor(deps: WrappedScheduleDeps) {
    this.#d = deps;
  }

  /**
   * Schedules `text` at `publishAt` (or replaces the scheduled post `opts.id`); opens a new epoch first
   * after a removal, as `post` does. R192: `attachments` are complete uploads of this user's (the
   * upload outbox calls this once they are), `poll` a poll.
   */
  async schedule(communityId: string, text: string, publishAt: number, opts: { id?: string } & ScheduledExtras = {}): Promise<WrappedScheduled> {
    const content = contentOf(text, opts);
    const id = opts.id ?? newId();
    const info = await this.#d.channelInfo?.(communityId);
    for (let attempt = 0; ; attempt++) {
      const { epoch: current, rekeyNeeded } = await this.#d.current(communityId);
      const epoch = current && !rekeyNeeded ? current.epoch : (await this.#d.rekey(communityId)).epoch;
      try {
        try {
          return await this.#put(communityId, id, epoch, content, publishAt, info);
        } catch (err) {
          // R161: a post names the channel; one too long with the name goes without it.
          if (!(info && err instanceof ParleyError && err.code === 'channel_post_too_large')) throw err;
          return await this.#put(communityId, id, epoch, content, publishAt, undefined);
        }
      } catch (err) {
        // Another admin opened an epoch, or a subscriber left, between our read and our PUT.
        if (!(err instanceof ParleyError && err.code === 'channel_rekey_needed') || attempt >= 2) throw err;
      }
    }
  }

  async #put(communityId: string, id: string, epoch: number, content: Opened, publishAt: number, info: WrappedChannelInfo | undefined): Promise<WrappedScheduled> {
    const key = await this.#d.epochKey(communityId, epoch);
    if (!key) throw new ParleyError('channel_rekey_needed', `this device holds no key of epoch ${epoch}`);
    const identity = await this.#d.identity();
    const plain: WrappedPostPlain = {
      v: 1, communityId, epoch, userId: identity.userId, deviceId: identity.deviceId, date: publishAt, ...content, scheduled: true, ...(info ? { info: WrappedChannelInfo.parse(info) } : {}),
    };
    const signed = JSON.stringify(plain);
    const cs = await loadCiphersuite(identity.ciphersuite);
    const signature = bytesToBase64(await cs.signature.sign(identity.signaturePrivateKey, wrappedPostSigningBytes(signed)));
    const body = await sealPost(key, communityId, epoch, new TextEncoder().encode(JSON.stringify({ signed, signature })));
    const { scheduled } = await this.#d.rest<{ scheduled: WrappedScheduledPost }>('PUT', path(communityId, `/wrapped-scheduled/${encodeURIComponent(id)}`), {
      epoch, body: bytesToBase64(body), publishAt,
      // R192: the server holds the files until the post goes out; a re-seal names them again.
      ...(content.attachments ? { blobs: content.attachments.map((a) => a.blobId) } : {}),
    });
    return { id: scheduled.id, publishAt: scheduled.publishAt, epoch: scheduled.epoch, authorId: scheduled.authorId, stale: false, ...content };
  }

  /**
   * The channel's scheduled posts, soonest first, each opened on this device. Stale ones of this user
   * are re-sealed under the current epoch first (a new epoch opened when a removal asks for one).
   */
  async list(communityId: string): Promise<WrappedScheduled[]> {
    let rows = await this.#list(communityId);
    const me = (await this.#d.identity()).userId;
    if (rows.some((r) => r.stale && r.authorId === me)) {
      const { epoch, rekeyNeeded } = await this.#d.current(communityId);
      // `rekey` re-seals them itself; else they are re-sealed here under the current epoch.
      if (!epoch || rekeyNeeded) await this.#d.rekey(communityId);
      else await this.reseal(communityId, rows);
      rows = await this.#list(communityId);
    }
    return Promise.all(rows.map(async (r) => {
      const opened = await this.#open(communityId, r);
      return { id: r.id, publishAt: r.publishAt, epoch: r.epoch, authorId: r.authorId, stale: r.stale === true, ...opened };
    }));
  }

  async #list(communityId: string): Promise<WrappedScheduledPost[]> {
    return (await this.#d.rest<{ scheduled: WrappedScheduledPost[] }>('GET', path(communityId, '/wrapped-scheduled'))).scheduled;
  }

  async cancel(communityId: string, id: string): Promise<void> {
    await this.#d.rest('DELETE', path(communityId, `/wrapped-scheduled/${encodeURIComponent(id)}`));
  }

  /**
   * Re-seals this user's stale scheduled posts under the current epoch (what `rekey` and `list` call):
   * each is opened with its old epoch's key, its signature checked as its author's (this user's: a
   * device never re-signs a text another wrote, nor one the server or a key holder made up), and put
   * again with the same id, text, files (R192: named again, so the server keeps holding them), poll and
   * time. Returns how many; one that does not open here is left.
   */
  async reseal(communityId: string, listed?: readonly WrappedScheduledPost[]): Promise<number> {
    const me = (await this.#d.identity()).userId;
    const rows = (listed ?? (await this.#list(communityId))).filter((r) => r.stale && r.authorId === me);
    if (rows.length === 0) return 0;
    const { epoch: current, rekeyNeeded } = await this.#d.current(communityId);
    if (!current || rekeyNeeded) return 0; // the next epoch's `rekey` re-seals them
    const info = await this.#d.channelInfo?.(communityId);
    let done = 0;
    for (const r of rows) {
      const opened = await this.#open(communityId, r);
      if ('problem' in opened) continue;
      try {
        await this.#put(communityId, r.id, current.epoch, opened, r.publishAt, info);
        done++;
      } catch (err) {
        if (!(err instanceof ParleyError && (err.code === 'channel_rekey_needed' || err.code === 'not_found' || err.code === 'channel_post_too_large'))) throw err;
      }
    }
    return done;
  }

  /** Opens a scheduled post: its epoch's key, a signature by the device the server names, a scheduled post of this channel and epoch at the listed time. */
  async #open(communityId: string, r: WrappedScheduledPost): Promise<Opened | { problem: string }> {
    const key = await this.#d.epochKey(communityId, r.epoch);
    if (!key) return { problem: 'this device holds no key of its epoch' };
    try {
      const outer = JSON.parse(new TextDecoder().decode(await openPost(key, communityId, r.epoch, base64ToBytes(r.body)))) as { signed?: unknown; signature?: unknown };
      if (typeof outer.signed !== 'string' || typeof outer.signature !== 'string') return { problem: 'malformed' };
      const plain = WrappedPostPlain.safeParse(JSON.parse(outer.signed));
      if (!plain.success) return { problem: 'malformed' };
      const v = plain.data;
      if ((v.text === undefined && v.attachments === undefined && v.poll === undefined) || v.scheduled !== true || v.pin !== undefined || v.edits !== undefined) return { problem: 'malformed' };
      // R192: the files it names are the ones the server holds for it (a re-seal names them again).
      if ((v.attachments ?? []).map((a) => a.blobId).join() !== (r.blobs ?? []).join()) return { problem: 'its files are not the ones the server holds for it' };
      if (v.communityId !== communityId || v.epoch !== r.epoch || v.userId !== r.authorId || v.deviceId !== r.authorDevice || v.date !== r.publishAt) return { problem: 'signed for another place or time' };
      const device = (await this.#d.keys().devices(v.userId)).find((d) => d.deviceId === v.deviceId);
      if (!device) return { problem: 'its signer\'s device is not in their key log' };
      const cs = await loadCiphersuite((await this.#d.identity()).ciphersuite);
      if (!(await cs.signature.verify(base64ToBytes(device.mlsSignatureKey), wrappedPostSigningBytes(outer.signed), base64ToBytes(outer.signature)))) return { problem: 'bad signature' };
      return { ...(v.text !== undefined ? { text: v.text } : {}), ...(v.attachments ? { attachments: v.attachments } : {}), ...(v.poll ? { poll: v.poll } : {}) };
    } catch {
      return { problem: 'it does not open with its epoch\'s key' };
    }
  }
}

/** A scheduled post's signed content: text, files, a poll; at least one. */
function contentOf(text: string, extras: ScheduledExtras): Opened {
  const attachments = extras.attachments ?? [];
  if (text.trim() === '' && attachments.length === 0 && !extras.poll) throw new ParleyError('bad_request', 'a scheduled post needs text, files or a poll');
  return {
    ...(text.trim() !== '' ? { text } : {}), ...(attachments.length > 0 ? { attachments: [...attachments] } : {}), ...(extras.poll ? { poll: WrappedPoll.parse(extras.poll) } : {}),
  };
}

/**
 * R188: what a reader checks of scheduled posts the log holds (R115's checks, adapted): one served more
 * than the tolerance before its signed time by this device's clock, or placed before a later entry
 * signed (not scheduled) more than the tolerance earlier than its time (that entry proves it was in the
 * log early), is not shown (`verified: false`). A late publication shows its signed time.
 */
export function checkScheduledPlacement<P extends { seq: number; epoch: number; verified: boolean; date?: number; scheduled?: true }>(posts: readonly P[], now: number): (P | { seq: number; epoch: number; verified: false; problem: string })[] {
  const early = (p: P) => ({ seq: p.seq, epoch: p.epoch, verified: false as const, problem: 'a scheduled post published before its time' });
  // The earliest signed date of the entries after each position (a page is in seq order).
  const laterMin: number[] = [];
  let min = Infinity;
  for (let i = posts.length - 1; i >= 0; i--) {
    laterMin[i] = min;
    const p = posts[i];
    // Another scheduled entry's date is its scheduled time, not when it was signed: no proof (a re-sealed late one follows later ones).
    if (p?.verified && !p.scheduled && p.date !== undefined) min = Math.min(min, p.date);
  }
  return posts.map((p, i) => {
    if (!p.verified || !p.scheduled || p.date === undefined) return p;
    if (p.date > now + WRAPPED_SCHEDULE_TOLERANCE_MS || (laterMin[i] ?? Infinity) < p.date - WRAPPED_SCHEDULE_TOLERANCE_MS) return early(p);
    return p;
  });
}
