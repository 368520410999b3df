import type { ChatRequest, ChatRequestsResponse, ChatSummary, ReportRequest, ServerFrame } from '@parley/protocol';
import { CodecNotReady, type ContentCodec } from './codec.ts';
import type { RestFn } from './session.ts';

/** R44: how long a direct chat's messages wait, after the other person accepted, for their devices to join its group. */
const ACCEPTED_WAIT_MS = 60_000;

/** R44: the open requests to join chats from people this user shares none with, and the answers to them. */
export class ChatRequests {
  #list: ChatRequest[] = [];
  readonly #rest: RestFn;
  readonly #changed: () => void;

  constructor(deps: { rest: RestFn; changed(): void }) {
    this.#rest = deps.rest;
    this.#changed = deps.changed;
  }

  /** Oldest first. */
  list(): readonly ChatRequest[] {
    return this.#list;
  }

  async refresh(): Promise<readonly ChatRequest[]> {
    this.#list = (await this.#rest<ChatRequestsResponse>('GET', '/requests')).requests;
    this.#changed();
    return this.#list;
  }

  /** The server's `chat_request` and `chat_request_closed` events; false for any other frame. */
  onEvent(frame: ServerFrame): boolean {
    if (frame.type === 'chat_request') this.#list = [...this.#list.filter((r) => r.requestId !== frame.request.requestId), frame.request];
    else if (frame.type === 'chat_request_closed') this.#list = this.#list.filter((r) => r.requestId !== frame.requestId);
    else return false;
    this.#changed();
    return true;
  }

  /** Joins the chat the request is for: resolves with its summary, for the client to take in. */
  async accept(requestId: string): Promise<ChatSummary> {
    const { chat } = await this.#rest<{ chat: ChatSummary }>('POST', `/requests/${encodeURIComponent(requestId)}/accept`);
    this.#list = this.#list.filter((r) => r.requestId !== requestId);
    return chat;
  }

  async decline(requestId: string): Promise<void> {
    await this.#rest('POST', `/requests/${encodeURIComponent(requestId)}/decline`);
    this.#drop((r) => r.requestId === requestId);
  }

  /** Declines, and nothing from the sender reaches this user again as a request. */
  async block(requestId: string): Promise<void> {
    const from = this.#list.find((r) => r.requestId === requestId)?.from.userId;
    await this.#rest('POST', `/requests/${encodeURIComponent(requestId)}/block`);
    this.#drop((r) => r.requestId === requestId || r.from.userId === from);
  }

  /** Declines and reports the sender to the server's operator (and blocks them with `block`). */
  async report(requestId: string, report: ReportRequest): Promise<void> {
    const from = this.#list.find((r) => r.requestId === requestId)?.from.userId;
    await this.#rest('POST', `/requests/${encodeURIComponent(requestId)}/report`, report);
    this.#drop((r) => r.requestId === requestId || (report.block === true && r.from.userId === from));
  }

  #drop(match: (r: ChatRequest) => boolean): void {
    this.#list = this.#list.filter((r) => !match(r));
    this.#changed();
  }
}

/**
 * R44: in a direct chat whose other person has not accepted yet, what is written waits (shown as
 * sending): encrypted now, it would be for this user's devices only, and the other person could
 * never read it. Once they accept, it waits (at most a minute) until their devices are in the
 * chat's group.
 */
export interface AcceptanceDeps {
  userId: string;
  chat(chatId: string): ChatSummary | undefined;
  /** The users in this device's view of the chat's encryption group; absent without end-to-end encryption. */
  groupMembers?: (chatId: string) => Promise<{ userId: string }[]>;
}

export class AcceptanceWait {
  readonly #acceptedAt = new Map<string, number>();
  readonly #d: AcceptanceDeps;

  constructor(deps: AcceptanceDeps) {
    this.#d = deps;
  }

  /** A direct chat's summary came in: notes the moment the person asked accepted. */
  adopted(chat: ChatSummary, before: ChatSummary | undefined): void {
    if (chat.kind === 'direct' && before?.requested?.some((r) => chat.members.some((m) => m.userId === r.userId))) this.#acceptedAt.set(chat.chatId, Date.now());
  }

  /** The codec, made to refuse (CodecNotReady: the outbox keeps it) while the other person can't read yet. */
  wrap(codec: ContentCodec): ContentCodec {
    const me = this.#d.userId;
    return {
      encode: async (chatId, content, options) => {
        const chat = this.#d.chat(chatId);
        if (chat?.kind === 'direct' && chat.members.length === 1 && (chat.requested ?? []).some((r) => r.userId !== me)) {
          throw new CodecNotReady('waiting for the other person to accept the chat');
        }
        const accepted = this.#acceptedAt.get(chatId);
        if (accepted !== undefined && Date.now() - accepted < ACCEPTED_WAIT_MS && this.#d.groupMembers) {
          const other = chat?.members.find((m) => m.userId !== me)?.userId;
          if (other && !(await this.#d.groupMembers(chatId)).some((m) => m.userId === other)) throw new CodecNotReady('waiting for the other person\'s devices to join');
          this.#acceptedAt.delete(chatId);
        }
        return codec.encode(chatId, content, options);
      },
      decodeBatch: (chatId, messages, own, persist) => codec.decodeBatch(chatId, messages, own, persist),
    };
  }
}
