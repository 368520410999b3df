import {
  ParleyError, type ChannelEpoch, type ChannelWrap, type CreateWrappedPostRequest, type MyChannelWrap, type UnwrappedDevice, type WrappedPost,
} from '@parley/protocol';
import { userTopic, wrappedTopic, type Bus } from '../../bus/bus.ts';
import type { ChannelWrapLimits } from '../../config.ts';
import { RELEASED_AT, type BlobStorage } from '../../storage/blob-storage.ts';
import { WRAPPED_INFO_MARK, type ChannelWrapStorage, type ChannelWrappedPostRow } from '../../storage/channel-wrap-storage.ts';
import type { CommunityMemberRow, CommunityStorage } from '../../storage/community-storage.ts';
import type { Storage } from '../../storage/storage.ts';
import { DELETED_BODY, editMark, notAPostBody, PIN_MARK, type WrappedResponseStorage } from '../../storage/wrapped-response-storage.ts';
import type { WrappedVoteStorage } from '../../storage/wrapped-vote-storage.ts';
import type { AuthContext } from '../accounts.ts';
import { holds } from '../communities/rules.ts';
import type { Clock } from '../ports.ts';
import type { RateLimiter } from '../rate-limiter.ts';
import { pinBody } from './wrapped-pins.ts';

export interface ChannelWrapsDeps {
  storage: Storage;
  communities: CommunityStorage;
  wraps: ChannelWrapStorage;
  clock: Clock;
  limits: ChannelWrapLimits;
  bus: Bus;
  limiter: RateLimiter;
  /** R162: the blobs a post names (each must be the author's own complete upload). */
  blobs: Pick<BlobStorage, 'getBlob'>;
  /** The community's members who hold any right (the owner and admins): R149's `wraps_needed` goes to those who hold `postAnnouncements`. */
  moderators(communityId: string): Promise<CommunityMemberRow[]>;
  /** R178: a leaver's reactions go; the newest post and its edit for a "last post" summary. */
  responses: Pick<WrappedResponseStorage, 'dropReactions' | 'newestPost'>;
  /** R185: a leaver's poll votes go too. */
  votes?: Pick<WrappedVoteStorage, 'dropVotes'>;
  /**
   * R171/R178: when an epoch opens, every holder of `postAnnouncements` not in the admins' group (one
   * promoted before R171) is put in, if the caller's word admits them there (R152); returns whom.
   */
  reconcileAdmins?: (auth: AuthContext, communityId: string) => Promise<string[]>;
}


const POSTS_PAGE = 100;
/** R161: an entry of the channel's info alone is kept with this before its body (R146 prunes by it). */
const INFO_MARK = WRAPPED_INFO_MARK;
/** R167: an edit's body is kept after `e<seq>:` (the post it edits), a deleted entry's is `d:` alone. */
const EDIT_MARK = /^e(\d+):/;
const postView = (p: ChannelWrappedPostRow): WrappedPost => {
  const head = { seq: p.seq, epoch: p.epoch, authorId: p.authorId, authorDevice: p.authorDevice, createdAt: p.createdAt };
  if (p.body === DELETED_BODY) return { ...head, body: '', deleted: true };
  const edit = EDIT_MARK.exec(p.body);
  if (edit) return { ...head, body: p.body.slice(edit[0].length), edits: Number(edit[1]) };
  const pin = PIN_MARK.exec(p.body); // R184
  if (pin) return { ...head, body: p.body.slice(pin[0].length), pins: Number(pin[1]) };
  return { ...head, ...(p.body.startsWith(INFO_MARK) ? { body: p.body.slice(INFO_MARK.length), info: true as const } : { body: p.body }) };
};

/** A member of a wrapped channel (R75's `not_found` for anyone else; `channel_not_wrapped` for a community not in wrapped mode). */
export async function wrappedMember(communities: Pick<CommunityStorage, 'getCommunityMember' | 'getCommunity'>, communityId: string, userId: string): Promise<CommunityMemberRow> {
  const me = await communities.getCommunityMember(communityId, userId);
  const community = me && (await communities.getCommunity(communityId));
  if (!me || !community) throw new ParleyError('not_found', 'no such community');
  if (!community.settings.wrapped) throw new ParleyError('channel_not_wrapped', 'this is not a private channel in wrapped mode');
  return me;
}

/**
 * R141-R142: a private channel past the MLS size. Admins (holders of `postAnnouncements`) open
 * epochs, upload the epoch key wrapped for each subscriber device and post ciphertext under it; a
 * member's device reads its own wraps and the posts. The server checks who may do what and that a
 * wrap goes only to a current member's live device; it never sees a key or a plaintext.
 */
