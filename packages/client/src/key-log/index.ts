/** Key transparency on the client: verified per-user device-key logs, safety numbers, verification marks (R19-R22), own-log monitoring (R31), heads compared in chats (R33). */
export { KeyDirectory, type KeyDirectoryOptions, type KeyDirectoryStore, type RestCall, type VerificationState } from './key-directory.ts';
export { KEY_LOG_ERROR_CODES, KeyLogError, isKeyLogError, type KeyLogErrorCode } from './errors.ts';
export { extendLog, devicesOf, type LoggedDevice } from './chain.ts';
export { formatSafetyNumber } from './safety-number.ts';
export { OwnKeyLogMonitor, DEFAULT_OWN_KEY_LOG_CHECK_MS, type AccountDevice, type KeyLogAlert, type KeyLogAlertKind, type KeyLogSplitAlert, type OwnKeyLogMonitorOptions } from './own-log-monitor.ts';
export { KeyLogHeadGossip, KEY_LOG_HEADS_DEFAULTS, judgeHead, type HeadVerdict, type KeyLogHeadGossipDeps, type KeyLogHeadsOptions } from './head-gossip.ts';
