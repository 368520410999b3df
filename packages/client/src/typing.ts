const TYPING_SHOWN_MS = 5000;
const TYPING_SEND_EVERY_MS = 3000;

/** Who is typing where (shown 5 s after their last signal), and when this device may signal again (every 3 s). */
export class TypingState {
  readonly #heard = new Map<string, Map<string, number>>();
  readonly #sentAt = new Map<string, number>();
  readonly #changed: () => void;

  constructor(changed: () => void) {
    this.#changed = changed;
  }

  /** Someone typed in a chat: shown now, and gone after the display time. */
  heard(chatId: string, userId: string): void {
    let users = this.#heard.get(chatId);
    if (!users) this.#heard.set(chatId, (users = new Map()));
    users.set(userId, Date.now() + TYPING_SHOWN_MS);
    this.#changed();
    setTimeout(this.#changed, TYPING_SHOWN_MS + 50);
  }

  /** User ids typing in the chat now. */
  who(chatId: string, now = Date.now()): string[] {
    return [...(this.#heard.get(chatId) ?? [])].filter(([, until]) => until > now).map(([id]) => id);
  }

  /** Whether this device should send a typing signal for the chat now (and notes that it does). */
  shouldSend(chatId: string, now = Date.now()): boolean {
    if (now - (this.#sentAt.get(chatId) ?? 0) < TYPING_SEND_EVERY_MS) return false;
    this.#sentAt.set(chatId, now);
    return true;
  }
}