export class ChannelWraps {
  readonly #d: ChannelWrapsDeps;
  constructor(deps: ChannelWrapsDeps) {
    this.#d = deps;
  }

  async #member(communityId: string, userId: string): Promise<CommunityMemberRow> {
    return wrappedMember(this.#d.communities, communityId, userId);
  }

  async #admin(communityId: string, userId: string): Promise<void> {
    if (!holds(await this.#member(communityId, userId), 'postAnnouncements')) throw new ParleyError('channel_admin_only', 'only the channel\'s admins do this');
  }

  /** The epoch posts go under now, or `channel_rekey_needed` when it is not `epoch` or a subscriber left after it was made. */
  async #current(communityId: string, epoch: number): Promise<void> {
    const current = await this.#d.wraps.currentEpoch(communityId);
    if (!current || current.epoch !== epoch) throw new ParleyError('channel_rekey_needed', `epoch ${epoch} is not the current one (${current?.epoch ?? 0})`);
    const removedAt = await this.#d.wraps.lastRemovalAt(communityId);
    if (removedAt !== undefined && current.createdAt < removedAt) throw new ParleyError('channel_rekey_needed', 'a subscriber left since this epoch began: draw a new key');
  }

  async epoch(auth: AuthContext, communityId: string): Promise<{ epoch: ChannelEpoch | null; rekeyNeeded: boolean }> {
    await this.#member(communityId, auth.userId);
    const current = await this.#d.wraps.currentEpoch(communityId);
    const removedAt = await this.#d.wraps.lastRemovalAt(communityId);
    return {
      epoch: current ? { epoch: current.epoch, createdBy: current.createdBy, createdAt: current.createdAt } : null,
      rekeyNeeded: !current || (removedAt !== undefined && current.createdAt < removedAt),
    };
  }

