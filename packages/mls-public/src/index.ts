/** What a delivery service can check of an MLS group (RFC 9420) with no secret of it: commits against the group's public state. */
export { decodeCommitBundle, encodeCommitBundle, startGroupId, MLS_APP_CONTENT_TYPE, MLS_COMMIT_CONTENT_TYPE, type CommitBundle } from './bundle.ts';
export { credentialIdentity, memberKey, parseIdentity, type MemberIdentity } from './identity.ts';
export { decodePublicGroup, encodePublicGroup, encodeRatchetTree, leaves, type PublicGroup } from './public-group.ts';
export { DEFAULT_CIPHERSUITE, PQ_HYBRID_CIPHERSUITE, SUPPORTED_CIPHERSUITES, isSupportedCiphersuite, loadPublicSuite, type MlsCiphersuite } from './suite.ts';
export { verifyCommit, verifyGroupInfo, type CheckedCommit, type CommitPolicy, type GroupInfoExpectation, type LeafStanding } from './verify.ts';
