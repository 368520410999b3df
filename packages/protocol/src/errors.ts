/**
 * Every error Parley reports, on REST and WebSocket alike, is `{ code, message }` with a code from
 * this table. Codes are stable: clients switch on them; messages are for people and may change.
 */
export const ERROR_CODES = {
  bad_request: 400,
  invalid_frame: 400,
  unknown_type: 400,
  unsupported_version: 400,
  invalid_handle: 400,
  invalid_signature: 401,
  payload_too_large: 413,
  auth_required: 401,
  session_invalid: 401,
  challenge_expired: 401,
  passkey_failed: 401,
  recovery_failed: 401,
  forbidden: 403,
  not_member: 403,
  device_revoked: 403,
  not_found: 404,
  user_not_found: 404,
  chat_not_found: 404,
  device_not_found: 404,
  invite_invalid: 404,
  handle_taken: 409,
  group_full: 409,
  duplicate_id: 409,
  /** An MLS commit was sent for an epoch other than the chat's current one (R15); see `epoch`. */
  epoch_conflict: 409,
  /**
   * R35: the commit is not a well-formed MLS PublicMessage commit of the chat's group at its epoch,
   * or its signature, proposals, update path, tree or Welcome do not check out. Nothing was stored.
   */
  mls_commit_invalid: 400,
  /**
   * R35: a well-formed commit whose effect is not allowed: signed by another device than the sender,
   * by a revoked one, adding a device its owner's key log does not bind, or removing a device that
   * still belongs. Nothing was stored.
   */
  mls_commit_forbidden: 403,
  /**
   * R35: the server has no public state of the chat's group to check the commit against (a group
   * started before the server checked commits): send it again with the group's GroupInfo.
   */
  mls_group_info_required: 409,
  /**
   * R35/R36: a commit that starts a group leaves out a current device that has a key package: claim
   * again and include it.
   */
  mls_commit_incomplete: 409,
  /**
   * R35b: the server keeps no ratchet tree of this chat's group for that epoch (no Welcome led to
   * it, or it expired after PARLEY_MLS_JOIN_STATE_TTL_MS): the device asks to be added again (R29).
   */
  mls_tree_not_found: 404,
  /**
   * R15: an entry of the commit type (`parley/mls-commit`) sent with `send` (or any path but the
   * `commit` frame): only a checked commit (R35) may carry it. Nothing was stored.
   */
  mls_commit_not_sendable: 400,
  /** The device already published another MLS signature key to its key log (R20): one key per device, ever. */
  mls_key_conflict: 409,
  /** Device linking (R23-R28): no such link for this caller (or it was cleaned up long after it ended). */
  link_not_found: 404,
  /** The link request was not approved in time (`PARLEY_DEVICE_LINK_TTL_MS`); the new device starts again. */
  link_expired: 410,
  /** The code typed on the approving device is not the one the new device shows; see the message for attempts left. */
  link_code_wrong: 403,
  /** Too many wrong codes were typed for this link request: it can no longer be approved. */
  link_locked: 403,
  /** The link request was approved or denied already: a second approval (or a denial after it) is refused. */
  link_closed: 409,
  /**
   * R37: a Web Push endpoint must be an https URL of a public push service (every address of its host
   * public, on the operator's allow-list if there is one). Nothing was stored.
   */
  push_endpoint_invalid: 400,
  /** R45: this server's operator turned the link preview fetcher off (`PARLEY_LINK_PREVIEWS=off`). */
  link_previews_off: 404,
  /** R60: this server has no TURN server configured for calls (PARLEY_TURN_URLS, PARLEY_TURN_SECRET). */
  calls_unavailable: 503,
  /** R45: no preview could be made for this link (not a public http(s) page, too slow, no title…); one message for every reason. */
  preview_unavailable: 422,
  /** R44: the person has as many open requests as they keep (`PARLEY_MAX_PENDING_REQUESTS`): ask again later. */
  requests_full: 409,
  /** R44: the person is in as many chats as a user may be (`PARLEY_MAX_CHATS_PER_USER`). */
  chat_limit: 409,
  /** R55: no blob with this id that this device may read (unknown, not yet referenced in a chat of the caller's, or deleted). */
  blob_not_found: 404,
  /** R54: a `send` names a blob that is not complete yet: finish the upload first. */
  blob_incomplete: 409,
  /** R52 (raised by the SDK, never by the server): a downloaded file failed its check (a chunk's tag or the blob's hash): damaged or altered, not shown. */
  file_damaged: 422,
  /** R53: the file is larger than this server takes (`PARLEY_MAX_FILE_BYTES`); refused before or at the first byte over. */
  file_too_large: 413,
  /** R53: the upload would take the account over its storage quota (`PARLEY_STORAGE_QUOTA_BYTES`); nothing was stored. */
  quota_exceeded: 413,
  /** R53: the device has as many unfinished uploads as it may (`PARLEY_MAX_UPLOADS_IN_FLIGHT`): finish or cancel one. */
  too_many_uploads: 429,
  /** R55: a download's `Range` starts past the blob's end; the Content-Range header gives its length. */
  range_not_satisfiable: 416,
  /** R69: only members holding `postAnnouncements` (and the owner) post in a community's announcements chat. */
  announcements_only: 403,
  /** R71: the caller was banned from this community: no invite lets them back until an admin lifts the ban. */
  community_banned: 403,
  /** R72: in a school community a student may not start a direct chat with an adult unless the community allows it. */
  dm_not_allowed: 403,
  /** R73: a community limit (communities per user, chats per community, members per community) is reached; the message says which. */
  community_limit: 409,
  /** R82: the sender is muted in this community until the time in the message; their `send`s to its chats are refused. */
  community_muted: 403,
  /** R82: this chat has slow mode: a member's next message is accepted `retryAfter` seconds later (the message gives ms). */
  slow_mode: 429,
  /**
   * R159: on the device, never from the server: a moderator's action (a deletion of someone else's message,
   * a pin, a ban or mute statement, an admission, an announcement) waited for the owner's signed statement of
   * the right in the chat's log, and it did not come within `rightsConfirmWaitMs` (default RIGHTS_CONFIRM_WAIT_MS): not sent.
   */
  rights_unconfirmed: 409,
  /** R84: a report's proof does not hold (no franking tag for that entry, another sender, or the content does not open the commitment). */
  report_invalid: 422,
  /** R90: the person owns as many bots as they may (`PARLEY_MAX_BOTS_PER_USER`). */
  bot_limit: 409,
  /** R90: the caller owns no bot with this id (or it was deleted). */
  bot_not_found: 404,
  /** R90c: no bot has this token (never issued, rotated away or revoked). */
  bot_token_invalid: 401,
  /** R91: a bot opens a direct chat only with a person who wrote to it, and makes no groups or adds. */
  bot_chat_forbidden: 403,
  /** R143: a bot's avatar is larger than this server takes (`PARLEY_BOT_AVATAR_MAX_BYTES`). */
  bot_avatar_too_large: 413,
  /** R143: the upload is not an image of the type named (its first bytes say otherwise). */
  bot_avatar_invalid: 422,
  /** R95: no channel with this id or handle (or a malformed handle in a public page's path). */
  channel_not_found: 404,
  /** R95b/R96: only the channel's admins post, edit, delete and pin (with a key in its list); only its owner names admins and signs the key list. */
  channel_admin_only: 403,
  /** R96: the signed `seq` is not the channel's next log position (another admin posted first): read `lastSeq`, sign again. */
  channel_seq_conflict: 409,
  /** R96: a signed post or key list that does not hold: not the fields the route names, another version than the next, a date far from the server's, a key not listed. Nothing was stored. */
  channel_post_invalid: 400,
  /** R95b/R96: the Ed25519 signature does not verify over the signed bytes. Nothing was stored. */
  channel_signature_invalid: 400,
  /** R96: a post's text is longer than this server takes (`PARLEY_CHANNEL_MAX_POST_CHARS`). */
  channel_post_too_large: 413,
  /** R95b/R97: a channel limit (admins per channel, subscriptions per user) is reached; the message says which. */
  channel_limit: 409,
  /** R96/R184/R50: the channel has PARLEY_CHANNEL_MAX_PINS posts pinned already: unpin one first. */
  channel_pin_limit: 409,
  /** R115: a scheduled post's time (its signed `date`) is not in the future. */
  channel_schedule_past: 400,
  /** R115: a scheduled post's time is further ahead than PARLEY_CHANNEL_MAX_SCHEDULE_MS. */
  channel_schedule_too_far: 400,
  /** R142: the epoch named is not the channel's current one, or a subscriber left after it was made: draw a new epoch key (rekey) first. */
  channel_rekey_needed: 409,
  /** R141: the request is for a private channel in wrapped mode only (or the community is none). */
  channel_not_wrapped: 409,
  /** R100: this invite link needs an admin's approval: ask to join (`POST /community-invites/:token/requests`) instead. */
  join_approval_required: 409,
  /** R100: the community holds as many pending join requests as it keeps (`PARLEY_MAX_PENDING_JOIN_REQUESTS`): ask again later. */
  join_requests_full: 409,
  /** R101: the join request was approved, declined or cancelled already; the message says which. */
  join_request_closed: 409,
  rate_limited: 429,
  slow_consumer: 503,
  /**
   * R40: a frame the server meant to send could never fit the connection's send buffer, so it sent
   * this instead (with the request's `rid` when it was a reply) and kept the connection open.
   */
  frame_too_large: 507,
  /**
   * R104: an export the importing device refuses (raised by the SDK, never by the server): not an
   * export it reads, over one of the import's limits (messages, media bytes, a line), or naming a
   * media path outside its folder. Nothing of it was sent.
   */
  import_malformed: 400,
  import_too_large: 413,
  import_unsafe_path: 400,
  internal: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  /** Seconds to wait before retrying, for `rate_limited`. */
  retryAfter?: number;
  /** The chat's current MLS epoch, for `epoch_conflict`. */
  epoch?: number;
}

