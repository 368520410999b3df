import type { ChatView } from '@parley/client';
import { Icon } from './icons.tsx';

/** The server's palette: members without a chat colour get one picked from their id. */
export const PALETTE = ['#e57373', '#f06292', '#ba68c8', '#7986cb', '#4fc3f7', '#4db6ac', '#81c784', '#ffb74d', '#a1887f', '#90a4ae'] as const;

export function colorFor(id: string): string {
  let hash = 0;
  for (const ch of id) hash = (hash * 31 + ch.charCodeAt(0)) | 0;
  return PALETTE[Math.abs(hash) % PALETTE.length] ?? '#90a4ae';
}

export function initials(name: string): string {
  return name.split(/\s+/).filter(Boolean).slice(0, 2).map((w) => [...w][0]?.toLocaleUpperCase() ?? '').join('') || '?';
}

export function Avatar({ name, color, size = 40 }: { name: string; color: string; size?: number }) {
  return (
    <span className="avatar" style={{ background: color, width: size, height: size, fontSize: Math.round(size * 0.4) }} aria-hidden="true">
      {initials(name)}
    </span>
  );
}

/** A chat's picture: the note-to-self chat ("Saved messages") has a bookmark, not the user's initials. */
export function ChatAvatar({ chat, size = 40 }: { chat: Pick<ChatView, 'title' | 'color' | 'noteToSelf'>; size?: number }) {
  if (!chat.noteToSelf) return <Avatar name={chat.title} color={chat.color} size={size} />;
  return (
    <span className="avatar saved" style={{ width: size, height: size }} aria-hidden="true">
      <Icon name="bookmark" size={Math.round(size * 0.5)} />
    </span>
  );
}
