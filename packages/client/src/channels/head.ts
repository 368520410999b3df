import { CHANNEL_HEAD_CONTEXT, ChannelHeadBody, type ChannelKeyList, type SignedBlob } from '@parley/protocol';
import type { ChannelPost } from './signing.ts';
import { verifySigned } from './signing.ts';

/** R125: a log head this device checked: an admin's device saw the log reach `seq` at `date`. */
export interface LogHead {
  seq: number;
  date: number;
  /** The admin whose key signed it (from the key list). */
  signedBy: string;
}

/**
 * R125: whether this device can trust that it was shown the whole log. `problem` (plain words) when it
 * can't: no head signed yet, a head that does not verify, a head older than one this device saw
 * (rolled back), a log that ends before its head (newest posts withheld), or `missing` positions no
 * entry accounts for (a post dropped, or an old version of an edited post served in place of the new).
 */
export interface LogIntegrity {
  head?: LogHead;
  problem?: string;
  /** Log positions neither served nor named as replaced by a later version of a post that was. */
  missing: number[];
}

/** The highest head this device saw of a channel (pinned in its store). */
export interface SeenHead {
  seq: number;
  date: number;
}

/** R125: a served head, checked against the channel's verified key list; a string says why it fails. */
export async function openHead(channelId: string, blob: SignedBlob, list: ChannelKeyList): Promise<LogHead | string> {
  let head: ChannelHeadBody;
  try {
    const parsed = ChannelHeadBody.safeParse(JSON.parse(blob.signed));
    if (!parsed.success) return 'the log head is malformed';
    head = parsed.data;
  } catch {
    return 'the log head is malformed';
  }
  if (head.channelId !== channelId) return 'the log head is for another channel';
  const admin = list.admins.find((a) => a.key === head.signer);
  if (!admin) return 'the log head is signed by a key the key list does not name';
  if (admin.untilSeq !== undefined && head.seq > admin.untilSeq) return 'the log head is signed by a retired key';
  if (!(await verifySigned(head.signer, CHANNEL_HEAD_CONTEXT, blob))) return 'the log head\'s signature does not match';
  return { seq: head.seq, date: head.date, signedBy: admin.userId };
}

/**
 * R125: what the served head says against what this device saw before and the log's end the server
 * claims. `head` is the verified head (or why it failed, or undefined when none is served).
 */
export function judgeHead(head: LogHead | string | undefined, seen: SeenHead | undefined, servedLastSeq: number): Omit<LogIntegrity, 'missing'> {
  if (typeof head === 'string') return { problem: `${head}: posts may be missing` };
  if (head === undefined) {
    if (seen) return { problem: `the server no longer serves the log head (this device saw seq ${seen.seq}): posts may be missing` };
    return servedLastSeq > 0 ? { problem: 'no admin has signed the log\'s head yet: it is not verified that no post is missing' } : {};
  }
  if (seen && (head.seq < seen.seq || head.date < seen.date)) {
    return { head, problem: `the server serves an older log head (seq ${head.seq}) than this device saw (seq ${seen.seq}): posts may be missing` };
  }
  if (head.seq > servedLastSeq) return { head, problem: `the admins signed the log up to seq ${head.seq} but the server serves it up to ${servedLastSeq}: newest posts withheld` };
  return { head };
}

/** R125: the positions a verified version names as replaced, with the seq of the version naming them. */
function replacedAt(posts: readonly ChannelPost[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const p of posts) {
    if (!p.verified) continue;
    for (const s of p.replaces ?? (p.version > 1 ? [p.postSeq] : [])) out.set(s, p.seq);
  }
  return out;
}

/**
 * R125: an entry served at a position a later version of its post names as replaced is an old version
 * (a rollback of an edit): not shown as the post.
 */
export function dropReplaced(posts: readonly ChannelPost[]): ChannelPost[] {
  const replaced = replacedAt(posts);
  return posts.map((p) => {
    const by = p.verified ? replaced.get(p.seq) : undefined;
    return by !== undefined && p.verified ? { verified: false, seq: p.seq, problem: `an earlier version of a post that was changed at seq ${by}` } : p;
  });
}

/**
 * R125: the positions in (afterSeq, through] that no served entry holds and no served version names as
 * replaced, plus `carried` (open ones from earlier pages), less those this page's versions explain.
 */
export function unexplained(afterSeq: number, through: number, posts: readonly ChannelPost[], carried: ReadonlySet<number>): Set<number> {
  const served = new Set(posts.map((p) => p.seq));
  const replaced = replacedAt(posts);
  const open = new Set([...carried].filter((s) => !replaced.has(s) && !served.has(s)));
  for (let s = afterSeq + 1; s <= through; s++) if (!served.has(s) && !replaced.has(s)) open.add(s);
  return open;
}
