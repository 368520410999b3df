import {
  MAX_ATTACHMENTS, ParleyError, WrappedChannelInfo, WrappedPoll, WrappedPostPlain,
  type Attachment, type ChannelEpoch, type ChannelWrap, type MyChannelWrap, type UnwrappedDevice, type WrappedPin, type WrappedPost, type WrappedRead,
} from '@parley/protocol';
import { base64ToBytes, bytesToBase64, randomId } from '../encoding.ts';
import type { KeyDirectory } from '../key-log/index.ts';
import { loadCiphersuite } from '../mls/ciphersuite.ts';
import type { MlsIdentity } from '../mls/identity.ts';
import type { FileToSend } from '../files/types.ts';
import type { RestFn } from '../session.ts';
import { AdminKeys, type AdminKeysDeps } from './admin-keys.ts';
import type { WrappedUpload } from './wrapped-files.ts';
import { drawEpochKey, openEpochKey, openPost, sealEpochKey, sealPost, wrappedPostSigningBytes } from './epoch-keys.ts';
import { foldWrappedEdits, reactWrapped, wrappedCounts, type WrappedReactions } from './wrapped-responses.ts';
import { forwardWrapped, type ForwardSend } from './wrapped-forward.ts';
import { ViewReports } from './view-reports.ts';
import { voteWrapped, wrappedPollVotes, type WrappedPollPost, type WrappedPollResult } from './wrapped-polls.ts';
import { markWrappedComment, unmarkDeletedComment, unmarkWrappedComment, wrappedCommentCounts } from './wrapped-comments.ts';
import { markWrappedRead, muteWrapped, wrappedRead, wrappedReads } from './wrapped-reads.ts';
import { checkScheduledPlacement, WrappedSchedule, type WrappedScheduled } from './wrapped-schedule.ts';

export interface WrappedChannelsDeps {
  rest: RestFn;
  /** This device's MLS identity: its key-log key is what wraps are sealed to, and what signs posts. */
  identity(): Promise<MlsIdentity> | undefined;
  keys(): KeyDirectory;
  now(): number;
  /** R147: the channel's name and description as this (admin's) device reads them in the announcements chat, if it does. */
  channelInfo?(communityId: string): Promise<WrappedChannelInfo | undefined>;
  /** R162: keeps a post with files in the upload outbox and uploads them; `posted` settles once it is posted (`postUploaded`) or refused for good. */
  queueFiles?(upload: WrappedUpload, text: string, files: readonly FileToSend[]): Promise<{ clientMsgId: string; posted: Promise<WrappedPost | WrappedScheduled> }>;
  /** R170: the chats' logs and outbox, for epoch keys through the admins' MLS group (channels/admin-keys.ts). */
  adminGroup?: Omit<AdminKeysDeps, 'rest'>;
  /** R186: queues content with its blobs in a chat of this device (channels/wrapped-forward.ts). */
  forwardTo?: ForwardSend;
}

/** A post of a wrapped channel as this device read it: shown only when it opened and its signature checks. */
export type WrappedChannelPost =
  | {
    seq: number; epoch: number; verified: true; text: string; date: number; authorId: string; authorDevice: string; attachments?: Attachment[];
    /** R167: this entry edits the post at that seq (its signed plaintext says so); `foldWrappedEdits` applies it. */
    edits?: number;
    /** R167: after `foldWrappedEdits`, the signed date of the newest edit shown. */
    edited?: number;
    /** R184: this entry pins or unpins the post at `pin.seq` (signed; `text` is ''): no post; `foldWrappedPins` reads it. */
    pin?: WrappedPin;
    /** R185: a poll (its votes: `pollVotes`, `vote`). */
    poll?: WrappedPoll;
    /** R188: published by the server at its signed `date`, the time an admin scheduled (checked: not early). */
    scheduled?: true;
  }
  | { seq: number; epoch: number; verified: false; problem: string };

/** A page of the log as `readPage` gives it: the posts, the newest channel info in it (R147), and the last seq it covered. */
export interface WrappedChannelPage {
  posts: WrappedChannelPost[];
  info: WrappedChannelInfo | undefined;
  /** The seq to read after next (the page's last, info posts included; `after` when the page is empty). */
  last: number;
  /** Whether the server's page was full: more may follow. */
  full: boolean;
}

/** What an entry seals besides its place and signer (R142, R147, R162). */
type WrappedContent = { text?: string; info?: WrappedChannelInfo; attachments?: Attachment[]; edits?: number; pin?: WrappedPin; poll?: WrappedPoll };
/** R167-R168: what the post request says besides the body: the post an edit replaces, the files it keeps. */
type PostExtra = { blobs?: string[]; edits?: number; keptFiles?: number; pins?: number; unpin?: true };

