import { decodeMlsMessage, encodeMlsMessage, type MLSMessage, type MlsMessageContent } from 'ts-mls';
import { MlsSessionError } from './errors.ts';

type Wireformat = MlsMessageContent['wireformat'];

/** Encode any MLSMessage as the TLS bytes that travel between devices. */
export function encodeMessage(message: MLSMessage): Uint8Array {
  return encodeMlsMessage(message);
}

/**
 * Decode TLS bytes into an MLSMessage of one of the expected wire formats.
 * Anything else is `mls_malformed` (not MLS at all, or trailing bytes) or `mls_unexpected_message`.
 */
export function decodeMessage<W extends Wireformat>(bytes: Uint8Array, ...expected: W[]): MLSMessage & Extract<MlsMessageContent, { wireformat: W }> {
  let decoded: [MLSMessage, number] | undefined;
  try {
    decoded = decodeMlsMessage(bytes, 0);
  } catch (e) {
    throw new MlsSessionError('mls_malformed', 'cannot decode MLS message', { cause: e });
  }
  if (decoded === undefined) throw new MlsSessionError('mls_malformed', 'cannot decode MLS message');
  const [message, length] = decoded;
  if (length !== bytes.length) throw new MlsSessionError('mls_malformed', `${bytes.length - length} trailing bytes after MLS message`);
  if (!expected.some((w) => w === message.wireformat)) {
    throw new MlsSessionError('mls_unexpected_message', `expected ${expected.join(' or ')}, got ${message.wireformat}`);
  }
  return message as MLSMessage & Extract<MlsMessageContent, { wireformat: W }>;
}
