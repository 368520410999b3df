import { AddedDevice, ChatRequest, DeviceLinkStatus, JoinRequestStatus, Message, PendingDeviceLink } from '@parley/protocol';
import { connect, Events, RequestStrategy, type Msg, type NatsConnection, type Subscription } from 'nats';
import { z } from 'zod';
import type { Bus, BusEvent, BusHandler } from './bus.ts';

/*
 * Why core NATS (at-most-once) and not JetStream for live fan-out: PostgreSQL is the system of
 * record. Clients detect gaps by seq (R4) and the resync signal covers outages, so a second
 * durable log would only duplicate the database, with its own retention, storage and failure modes.
 */

export interface NatsBusOptions {
  /** One URL or a comma-separated list, e.g. `nats://10.0.0.1:4222,nats://10.0.0.2:4222`. */
  servers: string;
  /** Subject prefix, so clusters can share one NATS: topic `chat.X` is subject `<prefix>.chat.X`. */
  prefix?: string | undefined;
  /** Connection name shown by the NATS server's monitoring. */
  name?: string | undefined;
  /** Failed publishes, malformed incoming messages, throwing handlers, disconnects. Default: console.error. */
  onError?: ((err: unknown) => void) | undefined;
}

/** Every BusEvent variant, checked at the edge: bytes from NATS are not trusted. */
const BusEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('message'), message: Message }),
  z.object({ type: z.literal('receipt'), chatId: z.string(), userId: z.string(), kind: z.enum(['delivered', 'read']), upToSeq: z.number().int() }),
  z.object({ type: z.literal('typing'), chatId: z.string(), userId: z.string() }),
  z.object({ type: z.literal('chat_changed'), chatId: z.string() }),
  z.object({ type: z.literal('members_changed'), chatId: z.string(), added: z.array(z.string()), removed: z.array(z.string()), lastSeq: z.number().int(), digest: z.string() }),
  z.object({ type: z.literal('chat_removed'), chatId: z.string(), userId: z.string() }),
  z.object({ type: z.literal('device_revoked'), deviceId: z.string() }),
  z.object({ type: z.literal('device_link_request'), link: PendingDeviceLink }),
  z.object({ type: z.literal('device_link_closed'), linkId: z.string(), status: DeviceLinkStatus }),
  z.object({ type: z.literal('device_added'), device: AddedDevice }),
  z.object({ type: z.literal('rejoin_requested'), chatId: z.string(), userId: z.string(), deviceId: z.string() }),
  z.object({ type: z.literal('chat_request'), request: ChatRequest }),
  z.object({ type: z.literal('chat_request_closed'), requestId: z.string() }),
  z.object({ type: z.literal('upload_release'), blobId: z.string(), holder: z.string() }),
  z.object({ type: z.literal('community_changed'), communityId: z.string() }),
  z.object({ type: z.literal('community_removed'), communityId: z.string(), userId: z.string() }),
  z.object({ type: z.literal('community_report'), communityId: z.string(), reportId: z.string() }),
  z.object({ type: z.literal('channel_post'), channelId: z.string(), seq: z.number().int().positive() }),
  z.object({ type: z.literal('channel_admin'), channelId: z.string() }),
  z.object({ type: z.literal('channel_subscription'), channelId: z.string(), subscribed: z.boolean() }),
  z.object({ type: z.literal('wrapped_post'), communityId: z.string(), seq: z.number().int().positive(), info: z.literal(true).optional(), deleted: z.literal(true).optional(), edit: z.literal(true).optional() }),
  z.object({ type: z.literal('wrapped_votes'), communityId: z.string(), seq: z.number().int().positive() }),
  z.object({ type: z.literal('wrapped_joined'), communityId: z.string() }),
  z.object({ type: z.literal('wrapped_keys'), communityId: z.string(), epoch: z.number().int().positive() }),
  z.object({ type: z.literal('wraps_needed'), communityId: z.string() }),
  z.object({ type: z.literal('community_join_request'), communityId: z.string(), requestId: z.string(), status: JoinRequestStatus }),
]) satisfies z.ZodType<BusEvent>;

