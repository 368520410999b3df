import type { CallPeer } from './calls.ts';
import { SFRAME_BASE_KEY_LABEL, type CallEpochKey } from './frame-keys.ts';
import { DEFAULT_SFRAME_SUITE, SFRAME_SUITES, type SFrameSuiteName } from './sframe.ts';

/** The chat's current epoch key for call media, or undefined while its group is not ready (R64). */
export type CallKeySource = (chatId: string) => Promise<CallEpochKey | undefined>;

/**
 * Where a call's frame keys go: the app's frame encryption (in the web client a worker running
 * FrameKeys on every encoded frame). Keys stay on the device; nothing of them reaches the server.
 */
export interface FrameKeySink {
  setEpoch(key: CallEpochKey): void;
  close(): void;
}

/**
 * The app's frame encryption for one peer connection (R64, R76): called after `prepare`, returns
 * the sink its keys go to. A group call calls it for its publisher and its subscriber peer.
 */
export type FrameCryptoFactory = (peer: CallPeer, role?: 'publisher' | 'subscriber') => FrameKeySink | Promise<FrameKeySink>;

/** The part of MlsCodec a call's keys come from. */
export interface CallExporter {
  exportForCall(chatId: string, label: string, length: number): Promise<{ epoch: bigint; leafIndex: number; leafCount: number; secret: Uint8Array } | undefined>;
}

/** RFC 9605 §5.2: base_key = MLS-Exporter("SFrame 1.0 Base Key", "", AEAD.Nk) of the chat's group, per epoch. */
export function mlsCallKeys(mls: CallExporter, suite: SFrameSuiteName = DEFAULT_SFRAME_SUITE): CallKeySource {
  return async (chatId) => {
    const r = await mls.exportForCall(chatId, SFRAME_BASE_KEY_LABEL, SFRAME_SUITES[suite].nk);
    return r && { epoch: r.epoch, leafIndex: r.leafIndex, leafCount: r.leafCount, baseKey: r.secret };
  };
}

/**
 * Feeds one call's sink with the chat's epoch keys: the current one when the call starts, and each
 * newer one as soon as this device applied the commit (a member removed, a device revoked, a key
 * update), so the sender switches at once. Pulls run one at a time, in order.
 */
export class CallKeyFeed {
  #epoch: bigint | undefined;
  #queue: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(
    private readonly chatId: string,
    private readonly source: CallKeySource,
    private readonly sink: FrameKeySink,
    private readonly onEpoch: (epoch: bigint) => void,
    private readonly onError: (error: unknown) => void,
  ) {}

  get epoch(): bigint | undefined {
    return this.#epoch;
  }

  /** Checks the chat's epoch (after the log moved) and hands a newer key to the sink. */
  refresh(): Promise<void> {
    this.#queue = this.#queue.then(() => this.#pull()).catch(this.onError);
    return this.#queue;
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.sink.close();
  }

  async #pull(): Promise<void> {
    if (this.#stopped) return;
    const key = await this.source(this.chatId);
    if (!key || this.#stopped || (this.#epoch !== undefined && key.epoch <= this.#epoch)) return;
    this.#epoch = key.epoch;
    this.sink.setEpoch(key);
    key.baseKey.fill(0); // the sink copied it
    this.onEpoch(key.epoch);
  }
}
