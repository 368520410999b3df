import type { WrappedRead } from '@parley/protocol';
import type { CommunityStorage } from '../../storage/community-storage.ts';
import type { WrappedReadStorage } from '../../storage/wrapped-read-storage.ts';
import type { AuthContext } from '../accounts.ts';
import { wrappedMember } from './wrapped.ts';

export interface WrappedReadsDeps {
  communities: CommunityStorage;
  reads: WrappedReadStorage;
}

/**
 * R182: unread counts and mute of wrapped channels (R141), per member, as R97's of public channels. The
 * server counts log entries it already tells apart (R161's info mark, R167's edit and deleted marks)
 * and their authors; nothing of the content. A member's position starts at the log's end when they come
 * in (nothing unread then) and goes when they leave.
 */
export class WrappedReads {
  readonly #d: WrappedReadsDeps;
  constructor(deps: WrappedReadsDeps) {
    this.#d = deps;
  }

  /** Every wrapped channel the caller is a member of, with its unread count and mute: one call for the chat list. */
  async list(auth: AuthContext): Promise<WrappedRead[]> {
    const wrapped = (await this.#d.communities.listCommunitiesForUser(auth.userId)).filter((c) => c.settings.wrapped).map((c) => c.communityId);
    return this.#d.reads.reads(auth.userId, wrapped);
  }

  /** The caller's state in one wrapped channel (members only: R141's `not_found`, `channel_not_wrapped`). */
  async get(auth: AuthContext, communityId: string): Promise<WrappedRead> {
    await wrappedMember(this.#d.communities, communityId, auth.userId);
    const [read] = await this.#d.reads.reads(auth.userId, [communityId]);
    if (!read) throw new Error(`no read state of ${communityId} for a member`); // reads() makes one for a member
    return read;
  }

  /** R182: the read position moves forward only, never past the log's end. */
  async markRead(auth: AuthContext, communityId: string, upToSeq: number): Promise<WrappedRead> {
    await wrappedMember(this.#d.communities, communityId, auth.userId);
    await this.#d.reads.markRead(communityId, auth.userId, upToSeq);
    return this.get(auth, communityId);
  }

  /** R182: the member's own mute (a muted row is greyed, its count quiet; no push exists for wrapped posts). */
  async setMuted(auth: AuthContext, communityId: string, muted: boolean): Promise<WrappedRead> {
    await wrappedMember(this.#d.communities, communityId, auth.userId);
    await this.#d.reads.setMuted(communityId, auth.userId, muted);
    return this.get(auth, communityId);
  }

  /** R182: a member came in: nothing is unread for them yet. */
  async joined(communityId: string, userId: string): Promise<void> {
    await this.#d.reads.start(communityId, userId);
  }

  /** R182: a member left or was removed: their state goes (one who comes back starts at the log's end). */
  async left(communityId: string, userId: string): Promise<void> {
    await this.#d.reads.forget(communityId, userId);
  }
}
