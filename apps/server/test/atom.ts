import assert from 'node:assert/strict';
import { parse, validate } from 'fast-xml-parser';

/** What a feed reader takes from one Atom entry (RFC 4287): its id, title, text, date and links. */
export interface AtomEntry {
  id: string;
  title: string;
  content: string;
  updated: string;
  links: Record<string, string>[];
}

type Node = Record<string, unknown>;
const list = (x: unknown): Node[] => (x === undefined ? [] : (Array.isArray(x) ? x : [x]) as Node[]);
/** fast-xml-parser 3 leaves entities as written; a reader decodes the five XML predefines and numeric references. */
const decode = (s: unknown): string => String(s ?? '').replace(/&(#x[0-9a-f]+|#\d+|lt|gt|quot|apos|amp);/gi, (_, e: string) =>
  e[0] === '#' ? String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : Number(e.slice(1)))
    : ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' } as Record<string, string>)[e.toLowerCase()]!);
const text = (n: unknown): string => decode(typeof n === 'object' && n !== null ? (n as Node)['#text'] : n);
const attrs = (n: Node): Record<string, string> => Object.fromEntries(Object.entries(n).filter(([k]) => k.startsWith('@')).map(([k, v]) => [k.slice(1), decode(v)]));

/**
 * R99: parses a feed as a reader would: well-formed XML (a strict parse; any error fails the test), an
 * Atom `<feed>` root in its namespace, then its title and entries with every value decoded.
 */
export function parseAtom(xml: string): { title: string; links: Record<string, string>[]; entries: AtomEntry[] } {
  const valid = validate(xml);
  assert.equal(valid, true, `the feed is well-formed XML: ${JSON.stringify(valid)}`);
  const doc = parse(xml, { ignoreAttributes: false, attributeNamePrefix: '@', parseNodeValue: false, parseAttributeValue: false, trimValues: false }) as Node;
  const feed = doc.feed as Node | undefined;
  assert.ok(feed, 'the root element is <feed>');
  assert.equal(feed['@xmlns'], 'http://www.w3.org/2005/Atom');
  return {
    title: text(feed.title),
    links: list(feed.link).map(attrs),
    entries: list(feed.entry).map((e) => ({ id: text(e.id), title: text(e.title), content: text(e.content), updated: text(e.updated), links: list(e.link).map(attrs) })),
  };
}
