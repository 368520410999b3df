import { ParleyError, type WrappedPoll, type WrappedPollVotes } from '@parley/protocol';
import type { RestFn } from '../session.ts';

/**
 * R185: a vote's token for option `option` (its index) of the poll at `seq`: the first 16 bytes (hex)
 * of HMAC-SHA256 keyed by the post's epoch key over `"parley-wrapped-vote-v1\n" communityId "\n" seq
 * "\n" option`. Only holders of the epoch key make or read one; the same option of two polls gives
 * unrelated tokens.
 */
export async function wrappedVoteToken(epochKey: Uint8Array, communityId: string, seq: number, option: number): Promise<string> {
  const key = await globalThis.crypto.subtle.importKey('raw', epochKey as BufferSource, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = new Uint8Array(await globalThis.crypto.subtle.sign('HMAC', key, new TextEncoder().encode(`parley-wrapped-vote-v1\n${communityId}\n${seq}\n${option}`)));
  return [...mac.subarray(0, 16)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** R185: one poll's votes as this device reads them: per option (by index), how many voted, this user's choice, and votes of no option. */
export interface WrappedPollResult {
  seq: number;
  /** Votes for each option, in the poll's order. */
  votes: number[];
  /** People who voted (in a poll of several answers, fewer than the votes). */
  voters: number;
  /** The options this user chose (indices; none: not voted). */
  mine: number[];
  /** Votes whose token names no option of the poll (garbage a member sent: the server can't tell). */
  other: number;
}

/** A poll post as the reader opened it: its place and its signed poll. */
export type WrappedPollPost = { seq: number; epoch: number; poll: WrappedPoll };
type EpochKey = (epoch: number) => Promise<Uint8Array | undefined>;
const path = (communityId: string, rest: string) => `/communities/${encodeURIComponent(communityId)}${rest}`;

async function tokens(key: EpochKey, communityId: string, post: WrappedPollPost): Promise<string[] | undefined> {
  const epochKey = await key(post.epoch);
  if (!epochKey) return undefined;
  return Promise.all(post.poll.options.map((_, i) => wrappedVoteToken(epochKey, communityId, post.seq, i)));
}

/** Maps the server's token counts back to the poll's options by computing each option's token. */
async function mapVotes(communityId: string, post: WrappedPollPost, v: WrappedPollVotes, key: EpochKey): Promise<WrappedPollResult> {
  const byOption = (await tokens(key, communityId, post)) ?? [];
  const out: WrappedPollResult = { seq: post.seq, votes: post.poll.options.map(() => 0), voters: v.voters, mine: [], other: 0 };
  for (const [token, n] of Object.entries(v.votes)) {
    const i = byOption.indexOf(token);
    if (i < 0) out.other += n;
    else out.votes[i] = n;
  }
  out.mine = (v.mine ?? []).map((t) => byOption.indexOf(t)).filter((i) => i >= 0).sort((a, b) => a - b);
  return out;
}

/** R185/R198: a choice of option indices, checked against the poll before it is sent (each once). */
export function checkChoice(poll: WrappedPoll, options: readonly number[]): number[] {
  const chosen = [...new Set(options)];
  if (chosen.some((i) => !Number.isInteger(i) || i < 0 || i >= poll.options.length)) throw new ParleyError('bad_request', 'no such option');
  if (chosen.length > 1 && !poll.multiple) throw new ParleyError('bad_request', 'this poll takes one answer');
  return chosen;
}

/** R185: this user's whole choice on the poll (option indices; none takes the vote back); its votes after. */
export async function voteWrapped(rest: RestFn, key: EpochKey, communityId: string, post: WrappedPollPost, options: readonly number[]): Promise<WrappedPollResult> {
  const chosen = checkChoice(post.poll, options);
  const route = path(communityId, `/wrapped-posts/${post.seq}/vote`);
  let votes: WrappedPollVotes;
  if (chosen.length === 0) ({ votes } = await rest<{ votes: WrappedPollVotes }>('DELETE', route));
  else {
    const all = await tokens(key, communityId, post);
    if (!all) throw new Error('this device holds no key of the poll\'s epoch');
    ({ votes } = await rest<{ votes: WrappedPollVotes }>('PUT', route, { tokens: chosen.map((i) => all[i]!) }));
  }
  return mapVotes(communityId, post, votes, key);
}

/** R185: the votes of these polls (100 a request), mapped to their options. */
export async function wrappedPollVotes(rest: RestFn, key: EpochKey, communityId: string, posts: readonly WrappedPollPost[]): Promise<WrappedPollResult[]> {
  const out: WrappedPollResult[] = [];
  for (let i = 0; i < posts.length; i += 100) {
    const page = posts.slice(i, i + 100);
    const { votes } = await rest<{ votes: WrappedPollVotes[] }>('GET', path(communityId, `/wrapped-posts/votes?seqs=${page.map((p) => p.seq).join(',')}`));
    for (const p of page) {
      const v = votes.find((x) => x.seq === p.seq);
      if (v) out.push(await mapVotes(communityId, p, v, key));
    }
  }
  return out;
}
