import type { Credential } from 'ts-mls';

/** Who a leaf in a Parley group is: one device of one user. */
export interface MemberIdentity {
  readonly userId: string;
  readonly deviceId: string;
}

/**
 * A basic credential's identity is the UTF-8 of `${userId}:${deviceId}` (userId has no ':').
 * Undefined for anything else: another credential type, bad UTF-8, an empty part.
 */
export function credentialIdentity(credential: Credential): MemberIdentity | undefined {
  if (credential.credentialType !== 'basic') return undefined;
  return parseIdentity(credential.identity);
}

export function parseIdentity(bytes: Uint8Array): MemberIdentity | undefined {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
  const at = text.indexOf(':');
  if (at <= 0 || at === text.length - 1) return undefined;
  return { userId: text.slice(0, at), deviceId: text.slice(at + 1) };
}

export const memberKey = (m: MemberIdentity): string => `${m.userId}:${m.deviceId}`;
