import type { CommunityJoinRequest, CreateJoinRequestRequest, ServerFrame } from '@parley/protocol';
import { parseInviteToken } from './moderation/admissions.ts';
import type { RestFn } from './session.ts';

export interface JoinRequestsDeps {
  rest: RestFn;
  /** Takes in the chats of a community this user was just let into (as an invite join does). */
  admitted(communityId: string): Promise<void>;
  /** R152: this admin's word that the user may join, stated in the community's announcements chat. */
  admit?(communityId: string, userId: string): Promise<unknown>;
  /** R101: a request of this user, or one this admin handles, was made or closed. */
  emit(event: { communityId: string; removed: false; joinRequest: { requestId: string; status: CommunityJoinRequest['status'] } }): void;
}

const community = (communityId: string, rest = '') => `/communities/${encodeURIComponent(communityId)}/join-requests${rest}`;

/**
 * `client.communities.joinRequests` (R100-R101): asking to join through an invite link that needs
 * approval, and, for holders of the `invite` right, approving or declining. When this user's request
 * is approved the SDK takes in the community's chats itself, so they show as after an invite join.
 */
export class JoinRequests {
  readonly #d: JoinRequestsDeps;
  constructor(deps: JoinRequestsDeps) {
    this.#d = deps;
  }

  /** R101: a `community_join_request` frame; false for any other. */
  onEvent(frame: ServerFrame, myUserId: () => string | undefined): boolean {
    if (frame.type !== 'community_join_request') return false;
    const { communityId, requestId, status } = frame;
    const done = status === 'approved' ? this.#admittedIfMine(communityId, requestId, myUserId()) : Promise.resolve();
    void done.catch(() => undefined).then(() => this.#d.emit({ communityId, removed: false, joinRequest: { requestId, status } }));
    return true;
  }

  /** R100: asks to join through a link that needs approval (the note: at most the server's PARLEY_MAX_JOIN_NOTE_CHARS). */
  async request(token: string, note?: string): Promise<CommunityJoinRequest> {
    const body: CreateJoinRequestRequest = note?.trim() ? { note: note.trim() } : {};
    return (await this.#d.rest<{ request: CommunityJoinRequest }>('POST', `/community-invites/${encodeURIComponent(parseInviteToken(token).serverToken)}/requests`, body)).request;
  }
  /** This user's own requests, newest first, in any state. */
  async mine(): Promise<CommunityJoinRequest[]> {
    return (await this.#d.rest<{ requests: CommunityJoinRequest[] }>('GET', '/community-join-requests')).requests;
  }
  /** R101: takes back one's own pending request. */
  async cancel(requestId: string): Promise<void> {
    await this.#d.rest('DELETE', `/community-join-requests/${encodeURIComponent(requestId)}`);
  }

  /** R101: the community's pending requests, oldest first (holders of `invite`). */
  async pending(communityId: string): Promise<CommunityJoinRequest[]> {
    return (await this.#d.rest<{ requests: CommunityJoinRequest[] }>('GET', community(communityId))).requests;
  }
  /** R152: then states this admin's word for the person in the announcements chat, where members' devices check it. */
  async approve(communityId: string, requestId: string): Promise<CommunityJoinRequest> {
    const { request } = await this.#d.rest<{ request: CommunityJoinRequest }>('POST', community(communityId, `/${encodeURIComponent(requestId)}/approve`));
    if (request.status === 'approved') await this.#d.admit?.(communityId, request.userId);
    return request;
  }
  async decline(communityId: string, requestId: string): Promise<CommunityJoinRequest> {
    return (await this.#d.rest<{ request: CommunityJoinRequest }>('POST', community(communityId, `/${encodeURIComponent(requestId)}/decline`))).request;
  }

  async #admittedIfMine(communityId: string, requestId: string, me: string | undefined): Promise<void> {
    const mine = (await this.mine()).find((r) => r.requestId === requestId);
    if (mine && mine.userId === me) await this.#d.admitted(communityId);
  }
}
