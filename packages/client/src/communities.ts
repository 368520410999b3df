import { ParleyError } from '@parley/protocol';
import type {
  ChatSummary, Community, CommunityChat, CommunityInvitePreview, CommunityInviteResponse, CommunityMember, CommunitySettings, Content,
  CommunityMute, CommunityReport, CreateInviteRequest, ServerFrame, SetCommunityMemberRequest,
} from '@parley/protocol';
import type { RestFn } from './session.ts';
import type { TimelineItem } from './timeline.ts';

export interface CommunitiesDeps {
  rest: RestFn;
  /** Names travel end-to-end encrypted (`chat_info` in the chat), as group names do. */
  e2ee: boolean;
  /** Takes a chat summary in (the chat shows, its log is caught up). */
  adopt(chat: ChatSummary): Promise<ChatSummary>;
  /** Posts content to a chat through the outbox (encrypted when `e2ee`). */
  post(chatId: string, content: Content): Promise<string>;
  /** The chat's name as this device knows it (decrypted `chat_info`), if it is in the chat. */
  chatName(chatId: string): string | undefined;
  /** R74: a community changed, or this user is no longer in it; R84: `report`, a report for this moderator. */
  emit(event: { communityId: string; removed: boolean; report?: string }): void;
  /** A message as this device shows it (R84: a report reveals its franked text). */
  item?(chatId: string, itemId: string): TimelineItem | undefined;
}

const path = (communityId: string, rest = '') => `/communities/${encodeURIComponent(communityId)}${rest}`;

/**
 * `client.communities` (R66-R75): a community's chats, members, roles, rights and invites. With
 * end-to-end encryption the server keeps no names: a community's name is its announcements chat's
 * name, and each chat's name is a `chat_info` in it, read here from this device's copy.
 */
export class Communities {
  readonly #d: CommunitiesDeps;
  constructor(deps: CommunitiesDeps) {
    this.#d = deps;
  }

  /** R74: the server's community events; false for any other frame. */
  onEvent(frame: ServerFrame): boolean {
    if (frame.type === 'community_changed') this.#d.emit({ communityId: frame.communityId, removed: false });
    else if (frame.type === 'community_removed') this.#d.emit({ communityId: frame.communityId, removed: true });
    else if (frame.type === 'community_report') this.#d.emit({ communityId: frame.communityId, removed: false, report: frame.reportId });
    else return false;
    return true;
  }

  /** R66: a community with this user as owner, an announcements chat and a general chat. */
  async create(input: { name: string; settings?: Partial<CommunitySettings> }): Promise<Community> {
    const name = input.name.trim();
    const { community } = await this.#d.rest<{ community: Community }>('POST', '/communities', { ...input, name: this.#d.e2ee ? '' : name });
    if (this.#d.e2ee) {
      const chats = await this.chats(community.communityId);
      for (const chat of chats) {
        await this.#adoptChat(chat.chatId);
        await this.#d.post(chat.chatId, { kind: 'chat_info', name: chat.kind === 'announcements' ? name : 'General', announce: true });
      }
    }
    return this.#named(community);
  }

