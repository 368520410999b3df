import { useEffect, useState } from 'react';
import type { CallView, ParleyClient } from '@parley/client';
import { ErrorLine } from '../components/error-line.tsx';
import { useI18n } from '../i18n/index.ts';
import { callMediaState, MicUnavailable } from './call-errors.ts';
import { FrameCryptoUnavailable } from './frame-crypto.ts';
import { ScreenUnavailable } from './screen-share.ts';
import './calls.css'; // the banner, call buttons and bars use it before any call

// What the chat screen needs of 1:1 calls before any call exists; the call layer itself
// (call-layer.tsx) is a chunk of its own, loaded when this device has a call.

/** A call this device is in or setting up (not one only ringing in, not one over). */
export function isLive(call: CallView): boolean {
  return call.state === 'connecting' || call.state === 'active' || (call.state === 'ringing' && call.direction === 'outgoing');
}

/** This device's calls, re-read on the SDK's `calls` event; the microphone stops when none is live. */
export function useCalls(client: ParleyClient): CallView[] {
  const [calls, setCalls] = useState<CallView[]>(() => client.calls.list());
  useEffect(() => client.on('calls', (list) => {
    setCalls([...list]);
    // The 1:1 call's media code is loaded with the first call (chat-view's startCall, the call layer).
    if (!list.some(isLive) && callMediaState.loaded) void import('./call-media.ts').then((m) => m.callMedia.stop());
  }), [client]);
  return calls;
}

/** A call's error from the microphone reads as such; others as the app words them. */
export function CallError({ error }: { error: unknown }) {
  const { t } = useI18n();
  if (error instanceof MicUnavailable) return <p className="error" role="alert">{t('callMicError')}</p>;
  if (error instanceof FrameCryptoUnavailable) return <p className="error" role="alert">{t('callCryptoError')}</p>;
  if (error instanceof ScreenUnavailable) return <p className="error" role="alert">{t('callScreenError')}</p>;
  return <ErrorLine error={error} />;
}
