import { Content, PLAIN_CONTENT_TYPE, type Envelope } from '@parley/protocol';
import { base64ToBytes, bytesToBase64 } from './encoding.ts';

/**
 * Turns what a person wrote into the opaque envelope the server carries, and back. The plaintext
 * codec is the placeholder until end-to-end encryption: the MLS codec will implement this same
 * interface (per chat), and nothing else in the SDK or server changes.
 */
export interface ContentCodec {
  encode(chatId: string, content: Content): Promise<Envelope>;
  /** Returns undefined for an envelope it cannot read (unknown type, corrupt, undecryptable). */
  decode(chatId: string, envelope: Envelope): Promise<Content | undefined>;
}

/** NOT encrypted: JSON in base64. The server stores it as bytes and never parses it. */
export class PlaintextCodec implements ContentCodec {
  async encode(_chatId: string, content: Content): Promise<Envelope> {
    return { contentType: PLAIN_CONTENT_TYPE, payload: bytesToBase64(new TextEncoder().encode(JSON.stringify(content))) };
  }

  async decode(_chatId: string, envelope: Envelope): Promise<Content | undefined> {
    if (envelope.contentType !== PLAIN_CONTENT_TYPE) return undefined;
    try {
      const parsed = Content.safeParse(JSON.parse(new TextDecoder().decode(base64ToBytes(envelope.payload))));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }
}
