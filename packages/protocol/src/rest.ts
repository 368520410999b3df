import { z } from 'zod';
import {
  Base64, Base64Url, ChatRequest, ChatSummary, Color, DeviceInfo, DeviceName, DisplayName, Handle, Id, PublicKey, UserProfile,
} from './common.ts';

/** REST lives under this prefix; every route and body below is relative to it. */
export const API_PREFIX = '/api/v1';

export const NewDevice = z.object({ name: DeviceName, publicKey: PublicKey });
export type NewDevice = z.infer<typeof NewDevice>;

// --- accounts and device login -------------------------------------------------------------

/** POST /accounts — create an account held by a device key (SDK, CLI, bots). */
export const CreateAccountRequest = z.object({ handle: Handle, displayName: DisplayName, device: NewDevice });
export const AccountCreated = z.object({
  userId: Id,
  deviceId: Id,
  /** Shown once; a sign-in with it creates a new device and replaces it. */
  recoveryCode: z.string(),
});
export type AccountCreated = z.infer<typeof AccountCreated>;

/** POST /auth/challenge */
export const ChallengeRequest = z.object({ deviceId: Id });
export const ChallengeResponse = z.object({ challenge: z.string(), expiresAt: z.number().int() });

/** POST /auth/device — the device signs `parley-auth-v1:` + challenge (bytes) with its key. */
/** `challenge` is the opaque string from /auth/challenge; the device signs its UTF-8 bytes after the prefix. */
export const DeviceLoginRequest = z.object({ deviceId: Id, challenge: z.string().min(16).max(1024), signature: Base64.max(200) });
export const SessionResponse = z.object({ token: z.string(), userId: Id, deviceId: Id });
export type SessionResponse = z.infer<typeof SessionResponse>;
export const AUTH_SIGNING_PREFIX = 'parley-auth-v1:';

/** POST /recovery — sign in on a new device with the recovery code. */
export const RecoveryRequest = z.object({ handle: Handle, recoveryCode: z.string().min(8).max(64), device: NewDevice });

// --- passkeys (WebAuthn) ---------------------------------------------------------------------

/** The options objects are WebAuthn JSON (from @simplewebauthn) and pass through untouched. */
const WebAuthnJson = z.record(z.string(), z.unknown());
export const PasskeyRegisterOptionsRequest = z.object({ handle: Handle, displayName: DisplayName });
/** `flowId` is an opaque, server-signed token binding the ceremony's challenge; send it back as is. */
export const FlowId = z.string().min(16).max(1024);
export const PasskeyOptionsResponse = z.object({ flowId: FlowId, options: WebAuthnJson });
export const PasskeyRegisterVerifyRequest = z.object({ flowId: FlowId, response: WebAuthnJson, device: NewDevice });
export const PasskeyLoginVerifyRequest = z.object({ flowId: FlowId, response: WebAuthnJson, device: NewDevice });
/** R46: POST /passkeys/add/options (no body) and /passkeys/add/verify, as a signed-in device of the account. */
export const PasskeyAddVerifyRequest = z.object({ flowId: FlowId, response: WebAuthnJson });
export const DeviceAdded = z.object({ userId: Id, deviceId: Id, recoveryCode: z.string().optional() });
export type DeviceAdded = z.infer<typeof DeviceAdded>;

// --- me, devices, users ------------------------------------------------------------------------

export const MeResponse = z.object({ user: UserProfile, devices: z.array(DeviceInfo) });
export type MeResponse = z.infer<typeof MeResponse>;

// --- chats -----------------------------------------------------------------------------------

/**
 * GET /chats?after=&limit= — R40: a page of the caller's chats by chat id (as the `chats` WebSocket
 * frame): at most `limit` (and the server's page maximum) and bounded in bytes; `next` is the cursor
 * for the following page, absent on the last.
 */
export const ListChatsQuery = z.object({
  after: Id.optional(),
  limit: z.coerce.number().int().min(1).max(10_000).optional(),
});
export type ListChatsQuery = z.infer<typeof ListChatsQuery>;
export const ChatList = z.object({ chats: z.array(ChatSummary), next: Id.optional() });

/**
 * PUT /chats/:chatId/prefs — R48: the caller's own settings for a chat (only those given change):
 * archive it, mute it until a time (0: unmute; MUTED_FOREVER: until unmuted), mark it unread (cleared
 * when the person reads it). Answered with the chat's summary; the caller's other devices hear a
 * `chat` event. Nobody else sees them.
 */
export const ChatPrefsUpdate = z.object({
  archived: z.boolean().optional(),
  mutedUntil: z.number().int().nonnegative().max(253_402_300_799_000).optional(),
  markedUnread: z.boolean().optional(),
}).refine((u) => u.archived !== undefined || u.mutedUntil !== undefined || u.markedUnread !== undefined, 'nothing to change');
export type ChatPrefsUpdate = z.infer<typeof ChatPrefsUpdate>;
export type ChatList = z.infer<typeof ChatList>;