  /** Opens the next epoch; R178: `admitted`, the admins this put in the admins' group (the caller's SDK admits them there, R152). */
  async createEpoch(auth: AuthContext, communityId: string, epoch: number): Promise<{ epoch: ChannelEpoch; admitted: string[] }> {
    await this.#admin(communityId, auth.userId);
    const row = { communityId, epoch, createdBy: auth.userId, createdAt: this.#d.clock.now() };
    if (!(await this.#d.wraps.createEpoch(row))) throw new ParleyError('channel_rekey_needed', `epoch ${epoch} is not the next one`);
    // R178: an admin made before R171 (not in the admins' group) is put in now; the next epochs' keys then reach them there (R170).
    const admitted = (await this.#d.reconcileAdmins?.(auth, communityId)) ?? [];
    return { epoch: { epoch, createdBy: row.createdBy, createdAt: row.createdAt }, admitted };
  }

  async unwrapped(auth: AuthContext, communityId: string, epoch: number, after: string): Promise<UnwrappedDevice[]> {
    await this.#admin(communityId, auth.userId);
    return this.#d.wraps.listUnwrapped(communityId, epoch, after, this.#d.limits.batch);
  }

  /** A batch of wraps of the current epoch, each for a current member's live device; else nothing is stored. */
  async putWraps(auth: AuthContext, communityId: string, epoch: number, wraps: readonly ChannelWrap[]): Promise<{ stored: number }> {
    await this.#admin(communityId, auth.userId);
    if (wraps.length > this.#d.limits.batch) throw new ParleyError('payload_too_large', `at most ${this.#d.limits.batch} wraps per request`);
    await this.#current(communityId, epoch);
    // R172: each wrap's device live and its user a member is checked by the store in the transaction that stores it.
    // R149: several admin devices may answer one notice: a wrap another device stored first for (epoch, device) is kept, this one dropped and not counted.
    const stored = await this.#d.wraps.putWraps(wraps.map((w) => ({ communityId, epoch, userId: w.userId, deviceId: w.deviceId, wrapped: w.wrapped, wrappedBy: auth.deviceId })));
    // Each user whose devices got a new wrap hears of it once per batch (a post they could not open opens now).
    for (const userId of new Set(stored.map((w) => w.userId))) await this.#d.bus.publish(userTopic(userId), { type: 'wrapped_keys', communityId, epoch });
    return { stored: stored.length };
  }

  /**
   * The calling device's own wraps, never another device's. A device without a wrap of the current
   * epoch (a new device, or a subscriber no admin device has wrapped for yet) makes the admins hear
   * `wraps_needed` (R149), at most once per PARLEY_CHANNEL_WRAP_ASK_MS per device.
   */
  async myWraps(auth: AuthContext, communityId: string, after: number): Promise<MyChannelWrap[]> {
    await this.#member(communityId, auth.userId);
    const wraps = (await this.#d.wraps.listWrapsForDevice(communityId, auth.deviceId, after, this.#d.limits.batch))
      .map((w) => ({ epoch: w.epoch, wrapped: w.wrapped, wrappedBy: w.wrappedBy }));
    const current = await this.#d.wraps.currentEpoch(communityId);
    if (current && !wraps.some((w) => w.epoch === current.epoch)
      && (await this.#d.wraps.listWrapsForDevice(communityId, auth.deviceId, current.epoch - 1, 1)).length === 0) await this.#ask(communityId, auth.deviceId);
    return wraps;
  }

  /** R148-R149: a member came into a wrapped channel: their connections hear its notices, and its admins' devices wrap the epoch for them. */
  async joined(communityId: string, userId: string): Promise<void> {
    await this.#d.bus.publish(userTopic(userId), { type: 'wrapped_joined', communityId });
    if (await this.#d.wraps.currentEpoch(communityId)) await this.#tellAdmins(communityId);
  }

  /**
   * R146: a revoked device of a member is treated as a removal in each wrapped channel where it holds
   * the current epoch's key: the next post needs a new epoch, wrapped only for live devices (R142).
   * Runs after the revocation is stored, so no later wrap can name the device (`putWraps` refuses it).
   */
  async deviceRevoked(userId: string, deviceId: string): Promise<void> {
    for (const communityId of await this.memberOf(userId)) {
      const current = await this.#d.wraps.currentEpoch(communityId);
      if (!current) continue;
      const held = await this.#d.wraps.listWrapsForDevice(communityId, deviceId, current.epoch - 1, 1);
      if (held[0]?.epoch === current.epoch) await this.#d.wraps.markRemoval(communityId, this.#d.clock.now());
      // Its wraps go: the device can never ask for them again (no session), so nothing is kept for it.
      await this.#d.wraps.deleteWraps(communityId, [deviceId]);
    }
  }

  /**
   * R142: a member left or was removed: the next post needs a new epoch, and the wraps of their devices
   * go (they are refused them while out; one who comes back reads from the epoch given then, R142).
   */
  async left(communityId: string, userId: string, at: number): Promise<void> {
    await this.#d.wraps.markRemoval(communityId, at);
    await this.#d.wraps.deleteWraps(communityId, (await this.#d.storage.listDevices(userId)).map((d) => d.deviceId));
    // R178: their reactions are no longer counted (nor theirs to take back: they can't read the channel).
    await this.#d.responses.dropReactions(communityId, userId);
    await this.#d.votes?.dropVotes(communityId, userId); // R185
  }

  /** R148: the wrapped channels the user is a member of (their connections hear these channels' notices). */
  async memberOf(userId: string): Promise<string[]> {
    return (await this.#d.communities.listCommunitiesForUser(userId)).filter((c) => c.settings.wrapped).map((c) => c.communityId);
  }

  /** R149: of `wrapped` (the user's wrapped channels), those where the user is an admin and some subscriber device has no wrap of the current epoch. */
  async needingWraps(userId: string, wrapped: readonly string[]): Promise<string[]> {
    const out: string[] = [];
    for (const communityId of wrapped) {
      if (!holds(await this.#d.communities.getCommunityMember(communityId, userId), 'postAnnouncements')) continue;
      const current = await this.#d.wraps.currentEpoch(communityId);
      if (current && (await this.#d.wraps.listUnwrapped(communityId, current.epoch, '', 1)).length > 0) out.push(communityId);
    }
    return out;
  }

  async #ask(communityId: string, deviceId: string): Promise<void> {
    try {
      await this.#d.limiter.take(`wraps-needed:${communityId}:${deviceId}`, 1000 / this.#d.limits.askEveryMs, 1); // PARLEY_CHANNEL_WRAP_ASK_MS
    } catch (err) {
      if (err instanceof ParleyError && err.code === 'rate_limited') return; // asked within the minute: the admins heard it
      throw err;
    }
    await this.#tellAdmins(communityId);
  }

  async #tellAdmins(communityId: string): Promise<void> {
    for (const m of await this.#d.moderators(communityId)) {
      if (holds(m, 'postAnnouncements')) await this.#d.bus.publish(userTopic(m.userId), { type: 'wraps_needed', communityId });
    }
  }

  /** R142; R188: `fromSchedule`, the scheduled post the sweep publishes as this author's (its row goes in the append's transaction). */
  async post(auth: AuthContext, communityId: string, input: CreateWrappedPostRequest, fromSchedule?: string): Promise<WrappedPost> {
    await this.#admin(communityId, auth.userId);
    // R168: each file the post carries (new or, in an edit, kept) adds PARLEY_CHANNEL_WRAPPED_POST_FILE_CHARS: its thumbnail is sealed inside.
    const maxChars = this.#d.limits.postMaxChars + this.#d.limits.postFileChars * ((input.blobs?.length ?? 0) + (input.keptFiles ?? 0));
    if (input.body.length > maxChars) throw new ParleyError('channel_post_too_large', `this post is at most ${maxChars} base64 characters`);
    await this.#current(communityId, input.epoch);
    if (input.edits !== undefined) {
      // R167: an edit names a post of this channel that is still there (not info alone, not an edit, not deleted).
      const target = (await this.#d.wraps.listPosts(communityId, input.edits - 1, 1))[0];
      if (!target || target.seq !== input.edits || notAPostBody(target.body)) {
        throw new ParleyError('not_found', `no post ${input.edits} to edit`);
      }
      // R178: only the post's author edits it (readers count no other's edit); deleting stays any admin's.
      if (target.authorId !== auth.userId) throw new ParleyError('forbidden', 'only the post\'s author edits it');
    }
    const refs = input.blobs ? { chatId: await this.#announcements(communityId), blobIds: input.blobs } : undefined;
    for (const blobId of input.blobs ?? []) {
      // R162: only the author's own uploads (as R110's public files); the append checks again that each is there and complete.
      const blob = await this.#d.blobs.getBlob(blobId);
      // R178: a file of a deleted post (RELEASED_AT) is gone: a post sent again after its deletion does not come back.
      if (!blob || blob.ownerUserId !== auth.userId || blob.completedAt === RELEASED_AT) throw new ParleyError('blob_not_found', `no file ${blobId} of yours`);
      if (blob.completedAt === null) throw new ParleyError('blob_incomplete', 'the upload is not finished');
    }
    // R184: a pin names a post that is there; any admin pins (the signed plaintext says on or off; `unpin` the plain word the limit counts by).
    const pinned = input.pins !== undefined ? await pinBody(this.#d.wraps, communityId, input.pins, input.body, input.unpin === true, this.#d.limits.maxPins) : undefined;
    const row = await this.#d.wraps.appendPost({
      communityId, epoch: input.epoch, authorId: auth.userId, authorDevice: auth.deviceId,
      body: pinned ?? (input.info ? `${INFO_MARK}${input.body}` : input.edits !== undefined ? `${editMark(input.edits)}${input.body}` : input.body), createdAt: this.#d.clock.now(),
    }, refs, fromSchedule);
    const post = postView(row);
    // R162: the same post sent again (its files name it): answered as it was stored, announced once.
    if (row.repeated) return post;
    // R148: one small notice per member connection (the seq only); devices read the post themselves.
    // R161: an entry of the channel's info alone says so, so chat lists read the name again only then; R182: an edit says so (not unread).
    await this.#d.bus.publish(wrappedTopic(communityId), { type: 'wrapped_post', communityId, seq: post.seq, ...(input.info ? { info: true as const } : {}), ...(input.edits !== undefined || input.pins !== undefined ? { edit: true as const } : {}) }); // R182/R184: an edit or a pin is no new post
    return post;
  }

  async posts(auth: AuthContext, communityId: string, after: number): Promise<WrappedPost[]> {
    await this.#member(communityId, auth.userId);
    return (await this.#d.wraps.listPosts(communityId, after, POSTS_PAGE)).map(postView);
  }

  /**
   * R161: the newest entry (every post carries the channel's info, and so does each epoch's first entry), for a chat list's row;
   * R178: and the newest post (not info alone, an edit or deleted) with its newest edit, for a "last post" summary.
   */
  async latest(auth: AuthContext, communityId: string): Promise<{ post: WrappedPost | null; newestPost?: WrappedPost; newestEdit?: WrappedPost }> {
    await this.#member(communityId, auth.userId);
    const row = await this.#d.wraps.latestPost(communityId);
    const newest = row && (await this.#d.responses.newestPost(communityId));
    return {
      post: row ? postView(row) : null,
      ...(newest ? { newestPost: postView(newest.post) } : {}), ...(newest?.edit ? { newestEdit: postView(newest.edit) } : {}),
    };
  }

  /** R162: the chat whose references make a post's files readable to the community's members (R55). */
  async #announcements(communityId: string): Promise<string> {
    const chat = (await this.#d.communities.listCommunityChats(communityId)).find((c) => c.kind === 'announcements');
    if (!chat) throw new ParleyError('internal', `community ${communityId} has no announcements chat`);
    return chat.chatId;
  }
}
