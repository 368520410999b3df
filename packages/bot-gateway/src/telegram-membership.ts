import type { ParleyClient } from '@parley/client';
import type { Member } from '@parley/protocol';
import type { TelegramObjects } from './telegram-objects.ts';

type Obj = Record<string, unknown>;

const STATUS: Record<Member['role'], string> = { owner: 'creator', admin: 'administrator', member: 'member' };
/** Membership is compared at most this often (a busy chat changes many times a second). */
const SETTLE_MS = 100;

/**
 * R106: my_chat_member (the bot was added to a group or left it, or its role changed) and
 * chat_member (someone else did), from the chats the bot's device holds: each settled change is
 * compared with the membership seen before (none are made for what was there when the gateway started).
 * Who made the change is not in the chat summary: `from` is the group's owner.
 */
export class MembershipWatch {
  readonly #client: ParleyClient;
  readonly #objects: TelegramObjects;
  readonly #push: (kind: 'my_chat_member' | 'chat_member', body: Obj) => void;
  readonly #seen = new Map<string, { chat: Obj; owner: string | undefined; roles: Map<string, Member['role']> }>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running = Promise.resolve();
  #stopped = false;
  #off: (() => void) | undefined;
  readonly #onChange = () => { this.#timer ??= setTimeout(() => { this.#timer = undefined; this.#running = this.#running.then(() => this.#compare(false)).catch(() => undefined); }, SETTLE_MS); };

  constructor(client: ParleyClient, objects: TelegramObjects, push: (kind: 'my_chat_member' | 'chat_member', body: Obj) => void) {
    this.#client = client;
    this.#objects = objects;
    this.#push = push;
  }

  async start(): Promise<void> {
    await this.#compare(true);
    this.#off = this.#client.on('change', this.#onChange);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#off?.();
    clearTimeout(this.#timer);
    await this.#running;
  }

  async #compare(silent: boolean): Promise<void> {
    if (this.#stopped) return;
    const bot = this.#objects.botUserId;
    const now = new Map(this.#client.chats({ sorted: false }).filter((c) => c.kind !== 'direct').map((c) => [c.chatId, c] as const));
    const date = Math.floor(Date.now() / 1000);
    const member = async (userId: string, role: Member['role'] | undefined) => ({ status: role ? STATUS[role] : 'left', user: await this.#objects.user(userId) });
    const emit = async (chat: Obj, owner: string | undefined, userId: string, before: Member['role'] | undefined, after: Member['role'] | undefined) => {
      if (silent || before === after) return;
      this.#push(userId === bot ? 'my_chat_member' : 'chat_member', {
        chat, from: await this.#objects.user(owner ?? bot), date, old_chat_member: await member(userId, before), new_chat_member: await member(userId, after),
      });
    };
    for (const [chatId, view] of now) {
      const roles = new Map(view.members.map((m) => [m.userId, m.role] as const));
      const owner = view.members.find((m) => m.role === 'owner')?.userId;
      const chat = await this.#objects.chat(view);
      const before = this.#seen.get(chatId);
      this.#seen.set(chatId, { chat, owner, roles });
      if (!before) {
        await emit(chat, owner, bot, undefined, roles.get(bot));
        continue;
      }
      for (const userId of new Set([...before.roles.keys(), ...roles.keys()])) await emit(chat, owner, userId, before.roles.get(userId), roles.get(userId));
    }
    for (const [chatId, gone] of this.#seen) {
      if (now.has(chatId)) continue;
      this.#seen.delete(chatId);
      await emit(gone.chat, gone.owner, bot, gone.roles.get(bot) ?? 'member', undefined);
    }
  }
}