export const CreateGroupRequest = z.object({
  /** '' when the name travels end-to-end encrypted in the chat (a `chat_info` content) and the server must not know it. */
  name: z.string().trim().max(100),
  color: Color.optional(),
  memberIds: z.array(Id).max(10_000),
});
export const CreateDirectRequest = z.object({ userId: Id });
export const UpdateChatRequest = z.object({
  name: z.string().trim().min(1).max(100).optional(),
  color: Color.optional(),
});
export const AddMemberRequest = z.object({ userId: Id });
export const SetRoleRequest = z.object({ role: z.enum(['admin', 'member']) });
export const ChatResponse = z.object({ chat: ChatSummary });
export const ChatListResponse = z.object({ chats: z.array(ChatSummary) });
/** A device that belongs in a chat's MLS group (R18). */
export const ChatDevice = z.object({ userId: Id, deviceId: Id });
export type ChatDevice = z.infer<typeof ChatDevice>;
export const ChatDevicesResponse = z.object({ devices: z.array(ChatDevice) });
export type ChatDevicesResponse = z.infer<typeof ChatDevicesResponse>;

/** An invite link's token: the secret part of `#/join/<token>`. */
export const InviteToken = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'invite token: 8-64 chars of [A-Za-z0-9_-]');
/** Shortest lifetime a creator may choose for an invite (R42); the longest is the server's PARLEY_INVITE_TTL_MS. */
export const MIN_INVITE_LIFETIME_MS = 60_000;
/** Most joins one invite may be limited to (R42); without a limit it admits anyone until it ends. */
export const MAX_INVITE_USES = 10_000;
/**
 * POST /chats/:chatId/invites (admins and the owner; the body is optional). `expiresInMs` longer than
 * the server's invite lifetime is cut to it; `maxUses` ends the invite after that many joins (R42).
 */
export const CreateInviteRequest = z.object({
  expiresInMs: z.number().int().min(MIN_INVITE_LIFETIME_MS).optional(),
  maxUses: z.number().int().min(1).max(MAX_INVITE_USES).optional(),
});
export type CreateInviteRequest = z.infer<typeof CreateInviteRequest>;
export const InviteResponse = z.object({ token: InviteToken, chatId: Id, expiresAt: z.number().int(), maxUses: z.number().int().nullable() });
export type InviteResponse = z.infer<typeof InviteResponse>;
/** A live invite of a chat as its admins see it (R42): who made it, when it ends, how often it was used. */
export const InviteInfo = z.object({
  token: InviteToken,
  chatId: Id,
  createdBy: Id,
  createdAt: z.number().int(),
  expiresAt: z.number().int(),
  uses: z.number().int().nonnegative(),
  maxUses: z.number().int().positive().nullable(),
});
export type InviteInfo = z.infer<typeof InviteInfo>;
/** GET /chats/:chatId/invites (admins and the owner): the chat's live invites, newest first. */
export const InviteListResponse = z.object({ invites: z.array(InviteInfo) });
export type InviteListResponse = z.infer<typeof InviteListResponse>;
export const InvitePreview = z.object({ chatId: Id, name: z.string(), color: z.string(), memberCount: z.number().int() });

// --- MLS key packages (the delivery service's directory, R14) -------------------------------

/** Largest MLS KeyPackage accepted, in bytes (a post-quantum suite's is a few KiB). */
export const MAX_KEY_PACKAGE_BYTES = 12 * 1024;
/** Most key packages one call may upload, and most users one claim may name. */
export const MAX_KEY_PACKAGES_PER_CALL = 100;
/** Most unclaimed key packages the server keeps for one device; an upload past it is refused. */
export const MAX_STORED_KEY_PACKAGES = 1000;
/**
 * R36b: the most devices one commit adds (SDK): a group's start, or a big add, goes in parts of at
 * most this many devices and MAX_KEY_PACKAGES_PER_CALL users, in (userId, deviceId) order, so each
 * commit stays well under PARLEY_MAX_COMMIT_BYTES (~650 bytes per added device).
 */
export const MLS_MAX_ADDS_PER_COMMIT = 400;
/** R36b: the fewest devices a start that leaves some out must add (the server's default of PARLEY_MLS_START_MIN_ADDS). */
export const MLS_START_MIN_ADDS = 50;

/** One opaque, TLS-encoded MLS KeyPackage, base64; the server never parses it. */
export const KeyPackageBytes = Base64.min(4).max(Math.ceil(MAX_KEY_PACKAGE_BYTES / 3) * 4, `a key package is at most ${MAX_KEY_PACKAGE_BYTES} bytes`);

/** POST /keypackages — the calling device's own key packages; `lastResort` replaces its last-resort one. */
export const UploadKeyPackagesRequest = z.object({
  keyPackages: z.array(KeyPackageBytes).max(MAX_KEY_PACKAGES_PER_CALL),
  lastResort: KeyPackageBytes.optional(),
  /**
   * Deletes the device's unclaimed one-time key packages before storing these: a device that lost
   * its store (and with it their private keys) must not have them handed out any more.
   */
  replaceOneTime: z.boolean().optional(),
});
export type UploadKeyPackagesRequest = z.infer<typeof UploadKeyPackagesRequest>;

