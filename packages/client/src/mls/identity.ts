import { mlsKeySigningMessage } from '@parley/protocol';
import type { Credential } from 'ts-mls';
import { base64ToBytes, bytesToBase64 } from '../encoding.ts';
import { DEFAULT_CIPHERSUITE, isSupportedCiphersuite, loadCiphersuite, type MlsCiphersuite } from './ciphersuite.ts';
import { MlsSessionError } from './errors.ts';

/** Who a leaf in the group is: one device of one user. */
export interface MemberIdentity {
  readonly userId: string;
  readonly deviceId: string;
}

/** The basic credential's identity bytes: UTF-8 of `${userId}:${deviceId}`. userId may not contain ':'. */
export function encodeMemberIdentity(id: MemberIdentity): Uint8Array {
  if (id.userId === '' || id.deviceId === '' || id.userId.includes(':')) {
    throw new MlsSessionError('mls_invalid_identity', `bad identity ${JSON.stringify(id)}`);
  }
  return new TextEncoder().encode(`${id.userId}:${id.deviceId}`);
}

export function decodeMemberIdentity(bytes: Uint8Array): MemberIdentity {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (e) {
    throw new MlsSessionError('mls_invalid_identity', 'credential identity is not UTF-8', { cause: e });
  }
  const at = text.indexOf(':');
  if (at <= 0 || at === text.length - 1) throw new MlsSessionError('mls_invalid_identity', `bad credential identity ${JSON.stringify(text)}`);
  return { userId: text.slice(0, at), deviceId: text.slice(at + 1) };
}

export function credentialMemberIdentity(credential: Credential): MemberIdentity {
  if (credential.credentialType !== 'basic') throw new MlsSessionError('mls_invalid_identity', `unsupported credential ${credential.credentialType}`);
  return decodeMemberIdentity(credential.identity);
}

export function sameMember(a: MemberIdentity, b: MemberIdentity): boolean {
  return a.userId === b.userId && a.deviceId === b.deviceId;
}

/** The stored form of an identity. Contains the private signing key: store it like any device secret. */
export interface MlsIdentityJson {
  v: 1;
  userId: string;
  deviceId: string;
  ciphersuite: MlsCiphersuite;
  signaturePublicKey: string;
  signaturePrivateKey: string;
}

/** A device's long-term MLS credential and signature key pair. Every key package and group leaf of the device signs with it. */
export class MlsIdentity implements MemberIdentity {
  private constructor(
    readonly userId: string,
    readonly deviceId: string,
    readonly ciphersuite: MlsCiphersuite,
    readonly signaturePublicKey: Uint8Array,
    /** Raw or PKCS#8 Ed25519 key, as the suite's implementation produced it. */
    readonly signaturePrivateKey: Uint8Array,
  ) {}

  static async generate(opts: { userId: string; deviceId: string; ciphersuite?: MlsCiphersuite }): Promise<MlsIdentity> {
    const ciphersuite = opts.ciphersuite ?? DEFAULT_CIPHERSUITE;
    encodeMemberIdentity(opts); // validates
    const cs = await loadCiphersuite(ciphersuite);
    const { publicKey, signKey } = await cs.signature.keygen();
    return new MlsIdentity(opts.userId, opts.deviceId, ciphersuite, publicKey, signKey);
  }

  /**
   * What publishing this device's key to its key log sends (R20): the raw key and a signature by it
   * over `parley-mls-key-v1:<userId>:<deviceId>`, proving possession.
   */
  async keyLogProof(): Promise<{ mlsSignatureKey: string; signature: string }> {
    const cs = await loadCiphersuite(this.ciphersuite);
    const signature = await cs.signature.sign(this.signaturePrivateKey, mlsKeySigningMessage(this.userId, this.deviceId));
    return { mlsSignatureKey: bytesToBase64(this.signaturePublicKey), signature: bytesToBase64(signature) };
  }

  get credential(): Credential {
    return { credentialType: 'basic', identity: encodeMemberIdentity(this) };
  }

  toJSON(): MlsIdentityJson {
    return {
      v: 1,
      userId: this.userId,
      deviceId: this.deviceId,
      ciphersuite: this.ciphersuite,
      signaturePublicKey: bytesToBase64(this.signaturePublicKey),
      signaturePrivateKey: bytesToBase64(this.signaturePrivateKey),
    };
  }

  static fromJSON(json: unknown): MlsIdentity {
    const j = json as Partial<Record<keyof MlsIdentityJson, unknown>> | null;
    if (
      typeof j !== 'object' || j === null || j.v !== 1 ||
      typeof j.userId !== 'string' || typeof j.deviceId !== 'string' ||
      !isSupportedCiphersuite(j.ciphersuite) ||
      typeof j.signaturePublicKey !== 'string' || typeof j.signaturePrivateKey !== 'string'
    ) {
      throw new MlsSessionError('mls_invalid_state', 'not a stored MLS identity');
    }
    encodeMemberIdentity({ userId: j.userId, deviceId: j.deviceId });
    try {
      return new MlsIdentity(j.userId, j.deviceId, j.ciphersuite, base64ToBytes(j.signaturePublicKey), base64ToBytes(j.signaturePrivateKey));
    } catch (e) {
      throw new MlsSessionError('mls_invalid_state', 'stored MLS identity has bad base64', { cause: e });
    }
  }

  toBytes(): Uint8Array {
    return new TextEncoder().encode(JSON.stringify(this.toJSON()));
  }

  static fromBytes(bytes: Uint8Array): MlsIdentity {
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    } catch (e) {
      throw new MlsSessionError('mls_invalid_state', 'stored MLS identity is not JSON', { cause: e });
    }
    return MlsIdentity.fromJSON(json);
  }
}
