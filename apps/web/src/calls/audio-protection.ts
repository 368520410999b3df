import type { Translate } from '../i18n/index.ts';
import { audioProtection } from './frame-crypto.ts';

/** R165: the call's protection against lost packets, for the call bar's title (its details on hover). */
export function protectionText(t: Translate): string {
  const p = audioProtection();
  return t(p.copies > 0 ? 'callAudioProtected' : 'callAudioUnprotected', { count: String(p.restored) });
}
