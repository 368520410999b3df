import type {
  AddedDevice, ChatSummary, GroupCallRoom, ClaimedKeyPackage, ClaimKeyPackagesResponse, CreateInviteRequest, FetchedLinkPreview, InviteInfo, InviteListResponse, InviteResponse,
  KeyPackageCountResponse, MeResponse, PendingDeviceLink, ServerInfo, TurnCredentials, UserProfile,
} from '@parley/protocol';
import type { ClientEvents, ClientOptions } from './client-options.ts';
import { approveDeviceLink, denyDeviceLink, pendingDeviceLinks } from './device-link.ts';
import { Emitter } from './emitter.ts';
import { authedRest, SessionTokens, type RestFn } from './session.ts';

/**
 * The part of the client that is only REST calls as this device's session: accounts, users, device
 * links, chat administration, invites, push, key packages. ParleyClient builds on it; nothing here
 * touches the local copy of the chats.
 */
export abstract class ClientRest extends Emitter<ClientEvents> {
  readonly userId: string;
  readonly deviceId: string;
  /** The device's session tokens (signs in again when the server refuses one). */
  protected readonly tokens: SessionTokens;
  /** REST as this device's session. */
  protected readonly rest: RestFn;

  constructor(options: ClientOptions) {
    super();
    this.userId = options.session.userId;
    this.deviceId = options.session.deviceId;
    this.tokens = new SessionTokens(options.baseUrl, this.deviceId, options.deviceKey, {
      get: () => options.store.getMeta('session-token'), set: (t) => options.store.setMeta('session-token', t),
    });
    this.rest = authedRest(options.baseUrl, this.tokens);
  }

  me(): Promise<MeResponse> { return this.rest('GET', '/me'); }
  findUser(handle: string): Promise<UserProfile> {
    return this.rest('GET', `/users/by-handle/${encodeURIComponent(handle.trim().replace(/^@/, '').toLowerCase())}`);
  }
  getUser(userId: string): Promise<UserProfile> { return this.rest('GET', `/users/${encodeURIComponent(userId)}`); }

  pendingDeviceLinks(): Promise<PendingDeviceLink[]> { return pendingDeviceLinks(this.rest); }
  /** Approves a new device of this account with the code the new device shows (R25). */
  approveDeviceLink(linkId: string, code: string): Promise<AddedDevice> { return approveDeviceLink(this.rest, linkId, code); }
  denyDeviceLink(linkId: string): Promise<void> { return denyDeviceLink(this.rest, linkId); }

  /**
   * R45: asks this server's link preview fetcher for a page's title, description and image (the
   * server sees the URL, not the chat; `link_previews_off` where the operator turned it off). The
   * image is as the page has it, up to 1 MiB: shrink it to a thumbnail (`MAX_PREVIEW_IMAGE_CHARS`)
   * or drop it before sending.
   */
  fetchLinkPreview(url: string): Promise<FetchedLinkPreview> {
    return this.rest<{ preview: FetchedLinkPreview }>('POST', '/link-preview', { url }).then((r) => r.preview);
  }

  /** The chat's summary as the server has it now. */
  async getChat(chatId: string): Promise<ChatSummary> { return (await this.rest<{ chat: ChatSummary }>('GET', `/chats/${chatId}`)).chat; }
  async setChatColor(chatId: string, color: string): Promise<void> { await this.rest('PATCH', `/chats/${chatId}`, { color }); }
  async addMember(chatId: string, userId: string): Promise<void> { await this.rest('POST', `/chats/${chatId}/members`, { userId }); }
  async removeMember(chatId: string, userId: string): Promise<void> { await this.rest('DELETE', `/chats/${chatId}/members/${userId}`); }
  async setRole(chatId: string, userId: string, role: 'admin' | 'member'): Promise<void> {
    await this.rest('PUT', `/chats/${chatId}/members/${userId}/role`, { role });
  }

  /** R42: an invite link to the group (admins and the owner); by default it lasts the server's invite lifetime with no use limit. */
  createInvite(chatId: string, opts: CreateInviteRequest = {}): Promise<InviteResponse> {
    return this.rest('POST', `/chats/${chatId}/invites`, opts.expiresInMs === undefined && opts.maxUses === undefined ? undefined : opts);
  }
  /** R42: the group's live invites, newest first (admins and the owner). */
  async listInvites(chatId: string): Promise<InviteInfo[]> {
    return (await this.rest<InviteListResponse>('GET', `/chats/${chatId}/invites`)).invites;
  }
  /** R42: ends an invite of the group at once (admins and the owner, whoever made it). */
  async revokeInvite(chatId: string, token: string): Promise<void> {
    await this.rest('DELETE', `/chats/${chatId}/invites/${encodeURIComponent(token)}`);
  }
  previewInvite(token: string): Promise<{ chatId: string; name: string; color: string; memberCount: number }> {
    return this.rest('GET', `/invites/${encodeURIComponent(token)}`);
  }

  async pushVapidKey(): Promise<string> { return (await this.rest<{ publicKey: string }>('GET', '/push/vapid-public-key')).publicKey; }
  async subscribePush(sub: { endpoint?: string; keys?: Record<string, string> }): Promise<void> {
    await this.rest('POST', '/push/subscriptions', sub);
  }
  /** R118: this device rings for calls through its push subscriptions when no tab is open (or stops). */
  async setCallRinging(on: boolean): Promise<void> { await this.rest(on ? 'PUT' : 'DELETE', '/push/call-ringing'); }
  /** R118: wakes the other person's closed apps for the ringing offer just posted in the direct chat (Calls.start does it). */
  async ringCall(chatId: string): Promise<void> { await this.rest('POST', '/calls/ring', { chatId }); }

  /**
   * R60: time-limited TURN credentials for a call in the chat (members only), as RTCPeerConnection's
   * `iceServers`; `calls_unavailable` where the server has no TURN configured.
   */
  turnCredentials(chatId: string): Promise<TurnCredentials> { return this.rest('POST', '/calls/turn', { chatId }); }
  /**
   * R62: a token to join the group chat's call room on the SFU (Janus), with the publisher id to
   * join as; `calls_unavailable` where the server has no SFU, `bad_request` for a direct chat.
   */
  groupCallRoom(chatId: string): Promise<GroupCallRoom> { return this.rest('POST', '/calls/room', { chatId }); }
  /** The server's `/info`: its limits and what it offers (R60: `calls.turn`, a relay for calls; R62: `calls.sfu`, group calls). */
  serverInfo(): Promise<ServerInfo> { return this.rest('GET', '/info'); }

  /** How many of this device's key packages the server has left (R14). */
  keyPackageCount(): Promise<KeyPackageCountResponse> { return this.rest('GET', '/keypackages/count'); }
  /** R41: key packages of the chat's members' devices (one per device, never this one), to add them to its encryption group. */
  async claimKeyPackages(chatId: string, userIds: string[]): Promise<ClaimedKeyPackage[]> {
    return (await this.rest<ClaimKeyPackagesResponse>('POST', '/keypackages/claim', { chatId, userIds })).keyPackages;
  }
}
