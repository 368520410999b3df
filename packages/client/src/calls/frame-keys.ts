import { DEFAULT_SFRAME_SUITE, ReplayWindow, SFrameError, decodeHeader, deriveSFrameKey, sframeDecrypt, sframeEncrypt, type SFrameKey, type SFrameSuiteName } from './sframe.ts';

/** RFC 9605 §5.2: the MLS exporter label of an epoch's SFrame base key (context "", AEAD.Nk bytes). */
export const SFRAME_BASE_KEY_LABEL = 'SFrame 1.0 Base Key';
/** E: low bits of the epoch a KID carries; at most 2^E epochs are open at once. */
export const SFRAME_EPOCH_BITS = 4;
/** Bits of the sender's context (chosen at random per call) above index and epoch in its KID. */
export const SFRAME_CONTEXT_BITS = 32;
/**
 * How long a receiver still decrypts frames of an epoch after a newer one arrived: a sender that
 * applied the commit a moment later keeps being heard. A member the commit removed can send on
 * the old key for that long but reads nothing of the new epoch.
 */
export const FRAME_KEY_GRACE_MS = 10_000;
/** Keys a receiver keeps per epoch at most (one per sender and context); a KID's key is kept only once a frame authenticated with it. */
const MAX_KIDS_PER_EPOCH = 64;

/** This device's place in a chat's MLS group at one epoch, and that epoch's SFrame base key (MLS exporter). */
export interface CallEpochKey {
  epoch: bigint;
  /** This device's leaf index (its sender index in KIDs). */
  leafIndex: number;
  /** Leaves in the group's tree (S, the index bits, follows from it). */
  leafCount: number;
  baseKey: Uint8Array;
}

/** S: bits to write a member index, the smallest with leafCount <= 2^S. */
export function indexBits(leafCount: number): number {
  let s = 0;
  while (2 ** s < leafCount) s++;
  return s;
}

/** KID = context << (S + E) | index << E | epoch mod 2^E (RFC 9605 §5.2). */
export function mlsKid(epoch: bigint, index: number, leafCount: number, context = 0n): bigint {
  const s = BigInt(indexBits(leafCount));
  const e = BigInt(SFRAME_EPOCH_BITS);
  return (context << (s + e)) | (BigInt(index) << e) | (epoch & ((1n << e) - 1n));
}

export interface ReceivedFrame {
  plaintext: Uint8Array;
  /** The sender's leaf index, from its KID (any member of the epoch could have made the frame). */
  senderIndex: number;
  epoch: bigint;
}

interface ReceiveSlot {
  key: SFrameKey;
  replay: ReplayWindow;
  /** A frame authenticated with it (a made-up KID's key is dropped again at once). */
  proven: boolean;
}

interface EpochEntry {
  key: CallEpochKey;
  /** When a newer epoch replaced it: frames are refused from then + grace on. */
  retiredAt?: number;
  receive: Map<bigint, Promise<ReceiveSlot>>;
}

export interface FrameKeysOptions {
  graceMs?: number;
  suite?: SFrameSuiteName;
  /** The sender's KID context; random by default so a second call in the same epoch never reuses a (KID, CTR). */
  context?: bigint;
  now?: () => number;
}

/**
 * One device's SFrame state in one call (R64): the send key of the newest epoch it was given, and
 * receive keys for every sender of that epoch and, for FRAME_KEY_GRACE_MS, of the ones before.
 * Send and receive keys of a KID are kept apart (RFC 9605 §4.4.1), and a frame that claims to come
 * from this device's own index is refused (an echo or a forgery).
 */
export class FrameKeys {
  readonly #epochs = new Map<bigint, EpochEntry>();
  #current: EpochEntry | undefined;
  #send: Promise<SFrameKey> | undefined;
  #ctr = 0n;
  readonly #grace: number;
  readonly #suite: SFrameSuiteName;
  readonly #context: bigint;
  readonly #now: () => number;

  constructor(options: FrameKeysOptions = {}) {
    this.#grace = options.graceMs ?? FRAME_KEY_GRACE_MS;
    this.#suite = options.suite ?? DEFAULT_SFRAME_SUITE;
    this.#context = options.context ?? randomContext();
    this.#now = options.now ?? Date.now;
  }

  /** The epoch the sender encrypts in now (undefined until the first key). */
  get epoch(): bigint | undefined {
    return this.#current?.key.epoch;
  }

