/** Key transparency on the client: verified per-user device-key logs, safety numbers, verification marks (R19-R22). */
export { KeyDirectory, type KeyDirectoryOptions, type KeyDirectoryStore, type RestCall, type VerificationState } from './key-directory.ts';
export { KEY_LOG_ERROR_CODES, KeyLogError, isKeyLogError, type KeyLogErrorCode } from './errors.ts';
export { extendLog, devicesOf, type LoggedDevice } from './chain.ts';
export { formatSafetyNumber } from './safety-number.ts';