  async list(): Promise<Community[]> {
    return (await this.#d.rest<{ communities: Community[] }>('GET', '/communities')).communities.map((c) => this.#named(c));
  }
  async get(communityId: string): Promise<Community> {
    return this.#named((await this.#d.rest<{ community: Community }>('GET', path(communityId))).community);
  }
  /** Name (the announcements chat's, when end-to-end encrypted) and settings: the owner or `manageChats`. */
  async update(communityId: string, input: { name?: string; settings?: Partial<CommunitySettings> }): Promise<Community> {
    const name = input.name?.trim();
    if (this.#d.e2ee && name !== undefined) {
      const { community } = await this.#d.rest<{ community: Community }>('GET', path(communityId));
      await this.#d.post(community.announcementsChatId, { kind: 'chat_info', name });
    }
    const serverName = this.#d.e2ee ? undefined : name;
    if (input.settings === undefined && serverName === undefined) return this.get(communityId);
    const body = { ...(input.settings ? { settings: input.settings } : {}), ...(serverName !== undefined ? { name: serverName } : {}) };
    return this.#named((await this.#d.rest<{ community: Community }>('PATCH', path(communityId), body)).community);
  }

  // --- chats (R67, R68) -----------------------------------------------------------------------

  /** The chats this user may see; names of chats this device is in come from its own copy. */
  async chats(communityId: string): Promise<CommunityChat[]> {
    const { chats } = await this.#d.rest<{ chats: CommunityChat[] }>('GET', path(communityId, '/chats'));
    return chats.map((c) => ({ ...c, name: (c.joined ? this.#d.chatName(c.chatId) : undefined) ?? c.name }));
  }
  /** A topic chat (`manageChats`); its name goes into it encrypted. */
  async createChat(communityId: string, input: { name: string; open: boolean }): Promise<ChatSummary> {
    const name = input.name.trim();
    const { chat } = await this.#d.rest<{ chat: ChatSummary }>('POST', path(communityId, '/chats'), { name: this.#d.e2ee ? '' : name, open: input.open });
    const adopted = await this.#d.adopt(chat);
    if (this.#d.e2ee) await this.#d.post(chat.chatId, { kind: 'chat_info', name, announce: true });
    return adopted;
  }
  async renameChat(communityId: string, chatId: string, name: string): Promise<void> {
    if (this.#d.e2ee) await this.#d.post(chatId, { kind: 'chat_info', name: name.trim() });
    else await this.#d.rest('PATCH', path(communityId, `/chats/${encodeURIComponent(chatId)}`), { name });
  }
  async setChatOpen(communityId: string, chatId: string, open: boolean): Promise<CommunityChat> {
    return (await this.#d.rest<{ chat: CommunityChat }>('PATCH', path(communityId, `/chats/${encodeURIComponent(chatId)}`), { open })).chat;
  }
  async deleteChat(communityId: string, chatId: string): Promise<void> {
    await this.#d.rest('DELETE', path(communityId, `/chats/${encodeURIComponent(chatId)}`));
  }
  /** R68: one tap: joins an open chat; a member's device then adds this user's devices to its encryption group. */
  async joinChat(communityId: string, chatId: string): Promise<ChatSummary> {
    return this.#d.adopt((await this.#d.rest<{ chat: ChatSummary }>('POST', path(communityId, `/chats/${encodeURIComponent(chatId)}/join`))).chat);
  }
  /** R68: adds a community member to one of its chats, closed ones too (`manageChats`). */
  async addToChat(communityId: string, chatId: string, userId: string): Promise<void> {
    await this.#d.rest('POST', path(communityId, `/chats/${encodeURIComponent(chatId)}/members`), { userId });
  }

  // --- members (R70, R71) ---------------------------------------------------------------------

  async members(communityId: string): Promise<CommunityMember[]> {
    return (await this.#d.rest<{ members: CommunityMember[] }>('GET', path(communityId, '/members'))).members;
  }
  /** R70: role, rights and label of a member (the owner only). */
  async setMember(communityId: string, userId: string, change: SetCommunityMemberRequest): Promise<CommunityMember> {
    return (await this.#d.rest<{ member: CommunityMember }>('PUT', path(communityId, `/members/${encodeURIComponent(userId)}`), change)).member;
  }
  /** R70: hands the community over; this user becomes an admin (every right) or a member. */
  async transfer(communityId: string, userId: string, formerOwnerBecomes: 'admin' | 'member'): Promise<Community> {
    return this.#named((await this.#d.rest<{ community: Community }>('POST', path(communityId, '/owner'), { userId, formerOwnerBecomes })).community);
  }
  async leave(communityId: string): Promise<void> {
    await this.#d.rest('POST', path(communityId, '/leave'));
  }
  /** R71: takes a member out of the community and all its chats (`ban` right). */
  async remove(communityId: string, userId: string): Promise<void> {
    await this.#d.rest('DELETE', path(communityId, `/members/${encodeURIComponent(userId)}`));
  }
  /** R71: removes and bans: no invite lets them back until `unban`. */
  async ban(communityId: string, userId: string): Promise<void> {
    await this.#d.rest('PUT', path(communityId, `/bans/${encodeURIComponent(userId)}`));
  }
  async unban(communityId: string, userId: string): Promise<void> {
    await this.#d.rest('DELETE', path(communityId, `/bans/${encodeURIComponent(userId)}`));
  }

  // --- moderation (R80-R86) ---------------------------------------------------------------------

  /** R82: the member's messages in every chat of the community are refused until `untilMs` (`ban` right). */
  async mute(communityId: string, userId: string, untilMs: number): Promise<CommunityMute> {
    return (await this.#d.rest<{ mute: CommunityMute }>('PUT', path(communityId, `/mutes/${encodeURIComponent(userId)}`), { untilMs })).mute;
  }
  async unmute(communityId: string, userId: string): Promise<void> {
    await this.#d.rest('DELETE', path(communityId, `/mutes/${encodeURIComponent(userId)}`));
  }
  async mutes(communityId: string): Promise<CommunityMute[]> {
    return (await this.#d.rest<{ mutes: CommunityMute[] }>('GET', path(communityId, '/mutes'))).mutes;
  }
  /** R82: slow mode for a chat (`manageChats`): members' messages at least `ms` apart; 0 turns it off. */
  async setSlowMode(communityId: string, chatId: string, ms: number): Promise<CommunityChat> {
    return (await this.#d.rest<{ chat: CommunityChat }>('PATCH', path(communityId, `/chats/${encodeURIComponent(chatId)}`), { slowModeMs: ms })).chat;
  }
  /**
   * R84: reports a message this device shows, with its text as first sent and the key its sender
   * franked it with (R83): the server accepts it only if they open the commitment it kept. A message
   * with no franking (sent outside a community chat, by an older client, a file's caption) can't be
   * reported (`bad_request`); one whose sender gave a false commitment is refused (`report_invalid`).
   */
  async report(communityId: string, chatId: string, itemId: string, reason?: string): Promise<CommunityReport> {
    const item = this.#d.item?.(chatId, itemId);
    if (!item || item.seq === null || !item.franked) throw new ParleyError('bad_request', 'this message carries no proof of its sender, so it cannot be reported');
    const body = { chatId, seq: item.seq, clientMsgId: item.id, text: item.franked.text, frankingKey: item.franked.key, ...(reason ? { reason } : {}) };
    return (await this.#d.rest<{ report: CommunityReport }>('POST', path(communityId, '/reports'), body)).report;
  }
  /** R84: the community's reports, newest first (holders of `ban` or `deleteMessages`). */
  async reports(communityId: string): Promise<CommunityReport[]> {
    return (await this.#d.rest<{ reports: CommunityReport[] }>('GET', path(communityId, '/reports'))).reports;
  }

  // --- invites (R68) --------------------------------------------------------------------------

  createInvite(communityId: string, opts: CreateInviteRequest = {}): Promise<CommunityInviteResponse> {
    return this.#d.rest('POST', path(communityId, '/invites'), opts.expiresInMs === undefined && opts.maxUses === undefined ? undefined : opts);
  }
  previewInvite(token: string): Promise<CommunityInvitePreview> {
    return this.#d.rest('GET', `/community-invites/${encodeURIComponent(token)}`);
  }
  /** Joins the community (its announcements and general chats come with it). */
  async joinInvite(token: string): Promise<Community> {
    const { community } = await this.#d.rest<{ community: Community }>('POST', `/community-invites/${encodeURIComponent(token)}/join`);
    for (const chat of await this.chats(community.communityId)) if (chat.joined) await this.#adoptChat(chat.chatId);
    return this.#named(community);
  }

  async #adoptChat(chatId: string): Promise<void> {
    await this.#d.adopt((await this.#d.rest<{ chat: ChatSummary }>('GET', `/chats/${encodeURIComponent(chatId)}`)).chat);
  }

  /** An end-to-end encrypted community's name is its announcements chat's, as this device reads it. */
  #named(community: Community): Community {
    return community.name === '' ? { ...community, name: this.#d.chatName(community.announcementsChatId) ?? '' } : community;
  }
}
