import { createHmac } from 'node:crypto';
import { ParleyError, type GroupCallRoom, type IceServer } from '@parley/protocol';
import type { Storage } from '../storage/storage.ts';
import type { AuthContext } from './accounts.ts';
import type { Clock } from './ports.ts';
import type { RateLimiter } from './rate-limiter.ts';
import type { Sfu, SfuRoomRef, SfuRoomSpec } from './sfu.ts';

export interface GroupCallsDeps {
  /** Undefined where the operator configured no SFU (R62 then answers calls_unavailable). */
  sfu: Sfu | undefined;
  /** The SFU's public URL, for clients. */
  url: string;
  /** Derives room ids, room secrets, tokens and publisher ids; the same on every node (R62). */
  key: string;
  maxParticipants: number;
  tokenTtlMs: number;
  perHour: number;
  storage: Pick<Storage, 'getChat' | 'getMember' | 'getMembers' | 'listDevices' | 'listChatsForUser'>;
  limiter: RateLimiter;
  clock: Clock;
  /** TURN servers for the device's media path (R60), where configured. */
  iceServers?: (auth: AuthContext, chatId: string) => Promise<IceServer[]>;
}

export interface SweepResult {
  tokensRemoved: number;
  kicked: number;
  roomsDestroyed: number;
}

/** A token: `<expiry in s>.<mac>`. The expiry lets any node sweep it without a table of grants. */
const TOKEN = /^(\d{10})\.([A-Za-z0-9_-]{32})$/;

/**
 * R62: group calls through an SFU. A member's device of a group chat gets a token that lets it use
 * the SFU's room plugin and join its chat's room, with a publisher id the server chose. Everything
 * is derived from `key` (room id and secret from the chat, token from chat + device + time window,
 * publisher id from chat + device), so every node issues, revokes and sweeps the same way with no
 * grants stored: removing a member or revoking a device revokes the tokens of the windows that can
 * still be live and kicks the device's publisher; the sweep removes expired tokens and kicks any
 * participant that is not a current member's live device's publisher id.
 */
export class GroupCalls {
  readonly #d: GroupCallsDeps;

  constructor(deps: GroupCallsDeps) {
    this.#d = deps;
  }

  get enabled(): boolean {
    return this.#d.sfu !== undefined;
  }

