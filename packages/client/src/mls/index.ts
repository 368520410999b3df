/** Client-side MLS (RFC 9420) on top of ts-mls: identities, key packages, one group session per chat. */
export { DEFAULT_CIPHERSUITE, PQ_HYBRID_CIPHERSUITE, SUPPORTED_CIPHERSUITES, isSupportedCiphersuite, type MlsCiphersuite } from './ciphersuite.ts';
export { MLS_ERROR_CODES, MlsSessionError, isMlsSessionError, type MlsErrorCode } from './errors.ts';
export { MlsIdentity, decodeMemberIdentity, encodeMemberIdentity, sameMember, type MemberIdentity, type MlsIdentityJson } from './identity.ts';
export {
  KEY_PACKAGE_LIFETIME_MS, LAST_RESORT_EXTENSION_TYPE, generateKeyPackages, keyPackageNotAfter, type GenerateKeyPackagesOptions, type GeneratedKeyPackage,
} from './key-packages.ts';
export {
  MlsGroupSession,
  type DecryptedMessage,
  type HandshakeOutcome,
  type MlsMember,
} from './group-session.ts';
export { groupInfoGroupId, messageEpoch, welcomeRefs } from './headers.ts';
export type { MlsSessionOptions } from './session-options.ts';
export { welcomeSigner } from './welcome-signer.ts';
export { inThreadMlsEngine, type MlsEngine, type MlsGroup } from './engine.ts';
export { RemoteMlsEngine } from './remote-engine.ts';
export { serveMlsEngine } from './engine-host.ts';
export type { EnginePort, EngineStats } from './engine-wire.ts';
