import { z } from 'zod';
import { ChatCommunity, ChatSummary, ClientMsgId, CommunityRight, FrankKey, Handle, Id, Role } from './common.ts';
import { CreateInviteRequest, InviteToken } from './rest.ts';

/**
 * Communities (R66-R75): a building, a school, a team. A community is a set of members with roles
 * and rights, and ordinary group chats linked to it: an announcements chat (every member is in it;
 * only holders of `postAnnouncements` post), a general chat and topic chats. What the server knows
 * of one is what it enforces (membership, roles, rights, labels, which chats are open); names travel
 * end-to-end encrypted as group names do (`name: ''` on the server, a `chat_info` in the chat).
 */

/** R82: the schema's bound on slow mode (a day); the server's own, PARLEY_MAX_SLOW_MODE_MS, may be lower. */
export const MAX_SLOW_MODE_MS_SCHEMA = 86_400_000;

export const ALL_COMMUNITY_RIGHTS: readonly CommunityRight[] = CommunityRight.options;

/** R72: school role labels (a community setting). */
export const CommunityLabel = z.enum(['teacher', 'parent', 'student']);
export type CommunityLabel = z.infer<typeof CommunityLabel>;

export const CommunitySettings = z.object({
  /** `school`: members carry a label teacher|parent|student and the student rules of R72 apply. */
  roleLabels: z.enum(['none', 'school']),
  /** R72: with `school`, whether students may start direct chats with (and see the handles of) adults. */
  studentsMayDm: z.boolean(),
  /**
   * R112: a private channel: its announcements chat is the channel (end-to-end encrypted, only holders
   * of `postAnnouncements` post, members read, vote and react); no general chat is made. Set when the
   * community is created, never changed (absent: false).
   */
  channel: z.boolean().optional(),
  /**
   * R141: a private channel in wrapped mode: subscribers read posts under an epoch key wrapped for
   * their devices, not in the announcements chat's MLS group (which holds its admins). Chosen at
   * creation or set by the server once subscribers pass PARLEY_CHANNEL_MLS_MAX_SUBSCRIBERS; never unset.
   */
  wrapped: z.boolean().optional(),
});
export type CommunitySettings = z.infer<typeof CommunitySettings>;
export const DEFAULT_COMMUNITY_SETTINGS: CommunitySettings = { roleLabels: 'none', studentsMayDm: false };

export const CommunityChatKind = ChatCommunity.shape.kind;
export type CommunityChatKind = z.infer<typeof CommunityChatKind>;

/** A community name as the server keeps it: '' when it travels end-to-end encrypted (the SDK's way). */
const CommunityName = z.string().trim().max(100);

/** The caller's own standing in a community. */
export const CommunityStanding = z.object({
  role: Role,
  /** Every right for the owner; an admin's own set; none for a member. */
  rights: z.array(CommunityRight),
  label: CommunityLabel.optional(),
});
export type CommunityStanding = z.infer<typeof CommunityStanding>;

export const Community = z.object({
  communityId: Id,
  /** '' when end-to-end encrypted: the name is the announcements chat's `chat_info` name. */
  name: z.string(),
  createdAt: z.number().int(),
  /** The owner's user id. */
  owner: Id,
  settings: CommunitySettings,
  memberCount: z.number().int().nonnegative(),
  announcementsChatId: Id,
  me: CommunityStanding,
});
export type Community = z.infer<typeof Community>;

/** A chat of a community as a member sees it in the community's list (R68: closed chats only to their members and managers). */
export const CommunityChat = z.object({
  chatId: Id,
  kind: CommunityChatKind,
  /** Open: any member joins with one tap. Closed: added by someone with `manageChats` only. */
  open: z.boolean(),
  /** The server's name for it: '' when end-to-end encrypted (members read it from the chat). */
  name: z.string(),
  memberCount: z.number().int().nonnegative(),
  /** Whether the caller is in it. */
  joined: z.boolean(),
});
export type CommunityChat = z.infer<typeof CommunityChat>;

