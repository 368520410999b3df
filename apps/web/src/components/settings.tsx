import { Suspense, lazy, useCallback, useEffect, useRef, useState } from 'react';
import type { ParleyClient } from '@parley/client';
import type { MeResponse } from '@parley/protocol';
import { useChunkI18n } from '../i18n/chunk-text.ts';
import { enSettings } from '../i18n/en-settings.ts';
import { ruSettings } from '../i18n/ru-settings.ts';
import { enableNotifications, notificationStatus, type NotificationStatus } from '../state/session.ts';
import { useDeviceWatch } from '../state/device-watch.ts';
import { loadTextSize, setTextSize, type TextSize, type Theme } from '../state/theme.ts';
import { Avatar, colorFor } from './avatar.tsx';
import { DeviceLinkPrompts } from './device-link-prompts.tsx';
import { Devices } from './devices.tsx';
import { ErrorLine, useAction } from './error-line.tsx';
import { forwardNameOn, setForwardNameOn } from './forward-privacy.ts';
import { LanguagePicker } from './language-picker.tsx';
import { linkPreviewsOn, setLinkPreviewsOn } from './link-preview.tsx';
import { PanelHeader } from './panel-header.tsx';
import { PasskeysCard } from './passkeys-card.tsx';
import { LinkWithQr } from './qr.tsx';
import { StorageCard } from '../files/storage-card.tsx';
import { relayCallsOn, setRelayCallsOn } from '../calls/relay-setting.ts';
import { RingSetting } from '../calls/ring-setting.tsx';

// R90, R108: Settings → Bots, a chunk of its own (most people own no bot).
const BotsCard = lazy(async () => ({ default: (await import('../bots/bots-card.tsx')).BotsCard }));

export function Settings({ client, theme, setTheme, onSignOut }: {
  client: ParleyClient; theme: Theme; setTheme: (t: Theme) => void; onSignOut: () => void;
}) {
  const { t } = useChunkI18n(enSettings, ruSettings);
  const [me, setMe] = useState<MeResponse | undefined>();
  const [notify, setNotify] = useState<NotificationStatus | undefined>();
  const [textSize, setTextSizeState] = useState<TextSize>(loadTextSize);
  const [previews, setPreviews] = useState(linkPreviewsOn);
  const [forwardName, setForwardName] = useState(forwardNameOn);
  const [relayCalls, setRelayCalls] = useState(relayCallsOn);
  const [hasRelay, setHasRelay] = useState(true);
  useEffect(() => { client.serverInfo().then((info) => setHasRelay(info.calls?.turn === true), () => {}); }, [client]);
  const [error, run, busy] = useAction();
  const watch = useDeviceWatch(client);
  const refresh = useCallback(() => run(async () => setMe(await client.me())), [client, run]);
  useEffect(refresh, [refresh]);
  useEffect(() => { notificationStatus().then(setNotify, () => setNotify('unsupported')); }, []);
  // #/settings/devices (from a key log alert, R31): straight to the list where a device is signed out.
  const devicesCard = useRef<HTMLDivElement>(null);
  const toDevices = me !== undefined && location.hash.endsWith('/devices');
  useEffect(() => { if (toDevices) devicesCard.current?.scrollIntoView({ block: 'start' }); }, [toDevices]);

  return (
    <section className="panel">
      <PanelHeader title={t('settings')} />
      {me && (
        <div className="card center">
          <Avatar name={me.user.displayName} color={colorFor(me.user.userId)} size={64} />
          <h3>{me.user.displayName}</h3>
          <span className="muted">@{me.user.handle}</span>
          <p className="muted small">{t('myLink')}</p>
          <LinkWithQr url={`${location.origin}/#/u/${me.user.handle}`} />
        </div>
      )}
      <div className="card row">
        <label className="grow">{t('language')}<LanguagePicker /></label>
        <label className="grow">{t('textSize')}
          <select value={textSize} onChange={(e) => { const size = e.target.value as TextSize; setTextSize(size); setTextSizeState(size); }}>
            <option value="normal">{t('textNormal')}</option>
            <option value="large">{t('textLarge')}</option>
            <option value="larger">{t('textLarger')}</option>
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
        <label className="check">
          <input type="checkbox" checked={previews} data-testid="link-previews-setting"
            onChange={(e) => { setLinkPreviewsOn(e.target.checked); setPreviews(e.target.checked); }} />
          <span>{t('linkPreviews')}</span>
        </label>
        <p className="muted small">{t('linkPreviewsHelp')}</p>
      </div>
      <div className="card">
        <label className="check">
          <input type="checkbox" checked={forwardName} data-testid="forward-name-setting" aria-describedby="forward-name-help"
            onChange={(e) => { setForwardNameOn(e.target.checked); setForwardName(e.target.checked); }} />
          <span>{t('forwardName')}</span>
        </label>
        <p className="muted small" id="forward-name-help">{t('forwardNameHelp')}</p>
      </div>
      <div className="card">
        <label className="check">
          <input type="checkbox" checked={relayCalls} data-testid="relay-calls-setting" aria-describedby="relay-calls-help" disabled={!hasRelay && !relayCalls}
            onChange={(e) => { setRelayCallsOn(e.target.checked); setRelayCalls(e.target.checked); }} />
          <span>{t('relayCalls')}</span>
        </label>
        <p className="muted small" id="relay-calls-help">{t(hasRelay ? 'relayCallsHelp' : 'relayCallsNone')}</p>
      </div>
      <div className="card">
        <h3>{t('notifications')}</h3>
        {notify === 'on' && <p>{t('notificationsOn')}</p>}
        {notify === 'denied' && <p className="muted">{t('notificationsDenied')}</p>}
        {notify === 'unsupported' && <p className="muted">{t('notificationsUnsupported')}</p>}
        {notify === 'off' && (
          <button disabled={busy} onClick={() => run(async () => setNotify(await enableNotifications(client)))}>{t('enableNotifications')}</button>
        )}
        {notify !== undefined && notify !== 'unsupported' && <RingSetting client={client} run={run} busy={busy} onStatus={setNotify} />}
      </div>
      <StorageCard client={client} />
      {me && !me.user.bot && <Suspense fallback={null}><BotsCard client={client} /></Suspense>}
      <PasskeysCard client={client} />
      {me && (
        <div className="card" ref={devicesCard} data-testid="devices-card">
          <h3>{t('devices')}</h3>
          <DeviceLinkPrompts client={client} inline />
          <Devices devices={me.devices} onRevoke={(d) => run(async () => {
            await client.revokeDevice(d.deviceId);
            setMe(await client.me());
            await watch?.refreshDevices(); // a notice about the device goes with it
          })} />
        </div>
      )}
      <ErrorLine error={error} />
      <div className="card">
        <button className="danger" onClick={() => { if (confirm(t('confirmSignOut'))) onSignOut(); }}>{t('signOut')}</button>
      </div>
    </section>
  );
}
