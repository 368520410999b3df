import { MlsSessionError } from '../mls/errors.ts';
import { bytesEqual } from '../mls/byte-codec.ts';
import { joinEnvelope, MAGIC, splitEnvelope } from '../mls/split-envelope.ts';
import type { MlsStateStore } from '../store.ts';

/**
 * Issue 12: a chat's group state in the store as two records, so that a message sent or read writes
 * only what it changed. A session's split envelope (session-codec.ts, version 2) has an epoch part
 * (the ratchet trees: O(members), changed only by commits) and the rest (secrets, ratchets: small).
 *
 * - `chatId`: SPLIT_RECORD, the slot (0 or 1) holding the epoch part, the part's id, the rest.
 * - `chatId` + TREES_KEY + slot: the part's id, then the epoch part.
 *
 * A new epoch part goes to the slot the chat's record does not name, before (or, in putMessages, in
 * the same atomic write as) the record naming it: a crash in between leaves the old record and the
 * old slot intact. Envelopes of version 1 (one record) are still read and written as they are.
 */
const SPLIT_RECORD = 0x82;
const TREES_KEY = '\u0000mls-trees-';

/** The store keys a chat's group state may use (to delete or seal them all). */
export function groupRecordKeys(chatId: string): string[] {
  return [chatId, `${chatId}${TREES_KEY}0`, `${chatId}${TREES_KEY}1`];
}

interface Written { slot: number; id: Uint8Array }

/** One device's group-state records over its store; remembers which slot each chat's record names. */
export class GroupRecords {
  readonly #written = new Map<string, Written>();

  constructor(private readonly store: MlsStateStore) {}

  /** The records to write for this serialized session: the chat's record, and its epoch part when new. */
  records(chatId: string, bytes: Uint8Array): { records: Map<string, Uint8Array>; written: Written | undefined } {
    const split = splitEnvelope(bytes);
    if (split === undefined) return { records: new Map([[chatId, bytes]]), written: undefined };
    const last = this.#written.get(chatId);
    const records = new Map<string, Uint8Array>();
    let slot = last?.slot ?? 0;
    if (last === undefined || !bytesEqual(last.id, split.id)) {
      slot = last === undefined ? 0 : 1 - last.slot;
      records.set(`${chatId}${TREES_KEY}${slot}`, concat(u32(split.id.length), split.id, split.epochPart));
    }
    records.set(chatId, concat(Uint8Array.of(MAGIC, SPLIT_RECORD, slot), u32(split.id.length), split.id, split.rest));
    return { records, written: { slot, id: split.id.slice() } };
  }

  /** After the records were written. */
  wrote(chatId: string, written: Written | undefined): void {
    if (written === undefined) this.#written.delete(chatId);
    else this.#written.set(chatId, written);
  }

  /** Writes a serialized session (in order: the epoch part, then the record naming it). */
  async put(chatId: string, bytes: Uint8Array): Promise<void> {
    const { records, written } = this.records(chatId, bytes);
    for (const [key, value] of records) if (key !== chatId) await this.store.putMlsGroup(key, value);
    await this.store.putMlsGroup(chatId, records.get(chatId)!);
    this.wrote(chatId, written);
  }

  /** The serialized session again (a version 1 envelope as stored). */
  async get(chatId: string): Promise<Uint8Array | undefined> {
    const record = await this.store.getMlsGroup(chatId);
    if (record === undefined || record[0] !== MAGIC || record[1] !== SPLIT_RECORD) {
      this.#written.delete(chatId);
      return record;
    }
    const view = new DataView(record.buffer, record.byteOffset, record.byteLength);
    const slot = record[2]!;
    const id = record.subarray(7, 7 + view.getUint32(3));
    const trees = await this.store.getMlsGroup(`${chatId}${TREES_KEY}${slot}`);
    const treesId = trees && trees.subarray(4, 4 + new DataView(trees.buffer, trees.byteOffset, trees.byteLength).getUint32(0));
    if (trees === undefined || treesId === undefined || !bytesEqual(treesId, id)) throw new MlsSessionError('mls_invalid_state', 'the stored group state names trees the store does not hold');
    this.#written.set(chatId, { slot, id: id.slice() });
    return joinEnvelope(id, trees.subarray(4 + id.length), record.subarray(7 + id.length));
  }

  async delete(chatId: string): Promise<void> {
    this.#written.delete(chatId);
    for (const key of groupRecordKeys(chatId)) await this.store.deleteMlsGroup(key);
  }
}

/** A chat's serialized group session as MlsGroupSession.deserialize reads it, from either layout (tests, tools). */
export function readGroupState(store: MlsStateStore, chatId: string): Promise<Uint8Array | undefined> {
  return new GroupRecords(store).get(chatId);
}

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
