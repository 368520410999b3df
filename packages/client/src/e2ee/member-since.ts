import type { ClientStore } from '../store.ts';

/**
 * Since which epoch each device has been in a chat's MLS group, as this device saw it (meta
 * `mls-since:<chatId>`, memberKey → epoch). A message sent again (R32) is encrypted for the group
 * of now, so its sender needs to know that no one in it joined after the original was sent.
 *
 * A device that joins from a Welcome knows nothing older: everyone in its tree counts from the
 * join. A leaf removed and added back in one commit (a re-add, R29) keeps its epoch: it is the same
 * device, which was meant to read what it missed. A member this record lacks (a crash between the
 * group state and this write, a group from before it was kept) counts from the current epoch.
 */
export class MemberSince {
  readonly #store: Pick<ClientStore, 'getMeta' | 'setMeta'>;

  constructor(store: Pick<ClientStore, 'getMeta' | 'setMeta'>) {
    this.#store = store;
  }

  /** After a join: every member counts from `epoch`. */
  async reset(chatId: string, members: readonly string[], epoch: number): Promise<void> {
    await this.#write(chatId, Object.fromEntries(members.map((k) => [k, epoch])));
  }

  /** After a commit moved the group to `epoch`: added devices count from it, removed ones are gone. */
  async moved(chatId: string, before: readonly string[], after: readonly string[], epoch: number): Promise<void> {
    const since = await this.#read(chatId);
    for (const k of after) if (!before.includes(k) || since[k] === undefined) since[k] = epoch;
    for (const k of Object.keys(since)) if (!after.includes(k)) delete since[k];
    await this.#write(chatId, since);
  }

  /** The epoch each of `members` has been in the group since (`current` for any this record lacks). */
  async of(chatId: string, members: readonly string[], current: number): Promise<Map<string, number>> {
    const since = await this.#read(chatId);
    return new Map(members.map((k) => [k, Math.min(since[k] ?? current, current)]));
  }

  async #read(chatId: string): Promise<Record<string, number>> {
    const raw = await this.#store.getMeta(`mls-since:${chatId}`);
    return raw ? (JSON.parse(raw) as Record<string, number>) : {};
  }

  async #write(chatId: string, since: Record<string, number>): Promise<void> {
    await this.#store.setMeta(`mls-since:${chatId}`, JSON.stringify(since));
  }
}