/** A node that reconnected announces it here: its events during the outage never reached the others. */
const RESYNC_SUBJECT = '_bus.resync';
/** Coalesces the resync signals of one outage (own reconnect plus every peer's announcement). */
const RESYNC_COALESCE_MS = 200;
/** Presence questions: every node answers with the asked user's devices connected to it (maybe none). */
const PRESENCE_SUBJECT = '_bus.presence';
/** A presence question waits this long after the last answer, and never longer than the max. */
const PRESENCE_JITTER_MS = 25;
const PRESENCE_MAX_WAIT_MS = 250;
const USER_ID = /^[A-Za-z0-9_-]{1,64}$/;
const TOPIC = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
/** close() gives up draining after this long (NATS down) and closes hard. */
const DRAIN_TIMEOUT_MS = 2_000;

/**
 * Fan-out between nodes over core NATS. Local subscribers are dispatched in-process at publish
 * time, so a node's own sessions never wait for a round trip and keep working while NATS is down;
 * the event also goes to subject `<prefix>.<topic>` on a `noEcho` connection, so the node does not
 * get its own events twice. One NATS subscription per topic with local subscribers.
 */
export class NatsBus implements Bus {
  #up = true;
  readonly #nc: NatsConnection;
  readonly #prefix: string;
  readonly #onError: (err: unknown) => void;
  readonly #topics = new Map<string, { handlers: Set<BusHandler>; sub: Subscription }>();
  readonly #resyncHandlers = new Set<() => void>();
  #resyncTimer: NodeJS.Timeout | undefined;
  #closed = false;
  #presence: (userId: string) => readonly string[] = () => [];

