import { useEffect, useRef, useState } from 'react';
import { substreamFor, type ParleyClient } from '@parley/client';
import { Avatar, colorFor } from '../components/avatar.tsx';
import { Icon } from '../components/icons.tsx';
import { chatTitle } from '../components/system-text.ts';
import { useI18n } from '../i18n/index.ts';
import type { MessageKey } from '../i18n/en.ts';
import { CallError } from './call-state.tsx';
import { CAMERA_WIDTH, groupCallMedia, type FeedMedia } from './group-call-media.ts';
import { useGroupCall } from './use-group-call.ts';
import { groupCallPeople } from './group-call-people.ts';
import { activeSpeaker, quality, roundTrip, sampleFeeds, videoStopped, type FeedSample, type Quality, type StatsEntry } from './group-stats.ts';
import { useAction } from '../components/error-line.tsx';
import { DevicePicker } from './device-picker.tsx';
import { useSink } from './device-switch.ts';
import { ScreenShareButton } from './screen-share-button.tsx';
import { enScreen } from '../i18n/en-screen.ts';
import { ruScreen } from '../i18n/ru-screen.ts';

/** R133's texts, in this lazy chunk rather than the chat screen's. */
function screenText(locale: string, key: keyof typeof enScreen, name = ''): string {
  return (locale === 'ru' ? ruScreen : enScreen)[key].replace('{name}', name);
}

/** How often the tiles re-read getStats (speaker, quality). */
const STATS_POLL_MS = 1000;


/** Per feed: its audio level and connection quality, from the subscriber peer's stats each second. */
function useFeedStats(): { levels: Map<number, number>; qualities: Map<number, Quality>; stopped: Set<number> } {
  const [out, setOut] = useState(() => ({ levels: new Map<number, number>(), qualities: new Map<number, Quality>(), stopped: new Set<number>() }));
  const pc = groupCallMedia.subscriber;
  useEffect(() => {
    if (!pc) return;
    let prev = new Map<number, FeedSample>();
    let stopped = false;
    const read = () => pc.getStats().then((report) => {
      if (stopped) return;
      const entries = [...report.values()] as StatsEntry[];
      const feedOfMid = new Map((groupCallMedia.view?.streams ?? []).map((s) => [s.mid, s.feedId] as const));
      const now = sampleFeeds(entries, feedOfMid);
      const rtt = roundTrip(entries);
      const levels = new Map<number, number>();
      const qualities = new Map<number, Quality>();
      const noVideo = new Set<number>();
      for (const [feed, sample] of now) {
        levels.set(feed, sample.level);
        qualities.set(feed, quality(prev.get(feed), sample, rtt));
        if (videoStopped(prev.get(feed), sample)) noVideo.add(feed);
      }
      prev = now;
      setOut({ levels, qualities, stopped: noVideo });
    }, () => undefined);
    const timer = setInterval(read, STATS_POLL_MS);
    return () => { stopped = true; clearInterval(timer); };
  }, [pc]);
  return out;
}

const QUALITY_TEXT: Record<Quality, MessageKey> = { good: 'gcallQualityGood', fair: 'gcallQualityFair', poor: 'gcallQualityPoor' };

interface Tile {
  feedId: number;
  name: string;
  color: string;
  self: boolean;
  media: FeedMedia;
  /** The own camera as a stream (the remote ones come as tracks). */
  stream?: MediaStream | undefined;
  quality?: Quality | undefined;
  /** No video frame arrived lately (camera off): the avatar instead of a frozen picture. */
  videoStopped?: boolean;
  /** R133: a shared screen (its own tile, beside the sharer's camera tile). */
  screen?: boolean;
}

/** A video of one track or stream (muted: sound plays through the layer's <audio> elements). */
function TileVideo({ track, stream, label, feedId }: { track?: MediaStreamTrack | undefined; stream?: MediaStream | undefined; label: string; feedId?: number | undefined }) {
  const ref = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const src = stream ?? (track ? new MediaStream([track]) : null);
    el.srcObject = src;
  }, [track, stream]);
  // R123: a remote tile asks for the simulcast layer its size needs (speaker view's large tile the full one).
  useEffect(() => {
    const el = ref.current;
    if (!el || feedId === undefined || typeof ResizeObserver === 'undefined') return;
    const fit = () => { if (el.clientWidth > 0) groupCallMedia.setSubstream(feedId, substreamFor(el.clientWidth * (window.devicePixelRatio || 1), CAMERA_WIDTH)); };
    const observer = new ResizeObserver(fit);
    observer.observe(el);
    fit();
    return () => observer.disconnect();
  }, [feedId]);
  return <video ref={ref} autoPlay playsInline muted aria-label={label} />;
}

