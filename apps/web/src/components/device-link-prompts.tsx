import { useState } from 'react';
import type { ParleyClient } from '@parley/client';
import type { PendingDeviceLink } from '@parley/protocol';
import { useI18n } from '../i18n/index.ts';
import { useDeviceWatch, type DeviceWatch } from '../state/device-watch.ts';
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

/** Login alert (R27): "New device added: <name>, <time>" until the person dismisses it. */
export function NewDeviceNotice({ client }: { client: ParleyClient }) {
  const { t, fmt } = useI18n();
  const watch = useDeviceWatch(client);
  if (!watch || watch.added.length === 0) return null;
  return (
    <div className="device-notice" role="status" data-testid="new-device-notice">
      <span className="grow">
        {watch.added.map((d) => <span key={d.deviceId} className="block">{t('newDeviceAdded', { name: d.name, time: fmt.dateTime(d.createdAt) })}</span>)}
        <span className="muted small">{t('newDeviceHint')}</span>
      </span>
      <button className="small secondary" onClick={() => watch.dismissAdded()}>{t('dismiss')}</button>
    </div>
  );
}
