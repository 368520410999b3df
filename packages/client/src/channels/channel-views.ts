import type { MlsChannelViewCount } from '@parley/protocol';
import type { RestFn } from '../session.ts';
import { ViewReports } from './view-reports.ts';

const path = (communityId: string) => `/communities/${encodeURIComponent(communityId)}/channel-views`;

/**
 * R190: `client.channelViews`, view counts of a private channel in MLS mode (R112), as R183's for wrapped
 * mode. A lazily loaded part (lazy.ts): only the view that shows such a channel loads it.
 */
export class ChannelViews {
  readonly #rest: RestFn;
  readonly #viewed = new ViewReports();
  constructor(rest: RestFn) {
    this.#rest = rest;
  }

  /** The seqs of the announcements chat this device showed, each once per device run, 100 a request; a failed report may go again. */
  async markViewed(communityId: string, seqs: readonly number[]): Promise<void> {
    await this.#viewed.report(communityId, seqs, (page) => this.#rest('POST', path(communityId), { seqs: page }));
  }

  /** "N views" of these seqs as the server counts them (device-runs that showed each); a seq never counted is 0. */
  async counts(communityId: string, seqs: readonly number[]): Promise<Map<number, number>> {
    const out = new Map<number, number>();
    const distinct = [...new Set(seqs)];
    for (let i = 0; i < distinct.length; i += 100) {
      const { views } = await this.#rest<{ views: MlsChannelViewCount[] }>('GET', `${path(communityId)}?seqs=${distinct.slice(i, i + 100).join(',')}`);
      for (const v of views) out.set(v.seq, v.views);
    }
    return out;
  }
}
