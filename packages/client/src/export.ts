import type { ChatKind, ChatSummary, MessageEntity, Role, SystemEvent, UserProfile } from '@parley/protocol';
import type { TimelineItem } from './timeline.ts';

/**
 * A chat's history as its owner sees it, in an open, documented format (docs/EXPORT.md, schema in
 * docs/export.schema.json). Made on the device from the local timeline; nothing goes to the server.
 */
export const EXPORT_FORMAT = 'parley-chat-export' as const;
export const EXPORT_VERSION = 1 as const;

export interface ExportedPerson {
  userId: string;
  /** null when the person is no longer a member and no profile was given for them. */
  handle: string | null;
  displayName: string | null;
}

export interface ExportedMember extends ExportedPerson {
  role: Role;
}

export interface ExportedMessage {
  /** The sender's client message id: replies point at it. */
  id: string;
  /** Position in the chat's log (1, 2, 3… across every kind of entry, so numbers may skip). */
  seq: number;
  sender: ExportedPerson;
  /** ISO 8601, UTC, milliseconds: when the server committed the message. */
  sentAt: string;
  /** What was written, edits applied. null for deleted, system and unreadable messages. */
  text: string | null;
  /** The text's formatting (R47: offsets and lengths in UTF-16 code units); empty when it has none or no text. */
  entities: MessageEntity[];
  edited: boolean;
  deleted: boolean;
  /** The message could not be decrypted on the exporting device. */
  unreadable: boolean;
  replyTo: { id: string; senderUserId: string | null; text: string | null } | null;
  /** R49: forwarded from another chat: its original sender (null when they asked not to be named) and when they sent it. */
  forwarded: { from: { userId: string; displayName: string } | null; sentAt: string; channel?: { name: string } } | null;
  /** R50: pinned in the chat when it was exported. */
  pinned: boolean;
  reactions: { emoji: string; userIds: string[] }[];
  /** A change to the chat the server recorded (member added, renamed…); null for what people wrote. */
  system: SystemEvent | null;
}

export interface ChatExport {
  format: typeof EXPORT_FORMAT;
  version: typeof EXPORT_VERSION;
  exportedAt: string;
  exportedBy: { userId: string; deviceId: string };
  chat: {
    id: string;
    kind: ChatKind;
    /** The name shown for the chat: the group's name, or the other person's in a direct chat. */
    title: string;
    createdAt: string;
    members: ExportedMember[];
  };
  messages: ExportedMessage[];
  /** Reserved: files sent in the chat, once Parley has them. Always empty in version 1. */
  attachments: [];
}

export interface ExportChatInput {
  /** The chat (ParleyClient.chat() returns it with its `title`; a bare ChatSummary uses its name). */
  chat: ChatSummary & { title?: string };
  /** What the user sees: foldTimeline's output (ParleyClient.timeline()). */
  items: readonly TimelineItem[];
  exportedBy: { userId: string; deviceId: string };
  /** Profiles of people who are no longer members but appear in the history. */
  profiles?: readonly UserProfile[];
  /** Injected clock; defaults to now. */
  now?: number;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * One chat as a versioned JSON document. Only messages the server has committed are included: a
 * message still in the outbox (or failed) is not part of the chat's history yet.
 */
export function exportChat(input: ExportChatInput): ChatExport {
  const { chat } = input;
  const people = new Map<string, ExportedPerson>();
  for (const p of input.profiles ?? []) people.set(p.userId, { userId: p.userId, handle: p.handle, displayName: p.displayName });
  for (const m of chat.members) people.set(m.userId, { userId: m.userId, handle: m.handle ?? null, displayName: m.displayName });
  const person = (userId: string): ExportedPerson => people.get(userId) ?? { userId, handle: null, displayName: null };

  // A quote shows the target as it is now: edited text, and no text once the target was deleted.
  const byId = new Map(input.items.map((i) => [i.id, i]));
  const quote = (r: NonNullable<TimelineItem['replyTo']>): ExportedMessage['replyTo'] => {
    const target = byId.get(r.id);
    if (target === undefined) return { id: r.id, senderUserId: r.senderUserId || null, text: r.text || null };
    const visible = !target.deleted && target.unreadable !== true && target.system === undefined;
    return { id: r.id, senderUserId: target.senderUserId, text: visible ? target.text : null };
  };

  const messages: ExportedMessage[] = [];
  for (const item of input.items) {
    if (item.seq === null || item.chatId !== chat.chatId) continue;
    if (item.notice === 'pinned') continue; // R50: a pin is the message's `pinned`, not a message of its own
    const unreadable = item.unreadable === true;
    const hidden = item.deleted || unreadable || item.system !== undefined;
    messages.push({
      id: item.id,
      seq: item.seq,
      sender: person(item.senderUserId),
      sentAt: iso(item.sentAt),
      text: hidden ? null : item.text,
      entities: hidden ? [] : [...(item.entities ?? [])],
      edited: item.edited,
      deleted: item.deleted,
      unreadable,
      replyTo: item.replyTo && !item.deleted ? quote(item.replyTo) : null,
      forwarded: item.forwarded && !hidden ? { from: item.forwarded.from ? { ...item.forwarded.from } : null, sentAt: iso(item.forwarded.sentAt), ...(item.forwarded.channel ? { channel: { name: item.forwarded.channel.name } } : {}) } : null,
      pinned: item.pinned !== undefined,
      reactions: item.reactions.filter((r) => r.userIds.length > 0).map((r) => ({ emoji: r.emoji, userIds: [...r.userIds] })),
      system: item.system ?? null,
    });
  }

  return {
    format: EXPORT_FORMAT,
    version: EXPORT_VERSION,
    exportedAt: iso(input.now ?? Date.now()),
    exportedBy: { userId: input.exportedBy.userId, deviceId: input.exportedBy.deviceId },
    chat: {
      id: chat.chatId,
      kind: chat.kind,
      title: chat.title ?? chat.name,
      createdAt: iso(chat.createdAt),
      members: chat.members.map((m) => ({ userId: m.userId, handle: m.handle ?? null, displayName: m.displayName, role: m.role })),
    },
    messages,
    attachments: [],
  };
}

/**
 * Every chat, one document each (each file stands alone and has the one schema; a person usually
 * wants one conversation, and a zip of many files is the caller's choice).
 */
export function exportAll(input: Omit<ExportChatInput, 'chat' | 'items'> & { chats: readonly Pick<ExportChatInput, 'chat' | 'items'>[] }): ChatExport[] {
  const now = input.now ?? Date.now();
  return input.chats.map((c) => exportChat({ ...input, chat: c.chat, items: c.items, now }));
}

/** The file's text: UTF-8 JSON, two-space indented, one trailing newline. */
export function serializeExport(doc: ChatExport): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** `<chat title>-<YYYY-MM-DD>.json`, with characters that file systems refuse replaced by `_`. */
export function exportFileName(doc: ChatExport): string {
  const title = doc.chat.title.replace(/[\u0000-\u001f\u007f<>:"/\\|?*]/g, '_').replace(/^[\s._]+|[\s._]+$/g, '').slice(0, 80) || 'chat';
  return `${title}-${doc.exportedAt.slice(0, 10)}.json`;
}
