import type { CommunityStorage } from '../../storage/community-storage.ts';
import type { WrappedViewStorage } from '../../storage/wrapped-view-storage.ts';
import type { AuthContext } from '../accounts.ts';
import { countViews, type ViewCounting } from './view-counters.ts';
import { wrappedMember } from './wrapped.ts';

export interface WrappedViewsDeps extends ViewCounting {
  communities: CommunityStorage;
  views: WrappedViewStorage;
}

/**
 * R183: view counts of a wrapped channel's posts, as a public channel's (R98): a member's device reports
 * the posts it showed (once per device run, the SDK remembers), the server adds one to a counter per
 * (post, time bucket) and keeps no record of who viewed. Seqs that are no post (info alone, an edit,
 * deleted, none) are passed over, not refused: a post deleted while a report was on its way is no error.
 * The counts go out with the reaction counts (R166's `counts`).
 */
export class WrappedViews {
  readonly #d: WrappedViewsDeps;
  constructor(deps: WrappedViewsDeps) {
    this.#d = deps;
  }

  /** Members only (R141's `not_found`, `channel_not_wrapped`); the device's reports are R98's limit, counted apart from public channels'. */
  async report(auth: AuthContext, communityId: string, seqs: readonly number[]): Promise<void> {
    await wrappedMember(this.#d.communities, communityId, auth.userId);
    await countViews(this.#d, `wrapped-views:${auth.deviceId}`, (bucket) => this.#d.views.addViews(communityId, seqs, bucket));
  }
}
