import type { ChatSummary, Content, ServerFrameOf } from '@parley/protocol';
import type { ChatViews } from './chat-views.ts';
import type { BackgroundError, ClientOptions, Emit } from './client-options.ts';
import type { ClientRest } from './client-rest.ts';
import type { Connection } from './connection.ts';
import type { KeyParts } from './e2ee/key-parts.ts';
import type { LogSync } from './log-sync.ts';
import type { AddOptions } from './outbox.ts';
import type { RestFn } from './session.ts';
import type { TimelineItem } from './timeline.ts';

/**
 * The client's internals as its parts see them: ParleyClient makes one in its constructor and hands
 * it to the factories of its parts (send-parts.ts, feature-parts.ts, server-events.ts), as it hands
 * KeyPartsHost to key-parts.ts.
 */
export interface ClientCore {
  options: ClientOptions;
  /** The client's REST calls as this device (its userId and deviceId, getChat, turnCredentials…). */
  api: ClientRest;
  rest: RestFn;
  token(fresh: boolean): Promise<string>;
  conn: Connection;
  /** The client was stopped: background work ends. */
  stopped(): boolean;
  sync: LogSync;
  chats: Map<string, ChatSummary>;
  keys: KeyParts;
  views(): ChatViews;
  timeline(chatId: string): TimelineItem[];
  /** One page of a chat's log (R40: asked again after a `rate_limited`). */
  history(chatId: string, q: { afterSeq?: number; beforeSeq?: number; limit: number }): Promise<ServerFrameOf<'history'>>;
  /** Takes in a chat summary and (unless `catchUp` is false) catches its log up. */
  adopt(chat: ChatSummary, catchUp?: boolean): Promise<ChatSummary>;
  /** Puts content in the chat's outbox. */
  post(chatId: string, content: Content, opts?: AddOptions): Promise<string>;
  emit: Emit;
  changed(chatId?: string): void;
  backgroundError(error: BackgroundError): void;
}
