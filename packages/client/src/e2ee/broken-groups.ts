import type { ClientStore } from '../store.ts';

/**
 * R36: a chat whose group this device can no longer follow: the log holds a commit, at this
 * device's epoch, that it could not apply (an unprocessable commit a member or a server put there,
 * or a bug). Kept in meta `mls-broken:<chatId>` (`null` once cleared) until the device is in a working group again (a
 * Welcome, or its own repair), so a restart does not forget it.
 */
export interface BrokenGroup {
  /** This device's epoch, where the log went on without it. */
  epoch: number;
  /** The log position of the commit it could not apply, and who sent it (`userId:deviceId`). */
  seq: number;
  by: string;
  /** The MLS error it got. */
  code: string;
}

/**
 * `BrokenGroup.code` when the device's group is at a later epoch than the server's chat: it applied
 * a commit the server did not count (R36). Then `by` is `server`.
 */
export const EPOCH_AHEAD_OF_SERVER = 'epoch_ahead_of_server';

const key = (chatId: string): string => `mls-broken:${chatId}`;

export class BrokenGroups {
  readonly #store: Pick<ClientStore, 'getMeta' | 'setMeta'>;
  readonly #known = new Map<string, BrokenGroup | null>();

  constructor(store: Pick<ClientStore, 'getMeta' | 'setMeta'>) {
    this.#store = store;
  }

  async get(chatId: string): Promise<BrokenGroup | undefined> {
    let b = this.#known.get(chatId);
    if (b === undefined) {
      const stored = await this.#store.getMeta(key(chatId));
      b = stored === undefined ? null : (JSON.parse(stored) as BrokenGroup | null);
      this.#known.set(chatId, b);
    }
    return b ?? undefined;
  }

  /** The first commit it could not apply is the one that broke it: later ones are not recorded. */
  async mark(chatId: string, broken: BrokenGroup): Promise<void> {
    if (await this.get(chatId)) return;
    this.#known.set(chatId, broken);
    await this.#store.setMeta(key(chatId), JSON.stringify(broken));
  }

  async clear(chatId: string): Promise<void> {
    if ((await this.get(chatId)) === undefined) return;
    this.#known.set(chatId, null);
    await this.#store.setMeta(key(chatId), 'null');
  }
}
