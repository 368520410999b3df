/** A typing signal is shown this long after it arrives, unless a message from that person comes first. */
export const TYPING_SHOWN_MS = 5000;
/** A device repeats its typing signal at most this often while the person keeps typing. */
export const TYPING_SEND_EVERY_MS = 3000;

/**
 * Who is typing where, and when this device may signal again.
 *
 * The indicator stops at the latest TYPING_SHOWN_MS after the last signal; a typing person signals
 * at least every TYPING_SEND_EVERY_MS, so it stops at most 5 s after their last keystroke. It stops
 * at once when a message from that person arrives in the chat (the receiver decides: no "stopped"
 * frame, so senders of any version are covered).
 */
export class TypingState {
  readonly #heard = new Map<string, Map<string, number>>();
  readonly #sentAt = new Map<string, number>();
  readonly #changed: () => void;
  readonly #now: () => number;

  constructor(changed: () => void, now: () => number = Date.now) {
    this.#changed = changed;
    this.#now = now;
  }

  /** Someone typed in a chat: shown now, and gone after the display time. */
  heard(chatId: string, userId: string): void {
    let users = this.#heard.get(chatId);
    if (!users) this.#heard.set(chatId, (users = new Map()));
    users.set(userId, this.#now() + TYPING_SHOWN_MS);
    this.#changed();
    setTimeout(this.#changed, TYPING_SHOWN_MS + 50);
  }

  /** A message from the user arrived in the chat: whatever they typed is sent, they no longer type. */
  messageFrom(chatId: string, userId: string): void {
    if (this.#heard.get(chatId)?.delete(userId)) this.#changed();
  }

  /** User ids typing in the chat now. */
  who(chatId: string, now = this.#now()): string[] {
    return [...(this.#heard.get(chatId) ?? [])].filter(([, until]) => until > now).map(([id]) => id);
  }

  /** Whether this device should send a typing signal for the chat now (and notes that it does). */
  shouldSend(chatId: string, now = this.#now()): boolean {
    if (now - (this.#sentAt.get(chatId) ?? -Infinity) < TYPING_SEND_EVERY_MS) return false;
    this.#sentAt.set(chatId, now);
    return true;
  }

  /**
   * This device sent a message in the chat: the others stop showing it typing, so the first keystroke
   * of the next message signals again at once rather than up to TYPING_SEND_EVERY_MS later.
   */
  sent(chatId: string): void {
    this.#sentAt.delete(chatId);
  }
}
