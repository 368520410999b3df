import { ParleyError, type ChatPrefsUpdate, type ChatSummary, type Content } from '@parley/protocol';
import type { RestFn } from './session.ts';
import { withPrefs } from './chat-writer.ts';

export interface ChatLifecycleDeps {
  rest: RestFn;
  /** Whether chats are end-to-end encrypted here (group names then travel inside the chat). */
  e2ee: boolean;
  chat(chatId: string): ChatSummary | undefined;
  /** Shows a chat's new state at once (before the server confirms it). */
  show(chat: ChatSummary): void;
  /** Takes in a summary from the server and catches the chat's log up (`catchUp` false: the summary only). */
  adopt(chat: ChatSummary, catchUp?: boolean): Promise<ChatSummary>;
  post(chatId: string, content: Content): Promise<string>;
  /** Drops the chat from this device. */
  forget(chatId: string): Promise<void>;
  leave(chatId: string): Promise<void>;
}

/** How chats begin, change their look and end for this user: direct chats, groups, invites, names, one's own settings. */
export class ChatLifecycle {
  readonly #d: ChatLifecycleDeps;

  constructor(deps: ChatLifecycleDeps) {
    this.#d = deps;
  }

  async openDirect(userId: string): Promise<ChatSummary> {
    return this.#d.adopt((await this.#d.rest<{ chat: ChatSummary }>('POST', '/chats/direct', { userId })).chat);
  }

  /** With end-to-end encryption the server gets no name: it goes into the chat as encrypted content. */
  async createGroup(input: { name: string; color?: string; memberIds: string[] }): Promise<ChatSummary> {
    if (!this.#d.e2ee) return this.#d.adopt((await this.#d.rest<{ chat: ChatSummary }>('POST', '/chats', input)).chat);
    const chat = await this.#d.adopt((await this.#d.rest<{ chat: ChatSummary }>('POST', '/chats', { ...input, name: '' })).chat);
    await this.#d.post(chat.chatId, { kind: 'chat_info', name: input.name.trim(), announce: true });
    return chat;
  }

  async renameChat(chatId: string, name: string): Promise<void> {
    if (this.#d.e2ee) await this.#d.post(chatId, { kind: 'chat_info', name: name.trim() });
    else await this.#d.rest('PATCH', `/chats/${chatId}`, { name });
  }

  async leaveChat(chatId: string): Promise<void> {
    await this.#d.leave(chatId);
    await this.#d.forget(chatId);
  }

  async joinInvite(token: string): Promise<ChatSummary> {
    return this.#d.adopt((await this.#d.rest<{ chat: ChatSummary }>('POST', `/invites/${encodeURIComponent(token)}/join`)).chat);
  }

  /** R48: shown at once here; the server's answer (and the other devices' `chat` event) confirms it. */
  async setChatPrefs(chatId: string, update: ChatPrefsUpdate): Promise<void> {
    const chat = this.#d.chat(chatId);
    if (!chat) throw new ParleyError('not_member', 'unknown chat');
    this.#d.show(withPrefs(chat, update));
    const { chat: fresh } = await this.#d.rest<{ chat: ChatSummary }>('PUT', `/chats/${encodeURIComponent(chatId)}/prefs`, update);
    await this.#d.adopt(fresh, false);
  }
}
