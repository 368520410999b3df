import type { CallContent, CallWrappedSecret } from '@parley/protocol';
import { base64ToBytes, bytesToBase64 } from '../encoding.ts';
import type { CallKeySource } from './call-keys.ts';
import type { Timers } from './group-call-keys.ts';

/** R120: bytes of a call secret. */
export const CALL_SECRET_BYTES = 32;
/** R120: the keyer waits this long after the last change of who is in the room, so a burst makes one entry. */
export const CALL_SECRET_SETTLE_MS = 250;
const WRAP_INFO = 'parley call secret wrap 1';
const COMBINE_INFO = 'parley call frame key 1';
const ECDH = { name: 'ECDH', namedCurve: 'P-256' } as const;

const realTimers: Timers = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (t) => clearTimeout(t as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
};

const enc = new TextEncoder();
const buf = (b: Uint8Array): ArrayBuffer => b.slice().buffer;

async function exportPublic(key: CryptoKey): Promise<string> {
  return bytesToBase64(new Uint8Array(await crypto.subtle.exportKey('raw', key)));
}

async function importPublic(pub: string): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', buf(base64ToBytes(pub)), ECDH, false, []);
}

/** The AES-GCM key that wraps secret `gen` of `chatId` for participant `feedId`: HKDF of the ECDH shared secret, bound to all four. */
async function wrapKey(priv: CryptoKey, pub: string, chatId: string, gen: number, feedId: number, epk: string): Promise<CryptoKey> {
  const shared = await crypto.subtle.deriveBits({ name: 'ECDH', public: await importPublic(pub) }, priv, 256);
  const ikm = await crypto.subtle.importKey('raw', shared, 'HKDF', false, ['deriveKey']);
  const info = enc.encode(`${WRAP_INFO}|${chatId}|${gen}|${feedId}|${epk}`);
  return crypto.subtle.deriveKey({ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(32), info }, ikm, { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
}

/** Wraps `secret` for each participant's public key under one fresh ephemeral key (R120). */
export async function wrapCallSecret(secret: Uint8Array, chatId: string, gen: number, to: ReadonlyArray<{ feedId: number; pub: string }>): Promise<{ epk: string; keys: CallWrappedSecret[] }> {
  const eph = await crypto.subtle.generateKey(ECDH, false, ['deriveBits']) as CryptoKeyPair;
  const epk = await exportPublic(eph.publicKey);
  const keys = await Promise.all(to.map(async ({ feedId, pub }) => {
    const nonce = crypto.getRandomValues(new Uint8Array(12));
    const ct = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv: nonce }, await wrapKey(eph.privateKey, pub, chatId, gen, feedId, epk), buf(secret)));
    const out = new Uint8Array(12 + ct.length);
    out.set(nonce);
    out.set(ct, 12);
    return { feedId, ct: bytesToBase64(out) };
  }));
  return { epk, keys };
}

/** Opens this participant's copy of a wrapped secret, or undefined (not for it, or not made for its key). */
export async function unwrapCallSecret(priv: CryptoKey, chatId: string, gen: number, epk: string, wrapped: CallWrappedSecret): Promise<Uint8Array | undefined> {
  try {
    const raw = base64ToBytes(wrapped.ct);
    const key = await wrapKey(priv, epk, chatId, gen, wrapped.feedId, epk);
    return new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: buf(raw.subarray(0, 12)) }, key, buf(raw.subarray(12))));
  } catch {
    return undefined;
  }
}

/**
 * R135: what a participant's Janus seat names as its join key (its VideoRoom `display`, set at join):
 * "pk1." + base64 of the first 16 bytes of SHA-256 of the raw public key. Only the device in that seat
 * can set it, so a join entry whose key does not hash to its seat's tag is someone else's forgery.
 */
export async function seatTag(pub: string): Promise<string> {
  const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', buf(base64ToBytes(pub))));
  return `pk1.${bytesToBase64(hash.subarray(0, 16))}`;
}

/** R120: a frame base key = HKDF-SHA256(ikm = call secret, salt = the epoch's MLS exporter key): both are needed. */
export async function combineCallKey(exporterKey: Uint8Array, secret: Uint8Array, length: number): Promise<Uint8Array> {
  const ikm = await crypto.subtle.importKey('raw', buf(secret), 'HKDF', false, ['deriveBits']);
  return new Uint8Array(await crypto.subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: buf(exporterKey), info: enc.encode(COMBINE_INFO) }, ikm, length * 8));
}

