import {
  channelHandleProblem, entitiesProblem, ParleyError,
  type Channel, type ChannelEntry, type ChannelKeyList, type ChannelPostBody, type ChannelPostCounts, type ChannelSubscription, type CreateChannelRequest, type SignedBlob,
} from '@parley/protocol';
import { channelTopic, userTopic, type Bus } from '../../bus/bus.ts';
import type { ChannelLimits } from '../../config.ts';
import type { BlobStorage } from '../../storage/blob-storage.ts';
import type { ChannelMediaRow, ChannelPostRow, ChannelRow, ChannelStorage } from '../../storage/channel-storage.ts';
import type { Storage } from '../../storage/storage.ts';
import type { AuthContext } from '../accounts.ts';
import type { Clock } from '../ports.ts';
import type { RateLimiter } from '../rate-limiter.ts';
import { pollOf } from './channel-polls.ts';
import { checkReplaces, openHead } from './head.ts';
import { checkPostFiles } from './post-files.ts';
import { countViews } from './view-counters.ts';
import { isPinned, pinLimit, publicPinned } from './pin-limit.ts';
import { openKeyList, openPost, storedKeyList, storedPost } from './signed.ts';

export interface ChannelsDeps {
  storage: Storage;
  channels: ChannelStorage;
  bus: Bus;
  clock: Clock;
  limiter: RateLimiter;
  limits: ChannelLimits;
  /** R110: the uploads a post's photos and files are. */
  blobs: BlobStorage;
  /** R110: the largest upload the server takes at all (PARLEY_MAX_FILE_BYTES). */
  maxFileBytes: number;
}

/** R95b, R200: an admin of a channel as its other admins see them. */
export interface ChannelAdminInfo { userId: string; role: 'owner' | 'admin'; key?: string; handle: string; displayName: string }

const notFound = () => new ParleyError('channel_not_found', 'no such channel');
const adminOnly = (what: string) => new ParleyError('channel_admin_only', what);

/**
 * Public channels (R95-R99). The server keeps what readers need and enforces who may write, but
 * what a reader shows as genuine is what an admin's device signed (R96): the server checks the
 * signatures too (so it stores no garbage) yet cannot make one. A post is stored once; subscribers'
 * connections get a notice of (channel, seq) and read the log (R97).
 */
export class Channels {
  readonly #d: ChannelsDeps;
  constructor(deps: ChannelsDeps) {
    this.#d = deps;
  }

