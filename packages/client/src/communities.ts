import { MAX_DESCRIPTION_CHARS, MAX_DIRECTORY_CHATS, ParleyError, type CommunityDirectory, type CommunityInfo, type WrappedChannelInfo } from '@parley/protocol';
import type {
  ChatSummary, Community, CommunityChat, JoinRequestStatus, CommunityInvitePreview, CommunityInviteResponse, CommunityMember, CommunitySettings, Content,
  CommunityMute, CommunityReport, CreateCommunityInviteRequest, ReportOutcome, ReportState, ServerFrame, SetCommunityMemberRequest,
} from '@parley/protocol';
import { JoinRequests } from './join-requests.ts';
import type { SanctionStatement } from './moderation/sanctions-in-log.ts';
import { inviteToken, newInviteKey, parseInviteToken, signAdmission, type AdmitStatement } from './moderation/admissions.ts';
import type { AddOptions } from './outbox.ts';
import type { RestFn } from './session.ts';
import type { TimelineItem } from './timeline.ts';

export interface CommunitiesDeps {
  rest: RestFn;
  /** Names travel end-to-end encrypted (`chat_info` in the chat), as group names do. */
  e2ee: boolean;
  /** Takes a chat summary in (the chat shows, its log is caught up). */
  adopt(chat: ChatSummary): Promise<ChatSummary>;
  /** Posts content to a chat through the outbox (encrypted when `e2ee`). */
  post(chatId: string, content: Content, opts?: AddOptions): Promise<string>;
  /** The chat's name as this device knows it (decrypted `chat_info`), if it is in the chat. */
  chatName(chatId: string): string | undefined;
  /** R79: a community's description and directory: the newest a `chat_info` of the chat carried, if this device can read it. */
  chatInfo<K extends keyof CommunityInfo>(chatId: string, field: K): CommunityInfo[K];
  /** R74: a community changed, or this user is no longer in it; R84: `report`, a report for this moderator; R101: `joinRequest`. */
  emit(event: CommunityEvent): void;
  /** This device's user, once signed in. */
  myUserId(): string | undefined;
  /** A message as this device shows it (R84: a report reveals its franked text). */
  item?(chatId: string, itemId: string): TimelineItem | undefined;
  /** R138: members whose rights the chat's summary states otherwise than the owner's signed standing. */
  rightsDisputes?(chatId: string): string[];
  /** Whether a message this device posted is still in its outbox. */
  unsent?(clientMsgId: string): boolean;
  /** R152: who is in a community chat with no admin's word for it, as this device folds its log. */
  notAdmitted?(chatId: string): string[];
  /** R155: whether this user waits for an admin to admit them, by the announcements chat `chatId`. */
  awaitingAdmission?(chatId: string): boolean;
  /** R159: one of this user's actions in the chat waits for the owner's signed statement of its right. */
  rightsAwaited?(chatId: string): boolean;
  /** Where in the chat's log this device's message landed, once it did. */
  seqOf?(chatId: string, clientMsgId: string): number | undefined;
  /** R147: a wrapped channel's name or description changed: its subscribers past the MLS size read it in the wrapped log. */
  publishWrappedInfo?(communityId: string, info: WrappedChannelInfo): Promise<unknown>;
}

export type CommunityEvent = { communityId: string; removed: boolean; report?: string; joinRequest?: { requestId: string; status: JoinRequestStatus } };

const path = (communityId: string, rest = '') => `/communities/${encodeURIComponent(communityId)}${rest}`;

/**
 * `client.communities` (R66-R75): a community's chats, members, roles, rights and invites. With
 * end-to-end encryption the server keeps no names: a community's name is its announcements chat's
 * name, and each chat's name is a `chat_info` in it, read here from this device's copy.
 */
