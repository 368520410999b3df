import type { ChatSummary } from '@parley/protocol';
import type { AdmitStatement } from './admissions.ts';
import type { RightsInLog } from './rights-in-log.ts';

/**
 * R152: who entered a community chat with no admin's word for it, as one device folds the chat's log.
 * A member enters where the server's line says so (`member_added`, `member_joined`) or where an MLS
 * commit brings in a user who had no device in the group. In the announcements chat (every member of
 * the community is in it) an entry counts once an admin's `community_admit` admits the user (an
 * approval), or the user proves with a link key an admin stated (an invite link). In the community's
 * other chats it counts when the user is an admitted member by this device's announcements chat, or
 * a holder of `invite` or `manageChats` admits them there. Judged: entries after the first one this
 * device could read (earlier members are the server's word, as R138's newcomer limit), and in announcements only after
 * the first admission it reads, from anyone (a community from before R152 starts checking at its next one).
 */
export interface AdmissionsInLog {
  /** This device read the entry at `seq` (content or a commit): entries after its first such one are judged. */
  readable(seq: number): void;
  /** A member entered here; `true` when this device judges the entry (it may then be refused at the end). */
  entered(userId: string): boolean;
  /** The member left or was removed here: an earlier entry no longer holds anything. */
  left(userId: string): void;
  /** A `community_admit` at `seq` from `senderUserId`; `proofVerified`: the codec checked its signature for that sender. */
  statement(senderUserId: string, statement: AdmitStatement, proofVerified: boolean, seq: number): void;
  /** At the end of the log: who entered under the check, did not leave by the log, and whom no admin admitted, in order of entry. */
  notAdmitted(): string[];
  /**
   * R155: in announcements, at the end of the log: this user's device said it joined with nothing to
   * show (a bare `community_admit`) and has no admission since (no admin's `userIds` naming them, no
   * proof, discussion claim or approval mark of their own, no `invite` right): they wait for an admin.
   */
  awaiting(): boolean;
}

export interface AdmissionsInput {
  chat: ChatSummary;
  myUserId: string;
  rights: RightsInLog;
  /** For a chat other than announcements: whether the user is an admitted member of the community; undefined: unknown (not judged). */
  admittedInCommunity?: (userId: string) => boolean | undefined;
}

export function admissionsInLog(input: AdmissionsInput): AdmissionsInLog {
  const { chat, myUserId, rights } = input;
  const communityId = chat.community?.communityId;
  const announcements = chat.community?.kind === 'announcements';
  let started = !announcements; // elsewhere the announcements chat's own start governs
  let open = false; // an admin said anyone may join (R114 discussions)
  const openAt = new Set<number>(); // where admins said so
  const openJoins: { userId: string; openSeq: number }[] = []; // R154: joiners naming where
  const judged = new Set<string>(); // in the chat now, entered under the check, in order of entry
  const admitted = new Set<string>();
  const keys = new Set<string>();
  const proofs: { userId: string; inviteKey: string; keySeq: number }[] = [];
  let mine = false; // R155: this user has an admission of their own
  let bare = false; // R155: this user's device joined with none
  const read = new Set<number>(); // positions this device could read (a log holds entries from before it joined, unreadable)
  return {
    readable: (seq) => {
      read.add(seq);
    },
    entered: (userId) => {
      if (!communityId || userId === myUserId || !started || read.size === 0) return false;
      judged.delete(userId);
      judged.add(userId);
      return true;
    },
    left: (userId) => {
      judged.delete(userId);
    },
    statement: (senderUserId, st, proofVerified, seq) => {
      if (st.communityId !== communityId) return;
      // Any admission shows the community checks joins (R152): from here on, on this device, so do we.
      started = true;
      const admin = rights.holds(senderUserId, 'invite') || (!announcements && rights.holds(senderUserId, 'manageChats'));
      if (admin && st.open) {
        open = true;
        openAt.add(seq);
      }
      if (admin && (st.userIds || st.inviteKey)) {
        for (const u of st.userIds ?? []) admitted.add(u);
        if (st.inviteKey) keys.add(st.inviteKey);
      }
      if (st.proof && proofVerified) proofs.push({ userId: senderUserId, ...st.proof });
      if (st.openSeq !== undefined) openJoins.push({ userId: senderUserId, openSeq: st.openSeq });
      if (senderUserId === myUserId ? Boolean(st.proof || st.openSeq !== undefined || st.userIds) : admin && st.userIds?.includes(myUserId)) mine = true;
      if (senderUserId === myUserId && !st.proof && st.openSeq === undefined && !st.userIds && !st.inviteKey && !st.open) bare = true;
    },
    notAdmitted: () => {
      // A link key stated where this device can't read (before it joined) is taken on trust; one where it can must be there.
      for (const p of proofs) if (keys.has(p.inviteKey) || !read.has(p.keySeq)) admitted.add(p.userId);
      // R154: so is an `open` statement a discussion's joiner names; a position this device read must hold one.
      for (const j of openJoins) if (openAt.has(j.openSeq) || !read.has(j.openSeq)) admitted.add(j.userId);
      if (open) return [];
      return [...judged].filter((u) => !admitted.has(u) && (announcements || input.admittedInCommunity?.(u) === false));
    },
    awaiting: () => announcements && bare && !mine && !rights.holds(myUserId, 'invite'),
  };
}
