import { Suspense, lazy, type CSSProperties } from 'react';
import type { ChatView, ParleyClient } from '@parley/client';
import { Icon } from './icons.tsx';

/** The server's palette: members without a chat colour get one picked from their id. */
export const PALETTE = ['#e57373', '#f06292', '#ba68c8', '#7986cb', '#4fc3f7', '#4db6ac', '#81c784', '#ffb74d', '#a1887f', '#90a4ae'] as const;

export function colorFor(id: string): string {
  let hash = 0;
  for (const ch of id) hash = (hash * 31 + ch.charCodeAt(0)) | 0;
  return PALETTE[Math.abs(hash) % PALETTE.length] ?? '#90a4ae';
}

const luminance = (rgb: readonly number[]) => {
  const [r = 0, g = 0, b = 0] = rgb.map((v) => (v / 255 <= 0.03928 ? v / 255 / 12.92 : ((v / 255 + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
};
const contrast = (a: readonly number[], b: readonly number[]) => {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
};
const rgbOf = (hex: string) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) || 0);
const hexOf = (rgb: readonly number[]) => `#${rgb.map((v) => Math.round(v).toString(16).padStart(2, '0')).join('')}`;
/** The colour mixed toward `target` just enough to read at 4.5:1 on `bg`. */
function readableOn(hex: string, target: readonly number[], bg: readonly number[]): string {
  const rgb = rgbOf(hex);
  for (let t = 0; t <= 1; t += 0.05) {
    const mixed = rgb.map((v, i) => v + ((target[i] ?? 0) - v) * t);
    if (contrast(mixed, bg) >= 4.6) return hexOf(mixed);
  }
  return hexOf(target);
}
const readable = new Map<string, { light: string; dark: string }>();

/**
 * A person's colour as text on the other side's bubble (white in the light theme, #20242c in the
 * dark): darkened or lightened as little as it takes to stay readable. Set as CSS variables the theme picks from.
 */
export function textColorVars(hex: string): CSSProperties {
  let pair = readable.get(hex);
  if (!pair) readable.set(hex, (pair = { light: readableOn(hex, [0, 0, 0], [255, 255, 255]), dark: readableOn(hex, [255, 255, 255], rgbOf('#20242c')) }));
  return { '--sender-light': pair.light, '--sender-dark': pair.dark } as CSSProperties;
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

// R143: a bot's avatar picture, in the bots' chunk (loaded only where a direct chat's bot has one).
const BotPicture = lazy(async () => ({ default: (await import('../bots/bot-avatar.tsx')).BotPicture }));

/** A chat's picture: the note-to-self chat ("Saved messages") has a bookmark, not the user's initials; a direct chat with a bot, its avatar (R143). */
export function ChatAvatar({ chat, size = 40, client }: { chat: Pick<ChatView, 'title' | 'color' | 'noteToSelf' | 'community' | 'kind' | 'members'>; size?: number; client?: ParleyClient }) {
  const bot = client && chat.kind === 'direct' ? chat.members.find((m) => m.botAvatar) : undefined;
  if (bot?.botAvatar && client) {
    const letter = <Avatar name={chat.title} color={chat.color} size={size} />;
    return <Suspense fallback={letter}><BotPicture client={client} botId={bot.userId} blobId={bot.botAvatar} size={size} fallback={letter} /></Suspense>;
  }
  // R112: a private channel looks like a channel in the list, as public ones do (channel-rows.tsx).
  if (chat.community?.channel) {
    return <span className="avatar community-avatar" style={{ width: size, height: size }} aria-hidden="true"><Icon name="megaphone" size={Math.round(size * 0.5)} /></span>;
  }
  if (!chat.noteToSelf) return <Avatar name={chat.title} color={chat.color} size={size} />;
  return (
    <span className="avatar saved" style={{ width: size, height: size }} aria-hidden="true">
      <Icon name="bookmark" size={Math.round(size * 0.5)} />
    </span>
  );
}