export const CommunityMember = z.object({
  userId: Id,
  /** R72: absent for an adult when a student asks and the community does not let students reach adults. */
  handle: Handle.optional(),
  displayName: z.string(),
  role: Role,
  rights: z.array(CommunityRight),
  label: CommunityLabel.optional(),
  joinedAt: z.number().int(),
});
export type CommunityMember = z.infer<typeof CommunityMember>;

// --- requests --------------------------------------------------------------------------------

/** POST /communities */
export const CreateCommunityRequest = z.object({ name: CommunityName, settings: CommunitySettings.partial().optional() });
export type CreateCommunityRequest = z.infer<typeof CreateCommunityRequest>;
/** PATCH /communities/:communityId (owner, or `manageChats`) */
export const UpdateCommunityRequest = z.object({ name: CommunityName.optional(), settings: CommunitySettings.partial().optional() })
  .refine((u) => u.settings?.channel === undefined && u.settings?.wrapped === undefined, 'settings.channel and settings.wrapped are chosen when the community is made (R112, R141)')
  .refine((u) => u.name !== undefined || u.settings !== undefined, 'nothing to change');
export type UpdateCommunityRequest = z.infer<typeof UpdateCommunityRequest>;
/** POST /communities/:communityId/chats (`manageChats`): a topic chat. */
export const CreateCommunityChatRequest = z.object({ name: CommunityName, open: z.boolean() });
export type CreateCommunityChatRequest = z.infer<typeof CreateCommunityChatRequest>;
/** PATCH /communities/:communityId/chats/:chatId (`manageChats`) */
export const UpdateCommunityChatRequest = z.object({
  name: z.string().trim().min(1).max(100).optional(), open: z.boolean().optional(),
  /** R82: slow mode (`manageChats`): a member's messages at least this far apart; 0 turns it off. At most PARLEY_MAX_SLOW_MODE_MS. */
  slowModeMs: z.number().int().nonnegative().max(MAX_SLOW_MODE_MS_SCHEMA).optional(),
}).refine((u) => u.name !== undefined || u.open !== undefined || u.slowModeMs !== undefined, 'nothing to change');
export type UpdateCommunityChatRequest = z.infer<typeof UpdateCommunityChatRequest>;
/** POST /communities/:communityId/chats/:chatId/members (`manageChats`): adds a community member to a chat (closed ones too). */
export const AddCommunityChatMemberRequest = z.object({ userId: Id });
/** PUT /communities/:communityId/members/:userId (owner): role, rights, label; only those given change. */
export const SetCommunityMemberRequest = z.object({
  role: z.enum(['admin', 'member']).optional(),
  rights: z.array(CommunityRight).max(CommunityRight.options.length).optional(),
  label: CommunityLabel.nullable().optional(),
}).refine((u) => u.role !== undefined || u.rights !== undefined || u.label !== undefined, 'nothing to change');
export type SetCommunityMemberRequest = z.infer<typeof SetCommunityMemberRequest>;
/** POST /communities/:communityId/owner (owner only): R70 hands the community over. */
export const TransferCommunityRequest = z.object({ userId: Id, formerOwnerBecomes: z.enum(['admin', 'member']) });
export type TransferCommunityRequest = z.infer<typeof TransferCommunityRequest>;
/**
 * POST /communities/:communityId/invites (`invite`): the same options as a chat's invite (R42), and
 * R100 `needsApproval`: the link admits nobody by itself, those who open it ask to join and an admin decides.
 */
export const CreateCommunityInviteRequest = CreateInviteRequest.extend({ needsApproval: z.boolean().optional() });
export type CreateCommunityInviteRequest = z.infer<typeof CreateCommunityInviteRequest>;
export const CommunityInviteResponse = z.object({
  token: InviteToken, communityId: Id, expiresAt: z.number().int(), maxUses: z.number().int().nullable(), needsApproval: z.boolean(),
});
export type CommunityInviteResponse = z.infer<typeof CommunityInviteResponse>;
/** GET /community-invites/:token: what anyone with a live invite may see (the name is end-to-end encrypted). */
export const CommunityInvitePreview = z.object({
  communityId: Id, name: z.string(), memberCount: z.number().int().nonnegative(),
  /** R100: joining through this link is a request an admin approves (`POST /community-invites/:token/requests`). */
  needsApproval: z.boolean(),
});
export type CommunityInvitePreview = z.infer<typeof CommunityInvitePreview>;

