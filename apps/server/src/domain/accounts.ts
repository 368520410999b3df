import {
  AUTH_SIGNING_PREFIX, ParleyError, RESERVED_HANDLES,
  type AccountCreated, type DeviceInfo, type MeResponse, type NewDevice, type SessionResponse, type UserProfile,
} from '@parley/protocol';
import type { DeviceRow, Storage, UserRow } from '../storage/storage.ts';
import type { Clock, Random } from './ports.ts';
import type { RateLimiter } from './rate-limiter.ts';
import type { Challenges } from './challenges.ts';
import { equalHex, sha256Hex, verifyEd25519 } from './secrets.ts';

export interface AuthContext {
  userId: string;
  deviceId: string;
}

export interface AccountsDeps {
  storage: Storage;
  clock: Clock;
  random: Random;
  /** Signed login challenges, each redeemed once (R39). */
  challenges: Challenges;
  limiter: RateLimiter;
  sessionTtlMs: number;
  signupPerHour: number;
  loginPerMin: number;
  /** Devices added to one account per day, by any path: each one makes every chat of the user re-check its MLS group. */
  devicesPerDay: number;
  /** Called after a device is revoked, to drop its live connections everywhere. */
  onDeviceRevoked: (userId: string, deviceId: string) => Promise<void>;
  /** Called after a device was added to an account (by any path): its chats re-check their MLS groups. */
  onDeviceAdded?: (userId: string, deviceId: string) => Promise<void>;
  /** The user's devices connected to any node of the deployment. */
  onlineDevices: (userId: string) => Promise<ReadonlySet<string>>;
  /** R91: whether an account is a bot (profiles say so). */
  isBot?: (userId: string) => Promise<boolean>;
  /** R129: of these bots, those whose gateway runs on this server (profiles say `botRunsOn`). */
  botsOnServer?: (userIds: readonly string[]) => Promise<Set<string>>;
  /** R143: of these bots, those with an avatar: its blob id (profiles carry `botAvatar`). */
  botAvatars?: (userIds: readonly string[]) => Promise<Map<string, string>>;
}

const CHALLENGE_TTL_MS = 120_000;
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export function profileOf(user: UserRow): UserProfile {
  return { userId: user.userId, handle: user.handle, displayName: user.displayName };
}

/** Accounts, devices and sessions: sign-up without a phone number, device-key login, recovery. */
export class Accounts {
  readonly #d: AccountsDeps;
  constructor(deps: AccountsDeps) {
    this.#d = deps;
  }

  /** A 100-bit code shown once, as 4 groups of 5 Crockford base32 characters. */
  newRecoveryCode(): { code: string; hash: string } {
    const bytes = this.#d.random.bytes(20);
    let code = '';
    for (let i = 0; i < 20; i++) {
      code += CROCKFORD[(bytes[i] ?? 0) & 31];
      if (i % 5 === 4 && i < 19) code += '-';
    }
    return { code, hash: sha256Hex(normalizeRecoveryCode(code)) };
  }

  async checkSignupRate(ip: string): Promise<void> {
    await this.#d.limiter.take(`signup:${ip}`, this.#d.signupPerHour / 3600, this.#d.signupPerHour);
  }

  async checkLoginRate(ip: string): Promise<void> {
    await this.#d.limiter.take(`login:${ip}`, this.#d.loginPerMin / 60, this.#d.loginPerMin);
  }

  /** Creates an account whose first device is `device`. The caller has checked rates and proofs. */
  async createAccount(input: { handle: string; displayName: string; device: NewDevice; userId?: string }): Promise<AccountCreated> {
    if (RESERVED_HANDLES.has(input.handle)) throw new ParleyError('handle_taken', 'this handle is reserved');
    const now = this.#d.clock.now();
    const recovery = this.newRecoveryCode();
    const user: UserRow = {
      userId: input.userId ?? this.#d.random.id(),
      handle: input.handle,
      displayName: input.displayName,
      createdAt: now,
      recoveryHash: recovery.hash,
    };
    const device = this.#newDevice(user.userId, input.device, now);
    await this.#d.storage.createUser(user, device);
    return { userId: user.userId, deviceId: device.deviceId, recoveryCode: recovery.code };
  }

  async isHandleTaken(handle: string): Promise<boolean> {
    return RESERVED_HANDLES.has(handle) || (await this.#d.storage.getUserByHandle(handle)) !== undefined;
  }

  /**
   * Every device added to an account is a `chat_changed` in each of the user's chats and an MLS add
   * that a member's device commits there (R18): the account's device additions are limited (cluster-
   * wide), so a member can't make every chat they share with others churn. Revoking is never limited.
   */
  async checkDeviceAddRate(userId: string): Promise<void> {
    const perDay = this.#d.devicesPerDay;
    await this.#d.limiter.take(`devices:${userId}`, perDay / 86_400, perDay);
  }

  /** Adds a device to the account (its rate checked first) and tells the chats and the other devices. */
  async addDevice(userId: string, device: NewDevice): Promise<string> {
    await this.checkDeviceAddRate(userId);
    return this.#addDevice(userId, device);
  }

  async #addDevice(userId: string, device: NewDevice): Promise<string> {
    const row = this.#newDevice(userId, device, this.#d.clock.now());
    await this.#d.storage.addDevice(row);
    await this.#d.onDeviceAdded?.(userId, row.deviceId);
    return row.deviceId;
  }

