import {
  MAX_CHANNEL_ADMIN_NAME, ParleyError,
  type Channel, type ChannelAttachment, type ChannelEntry, type ChannelKeyList, type ChannelPostBody, type ChannelSubscription, type MessageEntity, type ServerFrame,
  type ScheduledChannelPost, type WrappedPoll,
} from '@parley/protocol';
import { randomId } from '../encoding.ts';
import type { RestFn } from '../session.ts';
import { fetchPublicFile, uploadPublicFile, type MediaEndpoint, type PublicFile, type PublicFileMeta } from './media.ts';
import { dropReplaced, judgeHead, openHead, unexplained, type LogIntegrity, type SeenHead } from './head.ts';
import { generateChannelKey, importChannelKey, openEntry, openKeyList, placedEarly, signKeyList, signPost, type ChannelKey, type ChannelPost } from './signing.ts';
import { HeadSigner } from './head-signer.ts';
import { ChannelSocial } from './channel-social.ts';

export type { ChannelPost } from './signing.ts';
export type { PublicFile } from './media.ts';
export type { LogHead, LogIntegrity } from './head.ts';

export interface ChannelsDeps extends MediaEndpoint {
  rest: RestFn;
  userId: string;
  /** This device's store: post-signing keys, pinned owner keys, key list versions seen. */
  meta: { get(key: string): Promise<string | undefined>; set(key: string, value: string): Promise<void> };
  now(): number;
  /** R97: a subscribed channel has a new log entry. */
  emit(event: { channelId: string; seq: number }): void;
  /** R114: takes in the chats of a community this user just joined (a discussion chat's); R154: names `openSeq` there. */
  adoptCommunity?(communityId: string, openSeq?: number): Promise<void>;
  /** R152: states in the community's announcements chat that anyone may join (a public channel's discussion); R154: where. */
  openCommunity?(communityId: string): Promise<number | undefined>;
  /** R125: schedules a retry of a refused head (tests run it themselves); setTimeout by default. */
  later?(fn: () => void, ms: number): void;
}

/** R95b, R200: an admin as `GET /channels/:id/admins` lists them; `key` once their device accepted. */
export interface ChannelAdmin { userId: string; role: 'owner' | 'admin'; key?: string; handle: string; displayName: string }

/** R200: the name signed into an admin's key list entry: their display name, else @handle (none if the server gave neither). */
function adminName(a: ChannelAdmin): { name?: string } {
  const name = (a.displayName.trim() || (a.handle ? `@${a.handle}` : '')).slice(0, MAX_CHANNEL_ADMIN_NAME);
  return name ? { name } : {};
}

const path = (channelId: string, rest = '') => `/channels/${encodeURIComponent(channelId)}${rest}`;
/** Tries a post this many times when other admins keep taking the next seq first. */
const SEQ_ATTEMPTS = 8;

/** A page of the channel as this device verified it (R96). */
export interface ChannelPage {
  posts: ChannelPost[];
  /** The key list did not hold (owner changed, rolled back, bad signature): then no post is verified. */
  keyListProblem?: string;
  hasMore: boolean;
  /** R125: whether the log is shown whole (checked against the admins' signed head). */
  integrity: LogIntegrity;
}

/**
 * `client.channels` (R95-R99): public channels. Posts are signed on this device with the admin's
 * own key and checked on every read against the owner-signed key list; a post that fails is
 * returned as `{ verified: false, problem }` with none of its content.
 */
export class Channels extends ChannelSocial {
  readonly #d: ChannelsDeps;
  /** The latest verified version of each post read, for edits. */
  readonly #known = new Map<string, Extract<ChannelPost, { verified: true }>>();
  /** R125: log positions not yet accounted for, carried from one `log` page to the next. */
  readonly #open = new Map<string, { through: number; open: Set<number> }>();
  readonly #heads: HeadSigner;