/**
 * GET /keypackages/count (and the answer to an upload): what the calling device has left on the
 * server. Only fresh key packages count, those uploaded at most the server's key package max age
 * ago (R14): older ones are never handed out.
 */
export const KeyPackageCountResponse = z.object({
  /** Unclaimed fresh one-time key packages; replenish when it runs low. */
  available: z.number().int().nonnegative(),
  /** Whether a fresh last-resort key package is stored. */
  lastResort: z.boolean(),
  /** How long ago (server clock, ms) that last-resort one was uploaded; replace it well before the max age. */
  lastResortAgeMs: z.number().int().nonnegative().optional(),
});
export type KeyPackageCountResponse = z.infer<typeof KeyPackageCountResponse>;

/** POST /keypackages/claim — one key package per non-revoked device of each user (not the caller's own). */
/** R41: key packages of members of `chatId`, claimed by a member's device to add their devices to the chat's group. */
export const ClaimKeyPackagesRequest = z.object({ chatId: Id, userIds: z.array(Id).min(1).max(MAX_KEY_PACKAGES_PER_CALL) });
export type ClaimKeyPackagesRequest = z.infer<typeof ClaimKeyPackagesRequest>;

export const ClaimedKeyPackage = z.object({
  userId: Id,
  deviceId: Id,
  keyPackage: KeyPackageBytes,
  /** True for the device's last-resort key package, which was not consumed and may be handed out again. */
  lastResort: z.boolean(),
});
export type ClaimedKeyPackage = z.infer<typeof ClaimedKeyPackage>;
/** A device with no key package at all is absent; the caller cannot add it until it uploads some. */
export const ClaimKeyPackagesResponse = z.object({ keyPackages: z.array(ClaimedKeyPackage) });

/** R35b: `GET /chats/:chatId/mls/tree/:epoch`, the group's ratchet tree at an epoch a Welcome led to. */
export const MlsTreeParams = z.object({ chatId: Id, epoch: z.coerce.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER) });
/** The tree as the `ratchet_tree` extension encodes it (RFC 9420 §12.4.3.3), base64. */
export const MlsTreeResponse = z.object({ tree: z.string() });
export type MlsTreeResponse = z.infer<typeof MlsTreeResponse>;
export type ClaimKeyPackagesResponse = z.infer<typeof ClaimKeyPackagesResponse>;

// --- chat requests (R44) --------------------------------------------------------------------

/** GET /requests — the caller's open incoming requests, oldest first. */
export const ChatRequestsResponse = z.object({ requests: z.array(ChatRequest) });
export type ChatRequestsResponse = z.infer<typeof ChatRequestsResponse>;

/** POST /requests/:requestId/report — the request is declined, the sender reported to the operator (and blocked if `block`). */
export const ReportRequest = z.object({ reason: z.enum(['spam', 'scam', 'abuse', 'other']), note: z.string().max(500).optional(), block: z.boolean().optional() });
export type ReportRequest = z.infer<typeof ReportRequest>;

// --- web push --------------------------------------------------------------------------------

export const PushSubscriptionRequest = z.object({
  endpoint: z.url().max(2048),
  keys: z.object({ p256dh: Base64Url.max(200), auth: Base64Url.max(100) }),
});
export const VapidKeyResponse = z.object({ publicKey: z.string() });

/** The whole payload of a push: never message text, never a sender name (R12). */
export const PushPayload = z.object({ type: z.literal('new_messages'), v: z.literal(1) });
export type PushPayload = z.infer<typeof PushPayload>;
// R118: a ringing call's push is CallPushPayload (calls.ts); `PUT/DELETE /push/call-ringing` (no body) turns it on/off for the device.

export const ServerInfo = z.object({
  name: z.literal('parley'),
  protocolVersion: z.number().int(),
  limits: z.object({
    maxEnvelopeBytes: z.number().int(),
    maxGroupMembers: z.number().int(),
    historyPageMax: z.number().int(),
    /** R53: the largest file (plaintext) this server takes. */
    maxFileBytes: z.number().int().optional(),
    /** R50/R96/R184: posts pinned at once in one channel (PARLEY_CHANNEL_MAX_PINS). */
    channelMaxPins: z.number().int().positive().optional(),
  }),
  /** R60: what this server offers for calls; absent or false where the operator configured none. */
  calls: z.object({
    turn: z.boolean(), /** R62: group calls through an SFU. */ sfu: z.boolean().optional(),
    /** R124: a group call rings the chat's members only in groups of at most this many (PARLEY_CALL_RING_MAX_MEMBERS). */
    ringMaxMembers: z.number().int().positive().optional(),
  }).optional(),
});
export type ServerInfo = z.infer<typeof ServerInfo>;

// --- link previews (R45) ------------------------------------------------------------------------

/** POST /link-preview — the server fetches the page's preview for the caller's device. */
export const LinkPreviewRequest = z.object({ url: z.string().min(1).max(2048) });
export type LinkPreviewRequest = z.infer<typeof LinkPreviewRequest>;