  private constructor(nc: NatsConnection, prefix: string, onError: (err: unknown) => void) {
    this.#nc = nc;
    this.#prefix = prefix;
    this.#onError = onError;
    nc.subscribe(`${prefix}.${RESYNC_SUBJECT}`, { callback: () => this.#scheduleResync() });
    void this.#watchStatus();
    nc.closed().then(
      (err) => {
        if (err) this.#onError(err);
      },
      (err: unknown) => this.#onError(err),
    );
  }

  /** Connects once (rejects if NATS is unreachable now), then reconnects forever. */
  static async connect(opts: NatsBusOptions): Promise<NatsBus> {
    const nc = await connect({
      servers: opts.servers.split(',').map((s) => s.trim()).filter(Boolean),
      ...(opts.name === undefined ? {} : { name: opts.name }),
      noEcho: true,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      reconnectJitter: 100,
    });
    return new NatsBus(nc, opts.prefix ?? 'parley', opts.onError ?? ((err) => console.error('nats bus', err)));
  }

  async publish(topic: string, event: BusEvent): Promise<void> {
    const subject = this.#subject(topic);
    const local = this.#topics.get(topic);
    if (local) this.#dispatch(local.handlers, event);
    if (this.#closed) return;
    try {
      // While reconnecting the client buffers, and drops the buffer at each dial attempt: bounded.
      this.#nc.publish(subject, JSON.stringify(event));
    } catch (err) {
      this.#onError(new Error(`nats bus: publish on ${topic} failed`, { cause: err }));
    }
  }

  subscribe(topic: string, handler: BusHandler): () => void {
    const subject = this.#subject(topic);
    let entry = this.#topics.get(topic);
    if (!entry) {
      const handlers = new Set<BusHandler>();
      const sub = this.#nc.subscribe(subject, { callback: (err, msg) => this.#receive(topic, handlers, err, msg) });
      entry = { handlers, sub };
      this.#topics.set(topic, entry);
    }
    const { handlers } = entry;
    handlers.add(handler);
    return () => {
      if (!handlers.delete(handler) || handlers.size > 0) return;
      const current = this.#topics.get(topic);
      if (current?.handlers !== handlers) return;
      this.#topics.delete(topic);
      this.#unsubscribe(current.sub);
    };
  }

  connected(): boolean {
    return this.#up && !this.#closed;
  }

  servePresence(local: (userId: string) => readonly string[]): void {
    this.#presence = local;
    this.#nc.subscribe(`${this.#prefix}.${PRESENCE_SUBJECT}`, {
      callback: (err, msg) => {
        if (err) return this.#onError(err);
        const userId = msg.string();
        if (!USER_ID.test(userId)) return this.#onError(new Error('nats bus: malformed presence question ignored'));
        try {
          msg.respond(JSON.stringify(this.#presence(userId)));
        } catch (cause) {
          this.#onError(new Error('nats bus: presence answer failed', { cause }));
        }
      },
    });
  }

  /**
   * Asks every node; all answer (most with `[]`), so the question ends 25 ms after the last answer
   * instead of waiting out a timeout. Bounded: while NATS is down only this node's view counts.
   */
  async onlineDevices(userId: string): Promise<Set<string>> {
    const devices = new Set(this.#presence(userId));
    if (!this.connected()) return devices;
    try {
      const answers = await this.#nc.requestMany(`${this.#prefix}.${PRESENCE_SUBJECT}`, userId, {
        strategy: RequestStrategy.JitterTimer, jitter: PRESENCE_JITTER_MS, maxWait: PRESENCE_MAX_WAIT_MS,
      });
      for await (const answer of answers) {
        if (answer.data.length === 0) continue; // a status message (no responders)
        const ids: unknown = JSON.parse(answer.string());
        if (Array.isArray(ids)) for (const id of ids) if (typeof id === 'string') devices.add(id);
      }
    } catch (err) {
      // No other node (503 no responders) is the normal single-node answer; anything else is reported.
      if (!/no responders|503/i.test(String((err as { code?: unknown }).code ?? err))) this.#onError(err);
    }
    return devices;
  }

  onResync(handler: () => void): () => void {
    this.#resyncHandlers.add(handler);
    return () => {
      this.#resyncHandlers.delete(handler);
    };
  }

  /** Resolves once the NATS server has processed every subscribe, unsubscribe and publish so far (waits out an outage). */
  async flush(): Promise<void> {
    await this.#nc.flush();
  }

  /** Topics with at least one local subscriber, each one NATS subscription. */
  get topicCount(): number {
    return this.#topics.size;
  }

  /** Drains (in-flight messages are handled, buffered publishes sent), bounded if NATS is down. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#resyncTimer);
    this.#topics.clear();
    this.#resyncHandlers.clear();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, DRAIN_TIMEOUT_MS)));
    try {
      await Promise.race([this.#nc.drain(), timeout]);
    } catch (err) {
      this.#onError(err);
    } finally {
      clearTimeout(timer);
    }
    if (!this.#nc.isClosed()) await this.#nc.close();
  }

  #subject(topic: string): string {
    // `*`, `>`, spaces or empty tokens would make a subscription a wildcard or a protocol error.
    if (!TOPIC.test(topic)) throw new TypeError(`nats bus: invalid topic ${JSON.stringify(topic)}`);
    return `${this.#prefix}.${topic}`;
  }

  #receive(topic: string, handlers: Set<BusHandler>, err: Error | null, msg: Msg): void {
    if (err) {
      this.#onError(new Error(`nats bus: subscription to ${topic} failed`, { cause: err }));
      return;
    }
    let event: BusEvent;
    try {
      event = BusEventSchema.parse(JSON.parse(msg.string()));
    } catch (cause) {
      this.#onError(new Error(`nats bus: malformed event on ${msg.subject} (${msg.data.length} bytes) ignored`, { cause }));
      return;
    }
    this.#dispatch(handlers, event);
  }

  #dispatch(handlers: Set<BusHandler>, event: BusEvent): void {
    for (const handler of [...handlers]) {
      try {
        handler(event);
      } catch (err) {
        this.#onError(err);
      }
    }
  }

  #unsubscribe(sub: Subscription): void {
    try {
      sub.unsubscribe();
    } catch (err) {
      this.#onError(err);
    }
  }

  async #watchStatus(): Promise<void> {
    try {
      for await (const status of this.#nc.status()) {
        if (status.type === Events.Disconnect) {
          this.#up = false;
          this.#onError(new Error(`nats bus: disconnected from ${String(status.data)}, reconnecting`));
        } else if (status.type === Events.Reconnect) {
          this.#up = true;
          // Our events during the outage never reached the other nodes: tell them to resync too.
          try {
            this.#nc.publish(`${this.#prefix}.${RESYNC_SUBJECT}`);
          } catch (err) {
            this.#onError(err);
          }
          this.#scheduleResync();
        } else if (status.type === Events.Error) {
          this.#onError(new Error(`nats bus: ${String(status.data)}`));
        }
      }
    } catch (err) {
      this.#onError(err);
    }
  }

  #scheduleResync(): void {
    if (this.#closed || this.#resyncTimer) return;
    this.#resyncTimer = setTimeout(() => {
      this.#resyncTimer = undefined;
      for (const handler of [...this.#resyncHandlers]) {
        try {
          handler();
        } catch (err) {
          this.#onError(err);
        }
      }
    }, RESYNC_COALESCE_MS);
  }
}
