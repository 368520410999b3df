import {
  ParleyError,
  type Channel, type ChannelAttachment, type ChannelEntry, type ChannelKeyList, type ChannelPostBody, type ChannelPostCounts, type ChannelSearchResponse, type ChannelSubscription, type MessageEntity, type ServerFrame,
  type ChannelDiscussion, type ChatSummary, type ScheduledChannelPost,
} from '@parley/protocol';
import { randomId } from '../encoding.ts';
import type { RestFn } from '../session.ts';
import { fetchPublicFile, uploadPublicFile, type MediaEndpoint, type PublicFile } from './media.ts';
import { generateChannelKey, importChannelKey, openEntry, openKeyList, placedEarly, signKeyList, signPost, type ChannelKey, type ChannelPost } from './signing.ts';

export type { ChannelPost } from './signing.ts';
export type { PublicFile } from './media.ts';

export interface ChannelsDeps extends MediaEndpoint {
  rest: RestFn;
  userId: string;
  /** This device's store: post-signing keys, pinned owner keys, key list versions seen. */
  meta: { get(key: string): Promise<string | undefined>; set(key: string, value: string): Promise<void> };
  now(): number;
  /** R97: a subscribed channel has a new log entry. */
  emit(event: { channelId: string; seq: number }): void;
  /** R114: takes in the chats of a community this user just joined (a discussion chat's). */
  adoptCommunity?(communityId: string): Promise<void>;
}

const path = (channelId: string, rest = '') => `/channels/${encodeURIComponent(channelId)}${rest}`;
const discussionPath = (channel: string | { communityId: string }) =>
  (typeof channel === 'string' ? path(channel, '/discussion') : `/communities/${encodeURIComponent(channel.communityId)}/discussion`);
/** Tries a post this many times when other admins keep taking the next seq first. */
const SEQ_ATTEMPTS = 8;

/** A page of the channel as this device verified it (R96). */
export interface ChannelPage {
  posts: ChannelPost[];
  /** The key list did not hold (owner changed, rolled back, bad signature): then no post is verified. */
  keyListProblem?: string;
  hasMore: boolean;
}

/**
 * `client.channels` (R95-R99): public channels. Posts are signed on this device with the admin's
 * own key and checked on every read against the owner-signed key list; a post that fails is
 * returned as `{ verified: false, problem }` with none of its content.
 */
export class Channels {
  readonly #d: ChannelsDeps;
  /** Posts this device reported as viewed (R98: once per device; the server keeps no list of who). */
  readonly #viewed = new Set<string>();
  /** The latest verified version of each post read, for edits. */
  readonly #known = new Map<string, Extract<ChannelPost, { verified: true }>>();

  constructor(deps: ChannelsDeps) {
    this.#d = deps;
  }

  /** R97: a notice (channel, seq); false for any other frame. */
  onEvent(frame: ServerFrame): boolean {
    if (frame.type !== 'channel_post') return false;
    this.#d.emit({ channelId: frame.channelId, seq: frame.seq });
    return true;
  }