export interface CallSecretDeps {
  chatId: string;
  /** This device's publisher id in the room. */
  self: number;
  /** The other participants in the SFU room now (publisher ids, from Janus). */
  others(): readonly number[];
  /** R135: the join key tag a participant's seat in the room names (its Janus `display`), if any. */
  seat(feedId: number): string | undefined;
  /** Posts a `group_key` entry in the chat's log (end-to-end encrypted, ordered). */
  post(entry: Pick<CallContent, 'gen' | 'epk' | 'keys'>): Promise<unknown>;
  /** A new secret was taken: the call's frame key must be derived again. */
  changed(): void;
  onError?: (error: unknown) => void;
  settleMs?: number;
  timers?: Timers;
}

interface Joined {
  /** The join entry's log position. */
  seq: number;
  /** The join's id and the device that posted it: only that device's leave of that id ends it. */
  callId: string;
  from: string;
  pub?: string;
  /** R135: `seatTag(pub)`. */
  tag?: string;
}

/**
 * R120: the per-call secret of one device in a group call. The device makes an ECDH key pair per
 * join and names its public key in its `group_join`. The keyer, the participant whose join the log
 * ordered first among those in the room, hands out a fresh secret whenever who is in the room
 * differs from whom the current secret was given to (joins and leaves): a `group_key` entry in the
 * chat's log wraps it for each participant's key. Every device takes the entry with the highest
 * `gen` that names it, in log order; frame keys come from the secret and the MLS exporter together.
 */
export class CallSecret {
  readonly #d: CallSecretDeps;
  readonly #t: Timers;
  readonly #keys: CryptoKeyPair;
  readonly pub: string;
  /** Join entries seen since this device joined, by the publisher id they name (any member may name any id: R135). */
  readonly #joins = new Map<number, Joined[]>();
  #ownSeq: number | undefined;
  #maxGen = 0;
  #current: { gen: number; secret: Uint8Array; covers: Set<number> } | undefined;
  #timer: unknown;
  #stopped = false;
  /** Entries are applied one at a time, in log order. */
  #queue: Promise<void> = Promise.resolve();

  private constructor(deps: CallSecretDeps, keys: CryptoKeyPair, pub: string) {
    this.#d = deps;
    this.#t = deps.timers ?? realTimers;
    this.#keys = keys;
    this.pub = pub;
  }

  static async create(deps: CallSecretDeps): Promise<CallSecret> {
    // Not extractable: the private key never leaves this object (and goes with it when the call ends).
    const keys = await crypto.subtle.generateKey(ECDH, false, ['deriveBits']) as CryptoKeyPair;
    return new CallSecret(deps, keys, await exportPublic(keys.publicKey));
  }

  /** Resolves once the entries and the hand-out started so far are done (tests). */
  get idle(): Promise<void> {
    return this.#queue;
  }

  /** The secret's generation now (undefined: none yet). */
  get gen(): number | undefined {
    return this.#current?.gen;
  }

  /** A call entry of the chat's log (in log order), `mine` when this device posted it, `from` the device that did. */
  entry(seq: number, mine: boolean, content: CallContent, from = ''): Promise<void> {
    this.#queue = this.#queue.then(() => this.#entry(seq, mine, content, from)).catch((err: unknown) => this.#d.onError?.(err));
    return this.#queue;
  }

