import { useEffect, useReducer, useRef, useState } from 'react';
import type { CallView, ParleyClient } from '@parley/client';
import { useRingTone } from './ring-tone.ts';
import { useAction } from '../components/error-line.tsx';
import { Icon } from '../components/icons.tsx';
import { useI18n, type Translate } from '../i18n/index.ts';
import type { MessageKey } from '../i18n/en.ts';
import { acceptCall, callMedia } from './call-media.ts';
import { onUndecryptable } from './frame-crypto.ts';
import { useCallPath, type CallPath } from './call-path.ts';
import { tellOtherTabs, useHandledElsewhere } from './other-tabs.ts';
import { DevicePicker } from './device-picker.tsx';
import { useSink } from './device-switch.ts';
import { ScreenShareButton } from './screen-share-button.tsx';
import { useVideoArriving } from './remote-video.ts';
import { useGroupCall } from './use-group-call.ts';
import { CallError, isLive, useCalls } from './call-state.tsx';

/** How long "Call declined" and the like stay above the app after a call ends. */
const ENDED_SHOWN_MS = 4000;
/** What ended a call, where it was not this person's own doing (hanging up, declining, another device). */
function endedText(call: CallView): MessageKey | undefined {
  const outgoing = call.direction === 'outgoing';
  switch (call.endReason) {
    case 'remote_hangup': return 'callEnded';
    case 'declined': return outgoing ? 'callDeclinedByOther' : undefined;
    case 'missed': return outgoing ? 'callNoAnswer' : 'callMissed';
    case 'failed': return 'callFailed';
    case 'connection_lost': return 'callConnectionLost'; // R102: no media path for CALL_RECONNECT_MS
    default: return undefined;
  }
}

function peerName(client: ParleyClient, call: CallView): string {
  const chat = client.chat(call.chatId);
  return chat?.members.find((m) => m.userId === call.peerUserId)?.displayName ?? chat?.title ?? '';
}

function duration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(h > 0 ? 2 : 1, '0');
  return `${h > 0 ? `${h}:` : ''}${mm}:${String(s % 60).padStart(2, '0')}`;
}

function stateText(t: Translate, call: CallView, now: number): string {
  if (call.state === 'ringing') return t('callRingingOut');
  if (call.state === 'connecting' || call.connectedAt === undefined) return t('callConnecting');
  if (call.reconnectingSince !== undefined) return t('callReconnecting'); // R102: the SDK restarts ICE meanwhile
  return duration(now - call.connectedAt);
}

const PATH_TEXT: Record<CallPath, MessageKey> = {
  direct: 'callPathDirect', 'relay-udp': 'callPathRelayUdp', 'relay-tcp': 'callPathRelayTcp', 'relay-tls': 'callPathRelayTls',
};

/**
 * Above everything in the signed-in app, whatever screen is open: a call ringing in (name, Accept,
 * Decline) and the bar of the call in progress (name, state or duration, Mute, Hang up), with the
 * <audio> that plays the other person. It stays while the person moves between chats.
 */
