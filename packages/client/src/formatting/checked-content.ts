import { MessageContent, ParleyError, type MessageEntity } from '@parley/protocol';

/** `{ entities }` when there are any: a text without formatting carries no empty list. */
export function withEntities(entities: readonly MessageEntity[] | undefined): { entities?: MessageEntity[] } {
  return entities && entities.length > 0 ? { entities: [...entities] } : {};
}

/**
 * A person's text or edit as it will be sent, checked against the schema first (R47): the client
 * refuses to send malformed entities (or text) with `bad_request`, saying what is wrong.
 */
export function checkedContent<C extends Extract<MessageContent, { kind: 'text' | 'edit' }>>(content: C): C {
  const parsed = MessageContent.safeParse(content);
  if (!parsed.success) throw new ParleyError('bad_request', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  return content;
}
