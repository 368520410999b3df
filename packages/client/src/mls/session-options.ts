import {
  defaultKeyPackageEqualityConfig,
  defaultKeyRetentionConfig,
  defaultLifetimeConfig,
  defaultPaddingConfig,
  type ClientConfig,
} from 'ts-mls';
import { credentialMemberIdentity, type MemberIdentity } from './identity.ts';

export interface MlsSessionOptions {
  /**
   * How many past epochs may still deliver application messages (default 1). A message sent just
   * before a commit that the delivery service ordered first arrives one epoch late; a larger window
   * weakens forward secrecy. 0 rejects every message not from the current epoch.
   */
  retainedEpochs?: number;
  /** Decides whether a member's credential and signature key are genuine. Default: any well-formed credential. */
  authenticate?: (member: MemberIdentity, signaturePublicKey: Uint8Array) => Promise<boolean>;
  /**
   * R35b: a commit's Welcome carries the group's ratchet tree only while the tree's encoding is at
   * most this many bytes (default WELCOME_TREE_MAX_BYTES); beyond, the devices it adds read the tree
   * from the delivery service (which keeps it for them) and check it against the signed tree hash.
   * Without this, a Welcome grows with the group (~260 bytes per device) and adding anyone to a big
   * group would outgrow the server's commit limit.
   */
  welcomeTreeMaxBytes?: number;
}

/** R35b: the default of MlsSessionOptions.welcomeTreeMaxBytes (about 250 devices' leaves). */
export const WELCOME_TREE_MAX_BYTES = 64 * 1024;

/** The ts-mls configuration for a session; rebuilt on every load, never stored. */
export function clientConfig(options: MlsSessionOptions): ClientConfig {
  const retainedEpochs = options.retainedEpochs ?? 1;
  if (!Number.isInteger(retainedEpochs) || retainedEpochs < 0) throw new RangeError(`bad retainedEpochs ${retainedEpochs}`);
  const authenticate = options.authenticate;
  return {
    keyRetentionConfig: { ...defaultKeyRetentionConfig, retainKeysForEpochs: retainedEpochs },
    lifetimeConfig: defaultLifetimeConfig,
    keyPackageEqualityConfig: defaultKeyPackageEqualityConfig,
    paddingConfig: defaultPaddingConfig,
    authService: {
      async validateCredential(credential, signaturePublicKey) {
        let member: MemberIdentity;
        try {
          member = credentialMemberIdentity(credential);
        } catch {
          return false; // a malformed credential is a refusal; ts-mls reports it as a validation error
        }
        return authenticate === undefined || authenticate(member, signaturePublicKey);
      },
    },
  };
}