  /** Who is in the room changed (Janus): the keyer may need to hand out a new secret. */
  roomChanged(): void {
    if (this.#stopped) return;
    if (this.#timer !== undefined) this.#t.clear(this.#timer);
    this.#timer = this.#t.set(() => {
      this.#timer = undefined;
      this.#queue = this.#queue.then(() => this.#rekey()).catch((err: unknown) => this.#d.onError?.(err));
    }, this.#d.settleMs ?? CALL_SECRET_SETTLE_MS);
  }

  /** The chat's exporter keys combined with this call's secret: undefined until a secret is there. */
  source(exporter: CallKeySource): CallKeySource {
    return async (chatId) => {
      const current = this.#current;
      const key = await exporter(chatId);
      if (!key || !current) return undefined;
      const baseKey = await combineCallKey(key.baseKey, current.secret, key.baseKey.length);
      key.baseKey.fill(0);
      // Either moving makes a new key; the sum only grows, and consecutive keys differ in their low bits.
      return { ...key, epoch: key.epoch + BigInt(current.gen), baseKey };
    };
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#t.clear(this.#timer);
    this.#current?.secret.fill(0);
    this.#current = undefined;
  }

  async #entry(seq: number, mine: boolean, c: CallContent, from: string): Promise<void> {
    if (this.#stopped || c.feedId === undefined && c.action !== 'group_key') return;
    if (c.action === 'group_join' && c.feedId !== undefined) {
      if (mine && c.pub === this.pub) this.#ownSeq = seq;
      else {
        const joined: Joined = { seq, callId: c.callId, from, ...(c.pub !== undefined ? { pub: c.pub, tag: await seatTag(c.pub) } : {}) };
        this.#joins.set(c.feedId, [...(this.#joins.get(c.feedId) ?? []), joined]);
      }
      return this.roomChanged();
    }
    if (c.action === 'group_leave' && c.feedId !== undefined) {
      // Only the join it names, from the device that posted it: any member can read and name another's join id.
      const left = (this.#joins.get(c.feedId) ?? []).filter((j) => j.callId !== c.callId || j.from !== from);
      if (left.length > 0) this.#joins.set(c.feedId, left);
      else this.#joins.delete(c.feedId);
      return this.roomChanged();
    }
    if (c.action !== 'group_key' || c.gen === undefined || c.epk === undefined || !c.keys) return;
    this.#maxGen = Math.max(this.#maxGen, c.gen);
    const mineWrapped = c.keys.find((k) => k.feedId === this.#d.self);
    if (!mineWrapped || (this.#current && c.gen <= this.#current.gen)) return this.roomChanged();
    const secret = await unwrapCallSecret(this.#keys.privateKey, this.#d.chatId, c.gen, c.epk, mineWrapped);
    if (!secret || secret.length !== CALL_SECRET_BYTES) return this.roomChanged();
    this.#current?.secret.fill(0);
    this.#current = { gen: c.gen, secret, covers: new Set(c.keys.map((k) => k.feedId)) };
    this.#d.changed();
    this.roomChanged(); // a participant left out (two keyers at once) gets the next one
  }

  /**
   * R135: the join entry of the participant in seat `feedId`: the newest one whose key hashes to the
   * tag the seat names in Janus; else the newest one without a key (a device without frame crypto).
   * A join naming the seat with another key (a member forging it) is never taken.
   */
  #joinFor(feedId: number): Joined | undefined {
    const seat = this.#d.seat(feedId);
    const joins = this.#joins.get(feedId) ?? [];
    let keyless: Joined | undefined;
    for (let i = joins.length - 1; i >= 0; i--) {
      const j = joins[i]!;
      if (j.pub !== undefined && seat !== undefined && j.tag === seat) return j;
      if (j.pub === undefined) keyless ??= j;
    }
    return keyless;
  }

  /** Whether this device hands out secrets: every other participant in the room joined after it, by the log. */
  #keyer(): boolean {
    const others = this.#d.others();
    if (others.length === 0) return true;
    if (this.#ownSeq === undefined) return false;
    return others.every((id) => {
      const j = this.#joinFor(id);
      return j !== undefined && (j.pub === undefined || j.seq > this.#ownSeq!); // a device without a call key can't key
    });
  }

  async #rekey(): Promise<void> {
    if (this.#stopped || !this.#keyer()) return;
    const to = [{ feedId: this.#d.self, pub: this.pub }];
    for (const id of this.#d.others()) {
      const pub = this.#joinFor(id)?.pub; // R135: only a key its seat names
      if (pub) to.push({ feedId: id, pub });
    }
    const covers = this.#current?.covers;
    if (covers && covers.size === to.length && to.every((t) => covers.has(t.feedId))) return;
    const gen = Math.max(this.#maxGen, this.#current?.gen ?? 0) + 1;
    this.#maxGen = gen;
    const secret = crypto.getRandomValues(new Uint8Array(CALL_SECRET_BYTES));
    const wrapped = await wrapCallSecret(secret, this.#d.chatId, gen, to);
    secret.fill(0); // this device takes it from its own entry, in log order like everyone
    await this.#d.post({ gen, ...wrapped });
  }
}