/** One remote participant's sound. */
function FeedAudio({ track }: { track: MediaStreamTrack }) {
  const ref = useRef<HTMLAudioElement>(null);
  useSink(ref);
  useEffect(() => { if (ref.current) ref.current.srcObject = new MediaStream([track]); }, [track]);
  return <audio ref={ref} autoPlay data-testid="gcall-audio" />;
}

function TileView({ tile, speaking, large }: { tile: Tile; speaking: boolean; large?: boolean }) {
  const { t, locale } = useI18n();
  const screen = tile.screen === true;
  const video = tile.self ? (groupCallMedia.cameraOff && !screen ? undefined : tile.stream) : undefined;
  const hasVideo = video !== undefined || (tile.media.video !== undefined && (screen || (!tile.media.video.muted && !tile.videoStopped)));
  const label = screen ? (tile.self ? t('callOwnScreen') : screenText(locale, 'gcallScreenOf', tile.name)) : tile.self ? t('callOwnVideo') : t('callRemoteVideo', { name: tile.name });
  return (
    <li className={`gcall-tile${speaking ? ' speaking' : ''}${large ? ' large' : ''}`} data-testid={screen ? 'gcall-screen' : 'gcall-tile'} data-feed={tile.feedId} data-self={tile.self || undefined} data-screen={screen || undefined}>
      {hasVideo
        ? <TileVideo track={tile.media.video} stream={video} feedId={tile.self || screen ? undefined : tile.feedId} label={label} />
        : <span className="gcall-avatar"><Avatar name={tile.name} color={tile.color} size={large ? 96 : 56} /></span>}
      <span className="gcall-name">
        {tile.self && groupCallMedia.muted && <Icon name="micOff" size={14} />}
        <span>{screen ? screenText(locale, tile.self ? 'gcallYouPresenting' : 'gcallPresenting', tile.name) : tile.name}</span>
        {tile.quality && (
          <span className={`gcall-quality ${tile.quality}`} data-testid="gcall-quality" data-quality={tile.quality} title={t(QUALITY_TEXT[tile.quality])}>
            <span className="sr-only">{t(QUALITY_TEXT[tile.quality])}</span>
          </span>
        )}
      </span>
    </li>
  );
}

let preferredLayout: 'grid' | 'speaker' = 'grid';

const tileKey = (tile: Tile): string => `${tile.feedId}${tile.screen ? ':screen' : ''}`;

/**
 * Above every screen while this tab is in a group call: the call bar (chat, count, Mute, Camera,
 * Grid/Speaker view, Leave) and the participants' tiles. It stays while the person moves between chats.
 */
