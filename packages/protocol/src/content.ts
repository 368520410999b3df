import { z } from 'zod';
import { ClientMsgId } from './common.ts';

/**
 * What a person wrote, inside the envelope. The server never sees this type: the client encodes
 * it with a codec (plaintext today, MLS later) into `Envelope.payload`. Edits, deletions and
 * reactions are entries of the log like any message, pointing at their target's client id, so
 * they stay end-to-end encryptable and keep the log's order.
 */
export const Content = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('text'), text: z.string().min(1).max(16_000), replyTo: ClientMsgId.optional() }),
  z.object({ kind: z.literal('edit'), target: ClientMsgId, text: z.string().min(1).max(16_000) }),
  z.object({ kind: z.literal('delete'), target: ClientMsgId }),
  z.object({ kind: z.literal('reaction'), target: ClientMsgId, emoji: z.string().min(1).max(16), on: z.boolean() }),
]);
export type Content = z.infer<typeof Content>;

export const PLAIN_CONTENT_TYPE = 'parley/plain+json';