/** The server's page of wrapped posts (R142: 100). */
const POSTS_PAGE = 100;
const path = (communityId: string, rest: string) => `/communities/${encodeURIComponent(communityId)}${rest}`;

/**
 * `client.wrappedChannels` (R141-R142): private channels past the MLS size. An admin's device draws
 * each epoch's key, seals it to every subscriber device the server lists (its key checked against the
 * device's verified key log first) and posts under it, signed with its own key; a subscriber's device
 * opens its wraps and the posts. Epoch keys live in this object's memory only.
 */
export class WrappedChannels {
  readonly #d: WrappedChannelsDeps;
  readonly #keys = new Map<string, Uint8Array>();
  /** R149: the automatic wrapMissing running per channel, and whether another notice came meanwhile. */
  readonly #auto = new Map<string, { again: boolean }>();
  /** R147: the newest channel info this device opened per channel, with its seq. */
  readonly #info = new Map<string, { seq: number; info: WrappedChannelInfo }>();
  /** R183: posts this device reported as shown, once per run. */
  readonly #viewed = new ViewReports();

  /** R170: epoch keys sent to and read from the admins' MLS group. */
  readonly #admins: AdminKeys | undefined;
  /** R188: scheduled posts (channels/wrapped-schedule.ts). */
  readonly #schedule: WrappedSchedule;

