import { z } from 'zod';

/**
 * Text formatting (R47): entities over a message's text, like the Telegram Bot API's MessageEntity.
 * `offset` and `length` count UTF-16 code units (JavaScript string indices). They travel inside the
 * encrypted content; the server never sees them.
 */

/** At most this many entities in one text (R47). */
export const MAX_ENTITIES = 1000;
/** At most this many characters in a `text_link` target (R47). */
export const MAX_ENTITY_URL_LENGTH = 2048;
/** A `pre` block's language: a short name like `ts`, `c++`, `objective-c`. */
export const MAX_ENTITY_LANGUAGE_LENGTH = 32;

/** The only URL schemes a link may have (R47); `javascript:`, `data:` and the rest never become links. */
export const LINK_SCHEMES: ReadonlySet<string> = new Set(['http:', 'https:', 'mailto:']);

/**
 * The target of a link, normalised by the WHATWG URL parser, or undefined when it may not be one:
 * not a URL, too long, with white space or control characters, or with another scheme than
 * http, https or mailto. Used by the schema and again by every renderer before it makes a link.
 */
export function safeLinkTarget(url: string): string | undefined {
  if (url.length === 0 || url.length > MAX_ENTITY_URL_LENGTH || /[\s\u0000-\u001f\u007f-\u009f]/.test(url)) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (!LINK_SCHEMES.has(parsed.protocol)) return undefined;
  if (parsed.protocol !== 'mailto:' && !parsed.hostname) return undefined;
  if (parsed.protocol === 'mailto:' && parsed.pathname.length === 0) return undefined;
  return parsed.href;
}

/** The target of a `url` entity's visible text: the text itself, or https:// in front of a bare `www.` one. */
export function urlEntityTarget(text: string): string | undefined {
  return safeLinkTarget(/^www\./i.test(text) ? `https://${text}` : text);
}

/** The handle a `mention` entity's text names (`@handle`), or undefined. */
export function mentionHandle(text: string): string | undefined {
  return /^@[a-z][a-z0-9_]{2,31}$/.test(text) ? text.slice(1) : undefined;
}

const Offset = z.number().int().min(0);
const Length = z.number().int().min(1);
const plain = <T extends string>(type: T) => z.object({ type: z.literal(type), offset: Offset, length: Length });

