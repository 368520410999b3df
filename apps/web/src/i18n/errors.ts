import { DeviceLinkEnded, ImportError, NetworkError, ParleyError, type ErrorCode } from '@parley/client';
import type { MessageKey } from './en.ts';
import type { Translate } from './index.ts';

const BY_CODE: Partial<Record<ErrorCode, MessageKey>> = {
  handle_taken: 'errHandleTaken',
  invalid_handle: 'errInvalidHandle',
  user_not_found: 'errUserNotFound',
  invite_invalid: 'errInviteInvalid',
  join_approval_required: 'errJoinApprovalRequired',
  join_requests_full: 'errJoinRequestsFull',
  join_request_closed: 'errJoinRequestClosed',
  passkey_failed: 'errPasskeyFailed',
  challenge_expired: 'errPasskeyFailed',
  recovery_failed: 'errRecoveryFailed',
  forbidden: 'errForbidden',
  not_member: 'errNotMember',
  chat_not_found: 'errNotMember',
  group_full: 'errGroupFull',
  rate_limited: 'errRateLimited',
  push_endpoint_invalid: 'errPushEndpoint',
  device_revoked: 'errRevoked',
  link_code_wrong: 'errLinkCodeWrong',
  link_locked: 'errLinkLocked',
  link_expired: 'errLinkExpired',
  link_closed: 'errLinkClosed',
  link_not_found: 'errLinkNotFound',
  file_too_large: 'errFileTooLarge',
  quota_exceeded: 'errQuotaExceeded',
  too_many_uploads: 'errTooManyUploads',
  blob_not_found: 'errBlobNotFound',
  blob_incomplete: 'errBlobIncomplete',
  file_damaged: 'errFileDamaged',
  calls_unavailable: 'errCallsUnavailable',
  announcements_only: 'errAnnouncementsOnly',
  rights_unconfirmed: 'errRightsUnconfirmed',
  community_banned: 'errCommunityBanned',
  community_limit: 'errCommunityLimit',
  dm_not_allowed: 'errDmNotAllowed',
  import_malformed: 'errImportMalformed',
  import_too_large: 'errImportTooLarge',
  import_unsafe_path: 'errImportUnsafePath',
  channel_not_found: 'chNotFound',
  channel_admin_only: 'chAdminOnly',
  channel_limit: 'chLimit',
  channel_pin_limit: 'chPinLimit',
  channel_post_too_large: 'chPostTooLarge',
};

/** A sentence for an error code alone (an upload's `error`); an unknown code is shown as is. */
export function codeText(t: Translate, code: string): string {
  const key = (BY_CODE as Record<string, MessageKey | undefined>)[code];
  return key ? t(key) : t('error', { message: code });
}

/** A person-readable sentence for an error, in the chosen language; unknown ones keep their text. */
export function errorText(t: Translate, err: unknown): string {
  if (err instanceof DeviceLinkEnded && err.outcome === 'denied') return t('errLinkDenied');
  if (err instanceof DeviceLinkEnded && err.outcome === 'displaced') return t('errLinkDisplaced');
  if (err instanceof ParleyError || err instanceof ImportError) {
    const key = BY_CODE[err.code];
    if (key) return t(key);
  }
  if (err instanceof NetworkError) return t('errNetwork');
  if (err instanceof Error) {
    // WebAuthn: the person closed the prompt, it timed out, or no authenticator answered.
    if (err.name === 'NotAllowedError' || err.name === 'AbortError') return t('errCancelled');
    if (err.name === 'NotSupportedError' || /WebAuthn is not supported/i.test(err.message)) return t('errNoPasskeys');
    return t('error', { message: err.message });
  }
  return t('error', { message: String(err) });
}