export function CallLayer({ client }: { client: ParleyClient }) {
  const { t } = useI18n();
  const calls = useCalls(client);
  const [, bump] = useReducer((n: number) => n + 1, 0);
  useEffect(() => callMedia.on(bump), []);
  const [undecryptable, setUndecryptable] = useState(false);
  useEffect(() => onUndecryptable(setUndecryptable), []);
  const [error, run] = useAction();
  const audio = useRef<HTMLAudioElement>(null);
  useSink(audio);
  // Accepting removes the button that had the focus: it moves to the bar's Hang up, not to nowhere.
  const hangUp = useRef<HTMLButtonElement>(null);
  const [focusBar, setFocusBar] = useState(false);
  const live = calls.find(isLive);
  const elsewhere = useHandledElsewhere();
  const group = useGroupCall(); // R124: a 1:1 call rings during a group call; answering leaves the group call first
  const ringing = live ? [] : calls.filter((c) => c.direction === 'incoming' && c.state === 'ringing' && !elsewhere.has(c.callId));
  // The ring's sound: a call ringing in (not in a chat this person muted, R48), or the caller's ringback.
  const audible = ringing.some((c) => (client.chat(c.chatId)?.prefs?.mutedUntil ?? 0) <= Date.now());
  useRingTone(audible ? 'incoming' : live?.direction === 'outgoing' && live.state === 'ringing' ? 'ringback' : undefined);
  const remote = callMedia.remote;
  const [now, setNow] = useState(Date.now);
  const active = live?.state === 'active';
  const path = useCallPath(live?.peer, active);
  const screenIn = useVideoArriving(live?.peer, active && live?.media === 'audio'); // R103: the other side shares a screen
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [active]);
  // A call that just ended other than by this person's hand says how, for a few seconds.
  const [shownEnd, setShownEnd] = useState<CallView | undefined>();
  const lastEnded = calls.filter((c) => c.state === 'ended' && c.endedAt !== undefined && endedText(c) !== undefined)
    .sort((a, b) => (b.endedAt ?? 0) - (a.endedAt ?? 0))[0];
  useEffect(() => {
    if (!lastEnded || Date.now() - (lastEnded.endedAt ?? 0) > ENDED_SHOWN_MS) return;
    setShownEnd(lastEnded);
    const timer = setTimeout(() => setShownEnd(undefined), ENDED_SHOWN_MS);
    return () => clearTimeout(timer);
  }, [lastEnded]);
  const hasBar = live !== undefined;
  useEffect(() => {
    if (!focusBar || !hasBar) return;
    hangUp.current?.focus();
    setFocusBar(false);
  }, [focusBar, hasBar]);
  useEffect(() => {
    if (audio.current && audio.current.srcObject !== (remote ?? null)) audio.current.srcObject = remote ?? null;
  }, [remote, hasBar]); // and when the <audio> is (re)mounted with the bar

  const endText = !live && shownEnd ? endedText(shownEnd) : undefined;
  if (!live && ringing.length === 0 && !endText) return error ? <div className="call-layer"><CallError error={error} /></div> : null;
  return (
    <div className="call-layer">
      {ringing.map((call) => {
        const name = peerName(client, call);
        const text = t(call.media === 'video' ? 'callIncomingVideoFrom' : 'callIncomingFrom', { name });
        return (
          <section key={call.callId} className="call-incoming" aria-label={text} data-testid="call-incoming">
            <Icon name={call.media === 'video' ? 'video' : 'phone'} />
            <p className="grow" role="alert">{text}</p>
            <button className="call-accept" onClick={() => {
              tellOtherTabs(call.callId);
              setFocusBar(true);
              run(async () => { if (group.live) await group.leave(); await acceptCall(client, call.callId); });
            }}>{t(group.live ? 'callAcceptLeavingGroup' : 'callAccept')}</button>
            <button className="danger" onClick={() => { tellOtherTabs(call.callId); run(() => client.calls.decline(call.callId)); }}>{t('callDecline')}</button>
          </section>
        );
      })}
      {live && (
        <section className="call-bar" aria-label={t('callWith', { name: peerName(client, live) })} data-testid="call-bar">
          <Icon name={live.media === 'video' ? 'video' : 'phone'} />
          <div className="grow call-bar-text">
            <strong>{peerName(client, live)}</strong>
            <span className={`call-state${live.reconnectingSince !== undefined ? ' reconnecting' : ''}`} role="status" data-testid="call-state">{stateText(t, live, Math.max(now, live.connectedAt ?? 0))}</span>
            {live.frameEpoch !== undefined && <span className="call-e2ee" data-testid="call-e2ee">{t('callEncrypted')}</span>}
            {active && path && <span className="call-path" data-testid="call-path">{t(PATH_TEXT[path])}</span>}
          </div>
          <button className={`icon call-mute${callMedia.muted ? ' on' : ''}`} aria-pressed={callMedia.muted} aria-label={t('callMute')} title={t('callMute')}
            onClick={() => callMedia.setMuted(!callMedia.muted)}><Icon name={callMedia.muted ? 'micOff' : 'mic'} /></button>
          {live.media === 'video' && (
            <button className={`icon call-mute${callMedia.cameraOff ? ' on' : ''}`} aria-pressed={callMedia.cameraOff} aria-label={t('callCamera')} title={t('callCamera')}
              onClick={() => callMedia.setCameraOff(!callMedia.cameraOff)}><Icon name={callMedia.cameraOff ? 'videoOff' : 'video'} /></button>
          )}
          {active && callMedia.canShare && (
            <ScreenShareButton sharing={callMedia.screen.sharing} onShare={() => run(() => callMedia.shareScreen())} onStop={() => run(() => callMedia.stopScreen())} />
          )}
          <DevicePicker inputs={callMedia.inputs} video={live.media === 'video'} onError={(err) => run(() => Promise.reject(err))} />
          <button ref={hangUp} className="danger call-hangup" onClick={() => run(() => client.calls.hangUp(live.callId))}>
            <Icon name="phone" size={18} /><span>{t('callHangUp')}</span>
          </button>
        </section>
      )}
      {endText && ringing.length === 0 && shownEnd && (
        <p className="call-ended" role="status" data-testid="call-ended">{peerName(client, shownEnd)} · {t(endText)}</p>
      )}
      {live && undecryptable && <p className="error" role="alert" data-testid="call-undecryptable">{t('callUndecryptable', { name: peerName(client, live) })}</p>}
      {live && callMedia.screen.sharing && <p className="call-sharing" role="status" data-testid="call-sharing">{t('callSharingScreen')}</p>}
      {live && (live.media === 'video' || screenIn || callMedia.screen.sharing) && <CallVideo remote={remote} local={callMedia.local} name={peerName(client, live)} />}
      <audio ref={audio} autoPlay data-testid="call-audio" />
      <CallError error={error} />
    </div>
  );
}

/** A video element showing a stream (muted: the call's sound plays through the layer's <audio>). */
function StreamVideo({ stream, label, className }: { stream: MediaStream | undefined; label: string; className: string }) {
  const ref = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    if (ref.current && ref.current.srcObject !== (stream ?? null)) ref.current.srcObject = stream ?? null;
  }, [stream]);
  return <video ref={ref} className={className} autoPlay playsInline muted aria-label={label} />;
}

/** The other person's camera, large, with this device's own in a corner. */
function CallVideo({ remote, local, name }: { remote: MediaStream | undefined; local: MediaStream | undefined; name: string }) {
  const { t } = useI18n();
  return (
    <div className="call-video" data-testid="call-video">
      <StreamVideo stream={remote} label={t('callRemoteVideo', { name })} className="call-video-remote" />
      {local && <StreamVideo stream={local} label={t(callMedia.screen.sharing ? 'callOwnScreen' : 'callOwnVideo')} className="call-video-local" />}
    </div>
  );
}
