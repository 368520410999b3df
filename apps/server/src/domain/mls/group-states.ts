import { decodePublicGroup, type PublicGroup } from '@parley/mls-public';
import type { Storage } from '../../storage/storage.ts';

/** A chat's group as the server last checked it (R35). */
export interface HeldGroup {
  /** The chat's mlsEpoch it describes. */
  epoch: number;
  group: PublicGroup;
  /** When the group was last started again (R36); 0 if never.*/
  startedAt: number;
}

/**
 * The public group states commit checks start from: the database holds the one of each chat's
 * current epoch (written with the commit that led to it, on whichever node); this node keeps the
 * decoded ones it used last, up to `budgetBytes` of their encoding, and reads a state again only
 * when the chat's epoch moved past what it holds (another node's commit) or it was evicted.
 */
export class GroupStates {
  readonly #storage: Pick<Storage, 'getMlsGroupState'>;
  readonly #budget: number;
  /** Map order is recency: the first entry is the least recently used. */
  readonly #held = new Map<string, HeldGroup & { bytes: number }>();
  #bytes = 0;

  constructor(storage: Pick<Storage, 'getMlsGroupState'>, budgetBytes: number) {
    this.#storage = storage;
    this.#budget = budgetBytes;
  }

  /** The state of the chat's group at `epoch`, or undefined when the server has none for that epoch. */
  async at(chatId: string, epoch: number): Promise<HeldGroup | undefined> {
    const cached = this.#held.get(chatId);
    if (cached?.epoch === epoch) {
      this.#held.delete(chatId);
      this.#held.set(chatId, cached);
      return cached;
    }
    const row = await this.#storage.getMlsGroupState(chatId);
    if (!row || row.epoch !== epoch) return undefined;
    const held = { epoch: row.epoch, group: decodePublicGroup(row.state), startedAt: row.startedAt };
    this.remember(chatId, held, row.state.length);
    return held;
  }

  /** A state this node just stored (with the commit that led to it). */
  remember(chatId: string, held: HeldGroup, bytes: number): void {
    this.#drop(chatId);
    if (bytes > this.#budget) return;
    this.#held.set(chatId, { ...held, bytes });
    this.#bytes += bytes;
    for (const [id, h] of this.#held) {
      if (this.#bytes <= this.#budget) break;
      this.#held.delete(id);
      this.#bytes -= h.bytes;
    }
  }

  get heldBytes(): number {
    return this.#bytes;
  }

  #drop(chatId: string): void {
    const h = this.#held.get(chatId);
    if (!h) return;
    this.#held.delete(chatId);
    this.#bytes -= h.bytes;
  }
}
