import type { Place } from '@parley/protocol';
import { useI18n } from '../i18n/index.ts';
import { Icon } from './icons.tsx';

/**
 * R151: a place in a message (a bot's location or venue): its name, address and coordinates, and a
 * link out to OpenStreetMap. No map tiles are fetched, so showing it tells no map server who looked.
 */
export function PlaceCard({ place }: { place: Place }) {
  const { t } = useI18n();
  const coords = `${place.lat.toFixed(5)}, ${place.lon.toFixed(5)}`;
  const href = `https://www.openstreetmap.org/?mlat=${place.lat}&mlon=${place.lon}#map=16/${place.lat}/${place.lon}`;
  return (
    <div className="place-card" data-testid="place-card">
      <Icon name="place" size={20} />
      <div className="place-body">
        <strong dir="auto">{place.title ?? t('placeLocation')}</strong>
        {place.address && <span dir="auto" className="small">{place.address}</span>}
        <span className="muted small" data-testid="place-coords">{coords}</span>
        <a href={href} target="_blank" rel="noopener noreferrer" className="small" data-testid="place-link">{t('placeOpenMap')}</a>
      </div>
    </div>
  );
}
