import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isoCBOR } from '@simplewebauthn/server/helpers';

/**
 * A software passkey (ES256, attestation "none") that answers WebAuthn ceremonies as a browser and
 * authenticator would, so tests can drive the passkey routes of a real server from Node.
 */
export class SoftPasskey {
  readonly credentialId = randomBytes(16).toString('base64url');
  readonly #key: KeyObject;
  readonly #publicJwk: { x: string; y: string };

  constructor(readonly origin: string, readonly rpId = new URL(origin).hostname) {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.#key = privateKey;
    const jwk = publicKey.export({ format: 'jwk' });
    this.#publicJwk = { x: String(jwk.x), y: String(jwk.y) };
  }

  /** The RegistrationResponseJSON for `options` (from /passkeys/register/options). */
  create(options: Record<string, unknown>): Record<string, unknown> {
    const clientDataJSON = this.#clientData('webauthn.create', String(options['challenge']));
    const cose = new Map<number, number | Uint8Array>([
      [1, 2], [3, -7], [-1, 1],
      [-2, Buffer.from(this.#publicJwk.x, 'base64url')],
      [-3, Buffer.from(this.#publicJwk.y, 'base64url')],
    ]);
    const credId = Buffer.from(this.credentialId, 'base64url');
    const length = Buffer.alloc(2);
    length.writeUInt16BE(credId.length);
    const authData = Buffer.concat([
      this.#rpIdHash(), Buffer.from([0x45]), this.#countBytes(), Buffer.alloc(16), length, credId, Buffer.from(isoCBOR.encode(cose)),
    ]);
    const attestationObject = isoCBOR.encode(new Map<string, unknown>([['fmt', 'none'], ['attStmt', new Map()], ['authData', new Uint8Array(authData)]]) as never);
    return {
      id: this.credentialId, rawId: this.credentialId, type: 'public-key', clientExtensionResults: {},
      response: { clientDataJSON: clientDataJSON.toString('base64url'), attestationObject: Buffer.from(attestationObject).toString('base64url'), transports: ['internal'] },
    };
  }

  /** The AuthenticationResponseJSON for `options` (from /passkeys/login/options). */
  get(options: Record<string, unknown>): Record<string, unknown> {
    const clientDataJSON = this.#clientData('webauthn.get', String(options['challenge']));
    const authData = Buffer.concat([this.#rpIdHash(), Buffer.from([0x05]), this.#countBytes()]);
    const signature = sign('sha256', Buffer.concat([authData, createHash('sha256').update(clientDataJSON).digest()]), this.#key);
    return {
      id: this.credentialId, rawId: this.credentialId, type: 'public-key', clientExtensionResults: {},
      response: {
        clientDataJSON: clientDataJSON.toString('base64url'), authenticatorData: authData.toString('base64url'),
        signature: signature.toString('base64url'),
      },
    };
  }

  #clientData(type: string, challenge: string): Buffer {
    return Buffer.from(JSON.stringify({ type, challenge, origin: this.origin, crossOrigin: false }));
  }

  #rpIdHash(): Buffer {
    return createHash('sha256').update(this.rpId).digest();
  }

  /** Like many platform authenticators (synced passkeys), it keeps no signature counter: always 0. */
  #countBytes(): Buffer {
    return Buffer.alloc(4);
  }
}
