/**
 * What a link preview shows of a page, read from the start of its HTML: Open Graph tags first
 * (`og:title`, `og:description`, `og:site_name`, `og:image`), then `<title>` and
 * `<meta name="description">`. A small tokenizer for tags and attributes, not a DOM: the server
 * never runs or renders what it reads, and the client shows the result as text.
 */
export interface PageMeta {
  title?: string;
  description?: string;
  siteName?: string;
  /** Absolute URL (resolved against the page's). */
  image?: string;
}

export const PREVIEW_TEXT_LIMITS = { title: 300, description: 1000, siteName: 100, url: 2048 } as const;

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0', '#39': "'" };

/** Decodes the character references a title or attribute commonly holds; unknown ones stay as they are. */
export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z]{2,8}|#39);/gi, (whole, name: string) => {
    const lower = name.toLowerCase();
    if (lower.startsWith('#x') || (lower.startsWith('#') && lower !== '#39')) {
      const code = lower.startsWith('#x') ? parseInt(lower.slice(2), 16) : parseInt(lower.slice(1), 10);
      // No NUL, surrogates or beyond Unicode; control characters are dropped by clean() anyway.
      return code > 0 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff) ? String.fromCodePoint(code) : '';
    }
    return ENTITIES[lower] ?? whole;
  });
}

/** One line of plain text: entities decoded, control characters and runs of space collapsed, cut at `max`. */
function clean(raw: string | undefined, max: number): string | undefined {
  if (raw === undefined) return undefined;
  // eslint-disable-next-line no-control-regex
  const text = decodeEntities(raw).replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').replace(/\s+/g, ' ').trim();
  if (!text) return undefined;
  return [...text].length > max ? `${[...text].slice(0, max - 1).join('')}…` : text;
}

function attributes(tag: string): Map<string, string> {
  const attrs = new Map<string, string>();
  const re = /([a-zA-Z_:][-a-zA-Z0-9_:.]*)\s*(?:=\s*("([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;
  for (let m = re.exec(tag); m; m = re.exec(tag)) {
    const name = m[1]!.toLowerCase();
    if (!attrs.has(name)) attrs.set(name, m[3] ?? m[4] ?? m[5] ?? '');
  }
  return attrs;
}

export function extractMeta(html: string, pageUrl: URL): PageMeta {
  const og = new Map<string, string>();
  let description: string | undefined;
  // Only the document's head matters; a preview reads no further than its end (or the byte limit).
  const headEnd = html.search(/<\/head\s*>|<body[\s>]/i);
  const head = headEnd >= 0 ? html.slice(0, headEnd) : html;
  for (const m of head.matchAll(/<meta\b([^>]*)>/gi)) {
    const attrs = attributes(m[1] ?? '');
    const key = (attrs.get('property') ?? attrs.get('name') ?? '').toLowerCase();
    const content = attrs.get('content');
    if (content === undefined) continue;
    if (key.startsWith('og:') && !og.has(key)) og.set(key, content);
    if ((key === 'description' || key === 'twitter:description') && description === undefined) description = content;
  }
  const titleTag = /<title\b[^>]*>([\s\S]*?)<\/title\s*>/i.exec(head)?.[1];
  const meta: PageMeta = {};
  const title = clean(og.get('og:title') ?? titleTag, PREVIEW_TEXT_LIMITS.title);
  if (title) meta.title = title;
  const desc = clean(og.get('og:description') ?? description, PREVIEW_TEXT_LIMITS.description);
  if (desc) meta.description = desc;
  const site = clean(og.get('og:site_name'), PREVIEW_TEXT_LIMITS.siteName);
  if (site) meta.siteName = site;
  const image = og.get('og:image:secure_url') ?? og.get('og:image') ?? og.get('og:image:url');
  if (image) {
    try {
      const url = new URL(decodeEntities(image.trim()), pageUrl);
      if ((url.protocol === 'https:' || url.protocol === 'http:') && url.href.length <= PREVIEW_TEXT_LIMITS.url) meta.image = url.href;
    } catch {
      // not a URL: no image
    }
  }
  return meta;
}