export const MessageEntity = z.discriminatedUnion('type', [
  plain('bold'),
  plain('italic'),
  plain('underline'),
  plain('strikethrough'),
  plain('spoiler'),
  /** Inline code: monospace, contains no other entity. */
  plain('code'),
  /** A code block, optionally naming its language; contains no other entity; only inside a blockquote. */
  z.object({
    type: z.literal('pre'), offset: Offset, length: Length,
    language: z.string().regex(/^[A-Za-z0-9_+#.-]+$/).max(MAX_ENTITY_LANGUAGE_LENGTH).optional(),
  }),
  /** A quoted block; never inside another entity. */
  plain('blockquote'),
  /** Visible text linking to `url` (http, https or mailto). */
  z.object({
    type: z.literal('text_link'), offset: Offset, length: Length,
    url: z.string().max(MAX_ENTITY_URL_LENGTH).refine((u) => safeLinkTarget(u) !== undefined, 'link: an http, https or mailto URL'),
  }),
  /** A link written out in the text (detected by the sender): the text is its target. */
  plain('url'),
  /** `@handle` in the text. */
  plain('mention'),
]);
export type MessageEntity = z.infer<typeof MessageEntity>;
export type EntityType = MessageEntity['type'];
export const ENTITY_TYPES: readonly EntityType[] = MessageEntity.options.map((o) => o.shape.type.value);

const LINK_TYPES: ReadonlySet<EntityType> = new Set(['text_link', 'url', 'mention']);

/**
 * Which of two entities over the same range is the outer one: blocks outside, links outside
 * styles, inline code innermost. Renderers nest entities in this order too.
 */
export const ENTITY_RANK: Readonly<Record<EntityType, number>> = {
  blockquote: 0, pre: 1, text_link: 2, url: 2, mention: 2, spoiler: 3, bold: 4, italic: 5, underline: 6, strikethrough: 7, code: 8,
};

/** Entities in nesting order: by offset, then the longer (outer) first, then by rank. */
export function sortEntities<E extends MessageEntity>(entities: readonly E[]): E[] {
  return [...entities].sort((a, b) => a.offset - b.offset || b.length - a.length || ENTITY_RANK[a.type] - ENTITY_RANK[b.type]);
}

const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff;
/** Whether index `i` of `text` falls between the two halves of a surrogate pair. */
const splitsPair = (text: string, i: number) => i > 0 && i < text.length && isLowSurrogate(text.charCodeAt(i));

/**
 * The first way the entities break R47 for this text, in words, or undefined when they keep it:
 * - every entity lies inside the text, is not empty and does not cut a character (surrogate pair) in two;
 * - two entities are disjoint or one contains the other (no partial overlap), no two are the same;
 * - `code` and `pre` contain no other entity; `pre` lies inside nothing but a blockquote;
 *   a blockquote lies inside nothing; a link (text_link, url, mention) lies inside no link;
 * - a `url` entity's text is a link target (http, https, mailto or `www.`), a mention's is `@handle`;
 * - at most MAX_ENTITIES.
 */
export function entitiesProblem(text: string, entities: readonly MessageEntity[]): string | undefined {
  if (entities.length > MAX_ENTITIES) return `more than ${MAX_ENTITIES} entities`;
  for (const e of entities) {
    if (e.offset + e.length > text.length) return `${e.type} at ${e.offset}+${e.length} ends after the text (${text.length})`;
    if (splitsPair(text, e.offset) || splitsPair(text, e.offset + e.length)) return `${e.type} at ${e.offset}+${e.length} cuts a character in two`;
    const covered = text.slice(e.offset, e.offset + e.length);
    if (e.type === 'url' && urlEntityTarget(covered) === undefined) return `url at ${e.offset}: its text is not an http, https or mailto link`;
    if (e.type === 'mention' && mentionHandle(covered) === undefined) return `mention at ${e.offset}: its text is not @handle`;
  }
  const stack: MessageEntity[] = [];
  let previous: MessageEntity | undefined;
  for (const e of sortEntities(entities)) {
    if (previous && previous.type === e.type && previous.offset === e.offset && previous.length === e.length) return `${e.type} at ${e.offset}+${e.length} twice`;
    previous = e;
    while (stack.length > 0 && stack[stack.length - 1]!.offset + stack[stack.length - 1]!.length <= e.offset) stack.pop();
    const parent = stack[stack.length - 1];
    if (parent && parent.offset + parent.length < e.offset + e.length) return `${parent.type} at ${parent.offset}+${parent.length} and ${e.type} at ${e.offset}+${e.length} overlap partially`;
    if (parent && (parent.type === 'code' || parent.type === 'pre')) return `${parent.type} at ${parent.offset} contains ${e.type}`;
    if (e.type === 'blockquote' && parent) return `blockquote at ${e.offset} inside ${parent.type}`;
    if (e.type === 'pre' && stack.some((a) => a.type !== 'blockquote')) return `pre at ${e.offset} inside ${parent?.type ?? ''}`;
    if (LINK_TYPES.has(e.type) && stack.some((a) => LINK_TYPES.has(a.type))) return `${e.type} at ${e.offset} inside a link`;
    stack.push(e);
  }
  return undefined;
}

/** The `entities` field of a content with text: see R47 and `entitiesProblem` for what else is checked against the text. */
export const MessageEntities = z.array(MessageEntity).max(MAX_ENTITIES);

/** Adds R47's checks of entities against the text to a schema with `text` and optional `entities`. */
export function checkEntitiesOf(value: { text: string; entities?: readonly MessageEntity[] | undefined }, ctx: z.RefinementCtx): void {
  if (!value.entities) return;
  const problem = entitiesProblem(value.text, value.entities);
  if (problem) ctx.addIssue({ code: 'custom', path: ['entities'], message: problem });
}
