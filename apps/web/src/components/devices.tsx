import type { DeviceInfo } from '@parley/protocol';
import { useI18n } from '../i18n/index.ts';

/** This account's devices; any other one can be signed out from here. */
export function Devices({ devices, onRevoke }: { devices: readonly DeviceInfo[]; onRevoke: (device: DeviceInfo) => void }) {
  const { t, fmt } = useI18n();
  const sorted = [...devices].sort((a, b) => Number(b.current) - Number(a.current) || (b.lastSeenAt ?? b.createdAt) - (a.lastSeenAt ?? a.createdAt));
  return (
    <ul className="devices">
      {sorted.map((d) => (
        <li key={d.deviceId} data-testid="device">
          <span className="device-icon" aria-hidden="true">{/Android|iOS/.test(d.name) ? '📱' : '💻'}</span>
          <span className="grow">
            {d.name}{d.current && <span className="tag">{t('thisDevice')}</span>}
            <br />
            <span className="muted small">
              {t('addedOn', { time: fmt.dateTime(d.createdAt) })}
              {' · '}
              {d.online || d.current ? t('online') : d.lastSeenAt ? t('lastSeen', { time: fmt.dateTime(d.lastSeenAt) }) : ''}
            </span>
          </span>
          {!d.current && (
            <button className="small danger" aria-label={`${t('revoke')}: ${d.name}`} onClick={() => { if (confirm(t('confirmRevoke'))) onRevoke(d); }}>
              {t('revoke')}
            </button>
          )}
        </li>
      ))}
    </ul>
  );
}
