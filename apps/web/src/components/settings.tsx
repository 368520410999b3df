import { useEffect, useState } from 'react';
import type { ParleyClient } from '@parley/client';
import type { MeResponse } from '@parley/protocol';
import { useI18n, type Locale } from '../i18n/index.ts';
import { enableNotifications } from '../state/session.ts';
import { go } from '../state/use-client.ts';
import { ErrorLine, useAction } from './error-line.tsx';
import { LinkWithQr } from './qr.tsx';

export type Theme = 'light' | 'dark' | 'system';

export function Settings({ client, theme, setTheme, onSignOut }: {
  client: ParleyClient; theme: Theme; setTheme: (t: Theme) => void; onSignOut: () => void;
}) {
  const { t, locale, setLocale } = useI18n();
  const [me, setMe] = useState<MeResponse | undefined>();
  const [notify, setNotify] = useState(false);
  const [error, run] = useAction();
  const refresh = () => run(async () => setMe(await client.me()));
  useEffect(refresh, [client]);
  const time = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' });
  return (
    <section className="panel">
      <header className="chat-header">
        <button className="icon back" aria-label={t('back')} onClick={() => go('/')}>←</button>
        <h2>{t('settings')}</h2>
      </header>
      {me && (
        <div className="card">
          <h3>{me.user.displayName} <span className="muted">@{me.user.handle}</span></h3>
          <p className="muted">{t('myLink')}</p>
          <LinkWithQr url={`${location.origin}/#/u/${me.user.handle}`} />
        </div>
      )}
      <div className="card row">
        <label className="grow">{t('language')}
          <select value={locale} onChange={(e) => setLocale(e.target.value as Locale)}>
            <option value="en">English</option>
            <option value="ru">Русский</option>
          </select>
        </label>
        <label className="grow">{t('theme')}
          <select value={theme} onChange={(e) => setTheme(e.target.value as Theme)}>
            <option value="system">{t('themeSystem')}</option>
            <option value="light">{t('themeLight')}</option>
            <option value="dark">{t('themeDark')}</option>
          </select>
        </label>
      </div>
      <div className="card">
        <h3>{t('notifications')}</h3>
        {notify ? <p>{t('notificationsOn')}</p> : <button onClick={() => run(async () => setNotify(await enableNotifications(client)))}>{t('enableNotifications')}</button>}
      </div>
      {me && (
        <div className="card">
          <h3>{t('devices')}</h3>
          <ul className="devices">
            {me.devices.map((d) => (
              <li key={d.deviceId} data-testid="device">
                <span className="grow">
                  {d.name}{d.current ? ` · ${t('thisDevice')}` : ''}
                  <br />
                  <span className="muted small">{d.online ? t('online') : d.lastSeenAt ? t('lastSeen', { time: time.format(d.lastSeenAt) }) : time.format(d.createdAt)}</span>
                </span>
                {!d.current && (
                  <button className="small danger" onClick={() => { if (confirm(t('confirmRevoke'))) run(async () => { await client.revokeDevice(d.deviceId); await refresh(); }); }}>{t('revoke')}</button>
                )}
              </li>
            ))}
          </ul>
        </div>
      )}
      <div className="card">
        <button className="danger" onClick={onSignOut}>{t('signOut')}</button>
      </div>
      <ErrorLine error={error} />
    </section>
  );
}