export function GroupCallLayer({ client }: { client: ParleyClient }) {
  const { t } = useI18n();
  const g = useGroupCall();
  const [error, run] = useAction();
  const [layout, setLayout] = useState(preferredLayout);
  const { levels, qualities, stopped } = useFeedStats();
  const [speaker, setSpeaker] = useState<number | undefined>();
  const view = g.view;
  const chatId = g.chatId;
  const others = view?.participants ?? [];
  const otherFeeds = others.map((p) => p.feedId);
  const nextSpeaker = activeSpeaker(levels, otherFeeds, speaker);
  useEffect(() => { if (nextSpeaker !== speaker) setSpeaker(nextSpeaker); }, [nextSpeaker, speaker]);

  if (!g.live || !chatId) return error ? <div className="call-layer"><CallError error={error} /></div> : null;
  const chat = client.chat(chatId);
  const people = groupCallPeople(client, chatId)?.people ?? [];
  const feeds = g.feeds();
  const tiles: Tile[] = [];
  if (view) tiles.push({ feedId: view.feedId, name: t('gcallYou'), color: colorFor(client.userId), self: true, media: {}, stream: g.local });
  for (const p of others) {
    const person = people.find((x) => x.feedId === p.feedId);
    const name = person?.name || t('gcallSomeone');
    tiles.push({ feedId: p.feedId, name, color: colorFor(person?.userId ?? String(p.feedId)), self: false, media: feeds.get(p.feedId) ?? {}, quality: qualities.get(p.feedId), videoStopped: stopped.has(p.feedId) });
  }
  const count = tiles.length;
  // R133: shared screens come first, each in its own tile (large in speaker view), the sharer's camera stays.
  const screens: Tile[] = [];
  for (const p of others) {
    const track = feeds.get(p.feedId)?.screen;
    const tile = tiles.find((x) => !x.self && x.feedId === p.feedId);
    if (track && tile && view?.presenting.includes(p.feedId)) screens.push({ ...tile, media: { video: track }, screen: true, quality: undefined });
  }
  if (view && g.screen.sharing) screens.push({ feedId: view.feedId, name: t('gcallYou'), color: colorFor(client.userId), self: true, media: {}, stream: g.screen.stream, screen: true });
  tiles.unshift(...screens);
  const title = chat ? chatTitle(t, chat) : '';
  const speakerTile = screens[0] ?? tiles.find((x) => !x.self && x.feedId === speaker) ?? tiles[0];
  const switchLayout = () => {
    const next = layout === 'grid' ? 'speaker' : 'grid';
    preferredLayout = next;
    setLayout(next);
  };
  return (
    <div className="call-layer">
      <section className="call-bar" aria-label={t('gcallIn', { name: title })} data-testid="gcall-bar">
        <Icon name={g.media === 'video' ? 'video' : 'phone'} />
        <div className="grow call-bar-text">
          <strong>{title}</strong>
          <span className="call-state" role="status" data-testid="gcall-state">
            {!view ? t('callConnecting') : view.reconnectingSince !== undefined ? t('callReconnecting') : t('gcallCount', { count })}
          </span>
        </div>
        <button className={`icon call-mute${g.muted ? ' on' : ''}`} aria-pressed={g.muted} aria-label={t('callMute')} title={t('callMute')}
          onClick={() => g.setMuted(!g.muted)}><Icon name={g.muted ? 'micOff' : 'mic'} /></button>
        {g.media === 'video' && (
          <button className={`icon call-mute${g.cameraOff ? ' on' : ''}`} aria-pressed={g.cameraOff} aria-label={t('callCamera')} title={t('callCamera')}
            onClick={() => g.setCameraOff(!g.cameraOff)}><Icon name={g.cameraOff ? 'videoOff' : 'video'} /></button>
        )}
        {view && (
          <ScreenShareButton sharing={g.screen.sharing} onShare={() => run(() => g.shareScreen())} onStop={() => run(() => g.stopScreen())} />
        )}
        <button className="icon" aria-pressed={layout === 'speaker'} aria-label={t('gcallSpeakerView')} title={t('gcallSpeakerView')} data-testid="gcall-layout"
          onClick={switchLayout}><Icon name="speakerView" /></button>
        <DevicePicker inputs={g.inputs} video={g.media === 'video'} onError={(err) => run(() => Promise.reject(err))} />
        <button className="danger call-hangup" onClick={() => run(() => g.leave())}>
          <Icon name="phone" size={18} /><span>{t('gcallLeave')}</span>
        </button>
      </section>
      {view && (layout === 'grid' || tiles.length < 2 ? (
        <ul className="gcall-grid" data-testid="gcall-grid" data-count={Math.min(tiles.length, 9)} data-screen={screens.length > 0 || undefined} aria-label={t('gcallParticipants')}>
          {tiles.map((tile) => <TileView key={tileKey(tile)} tile={tile} large={tile.screen === true} speaking={!tile.screen && !tile.self && tile.feedId === speaker && (levels.get(tile.feedId) ?? 0) > 0.02} />)}
        </ul>
      ) : (
        <div className="gcall-speaker" data-testid="gcall-speaker">
          <ul className="gcall-main" aria-label={t('gcallSpeaking')}>
            {speakerTile && <TileView tile={speakerTile} speaking={false} large />}
          </ul>
          <ul className="gcall-strip" aria-label={t('gcallParticipants')}>
            {tiles.filter((x) => x !== speakerTile).map((tile) => <TileView key={tileKey(tile)} tile={tile} speaking={false} />)}
          </ul>
        </div>
      ))}
      {[...feeds.entries()].map(([feed, m]) => m.audio && <FeedAudio key={`${feed}:${m.audio.id}`} track={m.audio} />)}
      <CallError error={error} />
    </div>
  );
}
