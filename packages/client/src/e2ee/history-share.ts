import { isPositionContent, MAX_HISTORY_ENTRIES_PER_MESSAGE, type HistoryEntry, type Message } from '@parley/protocol';
import type { ClientStore, StoredMessage } from '../store.ts';

/** How many of a chat's latest messages a device shares with a new device of the same user. */
export const MAX_SHARED_HISTORY = 2000;
/** JSON bytes per `history` message, well under the default 64 KB envelope limit after base64 and MLS. */
export const HISTORY_CHUNK_BYTES = 24 * 1024;

/** The messages of a log this device could read, as history entries (the newest MAX_SHARED_HISTORY). */
export function historyEntries(log: readonly StoredMessage[]): HistoryEntry[] {
  const entries: HistoryEntry[] = [];
  for (const m of log) {
    const d = m.decoded;
    if (d?.kind !== 'content' || !isPositionContent(d.content)) continue; // key-log heads too: no unreadable line left (R33)
    entries.push({ seq: m.seq, id: m.clientMsgId, senderUserId: m.senderUserId, senderDeviceId: m.senderDeviceId, sentAt: m.sentAt, content: d.content });
  }
  return entries.slice(-MAX_SHARED_HISTORY);
}

/** Splits entries into runs that each fit one message. */
export function historyChunks(entries: readonly HistoryEntry[], maxBytes = HISTORY_CHUNK_BYTES): HistoryEntry[][] {
  const chunks: HistoryEntry[][] = [];
  let current: HistoryEntry[] = [];
  let size = 0;
  for (const e of entries) {
    const bytes = JSON.stringify(e).length + 1;
    if (current.length > 0 && (size + bytes > maxBytes || current.length >= MAX_HISTORY_ENTRIES_PER_MESSAGE)) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(e);
    size += bytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/**
 * Fills messages this device could not read (sent before it joined, keys gone) from shared history.
 * An entry counts only for the log position it names: same seq, same message id, same sender as the
 * server's log says, so shared history can fill gaps but never rewrite what was said. Returns the
 * messages it changed.
 */
export function applyHistory(messages: readonly Message[], entries: ReadonlyMap<number, HistoryEntry>): StoredMessage[] {
  const changed: StoredMessage[] = [];
  for (const m of messages as readonly StoredMessage[]) {
    if (m.decoded?.kind !== 'unreadable' || (m.decoded.reason !== 'before_join' && m.decoded.reason !== 'keys_gone')) continue;
    const e = entries.get(m.seq);
    if (!e || e.id !== m.clientMsgId || e.senderUserId !== m.senderUserId || e.senderDeviceId !== m.senderDeviceId) continue;
    m.decoded = { kind: 'content', content: e.content, shared: true };
    changed.push(m);
  }
  return changed;
}

/** One chat's history this device owes one of its user's new devices. */
export interface OwedShare {
  chatId: string;
  deviceId: string;
}

const OWED_KEY = 'history-share-owed';

/**
 * The history shares this device has started and not finished (in meta `history-share-owed`): a share
 * waits for the new device to join the note-to-self group, and a restart or a network failure in that
 * time must not lose it. Resumed each time the device comes online; dropped once posted (the outbox
 * keeps it from there) or once it turns out not to be this device's job.
 */
export class OwedShares {
  readonly #store: Pick<ClientStore, 'getMeta' | 'setMeta'>;
  #writes: Promise<unknown> = Promise.resolve();

  constructor(store: Pick<ClientStore, 'getMeta' | 'setMeta'>) {
    this.#store = store;
  }

  async list(): Promise<OwedShare[]> {
    await this.#writes;
    return JSON.parse((await this.#store.getMeta(OWED_KEY)) ?? '[]') as OwedShare[];
  }

  add(share: OwedShare): Promise<void> {
    return this.#update((all) => (all.some((s) => same(s, share)) ? all : [...all, share]));
  }

  remove(share: OwedShare): Promise<void> {
    return this.#update((all) => all.filter((s) => !same(s, share)));
  }

  /** Read-modify-writes one at a time, so two shares settling together don't lose each other's change. */
  #update(change: (all: OwedShare[]) => OwedShare[]): Promise<void> {
    const run = this.#writes.then(async () => {
      const all = JSON.parse((await this.#store.getMeta(OWED_KEY)) ?? '[]') as OwedShare[];
      await this.#store.setMeta(OWED_KEY, JSON.stringify(change(all)));
    });
    this.#writes = run.catch(() => undefined);
    return run;
  }
}

const same = (a: OwedShare, b: OwedShare): boolean => a.chatId === b.chatId && a.deviceId === b.deviceId;