  constructor(deps: WrappedChannelsDeps) {
    this.#d = deps;
    this.#admins = deps.adminGroup && new AdminKeys({ rest: deps.rest, ...deps.adminGroup });
    this.#schedule = new WrappedSchedule({
      rest: deps.rest, identity: () => this.#identity(), keys: deps.keys, epochKey: (id, e) => this.#epochKey(id, e), current: (id) => this.current(id), rekey: (id) => this.rekey(id),
      ...(deps.channelInfo ? { channelInfo: deps.channelInfo } : {}),
    });
  }

  async #identity(): Promise<MlsIdentity> {
    const identity = this.#d.identity();
    if (!identity) throw new ParleyError('bad_request', 'wrapped channels need this device\'s MLS identity (mls.enabled)');
    return identity;
  }

  async current(communityId: string): Promise<{ epoch: ChannelEpoch | null; rekeyNeeded: boolean }> {
    return this.#d.rest('GET', path(communityId, '/epochs/current'));
  }

  /**
   * Admins: a new epoch (after a removal, R142, or to start) with a fresh key, wrapped for every
   * subscriber device now. Returns the epoch and how many devices got it.
   */
  async rekey(communityId: string): Promise<{ epoch: number; wrapped: number; skipped: number }> {
    const { epoch: current } = await this.current(communityId);
    const epoch = (current?.epoch ?? 0) + 1;
    const { admitted } = await this.#d.rest<{ admitted?: string[] }>('POST', path(communityId, '/epochs'), { epoch });
    // R178: admins promoted before R171 were put in the admins' group just now: admitted there by this user's word (R152).
    if (admitted?.length) await this.#admins?.admit(communityId, admitted).catch((err: unknown) => console.warn('parley: admitting admins to the admins\' group failed', communityId, err));
    const key = drawEpochKey();
    this.#keys.set(`${communityId}:${epoch}`, key);
    // R170: the other admins' devices take the key from their MLS group at once; wraps stay their fallback.
    await this.#admins?.share(communityId, epoch, key).catch((err: unknown) => console.warn('parley: sending the epoch key to the admins\' group failed', communityId, err));
    // R161: the epoch's first entry is the channel's info, before anyone gets the key: whoever holds it reads the name.
    const info = await this.#d.channelInfo?.(communityId);
    if (info) {
      try {
        await this.#publishIn(communityId, epoch, { info: WrappedChannelInfo.parse(info) });
      } catch (err) {
        // Another admin's epoch or a removal came first: the next post carries the info anyway (R147).
        if (!(err instanceof ParleyError && err.code === 'channel_rekey_needed')) throw err;
      }
    }
    const wrapped = await this.wrapMissing(communityId);
    // R188: this user's scheduled posts sealed under an epoch a removal ended go out under this one.
    await this.#schedule.reseal(communityId).catch((err: unknown) => console.warn('parley: re-sealing scheduled posts under the new epoch failed', communityId, err));
    return { epoch, ...wrapped };
  }

  /**
   * R188, admins: `text` published by the server at `publishAt` (sealed and signed now, under the current
   * epoch); `opts.id` replaces a scheduled post. R192: with `files` (photos, files, a voice post), kept in
   * the upload outbox and uploaded first as `send`'s, then scheduled (resolves then), and/or a `poll`.
   */
  async schedule(communityId: string, text: string, publishAt: number, opts: { id?: string; files?: readonly FileToSend[]; poll?: WrappedPoll } = {}): Promise<WrappedScheduled> {
    const { files, ...rest } = opts;
    if (!files?.length) return this.#schedule.schedule(communityId, text, publishAt, rest);
    if (opts.poll) throw new ParleyError('bad_request', 'a post carries files or a poll, not both');
    if (files.length > MAX_ATTACHMENTS) throw new ParleyError('bad_request', `at most ${MAX_ATTACHMENTS} files in a post`);
    if (!this.#d.queueFiles) throw new ParleyError('bad_request', 'this client has no upload outbox');
    await this.#identity();
    const schedule = { id: opts.id ?? randomId(), publishAt };
    return (await (await this.#d.queueFiles({ communityId, schedule }, text, files)).posted) as WrappedScheduled;
  }

  /** R188, admins: the channel's scheduled posts, soonest first, opened here; this user's stale ones re-sealed first. */
  async scheduled(communityId: string): Promise<WrappedScheduled[]> {
    return this.#schedule.list(communityId);
  }

  /** R188, admins: cancels a scheduled post. */
  async cancelScheduled(communityId: string, id: string): Promise<void> {
    return this.#schedule.cancel(communityId, id);
  }

  /** R188: re-seals this user's stale scheduled posts under the current epoch (also done by `rekey` and `scheduled`); how many. */
  async resealScheduled(communityId: string): Promise<number> {
    return this.#schedule.reseal(communityId);
  }

  /**
   * Admins: wraps the current epoch's key for each subscriber device without one (new subscribers,
   * new devices), in the server's batches. A device whose key its verified key log does not bind
   * is skipped (counted), never sealed to.
   */
  async wrapMissing(communityId: string): Promise<{ wrapped: number; skipped: number }> {
    const { epoch: current } = await this.current(communityId);
    if (!current) throw new ParleyError('channel_rekey_needed', 'this channel has no epoch yet: rekey first');
    const epochKey = await this.#epochKey(communityId, current.epoch);
    if (!epochKey) throw new ParleyError('channel_rekey_needed', `this device holds no key of epoch ${current.epoch}: rekey`);
    let after = '';
    let wrapped = 0;
    let skipped = 0;
    for (;;) {
      const q = after === '' ? '' : `?after=${encodeURIComponent(after)}`;
      const { devices } = await this.#d.rest<{ devices: UnwrappedDevice[] }>('GET', path(communityId, `/epochs/${current.epoch}/unwrapped${q}`));
      if (devices.length === 0) return { wrapped, skipped };
      const batch: ChannelWrap[] = [];
      for (const d of devices) {
        const key = base64ToBytes(d.mlsSignatureKey);
        if (!(await this.#d.keys().verifyMember(d.userId, d.deviceId, key))) {
          skipped++;
          continue;
        }
        const sealed = await sealEpochKey(epochKey, key, { communityId, epoch: current.epoch, userId: d.userId, deviceId: d.deviceId });
        batch.push({ userId: d.userId, deviceId: d.deviceId, wrapped: bytesToBase64(sealed) });
      }
      // R149: `stored` leaves out wraps another admin's device stored first for the same device.
      if (batch.length > 0) wrapped += (await this.#d.rest<{ stored: number }>('PUT', path(communityId, `/epochs/${current.epoch}/wraps`), { wraps: batch })).stored;
      after = devices.at(-1)?.deviceId ?? after;
    }
  }

  /**
   * R149: what an admin's device does on `wraps_needed` (a subscriber joined, a device without a wrap
   * asked, or this device came online with some waiting): `wrapMissing`, one run at a time per
   * channel, once more when another notice came during it. Nothing to do without an epoch (the first
   * post opens one) or when this device holds no key of it (another admin's device wraps). Resolves
   * when done; never throws (a failure is logged; the next notice tries again).
   */
  async autoWrap(communityId: string): Promise<void> {
    const running = this.#auto.get(communityId);
    if (running) {
      running.again = true;
      return;
    }
    const state = { again: true };
    this.#auto.set(communityId, state);
    try {
      while (state.again) {
        state.again = false;
        try {
          await this.wrapMissing(communityId);
        } catch (err) {
          if (!(err instanceof ParleyError && err.code === 'channel_rekey_needed')) console.warn('parley: wrapping the channel key for new devices failed', communityId, err);
        }
      }
    } finally {
      this.#auto.delete(communityId);
    }
  }

  /**
   * Admins: a post under the current epoch, signed by this device; rekeys first when a subscriber
   * left since the epoch began. It carries the channel's name and description as this device reads
   * them (R147), as `chat_info`'s `announce` does for a group's newcomers: a subscriber reads only
   * from the epoch it was given. A post too long with them goes without them, and an entry of the
   * info alone follows it, so the newest entry always names the channel (R161). R162: a post with
   * `files` is `send`'s, awaited: resolves once posted (after a restart's resume, if the app is closed
   * meanwhile the next start posts it), rejects when an upload or the post is refused for good.
   */
  async post(communityId: string, text: string, opts: { files?: readonly FileToSend[]; edits?: number; keep?: readonly Attachment[] } = {}): Promise<WrappedPost> {
    if (opts.files?.length) return (await this.send(communityId, text, { ...opts, files: opts.files })).posted;
    return this.#compose(communityId, text, [], opts);
  }

  /**
   * R162, admins: a post with files, kept in this device's upload outbox (files/uploads.ts) before its
   * uploads start, so closing the app loses nothing: the next start resumes the uploads (tus, from the
   * server's offset) and posts it then, once. Resolves with its id (`client.uploads()`, `pauseUpload`,
   * `resumeUpload`, `cancelUpload`) once kept; `posted` settles as `post` does.
   */
  async send(communityId: string, text: string, opts: { files: readonly FileToSend[]; edits?: number; keep?: readonly Attachment[] }): Promise<{ clientMsgId: string; posted: Promise<WrappedPost> }> {
    const keep = opts.keep ?? [];
    if (opts.files.length === 0) throw new ParleyError('bad_request', 'send is for a post with files: post the text alone');
    if (opts.files.length + keep.length > MAX_ATTACHMENTS) throw new ParleyError('bad_request', `at most ${MAX_ATTACHMENTS} files in a post`);
    if (!this.#d.queueFiles) throw new ParleyError('bad_request', 'this client has no upload outbox');
    await this.#identity(); // refused now, not after the uploads, on a device that can't sign
    const queued = await this.#d.queueFiles({ communityId, ...(opts.edits !== undefined ? { edits: opts.edits } : {}), ...(keep.length > 0 ? { keep: [...keep] } : {}) }, text, opts.files);
    return queued as { clientMsgId: string; posted: Promise<WrappedPost> }; // not a scheduled one: a post
  }

  /**
   * R162: what the upload outbox calls once a kept post's files are all uploaded (at once, or in a later
   * run): seals, signs and posts it with them. Sent again after an answer that never came (a restart,
   * a cut connection), the server answers the post it stored: its new files name it.
   */
  async postUploaded(upload: WrappedUpload, text: string, uploaded: readonly Attachment[]): Promise<WrappedPost | WrappedScheduled> {
    // R192: a scheduled post's files are uploaded: it is scheduled now (again with the same id after a restart: a replacement).
    if (upload.schedule) return this.#schedule.schedule(upload.communityId, text, upload.schedule.publishAt, { id: upload.schedule.id, attachments: uploaded });
    return this.#compose(upload.communityId, text, uploaded, { ...(upload.edits !== undefined ? { edits: upload.edits } : {}), ...(upload.keep ? { keep: upload.keep } : {}) });
  }

  async #compose(communityId: string, text: string, uploaded: readonly Attachment[], opts: { edits?: number; keep?: readonly Attachment[] }): Promise<WrappedPost> {
    const keep = opts.keep ?? [];
    if (text.trim() === '' && uploaded.length === 0 && keep.length === 0) throw new ParleyError('bad_request', 'a post needs text or files');
    if (uploaded.length + keep.length > MAX_ATTACHMENTS) throw new ParleyError('bad_request', `at most ${MAX_ATTACHMENTS} files in a post`);
    const attachments = [...keep, ...uploaded];
    const content = { ...(text.trim() !== '' ? { text } : {}), ...(attachments.length > 0 ? { attachments } : {}), ...(opts.edits !== undefined ? { edits: opts.edits } : {}) };
    // R162: the server references only new uploads; R167-R168: an edit's kept files are referenced by the post they came from.
    const extra: PostExtra = {
      ...(uploaded.length > 0 ? { blobs: uploaded.map((a) => a.blobId) } : {}),
      ...(opts.edits !== undefined ? { edits: opts.edits } : {}), ...(keep.length > 0 ? { keptFiles: keep.length } : {}),
    };
    const info = await this.#d.channelInfo?.(communityId);
    if (!info) return this.#publish(communityId, content, extra);
    try {
      return await this.#publish(communityId, { ...content, info: WrappedChannelInfo.parse(info) }, extra);
    } catch (err) {
      if (!(err instanceof ParleyError && err.code === 'channel_post_too_large')) throw err;
      const post = await this.#publish(communityId, content, extra);
      // The post is out: a failure here only leaves the newest entry without the name (the next post or rename carries it).
      await this.publishInfo(communityId, info).catch((e: unknown) => console.warn('parley: posting the channel\'s info after a long post failed', communityId, e));
      return post;
    }
  }

  /**
   * R147, admins: the channel's name (and description) for subscribers past the MLS size, sealed and
   * signed like a post, alone in an entry; the SDK sends it when the community is renamed or described
   * (`communities.update`); each post carries it too. Readers show the newest (`readPage().info`, `channelInfo`).
   */
  async publishInfo(communityId: string, info: WrappedChannelInfo): Promise<WrappedPost> {
    return this.#publish(communityId, { info: WrappedChannelInfo.parse(info) });
  }

  /**
   * R186: forwards a post this device opened (as `read` gives it, edits folded in) into chats: text and
   * files re-shared (R54), `forwarded.channel` naming the channel as this device read it. The new ids, one per chat.
   */
  async forward(targetChatIds: readonly string[], communityId: string, post: WrappedChannelPost): Promise<string[]> {
    if (!this.#d.forwardTo) throw new ParleyError('bad_request', 'this client has no chats to forward to');
    const info = (await this.channelInfo(communityId)) ?? await this.#d.channelInfo?.(communityId);
    return forwardWrapped(this.#d.forwardTo, targetChatIds, post, info);
  }

  /** The newest channel info this device has read (R147), if any. */
  async channelInfo(communityId: string): Promise<WrappedChannelInfo | undefined> {
    return this.#info.get(communityId)?.info;
  }

  async #publish(communityId: string, content: WrappedContent, extra?: PostExtra): Promise<WrappedPost> {
    for (let attempt = 0; ; attempt++) {
      const { epoch: current, rekeyNeeded } = await this.current(communityId);
      const epoch = current && !rekeyNeeded ? current.epoch : (await this.rekey(communityId)).epoch;
      try {
        return await this.#publishIn(communityId, epoch, content, extra);
      } catch (e) {
        // Another admin opened an epoch, or a subscriber left, between our read and our post.
        if (!(e instanceof ParleyError && e.code === 'channel_rekey_needed') || attempt >= 2) throw e;
      }
    }
  }

  /** Seals, signs and posts one entry under `epoch` (R142); an entry of info alone is marked so (R161). */
  async #publishIn(communityId: string, epoch: number, content: WrappedContent, extra: PostExtra = {}): Promise<WrappedPost> {
    const key = await this.#epochKey(communityId, epoch);
    if (!key) throw new ParleyError('channel_rekey_needed', `this device holds no key of epoch ${epoch}`);
    const identity = await this.#identity();
    const plain: WrappedPostPlain = { v: 1, communityId, epoch, userId: identity.userId, deviceId: identity.deviceId, date: this.#d.now(), ...content };
    const signed = JSON.stringify(plain);
    const cs = await loadCiphersuite(identity.ciphersuite);
    const signature = bytesToBase64(await cs.signature.sign(identity.signaturePrivateKey, wrappedPostSigningBytes(signed)));
    const body = await sealPost(key, communityId, epoch, new TextEncoder().encode(JSON.stringify({ signed, signature })));
    const infoAlone = content.text === undefined && content.attachments === undefined && content.pin === undefined && content.poll === undefined;
    return (await this.#d.rest<{ post: WrappedPost }>('POST', path(communityId, '/wrapped-posts'), {
      epoch, body: bytesToBase64(body), ...(infoAlone ? { info: true } : {}), ...extra,
    })).post;
  }

  /** Posts after `after`, each opened with this device's wrap of its epoch and checked against its signer's key log (channel info, R147, left out). */
  async read(communityId: string, after = 0): Promise<WrappedChannelPost[]> {
    return (await this.readPage(communityId, after)).posts;
  }

  /** One page of the log after `after`: its posts as `read` gives them, and the newest channel info in it (R147). */
  async readPage(communityId: string, after = 0): Promise<WrappedChannelPage> {
    const { posts } = await this.#d.rest<{ posts: WrappedPost[] }>('GET', path(communityId, `/wrapped-posts?after=${after}`));
    const out: WrappedChannelPost[] = [];
    let info: WrappedChannelInfo | undefined;
    for (const p of posts) {
      const { post, info: told } = await this.#open(communityId, p);
      if (post) out.push(post);
      if (told) {
        info = told;
        if ((this.#info.get(communityId)?.seq ?? 0) < p.seq) this.#info.set(communityId, { seq: p.seq, info });
      }
    }
    // R188: a scheduled post served before its time is not shown.
    return { posts: checkScheduledPlacement(out, this.#d.now()), info, last: posts.at(-1)?.seq ?? after, full: posts.length >= POSTS_PAGE };
  }

  /**
   * R161: the channel's info as the log's newest entry carries it (each epoch's first entry and every
   * post do), for a chat list's row: one read, whatever the log's length. When this device can't open
   * that entry (its wrap of the newest epoch is not made yet), the newest info it read before, if any.
   * R178: `post` is the newest post as a reader shows it (its newest edit by its author folded in, R167),
   * never an edit, an entry of info alone or a deleted post; none when it does not open here.
   */
  async latest(communityId: string): Promise<{ info: WrappedChannelInfo | undefined; post: WrappedChannelPost | undefined }> {
    const got = await this.#d.rest<{ post: WrappedPost | null; newestPost?: WrappedPost; newestEdit?: WrappedPost }>('GET', path(communityId, '/wrapped-posts/latest'));
    const p = got.post;
    const opened = p ? await this.#open(communityId, p) : {};
    if (p && opened.info && (this.#info.get(communityId)?.seq ?? 0) < p.seq) this.#info.set(communityId, { seq: p.seq, info: opened.info });
    // A server from before R178 names only the newest entry: it is the post only when it is one (not an edit).
    const newest = got.newestPost ? (got.newestPost.seq === p?.seq ? opened : await this.#open(communityId, got.newestPost)) : opened;
    let post = newest.post?.verified && newest.post.edits === undefined && newest.post.pin === undefined && checkScheduledPlacement([newest.post], this.#d.now())[0]?.verified ? newest.post : undefined;
    if (post && got.newestEdit) {
      // The server's mark says which post an entry edits; the signed `edits` and author decide (foldWrappedEdits).
      const edit = (await this.#open(communityId, got.newestEdit)).post;
      if (edit) post = foldWrappedEdits([post, edit])[0] as WrappedChannelPost & { verified: true };
    }
    return { info: this.#info.get(communityId)?.info, post };
  }

  /** A post as shown (none for an entry of channel info alone), and the channel info it carries (R147), once it opened and its signature checked. */
  async #open(communityId: string, p: WrappedPost): Promise<{ post?: WrappedChannelPost; info?: WrappedChannelInfo }> {
    const fail = (problem: string) => ({ post: { seq: p.seq, epoch: p.epoch, verified: false as const, problem } });
    // R167: an admin deleted it for everyone: nothing to show, and not a post this device missed.
    if (p.deleted) return {};
    const key = await this.#epochKey(communityId, p.epoch);
    // R161: an entry marked as the channel's info alone is no post this device missed: not counted; nor (R167) an edit.
    // R184: nor a pin (its pin or unpin stays unknown here: the pins shown are those of the entries this device opens).
    if (!key) return p.info || p.edits !== undefined || p.pins !== undefined ? {} : fail('this device holds no key of its epoch');
    let signed: string;
    let signature: string;
    try {
      const outer = JSON.parse(new TextDecoder().decode(await openPost(key, communityId, p.epoch, base64ToBytes(p.body)))) as { signed?: unknown; signature?: unknown };
      if (typeof outer.signed !== 'string' || typeof outer.signature !== 'string') return fail('malformed');
      ({ signed, signature } = { signed: outer.signed, signature: outer.signature });
    } catch {
      return fail('it does not open with its epoch\'s key');
    }
    const plain = WrappedPostPlain.safeParse(JSON.parse(signed));
    if (!plain.success) return fail('malformed');
    const v = plain.data;
    if (v.communityId !== communityId || v.epoch !== p.epoch || v.userId !== p.authorId || v.deviceId !== p.authorDevice) return fail('signed for another place');
    const device = (await this.#d.keys().devices(v.userId)).find((d) => d.deviceId === v.deviceId);
    if (!device) return fail('its signer\'s device is not in their key log');
    const cs = await loadCiphersuite((await this.#identity()).ciphersuite);
    if (!(await cs.signature.verify(base64ToBytes(device.mlsSignatureKey), wrappedPostSigningBytes(signed), base64ToBytes(signature)))) return fail('bad signature');
    const info = v.info ? { info: v.info } : {};
    if (v.text === undefined && v.attachments === undefined && v.pin === undefined && v.poll === undefined) return info;
    return {
      post: {
        seq: p.seq, epoch: p.epoch, verified: true, text: v.text ?? '', date: v.date, authorId: v.userId, authorDevice: v.deviceId,
        ...(v.attachments ? { attachments: v.attachments } : {}), ...(v.edits !== undefined ? { edits: v.edits } : {}), ...(v.pin ? { pin: v.pin } : {}), ...(v.poll ? { poll: v.poll } : {}),
        ...(v.scheduled ? { scheduled: true as const } : {}),
      },
      ...info,
    };
  }

  /**
   * R167, admins: replaces the post at `seq` for every reader: a new entry under the current epoch whose
   * signed plaintext names the post, with the new text and files (`keep`: files of the post kept; `files`:
   * new ones, uploaded first). Readers show the newest signed version, "edited" (`foldWrappedEdits`).
   */
  async edit(communityId: string, seq: number, text: string, opts: { files?: readonly FileToSend[]; keep?: readonly Attachment[] } = {}): Promise<WrappedPost> {
    return this.post(communityId, text, { ...opts, edits: seq });
  }

  /**
   * R184, admins: pins (`on`) or unpins the post at `seq` for every reader: a new entry under the current
   * epoch whose signed plaintext says so (readers fold the pins with `foldWrappedPins`, going by that, not
   * by the server's mark). It carries the channel's info as a post does (R161: the newest entry names the
   * channel); too long with it, it goes without and an entry of the info follows. The request says `unpin`
   * in plain too, so the server holds the channel to its pin limit (`channel_pin_limit` past it).
   */
  async pin(communityId: string, seq: number, on: boolean): Promise<WrappedPost> {
    const content = { pin: { seq, on } };
    const extra: PostExtra = { pins: seq, ...(on ? {} : { unpin: true as const }) };
    const info = await this.#d.channelInfo?.(communityId);
    if (!info) return this.#publish(communityId, content, extra);
    try {
      return await this.#publish(communityId, { ...content, info: WrappedChannelInfo.parse(info) }, extra);
    } catch (err) {
      if (!(err instanceof ParleyError && err.code === 'channel_post_too_large')) throw err;
      const entry = await this.#publish(communityId, content, extra);
      await this.publishInfo(communityId, info).catch((e: unknown) => console.warn('parley: posting the channel\'s info after a pin failed', communityId, e));
      return entry;
    }
  }

  /** R167, admins: deletes the post at `seq` for everyone (the server drops its body and its edits'). */
  async delete(communityId: string, seq: number): Promise<void> {
    await this.#d.rest('DELETE', path(communityId, `/wrapped-posts/${seq}`));
  }

  /** R166: this user's one reaction to a post (null takes it back), sent as a token of the emoji; the post's counts after, mapped over `emojis`. */
  async react(communityId: string, post: { seq: number; epoch: number }, emoji: string | null, emojis: readonly string[] = []): Promise<WrappedReactions> {
    return reactWrapped(this.#d.rest, (e) => this.#epochKey(communityId, e), communityId, post, emoji, emojis);
  }

  /** R166: the reaction counts of these posts, tokens mapped back to the emoji of `emojis` (what this app offers). */
  async counts(communityId: string, posts: ReadonlyArray<{ seq: number; epoch: number }>, emojis: readonly string[]): Promise<WrappedReactions[]> {
    return wrappedCounts(this.#d.rest, (e) => this.#epochKey(communityId, e), communityId, posts, emojis);
  }

  /**
   * R185, admins: a poll (R87's question and 2-12 options; `multiple`: several answers), signed and
   * sealed like any post, with the channel's info as every post carries it (R147).
   */
  async postPoll(communityId: string, poll: WrappedPoll): Promise<WrappedPost> {
    const content = { poll: WrappedPoll.parse(poll) };
    const info = await this.#d.channelInfo?.(communityId);
    return this.#publish(communityId, info ? { ...content, info: WrappedChannelInfo.parse(info) } : content);
  }

  /** R185: this user's whole choice on a poll (option indices; none takes the vote back), sent as tokens; its votes after. */
  async vote(communityId: string, post: WrappedPollPost, options: readonly number[]): Promise<WrappedPollResult> {
    return voteWrapped(this.#d.rest, (e) => this.#epochKey(communityId, e), communityId, post, options);
  }

  /** R185: the votes of these polls, tokens mapped back to their options. */
  async pollVotes(communityId: string, posts: readonly WrappedPollPost[]): Promise<WrappedPollResult[]> {
    return wrappedPollVotes(this.#d.rest, (e) => this.#epochKey(communityId, e), communityId, posts);
  }

  /**
   * R177: counts a comment sent in the channel's discussion chat (its thread root `wrappedPostRoot(post.seq)`,
   * `commentId` its client message id) under the post, by a mark the server can't map to the comment; the count after.
   */
  async markComment(communityId: string, post: { seq: number; epoch: number }, commentId: string): Promise<number> {
    return markWrappedComment(this.#d.rest, (e) => this.#epochKey(communityId, e), communityId, post, commentId);
  }

  /** R177: the comment, deleted, stops counting (its sender's mark, or anyone's for a holder of `deleteMessages`); the count after. */
  async unmarkComment(communityId: string, post: { seq: number; epoch: number }, commentId: string): Promise<number> {
    return unmarkWrappedComment(this.#d.rest, (e) => this.#epochKey(communityId, e), communityId, post, commentId);
  }

  /** R177: a comment deleted outside the comments panel (in the discussion chat itself): its mark goes when its root names a wrapped post; false when nothing was taken back. */
  async commentDeleted(communityId: string, threadRoot: string | undefined, commentId: string): Promise<boolean> {
    return unmarkDeletedComment(this.#d.rest, (e) => this.#epochKey(communityId, e), communityId, threadRoot, commentId);
  }

  /** R183: tells the server these posts were shown, each once per device run; it only adds to counters (`counts` answers `views`). */
  async markViewed(communityId: string, seqs: readonly number[]): Promise<void> {
    await this.#viewed.report(communityId, seqs, (page) => this.#d.rest('POST', path(communityId, '/wrapped-posts/views'), { seqs: page }));
  }

  /** R177: "N comments" of these posts, by seq, as the server counts the marks. */
  async commentCounts(communityId: string, seqs: readonly number[]): Promise<Map<number, number>> {
    return wrappedCommentCounts(this.#d.rest, communityId, seqs);
  }

  /** R182: every wrapped channel of this user with its unread count (posts after their read position, not their own) and mute: one request. */
  async reads(): Promise<WrappedRead[]> {
    return wrappedReads(this.#d.rest);
  }

  /** R182: this user's read state of one wrapped channel. */
  async readState(communityId: string): Promise<WrappedRead> {
    return wrappedRead(this.#d.rest, communityId);
  }

  /** R182: read up to `upToSeq` (the server moves the position forward only, never past the log's end). */
  async markRead(communityId: string, upToSeq: number): Promise<WrappedRead> {
    return markWrappedRead(this.#d.rest, communityId, upToSeq);
  }

  /** R182: this user's own mute of the channel. */
  async setMuted(communityId: string, muted: boolean): Promise<WrappedRead> {
    return muteWrapped(this.#d.rest, communityId, muted);
  }

  /** The epoch's key: held here, or opened from this device's wrap of it (fetched once per miss). */
  async #epochKey(communityId: string, epoch: number): Promise<Uint8Array | undefined> {
    const id = `${communityId}:${epoch}`;
    const held = this.#keys.get(id) ?? (await this.#admins?.find(communityId, epoch)); // R170: from the admins' group, no wrap needed
    if (held) {
      this.#keys.set(id, held);
      return held;
    }
    const known = [...this.#keys.keys()].filter((k) => k.startsWith(`${communityId}:`)).map((k) => Number(k.slice(communityId.length + 1)));
    const after = known.length > 0 ? Math.max(...known.filter((e) => e < epoch), 0) : 0;
    const { wraps } = await this.#d.rest<{ wraps: MyChannelWrap[] }>('GET', path(communityId, `/wraps?after=${after}`));
    const identity = await this.#identity();
    for (const w of wraps) {
      const c = { communityId, epoch: w.epoch, userId: identity.userId, deviceId: identity.deviceId };
      try {
        this.#keys.set(`${communityId}:${w.epoch}`, await openEpochKey(base64ToBytes(w.wrapped), identity.signaturePrivateKey, identity.signaturePublicKey, c));
      } catch {
        // A wrap that does not open (not sealed to this device's key): that epoch stays unreadable here.
      }
    }
    return this.#keys.get(id);
  }
}