  /** A new epoch's key: sending switches to it at once; the previous epochs stay readable for the grace period. */
  setEpoch(key: CallEpochKey): void {
    if (this.#current && key.epoch <= this.#current.key.epoch) return; // epochs only move forward
    const now = this.#now();
    const mask = (1n << BigInt(SFRAME_EPOCH_BITS)) - 1n;
    for (const [epoch, entry] of this.#epochs) {
      // Same low bits as the new epoch: the KIDs would clash, so the old one goes now (RFC 9605 §5.2).
      if ((epoch & mask) === (key.epoch & mask)) this.#forget(entry);
      else entry.retiredAt ??= now;
    }
    const entry: EpochEntry = { key: { ...key, baseKey: key.baseKey.slice() }, receive: new Map() };
    this.#epochs.set(key.epoch, entry);
    this.#current = entry;
    this.#send = deriveSFrameKey(entry.key.baseKey, mlsKid(key.epoch, key.leafIndex, key.leafCount, this.#context), this.#suite);
    this.#ctr = 0n;
  }

  /** Encrypts one outgoing frame (metadata: bytes sent in the clear beside it, authenticated). */
  async encrypt(plaintext: Uint8Array, metadata?: Uint8Array): Promise<Uint8Array> {
    const send = this.#send;
    if (!send) throw new SFrameError('unknown_kid', 'no key yet: nothing is sent in the clear');
    const ctr = this.#ctr++;
    return sframeEncrypt(await send, ctr, plaintext, metadata);
  }

  /** Decrypts one incoming frame, or throws SFrameError (unknown or expired KID, forged, replayed, malformed). */
  async decrypt(ciphertext: Uint8Array, metadata?: Uint8Array): Promise<ReceivedFrame> {
    const header = decodeHeader(ciphertext);
    const e = BigInt(SFRAME_EPOCH_BITS);
    const low = header.kid & ((1n << e) - 1n);
    const entry = [...this.#epochs.values()].find((x) => (x.key.epoch & ((1n << e) - 1n)) === low);
    if (!entry) throw new SFrameError('unknown_kid', `no key for epoch …${low}`);
    if (entry.retiredAt !== undefined && this.#now() - entry.retiredAt > this.#grace) {
      this.#forget(entry);
      throw new SFrameError('unknown_kid', `epoch ${entry.key.epoch} was replaced more than ${this.#grace} ms ago`);
    }
    const s = BigInt(indexBits(entry.key.leafCount));
    const index = Number((header.kid >> e) & ((1n << s) - 1n));
    if (index >= entry.key.leafCount || index === entry.key.leafIndex) throw new SFrameError('unknown_kid', `no member ${index} to receive from`);
    let slot = entry.receive.get(header.kid);
    if (!slot) {
      if (entry.receive.size >= MAX_KIDS_PER_EPOCH) throw new SFrameError('unknown_kid', 'too many senders in one epoch');
      slot = deriveSFrameKey(entry.key.baseKey, header.kid, this.#suite).then((key) => ({ key, replay: new ReplayWindow(), proven: false }));
      entry.receive.set(header.kid, slot);
    }
    const got = await slot;
    if (!got.replay.fresh(header.ctr)) throw new SFrameError('replayed', `CTR ${header.ctr} seen or too old`);
    let plaintext: Uint8Array;
    try {
      plaintext = await sframeDecrypt(got.key, ciphertext, metadata, header);
    } catch (err) {
      if (!got.proven && entry.receive.get(header.kid) === slot) entry.receive.delete(header.kid);
      throw err;
    }
    got.proven = true;
    if (!got.replay.accept(header.ctr)) throw new SFrameError('replayed', `CTR ${header.ctr} seen`);
    return { plaintext, senderIndex: index, epoch: entry.key.epoch };
  }

  /** Forgets every key (the call ended). */
  clear(): void {
    for (const entry of this.#epochs.values()) this.#forget(entry);
    this.#current = undefined;
    this.#send = undefined;
  }

  /** Drops an epoch's keys (the base key's bytes zeroed; derived keys are non-extractable CryptoKeys). */
  #forget(entry: EpochEntry): void {
    entry.key.baseKey.fill(0);
    entry.receive.clear();
    this.#epochs.delete(entry.key.epoch);
  }
}

function randomContext(): bigint {
  const b = crypto.getRandomValues(new Uint8Array(SFRAME_CONTEXT_BITS / 8));
  return b.reduce((v, x) => (v << 8n) | BigInt(x), 0n);
}