  /** Sign-in with the recovery code: adds a device and replaces the code (it is one-time). */
  async recover(input: { handle: string; recoveryCode: string; device: NewDevice }): Promise<AccountCreated> {
    const user = await this.#d.storage.getUserByHandle(input.handle);
    const hash = sha256Hex(normalizeRecoveryCode(input.recoveryCode));
    if (!user || !equalHex(hash, user.recoveryHash)) throw new ParleyError('recovery_failed', 'handle or recovery code is wrong');
    // Before the code is used up: a refused recovery leaves the person their code.
    await this.checkDeviceAddRate(user.userId);
    const next = this.newRecoveryCode();
    await this.#d.storage.setRecoveryHash(user.userId, next.hash);
    const deviceId = await this.#addDevice(user.userId, input.device);
    return { userId: user.userId, deviceId, recoveryCode: next.code };
  }

  async createChallenge(deviceId: string): Promise<{ challenge: string; expiresAt: number }> {
    const { token, expiresAt } = this.#d.challenges.issue('auth', { d: deviceId, n: this.#d.random.id(12) }, CHALLENGE_TTL_MS);
    return { challenge: token, expiresAt };
  }

  /** Device-key login: the device signed the challenge; returns a bearer session token. The challenge is spent (R39). */
  async loginDevice(input: { deviceId: string; challenge: string; signature: string }): Promise<SessionResponse> {
    const now = this.#d.clock.now();
    const challenge = this.#d.challenges.open('auth', input.challenge);
    if (challenge.data['d'] !== input.deviceId) throw new ParleyError('challenge_expired', 'challenge was issued for another device');
    const device = await this.#d.storage.getDevice(input.deviceId);
    if (!device) throw new ParleyError('invalid_signature', 'unknown device or bad signature');
    if (device.revokedAt !== null) throw new ParleyError('device_revoked', 'this device was signed out');
    const signed = new TextEncoder().encode(AUTH_SIGNING_PREFIX + input.challenge);
    if (!verifyEd25519(device.publicKey, signed, input.signature)) {
      throw new ParleyError('invalid_signature', 'unknown device or bad signature');
    }
    await this.#d.challenges.redeem(challenge);
    const token = this.#d.random.id(32);
    await this.#d.storage.createSession({
      tokenHash: sha256Hex(token),
      deviceId: device.deviceId,
      userId: device.userId,
      createdAt: now,
      expiresAt: now + this.#d.sessionTtlMs,
    });
    await this.#d.storage.touchDevice(device.deviceId, now);
    return { token, userId: device.userId, deviceId: device.deviceId };
  }

  /** Resolves a bearer token to who is calling, or throws `session_invalid`. */
  async authenticate(token: string): Promise<AuthContext> {
    const session = await this.#d.storage.getSession(sha256Hex(token));
    if (!session || session.expiresAt < this.#d.clock.now()) throw new ParleyError('session_invalid', 'sign in again');
    return { userId: session.userId, deviceId: session.deviceId };
  }

  async me(auth: AuthContext): Promise<MeResponse> {
    const user = await this.#d.storage.getUser(auth.userId);
    if (!user) throw new ParleyError('session_invalid', 'sign in again');
    const online = await this.#d.onlineDevices(auth.userId);
    const devices: DeviceInfo[] = (await this.#d.storage.listDevices(auth.userId))
      .filter((d) => d.revokedAt === null)
      .map((d) => ({
        deviceId: d.deviceId,
        name: d.name,
        createdAt: d.createdAt,
        lastSeenAt: d.lastSeenAt,
        current: d.deviceId === auth.deviceId,
        online: online.has(d.deviceId),
      }));
    return { user: await this.#profile(user), devices };
  }

  /** Revokes one of the caller's own devices (or the calling device itself): sessions end at once. */
  async revokeDevice(auth: AuthContext, deviceId: string): Promise<void> {
    const device = await this.#d.storage.getDevice(deviceId);
    if (!device || device.userId !== auth.userId || device.revokedAt !== null) {
      throw new ParleyError('device_not_found', 'no such device');
    }
    await this.#d.storage.revokeDevice(deviceId, this.#d.clock.now());
    await this.#d.onDeviceRevoked(auth.userId, deviceId);
  }

  async userByHandle(handle: string): Promise<UserProfile> {
    const user = await this.#d.storage.getUserByHandle(handle);
    if (!user) throw new ParleyError('user_not_found', 'no user with this handle');
    return this.#profile(user);
  }

  async userById(userId: string): Promise<UserProfile> {
    const user = await this.#d.storage.getUser(userId);
    if (!user) throw new ParleyError('user_not_found', 'no such user');
    return this.#profile(user);
  }

  async #profile(user: UserRow): Promise<UserProfile> {
    if (!(await this.#d.isBot?.(user.userId))) return profileOf(user);
    const hosted = (await this.#d.botsOnServer?.([user.userId]))?.has(user.userId) ?? false;
    const avatar = (await this.#d.botAvatars?.([user.userId]))?.get(user.userId);
    return { ...profileOf(user), bot: true, botRunsOn: hosted ? 'server' : 'owner', ...(avatar ? { botAvatar: avatar } : {}) };
  }

  #newDevice(userId: string, device: NewDevice, now: number): DeviceRow {
    return {
      deviceId: this.#d.random.id(),
      userId,
      name: device.name,
      publicKey: device.publicKey,
      createdAt: now,
      lastSeenAt: null,
      revokedAt: null,
    };
  }
}

export function normalizeRecoveryCode(code: string): string {
  return code.toUpperCase().replace(/[^0-9A-Z]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
}