  constructor(deps: ChannelsDeps) {
    super(deps);
    this.#d = deps;
    this.#heads = new HeadSigner(deps);
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

  /**
   * R95b (owner): signs the next key list: every admin who registered a key, the owner first. R200: each
   * entry carries the admin's name as the server's profile gives it now (the owner's device signs what it
   * was shown); `signNames` turns "sign messages" on or off, else the current list's setting is kept.
   */
  async publishKeyList(channelId: string, opts: { signNames?: boolean } = {}): Promise<Channel> {
    const owner = await this.#key(channelId);
    const channel = await this.get(channelId);
    const current = await this.#keyList(channel);
    if (typeof current === 'string') throw new ParleyError('channel_signature_invalid', current);
    if (current.owner !== owner.publicKey) throw new ParleyError('channel_admin_only', 'only the owner\'s device signs the key list');
    const admins = await this.admins(channelId);
    const active = admins.flatMap((a) => (a.key ? [{ userId: a.userId, key: a.key, ...adminName(a) }] : []));
    // Keys of the current list whose admin is gone (or has another key now) are kept, retired at the log's end.
    const retired = current.admins.filter((a) => !active.some((b) => b.userId === a.userId && b.key === a.key))
      .map((a) => ({ ...a, untilSeq: a.untilSeq ?? channel.lastSeq }));
    const signNames = opts.signNames ?? current.signNames ?? false;
    const list: ChannelKeyList = { v: 1, channelId, version: current.version + 1, owner: owner.publicKey, admins: [...active, ...retired], ...(signNames ? { signNames } : {}) };
    return (await this.#d.rest<{ channel: Channel }>('PUT', path(channelId, '/key-list'), await signKeyList(owner, list))).channel;
  }

  /**
   * R95b, R200 (the owner's device): signs the next key list when an admin accepted (registered a key)
   * since the last one, so they can post. False when there is nothing to sign or this device is not the owner's.
   */
  async signInAccepted(channelId: string): Promise<boolean> {
    if (!(await this.#d.meta.get(`channel-key:${channelId}`)) || (await this.get(channelId)).ownerId !== this.#d.userId) return false;
    const list = await this.keyList(channelId);
    if ('problem' in list) return false;
    const waiting = (await this.admins(channelId)).some((a) => a.key && !list.admins.some((b) => b.userId === a.userId && b.key === a.key && b.untilSeq === undefined));
    if (!waiting) return false;
    await this.publishKeyList(channelId);
    return true;
  }

  /** R200 (owner): "sign messages": posts show their author's signed name (on) or only "the channel's admin" (off). */
  async setSignNames(channelId: string, on: boolean): Promise<Channel> {
    return this.publishKeyList(channelId, { signNames: on });
  }

  /** R95b, R200: the channel's admins as the server lists them (admins only): who registered a key, with profile names. */
  async admins(channelId: string): Promise<ChannelAdmin[]> {
    return (await this.#d.rest<{ admins: ChannelAdmin[] }>('GET', path(channelId, '/admins'))).admins;
  }

  /** R200: the channels whose owner named this user an admin, not yet accepted (`acceptAdmin`) on a device. */
  async adminInvites(): Promise<Channel[]> {
    return (await this.#d.rest<{ channels: Channel[] }>('GET', '/channels/admin-invites')).channels;
  }

  /** R95b, R200: the channel's key list as this device verified it (who may post, whether names are signed), or why it does not hold. */
  async keyList(channelId: string): Promise<ChannelKeyList | { problem: string }> {
    const list = await this.#keyList(await this.get(channelId));
    return typeof list === 'string' ? { problem: list } : list;
  }

  /** R96: a new post, signed here, at the log's next seq (taken again if another admin got there first). */
  /** R198: `poll` (question, options, multiple?) is signed with the post; every later version keeps it. */
  async post(channelId: string, text: string, opts: { entities?: MessageEntity[]; attachments?: ChannelAttachment[]; poll?: WrappedPoll } = {}): Promise<Extract<ChannelPost, { verified: true }>> {
    const postId = randomId(12);
    return this.#put(channelId, postId, (seq) => ({
      postSeq: seq, version: 1, text, ...(opts.entities ? { entities: opts.entities } : {}),
      ...(opts.attachments?.length ? { attachments: opts.attachments } : {}), ...(opts.poll ? { poll: opts.poll } : {}), pinned: false, deleted: false,
    }));
  }

  /** An edit keeps the post's photos and files unless `attachments` is given. */
  async edit(channelId: string, postId: string, text: string, opts: { entities?: MessageEntity[]; attachments?: ChannelAttachment[] } = {}): Promise<Extract<ChannelPost, { verified: true }>> {
    return this.#change(channelId, postId, (old) => {
      const attachments = opts.attachments ?? old.attachments;
      return { text, ...(opts.entities ? { entities: opts.entities } : {}), ...(attachments?.length ? { attachments } : {}), ...(old.poll ? { poll: old.poll } : {}), pinned: old.pinned, deleted: false, edited: true };
    });
  }

  /** R110: uploads a photo or file for a public post (public: not encrypted); pass the result in `post`'s `attachments`. R199: `voice` marks a recorded voice note. */
  async uploadFile(bytes: Uint8Array, meta: PublicFileMeta): Promise<ChannelAttachment> {
    return uploadPublicFile(this.#d, bytes, meta);
  }

  /** R110: a public post's photo or file, downloaded and checked against what the post signed (size, SHA-256). */
  async fetchFile(handle: string, file: ChannelAttachment): Promise<PublicFile> {
    return fetchPublicFile(this.#d.baseUrl, handle, file);
  }

  async delete(channelId: string, postId: string): Promise<Extract<ChannelPost, { verified: true }>> {
    return this.#change(channelId, postId, () => ({ text: '', pinned: false, deleted: true }));
  }

  async pin(channelId: string, postId: string, pinned = true): Promise<Extract<ChannelPost, { verified: true }>> {
    return this.#change(channelId, postId, (old) => ({
      text: old.text, ...(old.entities ? { entities: old.entities } : {}), ...(old.attachments ? { attachments: old.attachments } : {}), ...(old.poll ? { poll: old.poll } : {}), pinned, deleted: false,
      ...(old.edited ? { edited: true } : {}),
    }));
  }

