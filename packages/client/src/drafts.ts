import type { Content } from '@parley/protocol';
import type { ClientStore } from './store.ts';

type DraftContent = Extract<Content, { kind: 'draft' }>;

interface Draft {
  text: string;
  /** When it was last typed (ms, the typing device's clock): the newest wins across devices. */
  at: number;
}

export interface DraftsDeps {
  store: Pick<ClientStore, 'getMeta' | 'setMeta'>;
  /**
   * Sends a draft to this person's other devices (through the note-to-self chat, end-to-end
   * encrypted); absent without end-to-end encryption: drafts then stay on this device.
   */
  share?: (content: DraftContent) => Promise<void>;
  onChange: (chatId: string) => void;
  now?: () => number;
  /** How long typing must pause before a draft goes to the other devices. */
  shareAfterMs?: number;
}

const META_KEY = 'drafts';

/**
 * R51: a person's unsent text per chat, kept in this device's store (sealed like the rest of it)
 * across reloads, and shared with their other devices once typing pauses, through the note-to-self
 * chat. The newest draft wins; a sent message clears it everywhere.
 */
export class Drafts {
  readonly #d: DraftsDeps;
  readonly #drafts = new Map<string, Draft>();
  readonly #timers = new Map<string, ReturnType<typeof setTimeout>>();
  #saving: Promise<void> = Promise.resolve();

  constructor(deps: DraftsDeps) {
    this.#d = deps;
  }

  async load(): Promise<void> {
    const raw = await this.#d.store.getMeta(META_KEY);
    if (!raw) return;
    try {
      for (const [chatId, draft] of Object.entries(JSON.parse(raw) as Record<string, Draft>)) this.#drafts.set(chatId, draft);
    } catch {
      // a store from before drafts were kept: nothing to load
    }
  }

  get(chatId: string): string {
    return this.#drafts.get(chatId)?.text ?? '';
  }

  /** This device typed: kept at once, shared after a pause (an empty text clears it). */
  set(chatId: string, text: string): void {
    if (this.get(chatId) === text) return;
    this.#put(chatId, { text, at: (this.#d.now ?? Date.now)() });
    this.#schedule(chatId, this.#d.shareAfterMs ?? 3000);
  }

  /** A message was sent from the chat's composer: the draft is gone, on every device. */
  clear(chatId: string): void {
    if (!this.#drafts.has(chatId)) return;
    this.#put(chatId, { text: '', at: (this.#d.now ?? Date.now)() });
    this.#schedule(chatId, 0);
  }

  /** A draft from another device of this person (only the note-to-self chat's own messages reach here). */
  take(content: DraftContent): void {
    const mine = this.#drafts.get(content.chatId);
    if (mine && mine.at >= content.at) return;
    this.#put(content.chatId, { text: content.text, at: content.at });
    this.#d.onChange(content.chatId);
  }

  stop(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }

  #put(chatId: string, draft: Draft): void {
    // A cleared draft stays (empty) with its time, so an older one from another device can't bring it back.
    this.#drafts.set(chatId, draft);
    const snapshot = JSON.stringify(Object.fromEntries([...this.#drafts].filter(([, d]) => d.text !== '')));
    this.#saving = this.#saving.then(() => this.#d.store.setMeta(META_KEY, snapshot)).catch(() => undefined);
  }

  #schedule(chatId: string, afterMs: number): void {
    const share = this.#d.share;
    if (!share) return;
    clearTimeout(this.#timers.get(chatId));
    this.#timers.set(chatId, setTimeout(() => {
      this.#timers.delete(chatId);
      const draft = this.#drafts.get(chatId);
      if (!draft) return;
      void share({ kind: 'draft', chatId, text: draft.text, at: draft.at }).catch(() => undefined);
    }, afterMs));
  }
}