/** PUT /communities/:communityId/mutes/:userId (`ban`): R82, the member's sends are refused until `untilMs` (ms since epoch). */
export const MuteCommunityMemberRequest = z.object({ untilMs: z.number().int().positive() });
export type MuteCommunityMemberRequest = z.infer<typeof MuteCommunityMemberRequest>;
export const CommunityMute = z.object({ userId: Id, untilMs: z.number().int(), by: Id, at: z.number().int() });
export type CommunityMute = z.infer<typeof CommunityMute>;

/**
 * POST /communities/:communityId/reports: R84, a member reports a message of one of the community's
 * chats they are in. `text` and `frankingKey` come from the reporter's decrypted copy; the server
 * checks them against the commitment it kept for the entry at (`chatId`, `seq`) (R83).
 */
export const CreateReportRequest = z.object({
  chatId: Id,
  seq: z.number().int().positive(),
  clientMsgId: ClientMsgId,
  text: z.string().max(16_000),
  frankingKey: FrankKey,
  reason: z.string().trim().max(500).optional(),
});
export type CreateReportRequest = z.infer<typeof CreateReportRequest>;
/** A report as the community's moderators (and the operator) see it: the content proven to come from `senderUserId`. */
export const CommunityReport = z.object({
  reportId: Id,
  communityId: Id,
  chatId: Id,
  seq: z.number().int().positive(),
  clientMsgId: ClientMsgId,
  senderUserId: Id,
  reporterUserId: Id,
  text: z.string(),
  reason: z.string().optional(),
  sentAt: z.number().int(),
  createdAt: z.number().int(),
  /** R84b: set once a moderator handled it: `acted` (they did something about it) or `dismissed`. */
  resolved: z.object({ at: z.number().int(), by: Id, outcome: z.enum(['acted', 'dismissed']) }).optional(),
});
export type CommunityReport = z.infer<typeof CommunityReport>;
export type ReportOutcome = NonNullable<CommunityReport['resolved']>['outcome'];
/** POST /communities/:communityId/reports/:reportId/resolve (`ban` or `deleteMessages`): R84b. */
export const ResolveReportRequest = z.object({ outcome: z.enum(['acted', 'dismissed']) });
export type ResolveReportRequest = z.infer<typeof ResolveReportRequest>;
/** GET /communities/:communityId/reports?state=: R84b, `open` (not yet resolved), `resolved` or `all` (the default). */
export const ReportListQuery = z.object({ state: z.enum(['open', 'resolved', 'all']).default('all') });
export type ReportState = z.infer<typeof ReportListQuery>['state'];
export const CommunityReportResponse = z.object({ report: CommunityReport });
export const CommunityReportsResponse = z.object({ reports: z.array(CommunityReport) });
export const CommunityMutesResponse = z.object({ mutes: z.array(CommunityMute) });

export const CommunityResponse = z.object({ community: Community });
export const CommunityListResponse = z.object({ communities: z.array(Community) });
export const CommunityChatsResponse = z.object({ chats: z.array(CommunityChat) });
export const CommunityMembersResponse = z.object({ members: z.array(CommunityMember) });
export const CommunityMemberResponse = z.object({ member: CommunityMember });
export const CommunityChatResponse = z.object({ chat: ChatSummary });

/**
 * R83: what a franking tag commits to (as UTF-8): the tag is HMAC-SHA256 keyed with the message's
 * franking key over these bytes. The chat and the client id bind the text to its log position.
 */
export function frankingInput(chatId: string, clientMsgId: string, text: string): string {
  return `parley-frank-v1\n${chatId}\n${clientMsgId}\n${text}`;
}