  /** R95: a public channel with this user as owner; its owner key is made here and never leaves the device. */
  async create(input: { handle: string; title: string; description?: string }): Promise<Channel> {
    const channelId = randomId(12);
    const { key, jwk } = await generateChannelKey();
    const keyList = await signKeyList(key, { v: 1, channelId, version: 1, owner: key.publicKey, admins: [{ userId: this.#d.userId, key: key.publicKey }] });
    const { channel } = await this.#d.rest<{ channel: Channel }>('POST', '/channels', { handle: input.handle, title: input.title, description: input.description ?? '', keyList });
    await this.#keepKey(channel.channelId, key.publicKey, jwk);
    await this.#d.meta.set(`channel-owner:${channel.channelId}`, key.publicKey);
    return channel;
  }

  async get(channelId: string): Promise<Channel> {
    return (await this.#d.rest<{ channel: Channel }>('GET', path(channelId))).channel;
  }

  async byHandle(handle: string): Promise<Channel> {
    return (await this.#d.rest<{ channel: Channel }>('GET', `/channels/by-handle/${encodeURIComponent(handle)}`)).channel;
  }

  /** R95b (owner): names an admin; they accept on their device (`acceptAdmin`), then the owner signs them in (`publishKeyList`). */
  async addAdmin(channelId: string, userId: string): Promise<void> {
    await this.#d.rest('PUT', path(channelId, `/admins/${encodeURIComponent(userId)}`));
  }

  /** R95b (owner): removes an admin and signs a key list that retires their key at the log's end (their posts so far stay genuine). */
  async removeAdmin(channelId: string, userId: string): Promise<Channel> {
    await this.#d.rest('DELETE', path(channelId, `/admins/${encodeURIComponent(userId)}`));
    return this.publishKeyList(channelId);
  }

  /** R95b (a named admin): makes this device's post-signing key for the channel and registers its public half. */
  async acceptAdmin(channelId: string): Promise<void> {
    const { key, jwk } = await generateChannelKey();
    await this.#d.rest('PUT', path(channelId, '/admin-key'), { key: key.publicKey });
    await this.#keepKey(channelId, key.publicKey, jwk);
  }

  /** R95b (owner): signs the next key list: every admin who registered a key, the owner first. */
  async publishKeyList(channelId: string): Promise<Channel> {
    const owner = await this.#key(channelId);
    const channel = await this.get(channelId);
    const current = await this.#keyList(channel);
    if (typeof current === 'string') throw new ParleyError('channel_signature_invalid', current);
    if (current.owner !== owner.publicKey) throw new ParleyError('channel_admin_only', 'only the owner\'s device signs the key list');
    const { admins } = await this.#d.rest<{ admins: Array<{ userId: string; role: string; key?: string }> }>('GET', path(channelId, '/admins'));
    const active = admins.flatMap((a) => (a.key ? [{ userId: a.userId, key: a.key }] : []));
    // Keys of the current list whose admin is gone (or has another key now) are kept, retired at the log's end.
    const retired = current.admins.filter((a) => !active.some((b) => b.userId === a.userId && b.key === a.key))
      .map((a) => ({ userId: a.userId, key: a.key, untilSeq: a.untilSeq ?? channel.lastSeq }));
    const list: ChannelKeyList = { v: 1, channelId, version: current.version + 1, owner: owner.publicKey, admins: [...active, ...retired] };
    return (await this.#d.rest<{ channel: Channel }>('PUT', path(channelId, '/key-list'), await signKeyList(owner, list))).channel;
  }

  /** R96: a new post, signed here, at the log's next seq (taken again if another admin got there first). */
  async post(channelId: string, text: string, opts: { entities?: MessageEntity[]; attachments?: ChannelAttachment[] } = {}): Promise<Extract<ChannelPost, { verified: true }>> {
    const postId = randomId(12);
    return this.#put(channelId, postId, (seq) => ({
      postSeq: seq, version: 1, text, ...(opts.entities ? { entities: opts.entities } : {}),
      ...(opts.attachments?.length ? { attachments: opts.attachments } : {}), pinned: false, deleted: false,
    }));
  }

  /** An edit keeps the post's photos and files unless `attachments` is given. */
  async edit(channelId: string, postId: string, text: string, opts: { entities?: MessageEntity[]; attachments?: ChannelAttachment[] } = {}): Promise<Extract<ChannelPost, { verified: true }>> {
    return this.#change(channelId, postId, (old) => {
      const attachments = opts.attachments ?? old.attachments;
      return { text, ...(opts.entities ? { entities: opts.entities } : {}), ...(attachments?.length ? { attachments } : {}), pinned: old.pinned, deleted: false };
    });
  }

  /** R110: uploads a photo or file for a public post (public: not encrypted); pass the result in `post`'s `attachments`. */
  async uploadFile(bytes: Uint8Array, meta: { mime: string; name?: string; width?: number; height?: number }): Promise<ChannelAttachment> {
    return uploadPublicFile(this.#d, bytes, meta);
  }

  /** R110: a public post's photo or file, downloaded and checked against what the post signed (size, SHA-256). */
  async fetchFile(handle: string, file: ChannelAttachment): Promise<PublicFile> {
    return fetchPublicFile(this.#d.baseUrl, handle, file);
  }

  /** R111: public channels whose handle or title starts with `query`; `offset` from the last page's `nextOffset`. */
  async search(query: string, offset = 0): Promise<ChannelSearchResponse> {
    const q = new URLSearchParams({ q: query, ...(offset ? { offset: String(offset) } : {}) });
    return this.#d.rest<ChannelSearchResponse>('GET', `/channels/search?${q}`);
  }

  async delete(channelId: string, postId: string): Promise<Extract<ChannelPost, { verified: true }>> {
    return this.#change(channelId, postId, () => ({ text: '', pinned: false, deleted: true }));
  }

  async pin(channelId: string, postId: string, pinned = true): Promise<Extract<ChannelPost, { verified: true }>> {
    return this.#change(channelId, postId, (old) => ({
      text: old.text, ...(old.entities ? { entities: old.entities } : {}), ...(old.attachments ? { attachments: old.attachments } : {}), pinned, deleted: false,
    }));
  }

  async #change(channelId: string, postId: string, next: (old: Extract<ChannelPost, { verified: true }>) => Pick<ChannelPostBody, 'text' | 'entities' | 'attachments' | 'pinned' | 'deleted'>) {
    return this.#put(channelId, postId, async () => {
      const old = await this.#current(channelId, postId);
      if (old.deleted) throw new ParleyError('not_found', 'this post was deleted');
      return { postSeq: old.postSeq, version: old.version + 1, ...next(old) };
    });
  }

  async #put(channelId: string, postId: string, fields: (seq: number) => Omit<ChannelPostBody, 'v' | 'channelId' | 'postId' | 'seq' | 'date' | 'signer'> | Promise<Omit<ChannelPostBody, 'v' | 'channelId' | 'postId' | 'seq' | 'date' | 'signer'>>) {
    const key = await this.#key(channelId);
    for (let attempt = 1; ; attempt++) {
      const seq = (await this.get(channelId)).lastSeq + 1;
      const body: ChannelPostBody = { v: 1, channelId, postId, seq, date: this.#d.now(), signer: key.publicKey, ...(await fields(seq)) };
      try {
        const { entry } = await this.#d.rest<{ entry: ChannelEntry }>('PUT', path(channelId, `/posts/${encodeURIComponent(postId)}`), await signPost(key, body));
        const post = await this.#open(channelId, [entry]);
        const mine = post.posts[0];
        if (!mine?.verified) throw new ParleyError('channel_signature_invalid', `the server answered with a post that does not verify: ${mine && !mine.verified ? mine.problem : post.keyListProblem ?? ''}`);
        return mine;
      } catch (err) {
        if (!(err instanceof ParleyError && err.code === 'channel_seq_conflict') || attempt >= SEQ_ATTEMPTS) throw err;
      }
    }
  }

  /**
   * R115: schedules a post for `at` (ms), signed here without a log position; the server publishes it
   * then, with every admin device offline. With `postId` (of a post still scheduled): replaces its text and time.
   */
  async schedule(channelId: string, text: string, at: number, opts: { entities?: MessageEntity[]; postId?: string } = {}): Promise<ScheduledChannelPost> {
    const key = await this.#key(channelId);
    const postId = opts.postId ?? randomId(12);
    const body = { v: 1 as const, channelId, postId, date: at, signer: key.publicKey, text, ...(opts.entities ? { entities: opts.entities } : {}), scheduled: true as const };
    return (await this.#d.rest<{ scheduled: ScheduledChannelPost }>('PUT', path(channelId, `/scheduled/${encodeURIComponent(postId)}`), await signPost(key, body))).scheduled;
  }

  /** R115: the channel's scheduled posts, soonest first (admins). */
  async scheduled(channelId: string): Promise<ScheduledChannelPost[]> {
    return (await this.#d.rest<{ scheduled: ScheduledChannelPost[] }>('GET', path(channelId, '/scheduled'))).scheduled;
  }

  async cancelScheduled(channelId: string, postId: string): Promise<void> {
    await this.#d.rest('DELETE', path(channelId, `/scheduled/${encodeURIComponent(postId)}`));
  }

  /**
   * R114: the discussion chat of a public channel (`channelId`) or of a private one (`{communityId}`):
   * comments are thread replies there naming the post (`client.sendText(chatId, text, {thread: postId})`;
   * counted on the device by `commentCounts`). Null when none is linked.
   */
  async discussion(channel: string | { communityId: string }): Promise<ChannelDiscussion | null> {
    return (await this.#d.rest<{ discussion: ChannelDiscussion | null }>('GET', discussionPath(channel))).discussion;
  }

  /** R114: links (null: unlinks) an open chat of a community where this user holds `manageChats`; a public channel's owner, a private one's manager. */
  async linkDiscussion(channel: string | { communityId: string }, chatId: string | null): Promise<ChannelDiscussion | null> {
    if (chatId === null) {
      await this.#d.rest('DELETE', discussionPath(channel));
      return null;
    }
    return (await this.#d.rest<{ discussion: ChannelDiscussion }>('PUT', discussionPath(channel), { chatId })).discussion;
  }

  /** R114: into a public channel's discussion chat (and its community, as by invite); a banned person gets `community_banned`. */
  async joinDiscussion(channelId: string): Promise<ChatSummary> {
    const { chat } = await this.#d.rest<{ chat: ChatSummary }>('POST', path(channelId, '/discussion/join'));
    if (chat.community) await this.#d.adoptCommunity?.(chat.community.communityId);
    return chat;
  }

  async #current(channelId: string, postId: string): Promise<Extract<ChannelPost, { verified: true }>> {
    const known = this.#known.get(`${channelId}/${postId}`);
    if (known) return known;
    for (let before: number | undefined; ;) {
      const page = await this.posts(channelId, before === undefined ? {} : { beforePostSeq: before });
      const found = this.#known.get(`${channelId}/${postId}`);
      if (found) return found;
      const last = page.posts.at(-1);
      if (!page.hasMore || !last?.verified) throw new ParleyError('not_found', 'no such post in this channel');
      before = last.postSeq;
    }
  }

  /** R96: the newest posts first (deleted ones as tombstones), each verified. */
  async posts(channelId: string, opts: { beforePostSeq?: number; limit?: number } = {}): Promise<ChannelPage> {
    const q = new URLSearchParams();
    if (opts.beforePostSeq !== undefined) q.set('beforePostSeq', String(opts.beforePostSeq));
    if (opts.limit !== undefined) q.set('limit', String(opts.limit));
    const { entries, hasMore } = await this.#d.rest<{ entries: ChannelEntry[]; hasMore: boolean }>('GET', path(channelId, `/posts?${q}`));
    return { ...(await this.#open(channelId, entries)), hasMore };
  }

  /** R97: what changed after `afterSeq` (new posts, edits, deletions, pins), by seq, verified. */
  async log(channelId: string, afterSeq: number, limit?: number): Promise<ChannelPage & { lastSeq: number }> {
    const q = new URLSearchParams({ afterSeq: String(afterSeq), ...(limit !== undefined ? { limit: String(limit) } : {}) });
    const { entries, hasMore, lastSeq } = await this.#d.rest<{ entries: ChannelEntry[]; hasMore: boolean; lastSeq: number }>('GET', path(channelId, `/log?${q}`));
    return { ...(await this.#open(channelId, entries)), hasMore, lastSeq };
  }

  async #open(channelId: string, entries: readonly ChannelEntry[]): Promise<Omit<ChannelPage, 'hasMore'>> {
    const list = await this.#keyList(await this.get(channelId));
    if (typeof list === 'string') return { posts: entries.map((e) => ({ verified: false, seq: e.seq, problem: `key list: ${list}` })), keyListProblem: list };
    const posts = placedEarly(await Promise.all(entries.map((e) => openEntry(channelId, e, list, this.#d.now()))));
    for (const p of posts) {
      if (!p.verified) continue;
      const k = `${channelId}/${p.postId}`;
      if ((this.#known.get(k)?.version ?? 0) <= p.version) this.#known.set(k, p);
    }
    return { posts };
  }

  /** R95b: the channel's key list, checked; the owner key is pinned on first sight and the version never goes back. */
  async #keyList(channel: Channel): Promise<ChannelKeyList | string> {
    const ownerKey = `channel-owner:${channel.channelId}`;
    const versionKey = `channel-keys-version:${channel.channelId}`;
    const pinned = await this.#d.meta.get(ownerKey);
    const seen = Number((await this.#d.meta.get(versionKey)) ?? 0);
    const list = await openKeyList(channel.channelId, channel.keyList, pinned, seen);
    if (typeof list === 'string') return list;
    if (pinned === undefined) await this.#d.meta.set(ownerKey, list.owner);
    if (list.version > seen) await this.#d.meta.set(versionKey, String(list.version));
    return list;
  }

  async subscribe(channelId: string, opts: { muted?: boolean } = {}): Promise<ChannelSubscription> {
    const subscription = (await this.#d.rest<{ subscription: ChannelSubscription }>('PUT', path(channelId, '/subscription'), opts)).subscription;
    // Pin the owner key now (R95b), from the first copy this device sees.
    await this.#keyList(subscription.channel);
    return subscription;
  }

  async unsubscribe(channelId: string): Promise<void> {
    await this.#d.rest('DELETE', path(channelId, '/subscription'));
  }

  async mute(channelId: string, muted: boolean): Promise<ChannelSubscription> {
    return this.subscribe(channelId, { muted });
  }

  /** R97: this user's channels with their unread counts. */
  async subscriptions(): Promise<ChannelSubscription[]> {
    return (await this.#d.rest<{ subscriptions: ChannelSubscription[] }>('GET', '/channels')).subscriptions;
  }

  async markRead(channelId: string, upToSeq: number): Promise<ChannelSubscription> {
    return (await this.#d.rest<{ subscription: ChannelSubscription }>('POST', path(channelId, '/read'), { upToSeq })).subscription;
  }

  /** R98: this user's one reaction to a post (null takes it back); answers the post's counts. */
  async react(channelId: string, postId: string, emoji: string | null): Promise<ChannelPostCounts> {
    const p = path(channelId, `/posts/${encodeURIComponent(postId)}/reaction`);
    return (await (emoji === null ? this.#d.rest<{ counts: ChannelPostCounts }>('DELETE', p) : this.#d.rest<{ counts: ChannelPostCounts }>('PUT', p, { emoji }))).counts;
  }

  async counts(channelId: string, postIds: readonly string[]): Promise<ChannelPostCounts[]> {
    if (postIds.length === 0) return [];
    return (await this.#d.rest<{ counts: ChannelPostCounts[] }>('GET', path(channelId, `/counts?postIds=${postIds.map(encodeURIComponent).join(',')}`))).counts;
  }

  /** R98: tells the server these posts were seen, each once from this device; the server only adds to counters. */
  async markViewed(channelId: string, postIds: readonly string[]): Promise<void> {
    const fresh = [...new Set(postIds)].filter((id) => !this.#viewed.has(`${channelId}/${id}`));
    if (fresh.length === 0) return;
    // Taken before the request, so two calls at once (a view re-rendering) don't count a post twice.
    for (const id of fresh) this.#viewed.add(`${channelId}/${id}`);
    try {
      await this.#d.rest('POST', path(channelId, '/views'), { postIds: fresh });
    } catch (err) {
      for (const id of fresh) this.#viewed.delete(`${channelId}/${id}`);
      throw err;
    }
  }

  async #keepKey(channelId: string, publicKey: string, jwk: JsonWebKey): Promise<void> {
    await this.#d.meta.set(`channel-key:${channelId}`, JSON.stringify({ publicKey, jwk }));
  }

  async #key(channelId: string): Promise<ChannelKey> {
    const stored = await this.#d.meta.get(`channel-key:${channelId}`);
    if (!stored) throw new ParleyError('channel_admin_only', 'this device has no post-signing key for this channel');
    const { publicKey, jwk } = JSON.parse(stored) as { publicKey: string; jwk: JsonWebKey };
    return importChannelKey(publicKey, jwk);
  }
}
