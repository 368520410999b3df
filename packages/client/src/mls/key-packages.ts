import { defaultCapabilities, generateKeyPackageWithKey, type Extension, type KeyPackage, type Lifetime, type PrivateKeyPackage } from 'ts-mls';
import { makeKeyPackageRef } from 'ts-mls/keyPackage.js';
import { ByteReader, ByteWriter } from './byte-codec.ts';
import { loadCiphersuite } from './ciphersuite.ts';
import { MlsSessionError, toMlsError } from './errors.ts';
import type { MlsIdentity } from './identity.ts';
import { decodeMessage, encodeMessage } from './wire.ts';

/** IANA "last_resort" extension (0x000A, draft-ietf-mls-extensions): this key package may be used more than once. */
export const LAST_RESORT_EXTENSION_TYPE = 0x000a;

/** Key packages live four weeks: under ts-mls's default one-month maximum lifetime. */
const LIFETIME_SECONDS = 28n * 24n * 3600n;
export const KEY_PACKAGE_LIFETIME_MS = Number(LIFETIME_SECONDS) * 1000;
/** Tolerate peers whose clock runs a little behind ours. */
const CLOCK_SKEW_SECONDS = 3600n;

export interface GeneratedKeyPackage {
  /** The TLS-encoded MLSMessage (wire format mls_key_package): publish this to the server. */
  readonly keyPackage: Uint8Array;
  /** KeyPackageRef (RFC 9420 §5.2): how a Welcome names the key package it was made for. */
  readonly ref: Uint8Array;
  readonly lastResort: boolean;
  /** The init and leaf HPKE private keys, opaque: keep on this device until the package is used. */
  readonly privateKeys: Uint8Array;
}

export interface GenerateKeyPackagesOptions {
  lastResort?: boolean;
  /** Injected clock (ms since epoch), for the key package lifetime. */
  now?: () => number;
}

/** `count` fresh key packages for this device, all signed with the identity's signature key. */
export async function generateKeyPackages(
  identity: MlsIdentity,
  count: number,
  options: GenerateKeyPackagesOptions = {},
): Promise<GeneratedKeyPackage[]> {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`bad key package count ${count}`);
  const cs = await loadCiphersuite(identity.ciphersuite);
  const lastResort = options.lastResort ?? false;
  const nowSeconds = BigInt(Math.floor((options.now ?? Date.now)() / 1000));
  const lifetime: Lifetime = { notBefore: nowSeconds - CLOCK_SKEW_SECONDS, notAfter: nowSeconds + LIFETIME_SECONDS };
  const capabilities = defaultCapabilities();
  const extensions: Extension[] = [];
  if (lastResort) {
    capabilities.extensions = [...capabilities.extensions, LAST_RESORT_EXTENSION_TYPE];
    extensions.push({ extensionType: LAST_RESORT_EXTENSION_TYPE, extensionData: new Uint8Array() });
  }
  const out: GeneratedKeyPackage[] = [];
  for (let i = 0; i < count; i++) {
    try {
      const { publicPackage, privatePackage } = await generateKeyPackageWithKey(
        identity.credential,
        capabilities,
        lifetime,
        extensions,
        { signKey: identity.signaturePrivateKey, publicKey: identity.signaturePublicKey },
        cs,
      );
      out.push({
        keyPackage: encodeMessage({ version: 'mls10', wireformat: 'mls_key_package', keyPackage: publicPackage }),
        ref: await makeKeyPackageRef(publicPackage, cs.hash),
        lastResort,
        privateKeys: encodePrivateKeys(privatePackage),
      });
    } catch (e) {
      throw toMlsError(e, 'key_package');
    }
  }
  return out;
}

export function decodeKeyPackage(bytes: Uint8Array): KeyPackage {
  return decodeMessage(bytes, 'mls_key_package').keyPackage;
}

/** When a TLS-encoded key package (as generateKeyPackages makes them) stops being valid, in ms since epoch. */
export function keyPackageNotAfter(bytes: Uint8Array): number {
  const leaf = decodeKeyPackage(bytes).leafNode;
  if (leaf.leafNodeSource !== 'key_package') throw new MlsSessionError('mls_malformed', 'a key package leaf without a lifetime');
  return Number(leaf.lifetime.notAfter) * 1000;
}

export function isLastResort(kp: KeyPackage): boolean {
  return kp.extensions.some((e) => e.extensionType === LAST_RESORT_EXTENSION_TYPE);
}

const PRIVATE_KEYS_VERSION = 1;

function encodePrivateKeys(p: PrivateKeyPackage): Uint8Array {
  // The signature key is the identity's, so it is not stored again here.
  return new ByteWriter().u8(PRIVATE_KEYS_VERSION).bytes(p.initPrivateKey).bytes(p.hpkePrivateKey).finish();
}

export function decodePrivateKeys(bytes: Uint8Array, identity: MlsIdentity): PrivateKeyPackage {
  try {
    const r = new ByteReader(bytes);
    if (r.u8() !== PRIVATE_KEYS_VERSION) throw new RangeError('unknown private key package version');
    const initPrivateKey = r.bytes();
    const hpkePrivateKey = r.bytes();
    r.end();
    return { initPrivateKey, hpkePrivateKey, signaturePrivateKey: identity.signaturePrivateKey };
  } catch (e) {
    throw new MlsSessionError('mls_invalid_state', 'bad stored key package private keys', { cause: e });
  }
}
