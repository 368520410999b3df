import {
  generateAuthenticationOptions, generateRegistrationOptions, verifyAuthenticationResponse, verifyRegistrationResponse,
  type AuthenticationResponseJSON, type AuthenticatorTransportFuture, type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { ParleyError, type AccountCreated, type DeviceAdded, type NewDevice } from '@parley/protocol';
import type { Storage } from '../storage/storage.ts';
import type { Accounts, AuthContext } from './accounts.ts';
import type { Challenges } from './challenges.ts';
import type { Clock, Random } from './ports.ts';
import type { RateLimiter } from './rate-limiter.ts';

export interface PasskeysDeps {
  storage: Storage;
  accounts: Accounts;
  clock: Clock;
  random: Random;
  /** Ceremony state in signed flow tokens, each redeemed once (R39). */
  challenges: Challenges;
  rpId: string;
  origin: string;
  limiter: RateLimiter;
  /** Passkeys a signed-in account may add per day (R46): each one signs in new devices with no approval (R28). */
  addsPerDay: number;
  /**
   * Told why a passkey response was refused (the WebAuthn library's own words): for the server's
   * log only. The client gets a plain `passkey_failed` (R39), which says nothing of the checks.
   */
  onRefused: (err: unknown, context: { ceremony: Ceremony }) => void;
}

const CEREMONY_TTL_MS = 5 * 60_000;
type Ceremony = 'registration' | 'sign-in';

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
    const { token: flowId } = this.#d.challenges.issue(
      'passkey-reg', { c: options.challenge, h: input.handle, n: input.displayName, u: userId }, CEREMONY_TTL_MS);
    return { flowId, options: options as unknown as Record<string, unknown> };
  }

  async register(input: { flowId: string; response: Record<string, unknown>; device: NewDevice }): Promise<AccountCreated> {
    const opened = this.#d.challenges.open('passkey-reg', input.flowId);
    const flow = opened.data;
    const verification = await verifyRegistrationResponse({
      response: input.response as unknown as RegistrationResponseJSON,
      expectedChallenge: String(flow['c']),
      expectedOrigin: this.#d.origin,
      expectedRPID: this.#d.rpId,
      requireUserVerification: false,
    }).catch((err: unknown) => this.#refuse(err, 'registration'));
    if (!verification.verified || !verification.registrationInfo) this.#refuse(new Error('not verified'), 'registration');
    await this.#d.challenges.redeem(opened);
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

  /**
   * R46: a passkey for the caller's existing account (one made with a device key and the recovery
   * code, or a second passkey). The flow token names the account, so only a device of that account
   * can finish it. Limited per account before any work: each added passkey signs in new devices.
   */
  async addOptions(auth: AuthContext) {
    await this.#d.limiter.take(`passkey-add:${auth.userId}`, this.#d.addsPerDay / 86_400, this.#d.addsPerDay);
    const user = await this.#d.storage.getUser(auth.userId);
    if (!user) throw new ParleyError('session_invalid', 'sign in again');
    const options = await generateRegistrationOptions({
      rpName: 'Parley',
      rpID: this.#d.rpId,
      userName: user.handle,
      userDisplayName: user.displayName,
      // The same user handle as a sign-up passkey's: the account id.
      userID: new TextEncoder().encode(user.userId),
      attestationType: 'none',
      authenticatorSelection: { residentKey: 'required', userVerification: 'preferred' },
      supportedAlgorithmIDs: [-7, -8, -257],
    });
    const { token: flowId } = this.#d.challenges.issue('passkey-add', { c: options.challenge, u: user.userId }, CEREMONY_TTL_MS);
    return { flowId, options: options as unknown as Record<string, unknown> };
  }

  async add(auth: AuthContext, input: { flowId: string; response: Record<string, unknown> }): Promise<void> {
    const opened = this.#d.challenges.open('passkey-add', input.flowId);
    if (opened.data['u'] !== auth.userId) throw new ParleyError('challenge_expired', 'this ceremony was started for another account');
    const verification = await verifyRegistrationResponse({
      response: input.response as unknown as RegistrationResponseJSON,
      expectedChallenge: String(opened.data['c']),
      expectedOrigin: this.#d.origin,
      expectedRPID: this.#d.rpId,
      requireUserVerification: false,
    }).catch((err: unknown) => this.#refuse(err, 'registration'));
    if (!verification.verified || !verification.registrationInfo) this.#refuse(new Error('not verified'), 'registration');
    const credential = verification.registrationInfo.credential;
    if (await this.#d.storage.getPasskey(credential.id)) this.#refuse(new Error('credential id already registered'), 'registration');
    await this.#d.challenges.redeem(opened);
    await this.#d.storage.addPasskey({
      credentialId: credential.id,
      userId: auth.userId,
      publicKey: credential.publicKey,
      counter: credential.counter,
      transports: credential.transports ?? [],
      createdAt: this.#d.clock.now(),
    });
  }

  async loginOptions() {
    const options = await generateAuthenticationOptions({ rpID: this.#d.rpId, userVerification: 'preferred' });
    const { token: flowId } = this.#d.challenges.issue('passkey-auth', { c: options.challenge }, CEREMONY_TTL_MS);
    return { flowId, options: options as unknown as Record<string, unknown> };
  }

  async login(input: { flowId: string; response: Record<string, unknown>; device: NewDevice }): Promise<DeviceAdded> {
    const opened = this.#d.challenges.open('passkey-auth', input.flowId);
    const flow = opened.data;
    const response = input.response as unknown as AuthenticationResponseJSON;
    const passkey = typeof response.id === 'string' ? await this.#d.storage.getPasskey(response.id) : undefined;
    if (!passkey) this.#refuse(new Error('unknown credential id'), 'sign-in');
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
    }).catch((err: unknown) => this.#refuse(err, 'sign-in'));
    if (!verification.verified) this.#refuse(new Error('not verified'), 'sign-in');
    await this.#d.challenges.redeem(opened);
    await this.#d.storage.updatePasskeyCounter(passkey.credentialId, verification.authenticationInfo.newCounter);
    const deviceId = await this.#d.accounts.addDevice(passkey.userId, input.device);
    return { userId: passkey.userId, deviceId };
  }

  /** R39: the detail goes to the log; the client hears one plain sentence per ceremony. */
  #refuse(err: unknown, ceremony: Ceremony): never {
    this.#d.onRefused(err, { ceremony });
    throw new ParleyError('passkey_failed', ceremony === 'registration' ? 'the passkey could not be registered' : 'the passkey was not accepted');
  }
}