export class Communities {
  readonly #d: CommunitiesDeps;
  /** R100-R101: requests to join through links that need approval (join-requests.ts). */
  readonly joinRequests: JoinRequests;
  constructor(deps: CommunitiesDeps) {
    this.#d = deps;
    this.joinRequests = new JoinRequests({ rest: deps.rest, admitted: (id) => this.#joined(id), emit: (e) => deps.emit(e), admit: (id, userId) => this.#admit(id, { userIds: [userId] }) });
  }

  /** R74: the server's community events; false for any other frame. */
  onEvent(frame: ServerFrame): boolean {
    if (frame.type === 'community_changed') this.#d.emit({ communityId: frame.communityId, removed: false });
    else if (frame.type === 'community_removed') this.#d.emit({ communityId: frame.communityId, removed: true });
    else if (frame.type === 'community_report') this.#d.emit({ communityId: frame.communityId, removed: false, report: frame.reportId });
    else return this.joinRequests.onEvent(frame, () => this.#d.myUserId());
    return true;
  }

  /**
   * R66: a community with this user as owner, an announcements chat and a general chat. R79: a
   * description (end-to-end encrypted only) goes with the name into the announcements chat.
   */
  async create(input: { name: string; description?: string; settings?: Partial<CommunitySettings> }): Promise<Community> {
    const name = input.name.trim();
    const description = input.description?.trim() || undefined;
    this.#checkDescription(description);
    const body = { name: this.#d.e2ee ? '' : name, ...(input.settings ? { settings: input.settings } : {}) };
    const { community } = await this.#d.rest<{ community: Community }>('POST', '/communities', body);
    if (this.#d.e2ee) {
      const chats = await this.chats(community.communityId);
      for (const chat of chats) {
        await this.#adoptChat(chat.chatId);
        const info = chat.kind === 'announcements' ? { name, ...(description ? { description } : {}) } : { name: 'General' };
        await this.#d.post(chat.chatId, { kind: 'chat_info', ...info, announce: true });
      }
      await this.#signRights(community.communityId); // R138: the signed chain starts with its creator
      await this.#d.post(community.announcementsChatId, { kind: 'community_admit', communityId: community.communityId, userIds: [] }); // R152: joins are checked from here
    }
    return this.#named(community);
  }

  /** R79: the names of the community's open chats as this device last read them in the announcements chat. */
  directory(community: Pick<Community, 'announcementsChatId'>): CommunityDirectory {
    return this.#d.chatInfo(community.announcementsChatId, 'chats') ?? [];
  }

  /** R147: a wrapped channel's name and description as this device reads them in the announcements chat (undefined: no name known here). */
  async wrappedInfo(communityId: string): Promise<WrappedChannelInfo | undefined> {
    const community = await this.get(communityId);
    if (!community.name) return undefined;
    const description = this.description(community);
    return { name: community.name, ...(description ? { description } : {}) };
  }

  /** R79: the community's description as this device reads it from the announcements chat ('' or undefined: none). */
  description(community: Pick<Community, 'announcementsChatId'>): string | undefined {
    return this.#d.chatInfo(community.announcementsChatId, 'description') || undefined;
  }

  async list(): Promise<Community[]> {
    return (await this.#d.rest<{ communities: Community[] }>('GET', '/communities')).communities.map((c) => this.#named(c));
  }
  async get(communityId: string): Promise<Community> {
    return this.#named((await this.#d.rest<{ community: Community }>('GET', path(communityId))).community);
  }
  /**
   * Name (the announcements chat's, when end-to-end encrypted), description (R79: '' clears it) and
   * settings: the owner or `manageChats`. A description alone goes out with the current name as an
   * `announce` (not a rename line); posting it takes `postAnnouncements`, as any post there (R69).
   */
  async update(communityId: string, input: { name?: string; description?: string; settings?: Partial<CommunitySettings> }): Promise<Community> {
    const name = input.name?.trim();
    const description = input.description?.trim();
    this.#checkDescription(description);
    if (this.#d.e2ee && (name !== undefined || description !== undefined)) {
      const { community } = await this.#d.rest<{ community: Community }>('GET', path(communityId));
      const current = this.#d.chatName(community.announcementsChatId);
      const shown = name ?? current;
      if (!shown) throw new ParleyError('bad_request', 'the community\'s name is not known on this device yet');
      await this.#d.post(community.announcementsChatId, {
        kind: 'chat_info', name: shown, ...(description !== undefined ? { description } : {}), ...(name === undefined || name === current ? { announce: true } : {}),
      });
      if (community.settings.wrapped) {
        const told = description !== undefined ? description : this.description(community);
        await this.#d.publishWrappedInfo?.(communityId, { name: shown, ...(told ? { description: told } : {}) });
      }
    }
    const serverName = this.#d.e2ee ? undefined : name;
    if (input.settings === undefined && serverName === undefined) return this.get(communityId);
    const body = { ...(input.settings ? { settings: input.settings } : {}), ...(serverName !== undefined ? { name: serverName } : {}) };
    return this.#named((await this.#d.rest<{ community: Community }>('PATCH', path(communityId), body)).community);
  }

  // --- chats (R67, R68) -----------------------------------------------------------------------

  /**
   * The chats this user may see; names of chats this device is in come from its own copy, those of
   * open chats it is not in from the community's directory (R79), when it can read one.
   */
  async chats(communityId: string): Promise<CommunityChat[]> {
    const { chats } = await this.#d.rest<{ chats: CommunityChat[] }>('GET', path(communityId, '/chats'));
    const announcements = chats.find((c) => c.kind === 'announcements');
    const directory = new Map((announcements ? this.#d.chatInfo(announcements.chatId, 'chats') ?? [] : []).map((e) => [e.chatId, e.name]));
    return chats.map((c) => ({ ...c, name: (c.joined ? this.#d.chatName(c.chatId) : undefined) ?? directory.get(c.chatId) ?? c.name }));
  }

  /**
   * R79: names the community's open chats in its announcements chat, so members not in them can read
   * what they are. Only a device whose user may post there (R69) and only with encryption; a name it
   * can't read (a chat it is not in) is kept from the directory it last read.
   */
  async announceDirectory(communityId: string): Promise<void> {
    if (!this.#d.e2ee) return;
    const community = await this.get(communityId);
    if (community.me.role !== 'owner' && !community.me.rights.includes('postAnnouncements')) return;
    const name = this.#d.chatName(community.announcementsChatId);
    if (!name) return;
    const chats: CommunityDirectory = [];
    for (const c of await this.chats(communityId)) {
      if (c.kind === 'announcements' || !c.open || !c.name || chats.length >= MAX_DIRECTORY_CHATS) continue;
      chats.push({ chatId: c.chatId, name: c.name });
    }
    await this.#d.post(community.announcementsChatId, { kind: 'chat_info', name, announce: true, chats });
  }
  /** A topic chat (`manageChats`); its name goes into it encrypted. */
  async createChat(communityId: string, input: { name: string; open: boolean }): Promise<ChatSummary> {
    const name = input.name.trim();
    const { chat } = await this.#d.rest<{ chat: ChatSummary }>('POST', path(communityId, '/chats'), { name: this.#d.e2ee ? '' : name, open: input.open });
    const adopted = await this.#d.adopt(chat);
    if (this.#d.e2ee) await this.#d.post(chat.chatId, { kind: 'chat_info', name, announce: true });
    if (input.open) await this.announceDirectory(communityId);
    return adopted;
  }
  async renameChat(communityId: string, chatId: string, name: string): Promise<void> {
    if (!this.#d.e2ee) return void (await this.#d.rest('PATCH', path(communityId, `/chats/${encodeURIComponent(chatId)}`), { name }));
    await this.#d.post(chatId, { kind: 'chat_info', name: name.trim() });
    await this.announceDirectory(communityId);
  }
  async setChatOpen(communityId: string, chatId: string, open: boolean): Promise<CommunityChat> {
    const { chat } = await this.#d.rest<{ chat: CommunityChat }>('PATCH', path(communityId, `/chats/${encodeURIComponent(chatId)}`), { open });
    await this.announceDirectory(communityId);
    return chat;
  }
  async deleteChat(communityId: string, chatId: string): Promise<void> {
    await this.#d.rest('DELETE', path(communityId, `/chats/${encodeURIComponent(chatId)}`));
    await this.announceDirectory(communityId);
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
    const { member } = await this.#d.rest<{ member: CommunityMember }>('PUT', path(communityId, `/members/${encodeURIComponent(userId)}`), change);
    if (change.role !== undefined || change.rights !== undefined) await this.#signRights(communityId);
    // R171: a wrapped channel's server puts a holder of postAnnouncements in the announcements chat (its admins' group): this owner's word admits them there (R152).
    if (member.rights.includes('postAnnouncements') && (await this.get(communityId)).settings.wrapped) await this.#admit(communityId, { userIds: [userId] });
    return member;
  }
  /** R70: hands the community over; this user becomes an admin (every right) or a member. R138: signed by this device. */
  async transfer(communityId: string, userId: string, formerOwnerBecomes: 'admin' | 'member'): Promise<Community> {
    // A former owner who becomes a member may no longer post in announcements (R69): there, and so
    // everywhere, the statement naming the heir goes out first, sent before the server hears of it.
    // Only by the owner, to someone else (the server would refuse the rest; no statement for it).
    const first = formerOwnerBecomes === 'member' && userId !== this.#d.myUserId() && (await this.get(communityId)).me.role === 'owner';
    if (first) await this.#signRights(communityId, userId, true);
    const community = this.#named((await this.#d.rest<{ community: Community }>('POST', path(communityId, '/owner'), { userId, formerOwnerBecomes })).community);
    if (!first) await this.#signRights(communityId, userId);
    return community;
  }
  /**
   * R138: members of the community whose rights the server states (the chat's summary) otherwise than
   * the owner's signed standing in the chat's log; empty when they agree or before the owner's first
   * statement this device can read. Devices act on the signed standing (R80 deletions and pins).
   */
  rightsDisputes(chatId: string): string[] {
    return this.#d.rightsDisputes?.(chatId) ?? [];
  }
  /**
   * R159: an action of this user in the chat (a deletion of someone else's message, a pin, a ban or
   * mute statement, an admission, an announcement) waits for the owner's signed statement of its
   * right in the chat's log (shown as sending; the web says "waiting for the owner's confirmation").
   * It goes out once the statement is there, or fails with `rights_unconfirmed` after
   * `rightsConfirmWaitMs` (the outbox item's `failedCode`).
   */
  rightsAwaited(chatId: string): boolean {
    return this.#d.rightsAwaited?.(chatId) ?? false;
  }
  /**
   * R138: the owner's device states the community's standing (owner, each admin's rights) in each of
   * its chats this device is in, end-to-end encrypted, so devices act on the owner's word, not the server's.
   */
  async #signRights(communityId: string, owner = this.#d.myUserId(), waitSent = false): Promise<void> {
    if (!this.#d.e2ee || owner === undefined) return;
    const me = this.#d.myUserId();
    const moderators = (await this.members(communityId)).filter((m) => m.role === 'admin' && m.userId !== owner && (!waitSent || m.userId !== me)).map((m) => ({ userId: m.userId, rights: m.rights }));
    const posted: string[] = [];
    for (const chat of await this.chats(communityId)) {
      if (chat.joined) posted.push(await this.#d.post(chat.chatId, { kind: 'community_rights', communityId, owner, moderators }));
    }
    for (let waited = 0; waitSent && waited < 30_000 && posted.some((id) => this.#d.unsent?.(id)); waited += 100) await new Promise((r) => setTimeout(r, 100));
  }
  async leave(communityId: string): Promise<void> {
    await this.#d.rest('POST', path(communityId, '/leave'));
  }
  /** R71: takes a member out of the community and all its chats (`ban` right). */
  async remove(communityId: string, userId: string): Promise<void> {
    await this.#d.rest('DELETE', path(communityId, `/members/${encodeURIComponent(userId)}`));
  }
  /** R71: removes and bans: no invite lets them back until `unban`. */
  /** R71; R156: once the server took it, stated in the announcements chat (signed by MLS), where the server writes its line. */
  async ban(communityId: string, userId: string): Promise<void> {
    await this.#d.rest('PUT', path(communityId, `/bans/${encodeURIComponent(userId)}`));
    await this.#sanction(communityId, { action: 'banned', userId }, 'announcements');
  }
  async unban(communityId: string, userId: string): Promise<void> {
    await this.#d.rest('DELETE', path(communityId, `/bans/${encodeURIComponent(userId)}`));
    await this.#sanction(communityId, { action: 'unbanned', userId }, 'announcements');
  }
  /**
   * R156: this admin's word on a sanction the server took, in the community's chats this device is in
   * (`announcements`: that one only), where the server wrote its lines; each member's device matches
   * them. After the server, so a refused sanction leaves no statement that could confirm a later line.
   */
  async #sanction(communityId: string, word: Pick<SanctionStatement, 'action' | 'userId' | 'untilMs'>, where?: 'announcements'): Promise<void> {
    if (!this.#d.e2ee) return;
    const chats = (await this.chats(communityId)).filter((c) => c.joined && (!where || c.kind === where));
    for (const c of chats) await this.#d.post(c.chatId, { kind: 'community_sanction', communityId, ...word }, { vote: true });
  }

  // --- moderation (R80-R86) ---------------------------------------------------------------------

  /** R82: the member's messages in every chat of the community are refused until `untilMs` (`ban` right). */
  async mute(communityId: string, userId: string, untilMs: number): Promise<CommunityMute> {
    const { mute } = await this.#d.rest<{ mute: CommunityMute }>('PUT', path(communityId, `/mutes/${encodeURIComponent(userId)}`), { untilMs });
    await this.#sanction(communityId, { action: 'muted', userId, untilMs: mute.untilMs }); // R156
    return mute;
  }
  async unmute(communityId: string, userId: string): Promise<void> {
    await this.#d.rest('DELETE', path(communityId, `/mutes/${encodeURIComponent(userId)}`));
    await this.#sanction(communityId, { action: 'unmuted', userId }); // R156
  }
  async mutes(communityId: string): Promise<CommunityMute[]> {
    return (await this.#d.rest<{ mutes: CommunityMute[] }>('GET', path(communityId, '/mutes'))).mutes;
  }
  /** R82: slow mode for a chat (`manageChats`): members' messages at least `ms` apart; 0 turns it off. */
  async setSlowMode(communityId: string, chatId: string, ms: number): Promise<CommunityChat> {
    return (await this.#d.rest<{ chat: CommunityChat }>('PATCH', path(communityId, `/chats/${encodeURIComponent(chatId)}`), { slowModeMs: ms })).chat;
  }
  /**
   * R84: reports a message this device shows, with its text and the key its sender franked it with
   * (R83): the server accepts it only if they open the commitment it kept. An edited message is
   * reported as it reads now, naming the edit's entry (R122). A message with no franking (sent
   * outside a community chat, by an older client, or edited by one) can't be reported
   * (`bad_request`); one whose sender gave a false commitment is refused (`report_invalid`).
   */
  async report(communityId: string, chatId: string, itemId: string, reason?: string): Promise<CommunityReport> {
    const franked = this.#d.item?.(chatId, itemId)?.franked;
    if (!franked || franked.seq === null) throw new ParleyError('bad_request', 'this message carries no proof of its sender, so it cannot be reported');
    const body = { chatId, seq: franked.seq, clientMsgId: franked.clientMsgId, text: franked.text, frankingKey: franked.key, ...(reason ? { reason } : {}) };
    return (await this.#d.rest<{ report: CommunityReport }>('POST', path(communityId, '/reports'), body)).report;
  }
  /** R84: the community's reports, newest first (holders of `ban` or `deleteMessages`); R84b: `state` filters. */
  async reports(communityId: string, state: ReportState = 'all'): Promise<CommunityReport[]> {
    return (await this.#d.rest<{ reports: CommunityReport[] }>('GET', path(communityId, `/reports?state=${state}`))).reports;
  }
  /**
   * R84b: marks a report handled: `acted` (something was done about it) or `dismissed`. The first
   * moderator wins; the report comes back as it now stands (`resolved` says by whom and how).
   */
  async resolveReport(communityId: string, reportId: string, outcome: ReportOutcome): Promise<CommunityReport> {
    return (await this.#d.rest<{ report: CommunityReport }>('POST', path(communityId, `/reports/${encodeURIComponent(reportId)}/resolve`), { outcome })).report;
  }

  // --- invites (R68) --------------------------------------------------------------------------

  /**
   * R100: `needsApproval`: who opens the link asks to join (`joinRequests.request`) and an admin decides.
   * R152: end-to-end encrypted, the link gets a key of its own: this device states its public half in
   * the announcements chat (and waits for its place in the log), the token returned carries the private half.
   */
  async createInvite(communityId: string, opts: CreateCommunityInviteRequest = {}): Promise<CommunityInviteResponse> {
    const made = await this.#d.rest<CommunityInviteResponse>('POST', path(communityId, '/invites'), Object.values(opts).every((v) => v === undefined) ? undefined : opts);
    if (!this.#d.e2ee) return made;
    const { seed, publicKey } = await newInviteKey();
    const keySeq = await this.#admit(communityId, { inviteKey: publicKey }, true);
    if (keySeq === undefined) throw new ParleyError('internal', 'the invite link\'s key did not reach the announcements chat in 30 s: the link would admit nobody');
    return { ...made, token: inviteToken(made.token, { seed, keySeq }) };
  }
  previewInvite(token: string): Promise<CommunityInvitePreview> {
    return this.#d.rest('GET', `/community-invites/${encodeURIComponent(parseInviteToken(token).serverToken)}`);
  }
  /** Joins the community (its announcements and general chats come with it); R152: proves it opened the link. */
  async joinInvite(token: string): Promise<Community> {
    const { serverToken, key } = parseInviteToken(token);
    const { community } = await this.#d.rest<{ community: Community }>('POST', `/community-invites/${encodeURIComponent(serverToken)}/join`);
    const chats = await this.#adoptAll(community.communityId);
    const me = this.#d.myUserId();
    // Not in a wrapped channel (R141): its subscribers are in no MLS group, so there is nothing to judge.
    if (this.#d.e2ee && me && chats.some((c) => c.chatId === community.announcementsChatId && c.joined)) {
      // Goes out once this device is in the announcements chat's group (the outbox waits for it).
      // R155: a link without its key (cut short, an older client's) proves nothing: said bare, so this user sees they wait.
      const proof = key && await signAdmission(key.seed, key.keySeq, community.communityId, me);
      await this.#d.post(community.announcementsChatId, { kind: 'community_admit', communityId: community.communityId, ...(proof ? { proof } : {}) }, { vote: true });
    }
    return this.#named(community);
  }
  /**
   * R152: anyone may join this community (its chat is a public channel's discussion, R114): stated by
   * this admin. R154: resolves with the statement's position in the announcements chat, once it is there.
   */
  async open(communityId: string): Promise<number | undefined> {
    return this.#admit(communityId, { open: true }, true);
  }
  /** R101: let in by an approval; R152: marks in the announcements chat, for this device too, that joins are checked. */
  async #joined(communityId: string): Promise<void> {
    const chats = await this.#adoptAll(communityId);
    const announcements = chats.find((c) => c.kind === 'announcements' && c.joined);
    if (this.#d.e2ee && announcements) await this.#d.post(announcements.chatId, { kind: 'community_admit', communityId, userIds: [] }, { vote: true });
  }
  /**
   * R152: who is in this community chat with no admin's word for it (no approval, no invite link an
   * admin made): this device shows where they entered (`member_not_admitted`) and sends nothing there
   * while they are in it. Empty when every member was admitted, or for a chat of no community.
   */
  notAdmitted(chatId: string): string[] {
    return this.#d.notAdmitted?.(chatId) ?? [];
  }
  /**
   * R155: this user is in the community (announcements chat `chatId`) with no admin's word for it yet
   * (joined by a link without its key, or made a member by the server alone): members' devices hold
   * what they send to its chats until an admin admits them (`admit`). False without end-to-end encryption.
   */
  awaitingAdmission(chatId: string): boolean {
    return this.#d.awaitingAdmission?.(chatId) ?? false;
  }
  /**
   * R155: admits a member no admin admitted (`notAdmitted`): this admin's signed word in the announcements
   * chat, read by every member's device (R152). Takes `invite` (`forbidden`); resolves once it is in the log.
   */
  async admit(communityId: string, userId: string): Promise<void> {
    const community = await this.get(communityId);
    if (community.me.role !== 'owner' && !community.me.rights.includes('invite')) throw new ParleyError('forbidden', 'admitting a member takes the invite right');
    if (!this.#d.e2ee) return;
    if ((await this.#admit(communityId, { userIds: [userId] }, true)) === undefined) throw new ParleyError('internal', 'the admission did not reach the announcements chat in 30 s');
  }
  /**
   * R152: an admin's word on who may join, in the announcements chat (as a vote passes R69: any member
   * may send it, devices judge it by the sender's rights). `wait`: until it is in the log; its position.
   */
  async #admit(communityId: string, word: Pick<AdmitStatement, 'userIds' | 'inviteKey' | 'open'>, wait = false): Promise<number | undefined> {
    if (!this.#d.e2ee) return undefined;
    const chatId = (await this.get(communityId)).announcementsChatId;
    const id = await this.#d.post(chatId, { kind: 'community_admit', communityId, ...word }, { vote: true });
    for (let waited = 0; wait && waited < 30_000 && this.#d.unsent?.(id); waited += 100) await new Promise((r) => setTimeout(r, 100));
    return wait ? this.#d.seqOf?.(chatId, id) : undefined;
  }

  /**
   * Takes in the chats of the community this user is in (after an invite join, or an approved request,
   * R101). R154: `openSeq`, after a public channel's discussion join: names where an admin stated `open`;
   * without it (a discussion linked before R154, a membership the server made alone) R155's bare word.
   */
  async adoptJoined(communityId: string, openSeq?: number): Promise<void> {
    const chats = await this.#adoptAll(communityId);
    const announcements = chats.find((c) => c.kind === 'announcements' && c.joined);
    if (this.#d.e2ee && announcements) {
      await this.#d.post(announcements.chatId, { kind: 'community_admit', communityId, ...(openSeq !== undefined ? { openSeq } : {}) }, { vote: true });
    }
  }
  async #adoptAll(communityId: string): Promise<CommunityChat[]> {
    const chats = await this.chats(communityId);
    for (const chat of chats) if (chat.joined) await this.#adoptChat(chat.chatId);
    return chats;
  }

  /** R79: only end-to-end encrypted (the server has no field for it), at most MAX_DESCRIPTION_CHARS. */
  #checkDescription(description: string | undefined): void {
    if (description === undefined) return;
    if (!this.#d.e2ee) throw new ParleyError('bad_request', 'a community description needs end-to-end encryption (R79)');
    if (description.length > MAX_DESCRIPTION_CHARS) throw new ParleyError('bad_request', `a community description has at most ${MAX_DESCRIPTION_CHARS} characters`);
  }

  async #adoptChat(chatId: string): Promise<void> {
    await this.#d.adopt((await this.#d.rest<{ chat: ChatSummary }>('GET', `/chats/${encodeURIComponent(chatId)}`)).chat);
  }

  /** An end-to-end encrypted community's name is its announcements chat's, as this device reads it. */
  #named(community: Community): Community {
    return community.name === '' ? { ...community, name: this.#d.chatName(community.announcementsChatId) ?? '' } : community;
  }
}
