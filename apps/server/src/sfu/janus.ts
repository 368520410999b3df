import { randomBytes } from 'node:crypto';
import { ParleyError } from '@parley/protocol';
import type { Sfu, SfuRoomRef, SfuRoomSpec } from '../domain/sfu.ts';

export interface JanusAdminOptions {
  /** Janus's admin API (HTTP transport, `admin_http`), e.g. http://127.0.0.1:7088/admin. */
  adminUrl: string;
  adminSecret: string;
  /** The VideoRoom plugin's `admin_key`: without it nobody (no client either) can create rooms. */
  roomAdminKey: string;
  timeoutMs?: number;
}

const VIDEOROOM = 'janus.plugin.videoroom';
/** VideoRoom error codes (janus_videoroom.c). */
const NO_SUCH_ROOM = 426;
const ROOM_EXISTS = 427;
const NO_SUCH_FEED = 428;

type Json = Record<string, unknown>;

/**
 * R62 on Janus (1.1.x, VideoRoom), through its admin API only: core tokens with `add_token` /
 * `remove_token` (restricted to the VideoRoom plugin), and room requests with `message_plugin`
 * (create, allowed, kick, listparticipants, list, destroy). Clients never see this API.
 */
export class JanusSfu implements Sfu {
  readonly #o: JanusAdminOptions;

  constructor(options: JanusAdminOptions) {
    this.#o = options;
  }

  async ensureRoom(spec: SfuRoomSpec): Promise<void> {
    await this.#room({
      request: 'create', admin_key: this.#o.roomAdminKey, room: spec.room, secret: spec.secret, description: spec.label,
      permanent: false, is_private: true, publishers: spec.maxPublishers,
      // Tokens are checked on join; subscribing needs a publisher's private id, so a kick ends its subscriptions too.
      allowed: [], require_pvtid: true, notify_joining: true,
      // bitrate: the REMB cap to publishers; above R123's three layers (900 + 300 + 100 kbit/s) plus audio, so it never holds the full layer back.
      audiocodec: 'opus', videocodec: 'vp8', fir_freq: 10, bitrate: 1_400_000,
    }, [ROOM_EXISTS]);
  }

  async grant(room: SfuRoomRef, token: string): Promise<void> {
    // add_token on a token Janus already has answers an error; allow_token then (re)grants the plugin.
    const added = await this.#admin({ janus: 'add_token', token, plugins: [VIDEOROOM] }, true);
    if (added.janus !== 'success') await this.#admin({ janus: 'allow_token', token, plugins: [VIDEOROOM] });
    await this.#room({ request: 'allowed', room: room.room, secret: room.secret, action: 'add', allowed: [token] });
  }

  async revoke(room: SfuRoomRef | undefined, tokens: readonly string[]): Promise<void> {
    const live = new Set(await this.tokens());
    for (const token of tokens) {
      if (live.has(token)) await this.#admin({ janus: 'remove_token', token }, true);
    }
    if (room && tokens.length > 0) {
      await this.#room({ request: 'allowed', room: room.room, secret: room.secret, action: 'remove', allowed: [...tokens] }, [NO_SUCH_ROOM]);
    }
  }

  async tokens(): Promise<string[]> {
    const reply = await this.#admin({ janus: 'list_tokens' });
    const list = ((reply.data as Json | undefined)?.tokens ?? []) as Array<{ token?: unknown }>;
    return list.map((t) => t.token).filter((t): t is string => typeof t === 'string');
  }

  async rooms(): Promise<Array<{ room: number; label: string }>> {
    const reply = await this.#room({ request: 'list', admin_key: this.#o.roomAdminKey });
    const list = (reply.list ?? []) as Array<{ room?: unknown; description?: unknown }>;
    return list.flatMap((r) => (typeof r.room === 'number' && typeof r.description === 'string' ? [{ room: r.room, label: r.description }] : []));
  }

  async roomTokens(room: SfuRoomRef): Promise<string[]> {
    const reply = await this.#room({ request: 'allowed', room: room.room, secret: room.secret, action: 'add', allowed: [] }, [NO_SUCH_ROOM]);
    return ((reply.allowed ?? []) as unknown[]).filter((t): t is string => typeof t === 'string');
  }

  async participants(room: number): Promise<number[]> {
    const reply = await this.#room({ request: 'listparticipants', room }, [NO_SUCH_ROOM]);
    const list = (reply.participants ?? []) as Array<{ id?: unknown }>;
    return list.flatMap((p) => (typeof p.id === 'number' ? [p.id] : []));
  }

  async kick(room: SfuRoomRef, feedId: number): Promise<void> {
    await this.#room({ request: 'kick', room: room.room, secret: room.secret, id: feedId }, [NO_SUCH_ROOM, NO_SUCH_FEED]);
  }

  async destroyRoom(room: SfuRoomRef): Promise<void> {
    await this.#room({ request: 'destroy', room: room.room, secret: room.secret, permanent: false }, [NO_SUCH_ROOM]);
  }

  /** A VideoRoom request through `message_plugin`; the plugin's errors in `fine` count as done. */
  async #room(request: Json, fine: number[] = []): Promise<Json> {
    const reply = await this.#admin({ janus: 'message_plugin', plugin: VIDEOROOM, request });
    const response = (reply.response ?? {}) as Json;
    const code = response.error_code;
    if (typeof code === 'number' && !fine.includes(code)) {
      throw new ParleyError('calls_unavailable', `the call server refused a room request (${String(request.request)}: ${code} ${String(response.error)})`);
    }
    return response;
  }

  async #admin(body: Json, tolerate = false): Promise<Json> {
    let reply: Json;
    try {
      const res = await fetch(this.#o.adminUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...body, transaction: randomBytes(8).toString('hex'), admin_secret: this.#o.adminSecret }),
        signal: AbortSignal.timeout(this.#o.timeoutMs ?? 5_000),
      });
      reply = (await res.json()) as Json;
    } catch (err) {
      throw new ParleyError('calls_unavailable', `the call server is not answering (${(err as Error).message})`);
    }
    if (reply.janus !== 'success' && !tolerate) {
      const error = (reply.error ?? {}) as Json;
      throw new ParleyError('calls_unavailable', `the call server refused ${String(body.janus)}: ${String(error.code)} ${String(error.reason)}`);
    }
    return reply;
  }
}
