import { useEffect, useState } from 'react';
import type { Community, WrappedChannelInfo } from '@parley/protocol';
import type { ParleyClient } from '@parley/client';
import type { Translate } from '../i18n/index.ts';

/**
 * The person's communities as this tab holds them, shared by every view that lists them (the chat
 * list's community rows and its wrapped-channel rows, issue 13). Read whole (`GET /communities`)
 * when the first view opens and again after each reconnect (events may have been missed while
 * away); in between it follows the events: R74's `community_changed` (also sent when this person
 * comes into a wrapped channel, R148) reads that one community (`GET /communities/:id`),
 * `community_removed` drops it, a report or join request changes nothing listed. A community whose
 * chat shows up before its event (made or joined on another device: its topic may not be heard yet)
 * is read by `ensure`. Nothing is read per post, nor per event of another community.
 */
export class CommunityList {
  readonly #client: ParleyClient;
  value: Community[] | undefined;
  readonly #views = new Set<(value: Community[]) => void>();
  /** The whole read in flight (an event's read waits for it, so the whole list can't undo it). */
  #whole: Promise<void> | undefined;
  #started = false;
  /** Ids `ensure` read since the last whole read: not asked for again. */
  readonly #asked = new Set<string>();

  constructor(client: ParleyClient) {
    this.#client = client;
  }

  /**
   * A view's callback for each new value. The first view starts the list (a whole read); it is then
   * followed for the tab's life, views or not (a chat list that comes back, on a phone after each
   * chat, finds it current and reads nothing).
   */
  subscribe(view: (value: Community[]) => void): () => void {
    if (!this.#started) this.#start();
    this.#views.add(view);
    return () => { this.#views.delete(view); };
  }

  /** Reads the communities of `ids` (the chats' communities) this list does not hold yet, once each. */
  ensure(ids: readonly string[]): void {
    for (const id of ids) {
      if (!this.value || !id || this.#asked.has(id) || this.value.some((c) => c.communityId === id)) continue;
      this.#asked.add(id);
      void this.#one(id);
    }
  }

  #start(): void {
    this.#started = true;
    const client = this.#client;
    let online = client.connectionState === 'online';
    client.on('community', (e) => {
      // A report or a join request changes nothing listed.
      if (e.report === undefined && e.joinRequest === undefined) void (e.removed ? this.#drop(e.communityId) : this.#one(e.communityId));
    });
    client.on('connection', (state) => {
      if (state === 'online' && !online) this.#readWhole();
      online = state === 'online';
    });
    this.#readWhole();
  }

  #readWhole(): void {
    this.#whole ??= this.#client.communities.list().then((list) => {
      this.#asked.clear();
      this.#set(list);
    }, (err: unknown) => console.warn('parley: community read failed', err)).finally(() => { this.#whole = undefined; });
  }

  async #one(communityId: string): Promise<void> {
    await this.#whole;
    try {
      const community = await this.#client.communities.get(communityId);
      const list = this.value ?? [];
      this.#set(list.some((c) => c.communityId === communityId) ? list.map((c) => (c.communityId === communityId ? community : c)) : [...list, community]);
    } catch (err) {
      // Not a member (any more): a community that is gone and one never joined answer alike (R75).
      if ((err as { code?: unknown }).code === 'not_found') this.#drop(communityId);
      else console.warn('parley: community read failed', err);
    }
  }

  #drop(communityId: string): void {
    this.#set((this.value ?? []).filter((c) => c.communityId !== communityId));
  }

  #set(value: Community[]): void {
    this.value = value;
    for (const view of this.#views) view(value);
  }
}

const lists = new WeakMap<ParleyClient, CommunityList>();

/** The one list of this client's communities (see CommunityList). */
export function communityList(client: ParleyClient): CommunityList {
  let list = lists.get(client);
  if (!list) lists.set(client, (list = new CommunityList(client)));
  return list;
}

/**
 * The person's communities, oldest first, from the one list this tab holds (community-list.ts: read
 * whole at start and after a reconnect, then kept by the events). A community its chats belong to
 * that the list does not hold yet (just made or joined on this or another device: its event topic
 * may not be heard yet) is read on its own.
 */
export function useCommunities(client: ParleyClient): { value: Community[] | undefined } {
  const list = communityList(client);
  const [value, setValue] = useState<Community[] | undefined>(list.value);
  useEffect(() => list.subscribe(setValue), [list]);
  const seen = [...new Set(client.chats().flatMap((c) => (c.community ? [c.community.communityId] : [])))].sort().join(',');
  useEffect(() => { if (value) list.ensure(seen.split(',')); }, [list, seen, value]);
  return { value };
}

/**
 * A community's name for this reader: with end-to-end encryption it is its announcements chat's name
 * (R66), known once this device reads that chat's `chat_info`; until then a placeholder.
 */
export function communityName(t: Translate, client: ParleyClient, community: Pick<Community, 'name' | 'announcementsChatId'>): string {
  return community.name || encName(client, community.announcementsChatId) || t('communityUnnamed');
}

export function encName(client: ParleyClient, chatId: string): string {
  const chat = client.chat(chatId);
  // A group's title falls back to its members' names when no name is known: not a community name.
  if (!chat) return '';
  const fallback = chat.members.filter((m) => m.userId !== client.userId).map((m) => m.displayName).join(', ');
  return chat.title !== fallback ? chat.title : '';
}

/**
 * R141, R147: a wrapped channel's name. It is end-to-end encrypted in the announcements chat (R66), which
 * only its admins' devices (and subscribers from before the switch) hold; other subscribers read it in
 * the wrapped log (`info`: each epoch's first entry carries it, R161, so from the device's first key on);
 * until then: "Private channel". (Here, not in channels/: the chat list's rows need it, and one chunk
 * fewer keeps the chat screen within its budget.)
 */
export function wrappedTitle(t: Translate, client: ParleyClient, community: Community | undefined, info?: WrappedChannelInfo): string {
  const name = community ? communityName(t, client, community) : '';
  return name && name !== t('communityUnnamed') ? name : info?.name ?? t('chWrappedUnnamed');
}
