import { useState } from 'react';
import type { ParleyClient } from '@parley/client';
import type { PendingDeviceLink } from '@parley/protocol';
import { useI18n } from '../i18n/index.ts';
import { useDeviceWatch, type DeviceWatch } from '../state/device-watch.ts';
import { go, useClientState } from '../state/use-client.ts';
import { ErrorLine, useAction } from './error-line.tsx';

/**
 * "Sign-in request from <device>": type the code the new device shows, then Approve, or Deny (R24).
 * The code is typed, not shown here: approving then proves the person holds the new device.
 */
export function DeviceLinkPrompts({ client, inline = false }: { client: ParleyClient; inline?: boolean }) {
  const watch = useDeviceWatch(client);
  if (!watch || watch.pending.length === 0) return null;
  return (
    <div className={inline ? 'link-prompts inline' : 'link-prompts'}>
      {watch.pending.map((link) => <Prompt key={link.linkId} watch={watch} link={link} />)}
    </div>
  );
}

/**
 * R43: what the server knows comes first (when the request arrived, and from where if the operator
 * lets the server say); the name is only what the new device calls itself, set apart in quotes,
 * because whoever knows the handle chooses it ("alice's new iPhone (tap Approve)").
 */
function Prompt({ watch, link }: { watch: DeviceWatch; link: PendingDeviceLink }) {
  const { t, fmt } = useI18n();
  const [code, setCode] = useState('');
  const [error, run, busy] = useAction();
  const [before, after] = t('linkRequestCalls').split('{name}');
  return (
    <form className="card link-prompt" role="alertdialog" aria-label={t('linkRequestTitle')} data-testid="link-prompt"
      onSubmit={(e) => { e.preventDefault(); run(() => watch.approve(link.linkId, code)); }}>
      <strong>{t('linkRequestTitle')}</strong>
      <span className="small" data-testid="link-facts">
        {t('linkRequestWhen', { time: fmt.dateTime(link.requestedAt) })}
        {' · '}{link.origin ? t('linkRequestFrom', { origin: link.origin }) : t('linkRequestFromHidden')}
      </span>
      <span className="muted small" data-testid="link-claim">
        {before}<span className="claimed-name">{link.deviceName}</span>{after}
      </span>
      <label>{t('linkEnterCode')}
        <input value={code} onChange={(e) => setCode(e.target.value)} required inputMode="numeric" autoComplete="one-time-code"
          pattern="[0-9 \-]{6,9}" maxLength={9} placeholder="123 456" data-testid="link-code-input" />
      </label>
      <p className="muted small">{t('linkRequestWarning')}</p>
      <div className="row">
        <button type="submit" disabled={busy}>{t('approve')}</button>
        <button type="button" className="secondary" disabled={busy} onClick={() => run(() => watch.deny(link.linkId))}>{t('deny')}</button>
      </div>
      <ErrorLine error={error} />
    </form>
  );
}

/**
 * One notice for one event, a device added to the account: the login alert (R27, from the devices
 * list) and the new key in the account's own key log (R31) name the same device, so they are told
 * together, until the person dismisses it or signs the device out.
 */
export function NewDeviceNotice({ client }: { client: ParleyClient }) {
  const { t, fmt } = useI18n();
  useClientState(client);
  const watch = useDeviceWatch(client);
  const [error, run, busy] = useAction();
  const seenUpTo = watch?.seenUpTo();
  const devices = new Map<string, { name: string; createdAt: number; alertIds: string[] }>();
  for (const d of watch?.added ?? []) devices.set(d.deviceId, { name: d.name, createdAt: d.createdAt, alertIds: [] });
  for (const alert of client.keyLogAlerts()) {
    if (alert.kind !== 'new_device_key') continue;
    if (seenUpTo !== undefined && alert.deviceCreatedAt <= seenUpTo && !devices.has(alert.deviceId)) continue; // dismissed already
    const device = devices.get(alert.deviceId) ?? { name: alert.deviceName, createdAt: alert.deviceCreatedAt, alertIds: [] };
    device.alertIds.push(alert.id);
    devices.set(alert.deviceId, device);
  }
  if (devices.size === 0) return null;
  const list = [...devices].map(([deviceId, d]) => ({ deviceId, ...d })).sort((a, b) => b.createdAt - a.createdAt);
  const dismiss = () => run(async () => {
    for (const d of list) for (const id of d.alertIds) await client.dismissKeyLogAlert(id);
    watch?.dismissAdded(Math.max(...list.map((d) => d.createdAt)));
  });
  return (
    <div className="card device-notice" role="status" data-testid="new-device-notice">
      {list.map((d) => <strong key={d.deviceId} className="block">{t('newDeviceAdded', { name: d.name, time: fmt.dateTime(d.createdAt) })}</strong>)}
      {list.some((d) => d.alertIds.length > 0) && <span className="small">{t('keyLogNewBody')}</span>}
      <div className="row">
        <button type="button" disabled={busy} onClick={() => go('/settings/devices')}>{t('notYouRevoke')}</button>
        <button type="button" className="secondary" disabled={busy} onClick={dismiss}>{t('dismiss')}</button>
      </div>
      <ErrorLine error={error} />
    </div>
  );
}