  async #change(channelId: string, postId: string, next: (old: Extract<ChannelPost, { verified: true }>) => Pick<ChannelPostBody, 'text' | 'entities' | 'attachments' | 'poll' | 'pinned' | 'deleted' | 'edited'>) {
    return this.#put(channelId, postId, async () => {
      const old = await this.#current(channelId, postId);
      if (old.deleted) throw new ParleyError('not_found', 'this post was deleted');
      // R125: this version names every earlier version's position.
      const replaces = old.version === 1 ? [old.seq] : [...(old.replaces ?? [old.postSeq]), old.seq];
      return { postSeq: old.postSeq, version: old.version + 1, replaces, ...next(old) };
    });
  }

  async #put(channelId: string, postId: string, fields: (seq: number) => Omit<ChannelPostBody, 'v' | 'channelId' | 'postId' | 'seq' | 'date' | 'signer'> | Promise<Omit<ChannelPostBody, 'v' | 'channelId' | 'postId' | 'seq' | 'date' | 'signer'>>) {
    const key = await this.#key(channelId);
    for (let attempt = 1; ; attempt++) {
      const seq = (await this.get(channelId)).lastSeq + 1;
      const body: ChannelPostBody = { v: 1, channelId, postId, seq, date: this.#d.now(), signer: key.publicKey, ...(await fields(seq)) };
      try {
        const { entry } = await this.#d.rest<{ entry: ChannelEntry }>('PUT', path(channelId, `/posts/${encodeURIComponent(postId)}`), await signPost(key, body));
        const post = await this.#verify(channelId, [entry]);
        const mine = post.posts[0];
        if (!mine?.verified) throw new ParleyError('channel_signature_invalid', `the server answered with a post that does not verify: ${mine && !mine.verified ? mine.problem : post.keyListProblem ?? ''}`);
        // R125: the post is in; a head the server refused now is signed again later (a retry, the next post, refreshHead).
        await this.#heads.sign(channelId, key, mine.seq);
        return mine;
      } catch (err) {
        if (!(err instanceof ParleyError && err.code === 'channel_seq_conflict') || attempt >= SEQ_ATTEMPTS) throw err;
      }
    }
  }

  /**
   * R115: schedules a post for `at` (ms), signed here without a log position; the server publishes it
   * then, with every admin device offline. With `postId` (of a post still scheduled): replaces its text and time.
   * R192: `attachments` (from `uploadFile`) go with it; the scheduled post holds them on the server until then.
   */
  async schedule(channelId: string, text: string, at: number, opts: { entities?: MessageEntity[]; postId?: string; attachments?: ChannelAttachment[] } = {}): Promise<ScheduledChannelPost> {
    const key = await this.#key(channelId);
    const postId = opts.postId ?? randomId(12);
    const body = {
      v: 1 as const, channelId, postId, date: at, signer: key.publicKey, text, ...(opts.entities ? { entities: opts.entities } : {}),
      ...(opts.attachments?.length ? { attachments: opts.attachments } : {}), scheduled: true as const,
    };
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
   * R125 (an admin's device): signs the head at the log's end, after checking every entry since the
   * current head verifies and none is missing: after scheduled posts were published, or to say the
   * channel is still where it was (a fresh date). Throws when the log does not check.
   */
  async refreshHead(channelId: string): Promise<Channel> {
    const key = await this.#key(channelId);
    const channel = await this.get(channelId);
    const list = await this.#keyList(channel);
    if (typeof list === 'string') throw new ParleyError('channel_signature_invalid', list);
    const head = channel.head && await openHead(channelId, channel.head, list);
    let after = typeof head === 'object' ? head.seq : 0;
    for (;;) {
      const page = await this.log(channelId, after);
      const bad = page.posts.find((p) => !p.verified);
      if (bad && !bad.verified) throw new ParleyError('channel_signature_invalid', `seq ${bad.seq}: ${bad.problem}`);
      if (page.integrity.missing.length) throw new ParleyError('channel_signature_invalid', `positions ${page.integrity.missing.join(', ')} are missing`);
      if (!page.hasMore) {
        await this.#heads.put(channelId, key, page.lastSeq);
        return this.get(channelId);
      }
      after = page.posts.at(-1)?.seq ?? page.lastSeq;
    }
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
    const channel = await this.get(channelId);
    const page = await this.#verify(channelId, entries, channel);
    // R125: the newest-first view checks the head only; `log` also finds positions missing in the middle.
    return { ...page, hasMore, integrity: { ...(await this.#judge(channel, channel.lastSeq)), missing: [] } };
  }

  /** R97: what changed after `afterSeq` (new posts, edits, deletions, pins), by seq, verified. */
  async log(channelId: string, afterSeq: number, limit?: number): Promise<ChannelPage & { lastSeq: number }> {
    const carried = this.#open.get(channelId);
    const { page, through, open } = await this.#logPage(channelId, afterSeq, limit, carried?.through === afterSeq ? carried.open : new Set());
    if (page.hasMore) this.#open.set(channelId, { through, open });
    else this.#open.delete(channelId);
    return page;
  }

  /**
   * R125: the whole log checked for missing positions, read from where this device's last check
   * stopped (kept in its store), at most `maxPages` pages a call: `complete` false means call again.
   * A position once found missing stays so until a later version names it as replaced.
   */
  async checkLog(channelId: string, opts: { maxPages?: number; pageSize?: number } = {}): Promise<{ integrity: LogIntegrity; checkedThrough: number; lastSeq: number; complete: boolean }> {
    const stateKey = `channel-log-check:${channelId}`;
    const stored = await this.#d.meta.get(stateKey);
    const state = stored ? JSON.parse(stored) as { through: number; open: number[] } : { through: 0, open: [] };
    let open = new Set(state.open);
    let through = state.through;
    for (let pages = 0; ; pages++) {
      const r = await this.#logPage(channelId, through, opts.pageSize, open);
      ({ open, through } = r);
      await this.#d.meta.set(stateKey, JSON.stringify({ through, open: [...open] }));
      if (!r.page.hasMore || pages + 1 >= (opts.maxPages ?? 10)) {
        return { integrity: r.page.integrity, checkedThrough: through, lastSeq: r.page.lastSeq, complete: !r.page.hasMore };
      }
    }
  }

  /**
   * R154 (the owner's device): a discussion linked before R154 carries no `openSeq`, so its joiners name
   * nothing and wait for an admin to admit them (R155). Linked again it gets one: this device states
   * `open` in the community's announcements chat and stores where (`linkDiscussion`). The server can't
   * fill it in itself: it can't tell which entry holds the statement, and a position holding none makes
   * devices that read it refuse the joiner. False when there is nothing to do (no link, it has one, or
   * this user is not the channel's owner).
   */
  async healDiscussion(channelId: string): Promise<boolean> {
    const link = await this.discussion(channelId);
    if (!link || link.openSeq !== undefined || (await this.get(channelId)).ownerId !== this.#d.userId) return false;
    return (await this.linkDiscussion(channelId, link.chatId))?.openSeq !== undefined;
  }

  /**
   * R125 (an admin's device): a channel whose head lags its log (no head yet: a channel from before
   * R125; scheduled posts published since) gets one now, through `refreshHead`. False when this
   * device holds no key for it or the head is current.
   */
  async healHead(channelId: string): Promise<boolean> {
    if (!(await this.#d.meta.get(`channel-key:${channelId}`))) return false;
    const channel = await this.get(channelId);
    if (channel.lastSeq === 0 || (channel.head && (JSON.parse(channel.head.signed) as { seq?: number }).seq === channel.lastSeq)) return false;
    await this.refreshHead(channelId);
    return true;
  }

  /** One page of the log after `afterSeq`, judged (R125) with the positions still open from earlier pages. */
  async #logPage(channelId: string, afterSeq: number, limit: number | undefined, carried: ReadonlySet<number>) {
    const q = new URLSearchParams({ afterSeq: String(afterSeq), ...(limit !== undefined ? { limit: String(limit) } : {}) });
    const { entries, hasMore, lastSeq } = await this.#d.rest<{ entries: ChannelEntry[]; hasMore: boolean; lastSeq: number }>('GET', path(channelId, `/log?${q}`));
    const channel = await this.get(channelId);
    const verified = await this.#verify(channelId, entries, channel);
    const judged = await this.#judge(channel, lastSeq);
    // R125: every position up to the log's end (or the head, or the highest this device saw) is served or named as replaced.
    const end = Math.max(lastSeq, channel.lastSeq, judged.head?.seq ?? 0, (await this.#seenHead(channelId))?.seq ?? 0);
    const through = hasMore ? (entries.at(-1)?.seq ?? afterSeq) : Math.max(end, afterSeq);
    const open = unexplained(afterSeq, through, verified.posts, carried);
    const missing = hasMore ? [] : [...open].sort((a, b) => a - b);
    const problem = judged.problem ?? (missing.length ? `${missing.length === 1 ? 'position' : 'positions'} ${missing.join(', ')} of the log ${missing.length === 1 ? 'is' : 'are'} not served: posts may be missing` : undefined);
    const page = { ...verified, hasMore, lastSeq, integrity: { ...judged, ...(problem ? { problem } : {}), missing } };
    return { page, through, open };
  }

  /** R125: the served head checked against the key list and the highest this device saw, which it then pins. */
  async #judge(channel: Channel, servedLastSeq: number): Promise<Omit<LogIntegrity, 'missing'>> {
    const list = await this.#keyList(channel);
    if (typeof list === 'string') return { problem: `key list: ${list}` };
    const head = channel.head && await openHead(channel.channelId, channel.head, list);
    const seen = await this.#seenHead(channel.channelId);
    const judged = judgeHead(head, seen, servedLastSeq);
    if (typeof head === 'object' && !judged.problem && (!seen || head.seq > seen.seq || head.date > seen.date)) {
      await this.#d.meta.set(`channel-head:${channel.channelId}`, JSON.stringify({ seq: head.seq, date: head.date }));
    }
    return judged;
  }

  async #seenHead(channelId: string): Promise<SeenHead | undefined> {
    const stored = await this.#d.meta.get(`channel-head:${channelId}`);
    return stored ? (JSON.parse(stored) as SeenHead) : undefined;
  }

  async #verify(channelId: string, entries: readonly ChannelEntry[], channel?: Channel): Promise<Omit<ChannelPage, 'hasMore' | 'integrity'>> {
    const list = await this.#keyList(channel ?? await this.get(channelId));
    if (typeof list === 'string') return { posts: entries.map((e) => ({ verified: false, seq: e.seq, problem: `key list: ${list}` })), keyListProblem: list };
    const posts = dropReplaced(placedEarly(await Promise.all(entries.map((e) => openEntry(channelId, e, list, this.#d.now())))));
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
