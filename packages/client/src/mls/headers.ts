import { bytesToBase64 } from '../encoding.ts';
import { decodeMessage } from './wire.ts';

// What the codec reads from a message's clear header on the page's thread; nothing here runs MLS
// (which may be in a worker, MlsEngine), so the page's bundle needs only ts-mls's decoders for it.

/** The group epoch a commit or application message was made in (read from its clear header). */
export function messageEpoch(bytes: Uint8Array): bigint {
  const message = decodeMessage(bytes, 'mls_private_message', 'mls_public_message');
  return message.wireformat === 'mls_private_message' ? message.privateMessage.epoch : message.publicMessage.content.epoch;
}

/** The KeyPackageRefs (base64) a Welcome is addressed to. */
export function welcomeRefs(bytes: Uint8Array): string[] {
  const w = decodeMessage(bytes, 'mls_welcome').welcome;
  return w.secrets.map((x) => bytesToBase64(x.newMember));
}

/** The group id a GroupInfo describes (a commit that starts a group brings one, R35). */
export function groupInfoGroupId(bytes: Uint8Array): Uint8Array {
  return decodeMessage(bytes, 'mls_group_info').groupInfo.groupContext.groupId;
}