/** A typed error: thrown by domain code, mapped once to HTTP/WS at the edge; also raised by the SDK. */
export class ParleyError extends Error {
  readonly code: ErrorCode;
  readonly retryAfter: number | undefined;
  constructor(code: ErrorCode, message?: string, retryAfter?: number) {
    super(message ?? code);
    this.name = 'ParleyError';
    this.code = code;
    this.retryAfter = retryAfter;
  }
  get status(): number {
    return ERROR_CODES[this.code];
  }
  toBody(): ErrorBody {
    return this.retryAfter === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, retryAfter: this.retryAfter };
  }
}

/**
 * An MLS commit lost the race for its epoch (R15): another member's commit was accepted first.
 * `epoch` is the chat's current epoch; the client processes the commits it has not seen yet, then
 * re-proposes its change in the new epoch.
 */
export class EpochConflictError extends ParleyError {
  readonly epoch: number;
  constructor(epoch: number) {
    super('epoch_conflict', `the chat is at MLS epoch ${epoch}`);
    this.name = 'EpochConflictError';
    this.epoch = epoch;
  }
  override toBody(): ErrorBody {
    return { ...super.toBody(), epoch: this.epoch };
  }
}

/** For exhaustive switches: a new union member breaks the build where it is not handled. */
export function assertNever(value: never, what = 'value'): never {
  throw new Error(`unhandled ${what}: ${JSON.stringify(value)}`);
}
