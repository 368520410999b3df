import { useEffect, useState } from 'react';
import { LIVE_UNTIL_STOPPED, type Place } from '@parley/protocol';
import { useI18n } from '../i18n/index.ts';
import { Icon } from './icons.tsx';

/** The longest a browser timer may wait (ms); a later end is looked at again then. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * R151: a place in a message (a bot's location or venue): its name, address and coordinates, and a
 * link out to OpenStreetMap. No map tiles are fetched, so showing it tells no map server who looked.
 * R157: a live one says until when it moves and when it last moved, and that it stopped or ended
 * (the card turns to "ended" by itself when its period runs out).
 */
export function PlaceCard({ place, sentAt, liveAt }: { place: Place; sentAt: number; liveAt?: number | undefined }) {
  const { t, fmt } = useI18n();
  const live = place.live;
  const endsAt = live && live.period !== LIVE_UNTIL_STOPPED ? sentAt + live.period * 1000 : undefined;
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (endsAt === undefined || live?.stopped || now > endsAt) return;
    const timer = setTimeout(() => setNow(Date.now()), Math.min(MAX_TIMER_MS, endsAt - now + 50));
    return () => clearTimeout(timer);
  }, [endsAt, live?.stopped, now]);
  const coords = `${place.lat.toFixed(5)}, ${place.lon.toFixed(5)}`;
  const href = `https://www.openstreetmap.org/?mlat=${place.lat}&mlon=${place.lon}#map=16/${place.lat}/${place.lon}`;
  const moved = fmt.time(liveAt ?? sentAt);
  const liveLine = !live ? undefined
    : live.stopped ? t('placeLiveStopped', { time: moved })
      : endsAt !== undefined && now > endsAt ? t('placeLiveEnded', { time: moved })
        : endsAt !== undefined ? t('placeLiveUntil', { time: fmt.time(endsAt), moved }) : t('placeLiveForever', { moved });
  const moving = live !== undefined && !live.stopped && (endsAt === undefined || now <= endsAt);
  return (
    <div className={moving ? 'place-card live' : 'place-card'} data-testid="place-card">
      <Icon name="place" size={20} />
      <div className="place-body">
        <strong dir="auto">{place.title ?? (live ? t('placeLive') : t('placeLocation'))}</strong>
        {place.address && <span dir="auto" className="small">{place.address}</span>}
        {liveLine && <span className={moving ? 'small place-live' : 'muted small place-live'} data-testid="place-live" data-live={moving ? 'on' : 'off'}>{liveLine}</span>}
        <span className="muted small" data-testid="place-coords">{coords}</span>
        <a href={href} target="_blank" rel="noopener noreferrer" className="small" data-testid="place-link">{t('placeOpenMap')}</a>
      </div>
    </div>
  );
}
