import { entitiesProblem, MessageEntities, sortEntities, type MessageEntity } from '@parley/protocol';

/** A formatted text as a tree: plain runs, and entities holding what they cover. */
export type FormattedNode =
  | { kind: 'text'; text: string }
  | { kind: 'entity'; entity: MessageEntity; /** the plain text it covers */ text: string; children: FormattedNode[] };

/**
 * The tree of a text and its entities (R47), for renderers: nested in the schema's order (blocks
 * outside, inline code innermost). Entities that break R47 are not trusted at all: the whole text
 * is then one plain run, as a received message with malformed entities is shown.
 */
export function formattedTree(text: string, entities: readonly MessageEntity[] | undefined): FormattedNode[] {
  if (!entities || entities.length === 0 || !MessageEntities.safeParse(entities).success || entitiesProblem(text, entities) !== undefined) return text ? [{ kind: 'text', text }] : [];
  interface Open { end: number; children: FormattedNode[] }
  const root: Open = { end: text.length, children: [] };
  const stack: Open[] = [root];
  let at = 0;
  const plain = (to: number) => {
    if (to > at) stack[stack.length - 1]!.children.push({ kind: 'text', text: text.slice(at, to) });
    at = Math.max(at, to);
  };
  const close = () => {
    plain(stack[stack.length - 1]!.end);
    stack.pop();
  };
  for (const entity of sortEntities(entities)) {
    while (stack.length > 1 && stack[stack.length - 1]!.end <= entity.offset) close();
    plain(entity.offset);
    const node: FormattedNode = { kind: 'entity', entity, text: text.slice(entity.offset, entity.offset + entity.length), children: [] };
    stack[stack.length - 1]!.children.push(node);
    stack.push({ end: entity.offset + entity.length, children: node.children });
  }
  while (stack.length > 1) close();
  plain(text.length);
  return root.children;
}