  /** R95: a handle nobody else has (no other channel, no account), that is not reserved or a look-alike of one. */
  async create(auth: AuthContext, input: CreateChannelRequest): Promise<Channel> {
    const problem = channelHandleProblem(input.handle);
    if (problem) throw new ParleyError('invalid_handle', problem);
    if (await this.#d.storage.getUserByHandle(input.handle)) throw new ParleyError('handle_taken', 'an account has this handle');
    const list = openKeyList(input.keyList);
    const only = list.admins[0];
    if (list.version !== 1 || list.admins.length !== 1 || only?.userId !== auth.userId || only.key !== list.owner) {
      throw new ParleyError('channel_post_invalid', 'key list: a new channel\'s (version 1) lists its owner\'s key alone');
    }
    if (await this.#d.channels.getChannel(list.channelId)) throw new ParleyError('duplicate_id', 'a channel has this id');
    const now = this.#d.clock.now();
    const row: ChannelRow = {
      channelId: list.channelId, handle: input.handle, title: input.title, description: input.description ?? '', ownerId: auth.userId, createdAt: now,
      lastSeq: 0, subscriberCount: 0, keyListVersion: 1, keyList: input.keyList.signed, keyListSig: input.keyList.signature,
    };
    await this.#d.channels.createChannel(row, { channelId: row.channelId, userId: auth.userId, role: 'owner', publicKey: list.owner, addedAt: now });
    return toChannel(row);
  }

  async get(channelId: string): Promise<Channel> {
    return toChannel(await this.#channel(channelId));
  }

  async byHandle(handle: string): Promise<Channel> {
    const row = await this.#d.channels.getChannelByHandle(handle);
    if (!row) throw notFound();
    return toChannel(row);
  }

  async #channel(channelId: string): Promise<ChannelRow> {
    const row = await this.#d.channels.getChannel(channelId);
    if (!row) throw notFound();
    return row;
  }

  async #owner(auth: AuthContext, channelId: string): Promise<ChannelRow> {
    const row = await this.#channel(channelId);
    if (row.ownerId !== auth.userId) throw adminOnly('only the channel\'s owner does this');
    return row;
  }

  /** R95b: the owner names an admin; they post once their key is in a key list the owner signed. */
  async addAdmin(auth: AuthContext, channelId: string, userId: string): Promise<void> {
    await this.#owner(auth, channelId);
    if (!(await this.#d.storage.getUser(userId))) throw new ParleyError('user_not_found', 'no such user');
    if (await this.#d.channels.addAdmin({ channelId, userId, role: 'admin', publicKey: null, addedAt: this.#d.clock.now() }, this.#d.limits.maxAdmins)) {
      await this.#adminNotice(userId, channelId);
    }
  }

  /** R201: the user's connections hear that their admin role in the channel changed (no more than the channel's id). */
  async #adminNotice(userId: string, channelId: string): Promise<void> {
    await this.#d.bus.publish(userTopic(userId), { type: 'channel_admin', channelId });
  }

  /** R95b: the admin can no longer post at once; the owner's device then signs a key list without their key. */
  async removeAdmin(auth: AuthContext, channelId: string, userId: string): Promise<void> {
    await this.#owner(auth, channelId);
    if (!(await this.#d.channels.removeAdmin(channelId, userId))) throw new ParleyError('not_found', 'not an admin of this channel');
    await this.#adminNotice(userId, channelId);
  }

  /**
   * R95b: the admins and the keys they registered (for the owner's device to sign a list). Admins only.
   * R200: with each one's handle and display name (the profile's, the server's word), which the owner's
   * device signs into the list's `name`.
   */
  async admins(auth: AuthContext, channelId: string): Promise<ChannelAdminInfo[]> {
    await this.#channel(channelId);
    if (!(await this.#d.channels.getAdmin(channelId, auth.userId))) throw adminOnly('only the channel\'s admins see this');
    return Promise.all((await this.#d.channels.listAdmins(channelId)).map(async (a) => {
      const user = await this.#d.storage.getUser(a.userId);
      return { userId: a.userId, role: a.role, ...(a.publicKey ? { key: a.publicKey } : {}), handle: user?.handle ?? '', displayName: user?.displayName ?? '' };
    }));
  }

  /**
   * R200 (issue 13): the channels whose owner named the caller an admin and whose key the caller's device
   * has not registered yet: the invitations their app shows (accepting is `PUT …/admin-key`).
   */
  async adminInvites(auth: AuthContext): Promise<Channel[]> {
    const out: Channel[] = [];
    for (const a of await this.#d.channels.pendingAdminOf(auth.userId, this.#d.limits.maxSubscriptionsPerUser)) {
      const row = await this.#d.channels.getChannel(a.channelId);
      if (row) out.push(toChannel(row));
    }
    return out;
  }

  /** R95b: an admin's device registers its post-signing key (the owner's is the channel's owner key, fixed). */
  async setAdminKey(auth: AuthContext, channelId: string, key: string): Promise<void> {
    await this.#channel(channelId);
    const me = await this.#d.channels.getAdmin(channelId, auth.userId);
    if (!me) throw adminOnly('only the channel\'s admins have keys');
    if (me.role === 'owner') throw new ParleyError('channel_post_invalid', 'the owner key is fixed when the channel is made');
    await this.#d.channels.setAdminKey(channelId, auth.userId, key);
    // R201: the owner's online device can sign the accepted key in at once (the SDK's signInAccepted).
    await this.#adminNotice((await this.#channel(channelId)).ownerId, channelId);
  }

  /**
   * R95b: the owner's next key list. Each entry must be an admin with the key they registered, the
   * owner key must be the channel's, the version the next one; the server can refuse a list but,
   * without the owner's private key, never write one.
   */
  async setKeyList(auth: AuthContext, channelId: string, blob: SignedBlob): Promise<Channel> {
    const row = await this.#owner(auth, channelId);
    const list = openKeyList(blob);
    const current = storedKeyList(row.keyList);
    if (list.channelId !== channelId || list.owner !== current.owner) throw new ParleyError('channel_post_invalid', 'key list: another channel or owner key');
    if (list.version !== row.keyListVersion + 1) throw new ParleyError('channel_post_invalid', `key list: the next version is ${row.keyListVersion + 1}`);
    const admins = new Map((await this.#d.channels.listAdmins(channelId)).map((a) => [a.userId, a.publicKey]));
    for (const entry of list.admins) {
      if (entry.untilSeq !== undefined) {
        // A retired key: one the current list names, retired at a seq the log has reached.
        if (!current.admins.some((a) => a.userId === entry.userId && a.key === entry.key) || entry.untilSeq > row.lastSeq) {
          throw new ParleyError('channel_post_invalid', `key list: ${entry.userId}'s retired key is not one the list had, or retires in the future`);
        }
      } else if (admins.get(entry.userId) !== entry.key) throw new ParleyError('channel_post_invalid', `key list: ${entry.userId} is not an admin with that key`);
    }
    if (!list.admins.some((a) => a.userId === row.ownerId && a.key === list.owner)) throw new ParleyError('channel_post_invalid', 'key list: the owner\'s key is missing');
    if (!(await this.#d.channels.setKeyList(channelId, list.version, blob.signed, blob.signature))) {
      throw new ParleyError('channel_post_invalid', 'key list: another version was stored meanwhile');
    }
    // R201: every admin the list names hears it (an accepted admin's app shows the composer at once).
    for (const userId of new Set(list.admins.filter((a) => a.untilSeq === undefined).map((a) => a.userId))) await this.#adminNotice(userId, channelId);
    return this.get(channelId);
  }

  /**
   * R96: a post (version 1) or a change of one (edit, delete, pin: the next version), signed on an
   * admin's device by the key the caller registered and the current list names, at the log's next seq.
   */
  async putPost(auth: AuthContext, channelId: string, postId: string, blob: SignedBlob): Promise<ChannelEntry> {
    const row = await this.#channel(channelId);
    const me = await this.#d.channels.getAdmin(channelId, auth.userId);
    if (!me) throw adminOnly('only the channel\'s admins post, edit, delete and pin');
    const limits = this.#d.limits;
    // Before parsing, a cheap bound: the text can't be longer than the signed JSON around it.
    if (blob.signed.length > limits.maxPostChars * 6 + 100_000) throw tooLarge(limits.maxPostChars);
    const body = openPost(blob);
    if (body.text.length > limits.maxPostChars) throw tooLarge(limits.maxPostChars);
    checkBody(body, channelId, postId, this.#d.clock.now(), limits.maxDateSkewMs);
    if (body.signer !== me.publicKey) throw adminOnly('a post is signed by the caller\'s own registered key');
    if (!storedKeyList(row.keyList).admins.some((a) => a.userId === auth.userId && a.key === body.signer && a.untilSeq === undefined)) {
      throw adminOnly('the caller\'s key is not in the channel\'s key list yet: the owner signs a new list first');
    }
    const previous = body.version > 1 ? await this.#d.channels.getPost(channelId, postId) : undefined;
    checkReplaces(body, previous);
    checkPoll(body, previous);
    // R96: a version that pins a post not pinned yet, past PARLEY_CHANNEL_MAX_PINS pinned: `channel_pin_limit` (unpins and edits always pass).
    if (body.pinned && !(previous && !previous.deleted && isPinned(previous.signed)) && (await publicPinned(this.#d.channels, channelId, postId, limits.maxPins)) >= limits.maxPins) {
      throw pinLimit(limits.maxPins);
    }
    const media = await this.#media(auth, channelId, postId, body);
    await this.#d.limiter.take(`channel-post:${channelId}`, limits.postsPerHour / 3600, limits.postsPerHour);
    const post: ChannelPostRow = {
      channelId, postId, postSeq: body.postSeq, seq: body.seq, version: body.version, authorId: auth.userId, deleted: body.deleted,
      signed: blob.signed, signature: blob.signature,
    };
    const result = await this.#d.channels.putPost(post, media);
    if (result === 'version') throw new ParleyError('channel_post_invalid', 'post: not the next version of this post (or its postSeq changed)');
    if (result !== 'ok') throw new ParleyError('channel_seq_conflict', `the channel's log is at ${result.lastSeq}: sign again with seq ${result.lastSeq + 1}`);
    await this.#d.bus.publish(channelTopic(channelId), { type: 'channel_post', channelId, seq: post.seq });
    return { seq: post.seq, signed: post.signed, signature: post.signature };
  }

  /**
   * R125: stores a log head an admin's device signed: for this channel, by the caller's own registered
   * key that the current list names (not retired), at a seq the log has reached and not below the stored
   * head, dated near the server's clock. Answers the channel with it.
   */
  async putHead(auth: AuthContext, channelId: string, blob: SignedBlob): Promise<Channel> {
    const row = await this.#channel(channelId);
    const me = await this.#d.channels.getAdmin(channelId, auth.userId);
    if (!me) throw adminOnly('only the channel\'s admins sign its head');
    const head = openHead(blob, channelId, this.#d.clock.now(), this.#d.limits.maxDateSkewMs);
    if (head.signer !== me.publicKey || !storedKeyList(row.keyList).admins.some((a) => a.userId === auth.userId && a.key === head.signer && a.untilSeq === undefined)) {
      throw adminOnly('a head is signed by the caller\'s own key, named in the channel\'s key list');
    }
    if (!(await this.#d.channels.setHead(channelId, head.seq, blob.signed, blob.signature))) {
      throw new ParleyError('channel_post_invalid', `head: seq ${head.seq} is past the log's end (${row.lastSeq}) or behind the stored head (${row.head?.seq ?? 0})`);
    }
    return this.get(channelId);
  }

  /** R110: the files a post version names, checked (`checkPostFiles`); a deleted post names none. */
  async #media(auth: AuthContext, channelId: string, postId: string, body: ChannelPostBody): Promise<ChannelMediaRow[]> {
    const files = body.attachments ?? [];
    if (files.length === 0) return [];
    if (body.deleted) throw new ParleyError('channel_post_invalid', 'a deleted post names no files');
    const kept = new Set((await this.#d.channels.postMedia(channelId, postId)).map((m) => m.blobId));
    return checkPostFiles(this.#d, auth.userId, files, kept);
  }

  /** R110: a photo or file of a public post, for anyone (no account): what to serve it as, or `blob_not_found`. */
  async publicMedia(handle: string, blobId: string): Promise<ChannelMediaRow & { length: number }> {
    const channel = await this.#d.channels.getChannelByHandle(handle);
    const media = channel && await this.#d.channels.getMedia(channel.channelId, blobId);
    if (!media) throw new ParleyError('blob_not_found', 'no such file');
    return media;
  }

  /** R111: public channels whose handle or title starts with `query` (a leading @ ignored), a page at a time; rate-limited per user. */
  async search(auth: AuthContext, query: string, offset: number): Promise<{ channels: Channel[]; nextOffset?: number }> {
    const { searchPerMin, searchPageMax } = this.#d.limits;
    await this.#d.limiter.take(`channel-search:${auth.userId}`, searchPerMin / 60, searchPerMin);
    const prefix = query.trim().replace(/^@/, '');
    if (prefix === '') return { channels: [] };
    const rows = await this.#d.channels.searchChannels(prefix, { offset, limit: searchPageMax + 1 });
    const channels = rows.slice(0, searchPageMax).map(toChannel);
    return rows.length > searchPageMax ? { channels, nextOffset: offset + searchPageMax } : { channels };
  }

  /** R97: the posts changed after `afterSeq` (each at its latest version), by seq. Public: any signed-in user. */
  async log(channelId: string, afterSeq: number, limit?: number): Promise<{ entries: ChannelEntry[]; lastSeq: number; hasMore: boolean }> {
    const row = await this.#channel(channelId);
    const n = Math.min(limit ?? this.#d.limits.pageMax, this.#d.limits.pageMax);
    const rows = await this.#d.channels.listLog(channelId, afterSeq, n + 1);
    return { entries: rows.slice(0, n).map(toEntry), lastSeq: row.lastSeq, hasMore: rows.length > n };
  }

  /** The newest posts first (deleted ones as their signed tombstones), before `beforePostSeq`. */
  async posts(channelId: string, beforePostSeq: number | undefined, limit?: number): Promise<{ entries: ChannelEntry[]; hasMore: boolean }> {
    await this.#channel(channelId);
    const n = Math.min(limit ?? this.#d.limits.pageMax, this.#d.limits.pageMax);
    const rows = await this.#d.channels.listPosts(channelId, { ...(beforePostSeq !== undefined ? { beforePostSeq } : {}), limit: n + 1, withDeleted: true });
    return { entries: rows.slice(0, n).map(toEntry), hasMore: rows.length > n };
  }

  /** R97: reads start at the log's end (nothing unread on subscribing); `muted` is the subscriber's own setting. */
  async subscribe(auth: AuthContext, channelId: string, muted?: boolean): Promise<ChannelSubscription> {
    const row = await this.#channel(channelId);
    const added = await this.#d.channels.subscribe({ channelId, userId: auth.userId, readSeq: row.lastSeq, muted: muted ?? false, subscribedAt: this.#d.clock.now() },
      this.#d.limits.maxSubscriptionsPerUser);
    if (!added && muted !== undefined) await this.#d.channels.setMuted(channelId, auth.userId, muted);
    if (added) await this.#d.bus.publish(userTopic(auth.userId), { type: 'channel_subscription', channelId, subscribed: true });
    return this.#subscription(auth.userId, await this.#channel(channelId));
  }

  async unsubscribe(auth: AuthContext, channelId: string): Promise<void> {
    await this.#channel(channelId);
    if (await this.#d.channels.unsubscribe(channelId, auth.userId)) {
      await this.#d.bus.publish(userTopic(auth.userId), { type: 'channel_subscription', channelId, subscribed: false });
    }
  }

  /** R97: the read position moves forward only, and not past the log's end. */
  async markRead(auth: AuthContext, channelId: string, upToSeq: number): Promise<ChannelSubscription> {
    const row = await this.#channel(channelId);
    await this.#d.channels.setReadSeq(channelId, auth.userId, Math.min(upToSeq, row.lastSeq));
    return this.#subscription(auth.userId, row);
  }

  async subscriptions(auth: AuthContext): Promise<ChannelSubscription[]> {
    const out: ChannelSubscription[] = [];
    for (const sub of await this.#d.channels.listSubscriptions(auth.userId)) {
      const row = await this.#d.channels.getChannel(sub.channelId);
      if (row) out.push({ channel: toChannel(row), readSeq: sub.readSeq, muted: sub.muted, unread: await this.#d.channels.countUnread(sub.channelId, sub.readSeq) });
    }
    return out;
  }

  async subscribedIds(userId: string): Promise<string[]> {
    return (await this.#d.channels.listSubscriptions(userId)).map((s) => s.channelId);
  }

  async #subscription(userId: string, row: ChannelRow): Promise<ChannelSubscription> {
    const sub = await this.#d.channels.getSubscription(row.channelId, userId);
    if (!sub) throw new ParleyError('not_found', 'not subscribed to this channel');
    return { channel: toChannel(row), readSeq: sub.readSeq, muted: sub.muted, unread: await this.#d.channels.countUnread(row.channelId, sub.readSeq) };
  }

  /** R98: one reaction per person per post (a new one replaces theirs; null takes it back); only counts are shown. */
  async react(auth: AuthContext, channelId: string, postId: string, emoji: string | null): Promise<ChannelPostCounts> {
    await this.#channel(channelId);
    const post = await this.#d.channels.getPost(channelId, postId);
    if (!post || post.deleted) throw new ParleyError('not_found', 'no such post');
    await this.#d.channels.setReaction(channelId, postId, auth.userId, emoji);
    const [counts] = await this.counts(auth, channelId, [postId]);
    return counts!;
  }

  async counts(auth: AuthContext, channelId: string, postIds: readonly string[]): Promise<ChannelPostCounts[]> {
    await this.#channel(channelId);
    const ids = [...new Set(postIds)];
    const [reactions, mine, views] = await Promise.all([
      this.#d.channels.reactionCounts(channelId, ids), this.#d.channels.myReactions(channelId, auth.userId, ids), this.#d.channels.viewCounts(channelId, ids),
    ]);
    return ids.map((postId) => {
      const own = mine.get(postId);
      return {
        postId, views: views.get(postId) ?? 0,
        reactions: Object.fromEntries(reactions.filter((r) => r.postId === postId).map((r) => [r.emoji, r.count])),
        ...(own !== undefined ? { mine: own } : {}),
      };
    });
  }

  /**
   * R98: one view more for each post in this time bucket. No record of who viewed: the counter
   * is a number per (post, bucket); a device reports a post once (the SDK remembers), and a
   * device's reports are rate-limited so one can't inflate counts fast.
   */
  async addViews(auth: AuthContext, channelId: string, postIds: readonly string[]): Promise<void> {
    await this.#channel(channelId);
    await countViews(this.#d, `channel-views:${auth.deviceId}`, (bucket) => this.#d.channels.addViews(channelId, postIds, bucket));
  }

  /** R99: what the public page and feed show: the channel and its newest posts (not deleted), read from what was signed. */
  async publicView(handle: string, limit: number): Promise<{ channel: ChannelRow; posts: PublicPost[] }> {
    const channel = await this.#d.channels.getChannelByHandle(handle);
    if (!channel) throw notFound();
    const rows = await this.#d.channels.listPosts(channel.channelId, { limit, withDeleted: false });
    const list = storedKeyList(channel.keyList);
    return {
      channel, posts: rows.map((r) => {
        const body = storedPost(r.signed, r.seq);
        const author = signedAuthor(list, body.signer);
        return author === undefined ? body : { ...body, author };
      }),
    };
  }
}

/** R99, R200: a post as the public page and feed show it: with its author's signed name when the channel signs names. */
export type PublicPost = ChannelPostBody & { author?: string };

/** R200: the name the key list gives the post's signer, when the list turns names on (else undefined: "the channel's admin"). */
export function signedAuthor(list: ChannelKeyList, signer: string): string | undefined {
  if (!list.signNames) return undefined;
  const name = list.admins.find((a) => a.key === signer)?.name;
  return name ? name : undefined;
}

const tooLarge = (max: number) => new ParleyError('channel_post_too_large', `a post has at most ${max} characters`);

/** R96: the signed fields agree with the route and with each other; the date is near the server's clock. */
function checkBody(body: ChannelPostBody, channelId: string, postId: string, now: number, maxSkewMs: number): void {
  const bad = (why: string) => new ParleyError('channel_post_invalid', `post: ${why}`);
  if (body.channelId !== channelId || body.postId !== postId) throw bad('signed for another channel or post id');
  if (body.version === 1 && body.postSeq !== body.seq) throw bad('a new post (version 1) has postSeq equal to seq');
  if (body.postSeq > body.seq) throw bad('postSeq after seq');
  if (Math.abs(body.date - now) > maxSkewMs) throw bad(`date is more than ${Math.round(maxSkewMs / 1000)} s from the server's clock`);
  if (body.deleted && (body.text !== '' || body.pinned || body.entities?.length || body.poll)) throw bad('a deleted post has no text, entities, pin or poll');
  if (!body.deleted && body.text.trim() === '' && !body.poll && !body.attachments?.length) throw bad('empty text (and no poll, photo or file)');
  const entities = body.entities && entitiesProblem(body.text, body.entities);
  if (entities) throw bad(entities);
}

/** R198: a poll's votes name its options by index, so every later version carries the same poll (the first version's), or none once deleted. */
function checkPoll(body: ChannelPostBody, previous: ChannelPostRow | undefined): void {
  if (body.version === 1 || body.deleted || !previous) return;
  if (JSON.stringify(body.poll ?? null) !== JSON.stringify(pollOf(previous) ?? null)) {
    throw new ParleyError('channel_post_invalid', 'post: an edit keeps the post\'s poll as it was (a poll is not added, changed or removed)');
  }
}

export function toChannel(row: ChannelRow): Channel {
  return {
    channelId: row.channelId, handle: row.handle, title: row.title, description: row.description, createdAt: row.createdAt, ownerId: row.ownerId,
    lastSeq: row.lastSeq, subscribers: row.subscriberCount, keyList: { signed: row.keyList, signature: row.keyListSig },
    ...(row.head ? { head: { signed: row.head.signed, signature: row.head.signature } } : {}),
  };
}

function toEntry(row: ChannelPostRow): ChannelEntry {
  return { seq: row.seq, signed: row.signed, signature: row.signature };
}
