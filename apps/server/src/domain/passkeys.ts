import {
  generateAuthenticationOptions, generateRegistrationOptions, verifyAuthenticationResponse, verifyRegistrationResponse,
  type AuthenticationResponseJSON, type AuthenticatorTransportFuture, type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { ParleyError, type AccountCreated, type DeviceAdded, type NewDevice } from '@parley/protocol';
import type { Storage } from '../storage/storage.ts';
import type { Accounts } from './accounts.ts';
import type { Clock, Random } from './ports.ts';
import type { TokenSigner } from './secrets.ts';

export interface PasskeysDeps {
  storage: Storage;
  accounts: Accounts;
  clock: Clock;
  random: Random;
  tokens: TokenSigner;
  rpId: string;
  origin: string;
}

const CEREMONY_TTL_MS = 5 * 60_000;

/**
 * Passkey (WebAuthn) sign-up and sign-in. The ceremony's state travels in a server-signed flow
 * token, so any node can finish what another started. A passkey sign-in adds the browser's new
 * device key to the account; that device then authenticates its connections with the key.
 */
export class Passkeys {
  readonly #d: PasskeysDeps;
  constructor(deps: PasskeysDeps) {
    this.#d = deps;
  }

  async registrationOptions(input: { handle: string; displayName: string }) {
    if (await this.#d.accounts.isHandleTaken(input.handle)) throw new ParleyError('handle_taken', 'this handle is taken');
    const userId = this.#d.random.id();
    const options = await generateRegistrationOptions({
      rpName: 'Parley',
      rpID: this.#d.rpId,
      userName: input.handle,
      userDisplayName: input.displayName,
      userID: new TextEncoder().encode(userId),
      attestationType: 'none',
      authenticatorSelection: { residentKey: 'required', userVerification: 'preferred' },
      supportedAlgorithmIDs: [-7, -8, -257],
    });
    const flowId = this.#d.tokens.sign(
      'passkey-reg',
      { c: options.challenge, h: input.handle, n: input.displayName, u: userId },
      this.#d.clock.now() + CEREMONY_TTL_MS,
    );
    return { flowId, options: options as unknown as Record<string, unknown> };
  }

  async register(input: { flowId: string; response: Record<string, unknown>; device: NewDevice }): Promise<AccountCreated> {
    const flow = this.#d.tokens.verify('passkey-reg', input.flowId, this.#d.clock.now());
    const verification = await verifyRegistrationResponse({
      response: input.response as unknown as RegistrationResponseJSON,
      expectedChallenge: String(flow['c']),
      expectedOrigin: this.#d.origin,
      expectedRPID: this.#d.rpId,
      requireUserVerification: false,
    }).catch((err: unknown) => {
      throw new ParleyError('passkey_failed', `passkey registration failed: ${(err as Error).message}`);
    });
    if (!verification.verified || !verification.registrationInfo) throw new ParleyError('passkey_failed', 'passkey not verified');
    const credential = verification.registrationInfo.credential;
    const created = await this.#d.accounts.createAccount({
      userId: String(flow['u']),
      handle: String(flow['h']),
      displayName: String(flow['n']),
      device: input.device,
    });
    await this.#d.storage.addPasskey({
      credentialId: credential.id,
      userId: created.userId,
      publicKey: credential.publicKey,
      counter: credential.counter,
      transports: credential.transports ?? [],
      createdAt: this.#d.clock.now(),
    });
    return created;
  }

  async loginOptions() {
    const options = await generateAuthenticationOptions({ rpID: this.#d.rpId, userVerification: 'preferred' });
    const flowId = this.#d.tokens.sign('passkey-auth', { c: options.challenge }, this.#d.clock.now() + CEREMONY_TTL_MS);
    return { flowId, options: options as unknown as Record<string, unknown> };
  }

  async login(input: { flowId: string; response: Record<string, unknown>; device: NewDevice }): Promise<DeviceAdded> {
    const flow = this.#d.tokens.verify('passkey-auth', input.flowId, this.#d.clock.now());
    const response = input.response as unknown as AuthenticationResponseJSON;
    const passkey = typeof response.id === 'string' ? await this.#d.storage.getPasskey(response.id) : undefined;
    if (!passkey) throw new ParleyError('passkey_failed', 'this passkey is not known here');
    const verification = await verifyAuthenticationResponse({
      response,
      expectedChallenge: String(flow['c']),
      expectedOrigin: this.#d.origin,
      expectedRPID: this.#d.rpId,
      requireUserVerification: false,
      credential: {
        id: passkey.credentialId,
        publicKey: new Uint8Array(passkey.publicKey),
        counter: passkey.counter,
        transports: passkey.transports as AuthenticatorTransportFuture[],
      },
    }).catch((err: unknown) => {
      throw new ParleyError('passkey_failed', `passkey sign-in failed: ${(err as Error).message}`);
    });
    if (!verification.verified) throw new ParleyError('passkey_failed', 'passkey not verified');
    await this.#d.storage.updatePasskeyCounter(passkey.credentialId, verification.authenticationInfo.newCounter);
    const deviceId = await this.#d.accounts.addDevice(passkey.userId, input.device);
    return { userId: passkey.userId, deviceId };
  }
}