  async room(auth: AuthContext, chatId: string): Promise<GroupCallRoom> {
    const sfu = this.#d.sfu;
    if (!sfu) throw new ParleyError('calls_unavailable', 'group calls are not set up on this server');
    const member = await this.#d.storage.getMember(chatId, auth.userId);
    if (!member) throw new ParleyError('not_member', 'you are not a member of this chat');
    const chat = await this.#d.storage.getChat(chatId);
    if (chat?.kind !== 'group') throw new ParleyError('bad_request', 'group calls are for group chats; call a direct chat peer to peer (R60)');
    await this.#d.limiter.take(`sfu:${auth.deviceId}`, this.#d.perHour / 3600, this.#d.perHour);
    const spec = this.#spec(chatId);
    const window = this.#window();
    const token = this.#token(chatId, auth.deviceId, window);
    await sfu.ensureRoom(spec);
    await sfu.grant(spec, token);
    return {
      url: this.#d.url,
      room: spec.room,
      token,
      feedId: this.feedId(chatId, auth.deviceId),
      iceServers: (await this.#d.iceServers?.(auth, chatId)) ?? [],
      expiresAt: this.#expiry(window) * 1000,
    };
  }

  /** After `userId` left or was removed from `chatId`: its devices' tokens stop working, their publishers are dropped. */
  async memberRemoved(chatId: string, userId: string): Promise<void> {
    if (!this.#d.sfu) return;
    const devices = await this.#d.storage.listDevices(userId);
    for (const { deviceId } of devices) await this.#drop(chatId, deviceId);
  }

  /** After a device was revoked: out of the rooms of its user's group chats that have one now. */
  async deviceRevoked(userId: string, deviceId: string): Promise<void> {
    const sfu = this.#d.sfu;
    if (!sfu) return;
    const groups = new Set((await this.#d.storage.listChatsForUser(userId)).filter((c) => c.kind === 'group').map((c) => c.chatId));
    for (const { room, label } of await sfu.rooms()) {
      if (groups.has(label) && this.#roomId(label) === room) await this.#drop(label, deviceId);
    }
  }

  /**
   * The guarantee behind the hooks above (which are the fast path and may fail while the SFU is
   * down): removes expired tokens (Parley's only: others' are left alone), takes out of each room's
   * join list every token that is not a current member's live device's, kicks every participant
   * that is not such a device at its own publisher id, and destroys rooms nobody is in and nobody
   * may join. Any node may run it at any time.
   */
  async sweep(): Promise<SweepResult> {
    const sfu = this.#d.sfu;
    const result: SweepResult = { tokensRemoved: 0, kicked: 0, roomsDestroyed: 0 };
    if (!sfu) return result;
    const nowSec = Math.floor(this.#d.clock.now() / 1000);
    const expired = (token: string) => {
      const m = TOKEN.exec(token);
      return m !== null && Number(m[1]) <= nowSec;
    };
    const stale = (await sfu.tokens()).filter(expired);
    if (stale.length > 0) await sfu.revoke(undefined, stale);
    result.tokensRemoved += stale.length;
    for (const { room, label: chatId } of await sfu.rooms()) {
      if (this.#roomId(chatId) !== room) continue; // not a room of ours
      const ref = this.#ref(chatId);
      const live = await this.#liveDevices(chatId);
      const w = this.#window();
      const liveTokens = new Set(live.flatMap((deviceId) => [w - 1, w, w + 1].map((x) => this.#token(chatId, deviceId, x))));
      const tokens = await sfu.roomTokens(ref);
      // Expired, or of a device that is no longer a member's live device (a hook that failed is caught up here).
      const old = tokens.filter((token) => expired(token) || !liveTokens.has(token));
      if (old.length > 0) await sfu.revoke(ref, old);
      const allowed = new Set(live.map((deviceId) => this.feedId(chatId, deviceId)));
      const present = await sfu.participants(room);
      const intruders = present.filter((feedId) => !allowed.has(feedId));
      for (const feedId of intruders) await sfu.kick(ref, feedId);
      result.kicked += intruders.length;
      result.tokensRemoved += old.length;
      if (present.length === intruders.length && tokens.length === old.length) {
        // Nobody left in it and nobody may join it: a new call makes it again.
        await sfu.destroyRoom(ref);
        result.roomsDestroyed += 1;
      }
    }
    return result;
  }

  /** The publisher id a device joins its chat's room with (R62). */
  feedId(chatId: string, deviceId: string): number {
    return this.#int(`feed:${chatId}:${deviceId}`);
  }

  /** The devices that may be in the chat's call now: current members' devices that are not revoked. */
  async #liveDevices(chatId: string): Promise<string[]> {
    const devices: string[] = [];
    const chat = await this.#d.storage.getChat(chatId);
    if (chat?.kind !== 'group') return devices;
    for (const member of await this.#d.storage.getMembers(chatId)) {
      for (const device of await this.#d.storage.listDevices(member.userId)) {
        if (device.revokedAt === null) devices.push(device.deviceId);
      }
    }
    return devices;
  }

  async #drop(chatId: string, deviceId: string): Promise<void> {
    const sfu = this.#d.sfu;
    if (!sfu) return;
    const ref = this.#ref(chatId);
    // Tokens of the previous window are still live; the next one covers a node whose clock runs ahead.
    const w = this.#window();
    await sfu.revoke(ref, [w - 1, w, w + 1].map((x) => this.#token(chatId, deviceId, x)));
    await sfu.kick(ref, this.feedId(chatId, deviceId));
  }

  #spec(chatId: string): SfuRoomSpec {
    return { ...this.#ref(chatId), label: chatId, maxPublishers: this.#d.maxParticipants };
  }

  #ref(chatId: string): SfuRoomRef {
    return { room: this.#roomId(chatId), secret: this.#mac(`secret:${chatId}`).slice(0, 32) };
  }

  #roomId(chatId: string): number {
    return this.#int(`room:${chatId}`);
  }

  #window(): number {
    return Math.floor(this.#d.clock.now() / this.#d.tokenTtlMs);
  }

  /** A token issued in window `w` works until the end of the next window: between one and two TTLs. */
  #expiry(window: number): number {
    return Math.floor(((window + 2) * this.#d.tokenTtlMs) / 1000);
  }

  #token(chatId: string, deviceId: string, window: number): string {
    const exp = String(this.#expiry(window)).padStart(10, '0');
    return `${exp}.${this.#mac(`token:${chatId}:${deviceId}:${window}`).slice(0, 32)}`;
  }

  #mac(what: string): string {
    return createHmac('sha256', this.#d.key).update(what).digest('base64url');
  }

  /** A positive integer below 2^48 (Janus ids are 64-bit; JSON numbers are exact below 2^53). */
  #int(what: string): number {
    const bytes = createHmac('sha256', this.#d.key).update(what).digest();
    return bytes.readUIntBE(0, 6) || 1;
  }
}
