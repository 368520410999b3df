export { ParleyClient, type BackgroundError, type ClientOptions, type ChatView } from './client.ts';
export { AUDIO_RESILIENCE, tuneAudioSdp, type AudioResilience } from './calls/audio-resilience.ts';
export { Calls, type CallPeer, type CallView, type CallState, type CallEndReason, type CallOptions, type PeerFactory } from './calls/calls.ts';
export { Communities, type CommunityEvent } from './communities.ts';
export { RIGHTS_CONFIRM_WAIT_MS } from './moderation/rights-hold.ts';
export { JoinRequests } from './join-requests.ts';
export { Channels, type ChannelAdmin, type ChannelPage, type ChannelPost } from './channels/channels.ts';
export { commentCounts, commentsOn } from './channels/comments.ts';
export { Polls, type NewPoll } from './polls/polls.ts';
export { Bots, registerBotDevice, type BotCallback } from './bots/bots.ts';
export type { ChatKeyboard, PendingForceReply } from './bots/reply-keyboard.ts';
export { pollOpenAt, type PollView } from './polls/poll-fold.ts';
export { mentionsUser, unreadMentions, MENTION_ALL } from './mentions.ts';
export { mainFlow, threadItems, ThreadMarks, type ThreadSummary } from './threads.ts';
export { GroupRings, GROUP_CALL_RING_MAX_MEMBERS, type GroupRing } from './calls/group-ring.ts';
export { GroupCall, type GroupCallOptions, type GroupCallView, type GroupCallState, type GroupParticipant, type GroupStream } from './calls/group-call.ts';
export { JanusSession, JanusHandle, type JanusEvent, type Jsep } from './calls/janus-session.ts';
export { SIMULCAST_ENCODINGS, simulcastEncodings, substreamFor } from './calls/simulcast.ts';
export { groupCallInProgress, GROUP_CALL_STALE_MS, type GroupCallLine, type GroupCallMember } from './calls/group-call-line.ts';
export { accounts } from './accounts.ts';
export {
  requestDeviceLink, pendingDeviceLinks, approveDeviceLink, denyDeviceLink, devicesAddedSince, sessionRest, DeviceLinkEnded,
  type DeviceLinkOutcome,
  type DeviceLinkRequest, type RestFn,
} from './device-link.ts';
export { RestApi, NetworkError } from './api.ts';
export { PlaintextCodec, type ContentCodec } from './codec.ts';
export { Connection, Disconnected, type ConnectionProblem, type ConnectionState, type WebSocketCtor, type WebSocketLike } from './connection.ts';
export { generateDeviceKey, deviceKeyFromKeyPair, exportDeviceKey, importDeviceKey, type DeviceKey } from './device-key.ts';
export { bytesToBase64, base64ToBytes, randomId } from './encoding.ts';
export type { ClientStore, DecodedEnvelope, MlsStateStore, OutboxItem, PendingFile, PendingUpload, StoredKeyPackage, StoredMessage, UnreadableReason } from './store.ts';
export {
  KeyPackageKeeper, DEFAULT_KEY_PACKAGE_REFILL_BELOW, DEFAULT_KEY_PACKAGE_TARGET, DEFAULT_LAST_RESORT_REPLACE_AFTER_MS,
  DEFAULT_KEY_PACKAGE_CHECK_EVERY_MS, KEEP_AFTER_EXPIRY_MS,
  type KeyPackageDirectory, type KeyPackageKeeperOptions, type ReplenishResult,
} from './key-packages.ts';
export { isNoteToSelf } from './note-to-self.ts';
export { MemoryStore } from './stores/memory-store.ts';
export { foldTimeline, isLive, itemOfEntry, mayPin, pinnedItems, type TimelineItem, type MessageState, type CallSummary } from './timeline.ts';
export { exportChat, exportAll, exportFileName, serializeExport, EXPORT_FORMAT, EXPORT_VERSION, type ChatExport, type ExportChatInput, type ExportedMessage, type ExportedMember, type ExportedPerson } from './export.ts';
export { ParleyError, type ChatRequest, type ErrorCode } from '@parley/protocol';
export { IndexedDbStore, openParleyDb } from './stores/indexeddb-store.ts';
export { MlsIdentity, MlsGroupSession, RemoteMlsEngine, generateKeyPackages, inThreadMlsEngine, serveMlsEngine, type EnginePort, type EngineStats, type GeneratedKeyPackage, type MlsEngine, type MlsGroup } from './mls/index.ts';
export { MlsCodec, type GroupStatus } from './e2ee/mls-codec.ts';
export { readGroupState } from './e2ee/group-records.ts';
export { MLS_APP_CONTENT_TYPE, MLS_COMMIT_CONTENT_TYPE, encodeCommitBundle, decodeCommitBundle } from './e2ee/envelopes.ts';
export { RESENDABLE_REASONS, RESEND_ANSWER_LIMIT, RESEND_AUTO_ASK_LIMIT } from './e2ee/resend.ts';
export { CodecFailed, CodecHeld, CodecNotReady, CodecRefused, CodecWaiting, type DecodedBatch, type EncodeOptions } from './codec.ts';
export { RemovalHold, type RemovalHoldOptions } from './e2ee/removal-hold.ts';
export {
  KeyDirectory, KeyLogError, isKeyLogError, formatSafetyNumber, DEFAULT_OWN_KEY_LOG_CHECK_MS,
  type KeyDirectoryOptions, type KeyDirectoryStore, type KeyLogErrorCode, type LoggedDevice, type RestCall, type VerificationState, type KeyLogAlert, type KeyLogAlertKind,
  KEY_LOG_HEADS_DEFAULTS, judgeHead, type HeadVerdict, type KeyLogHeadsOptions, type KeyLogSplitAlert,
} from './key-log/index.ts';
export { SealedStore, type SealedStoreOptions } from './stores/sealed-store.ts';
export { StoreSealError, isStoreSealError, type StoreSealErrorCode } from './stores/seal.ts';
export {
  localStoreKey, storeKeyFromPrf, newPrfStoreKey, prfExtension, takePrfOutput, unlockWithPasskey, getStoreKeyKind, setStoreKeyKind,
  storeKeyFromPassphrase, newPassphraseStoreKey, PASSPHRASE_ITERATIONS, PASSPHRASE_MIN_LENGTH,
  STORE_KEY_PRF_INPUT, type StoreKeyKind, type KeyValueSlot,
} from './stores/store-key.ts';
export { parseMarkdown, toMarkdown, detectLinks, type FormattedText } from './formatting/markdown.ts';
export { formattedTree, type FormattedNode } from './formatting/tree.ts';
export { sanitizeFileName, localFileName } from './files/file-name.ts';
export type { FileToSend, UploadProgress, UploadState, MediaItem, MediaFilter, AttachmentDraft } from './files/types.ts';
export { ChunkLayout, CipherReader, ChunkOpener, encryptChunk, decryptChunk, chunkNonce, importFileKey, newFileKey, bytesSource, blobSource, type PlainSource } from './files/file-crypto.ts';
export { readAttachment, type BlobGet, type ReadOptions } from './files/download.ts';
export { TUS_CHUNK_BYTES, TUS_RETRY_DELAYS } from './files/tus-run.ts';
// Issue 12: chat history from Telegram Desktop and WhatsApp exports, parsed on the importing device.
export {
  parseTelegram, parseWhatsApp, ImportError, DEFAULT_IMPORT_LIMITS,
  type TelegramOptions, type WhatsAppOptions, type ImportErrorCode, type ImportLimits, type ImportedAttachment, type ImportedChat, type ImportedMessage, type TextChunks,
  ExportZip, type ZipEntry, type ZipLimits,
  previewImport, importedMessageId, DEFAULT_IMPORT_SEND_LIMITS, exportSource, mimeOfName,
  type ImportHistoryOptions, type ImportMedia, type ImportPreview, type ImportProgress, type ImportSendLimits, type ImportSource, type ExportFile, type ExportSourceOptions,
} from './import/index.ts';
export { FrameKeys, FRAME_KEY_GRACE_MS, SFRAME_BASE_KEY_LABEL, SFRAME_EPOCH_BITS, indexBits, mlsKid, type CallEpochKey, type FrameKeysOptions, type ReceivedFrame } from './calls/frame-keys.ts';
export { SFrameError, SFRAME_SUITES, decodeHeader as decodeSFrameHeader, encodeHeader as encodeSFrameHeader, type SFrameErrorCode } from './calls/sframe.ts';
export { RedDeepener, RedDepthPolicy, DEFAULT_RED_DEPTH, MAX_RED_DEPTH, RED_HOLD_MS, RED_LOSS_ON } from './calls/audio-redundancy.ts';
export type { FrameKeySink, CallKeySource, FrameCryptoFactory } from './calls/call-keys.ts';
export { FanoutSink, type Timers } from './calls/group-call-keys.ts';
export { CallSecret, CALL_SECRET_SETTLE_MS, combineCallKey, seatTag, unwrapCallSecret, wrapCallSecret } from './calls/call-secret.ts';
export { WrappedChannels, type WrappedChannelPage, type WrappedChannelPost } from './channels/wrapped.ts';
export type { WrappedPending, WrappedUpload } from './channels/wrapped-files.ts';
export { foldWrappedEdits, wrappedReactionToken, type WrappedReactions } from './channels/wrapped-responses.ts';
export { foldWrappedPins, type WrappedPinned } from './channels/wrapped-pins.ts'; // R184
export { wrappedVoteToken, type WrappedPollPost, type WrappedPollResult } from './channels/wrapped-polls.ts';
export type { PublicPollPost } from './channels/channel-social.ts';
export { wrappedCommentMark } from './channels/wrapped-comments.ts';
export type { WrappedScheduled } from './channels/wrapped-schedule.ts';
export { sealEpochKey, openEpochKey, sealPost, openPost, drawEpochKey, edToX25519Public, type WrapContext } from './channels/epoch-keys.ts';
