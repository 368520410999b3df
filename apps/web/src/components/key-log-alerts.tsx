import type { KeyLogAlert, ParleyClient } from '@parley/client';
import { useChunkI18n } from '../i18n/chunk-text.ts';
import { enKeyLogAlerts } from '../i18n/en-key-log-alerts.ts';
import { ruKeyLogAlerts } from '../i18n/ru-key-log-alerts.ts';
import { go, goWhenDone, useClientState } from '../state/use-client.ts';
import { ErrorLine, useAction } from './error-line.tsx';

/**
 * What this device found in the account's own key log (R31), until the person dismisses it: a key
 * the server shows others for a device the account does not have, a new device key, or a rewritten
 * log; and a member of a chat who verified another history of someone's keys (R33). Each names what
 * happened and offers the way out: the devices list, where one can sign out, or the safety number.
 */
export function KeyLogAlerts({ client }: { client: ParleyClient }) {
  useClientState(client);
  // A new device key is told together with "New device added" (one notice per event): see NewDeviceNotice.
  const alerts = client.keyLogAlerts().filter((a) => a.kind !== 'new_device_key');
  if (alerts.length === 0) return null;
  return (
    <div className="key-log-alerts">
      {alerts.map((alert) => <Alert key={alert.id} client={client} alert={alert} />)}
    </div>
  );
}

function Alert({ client, alert }: { client: ParleyClient; alert: KeyLogAlert }) {
  const { t, fmt } = useChunkI18n(enKeyLogAlerts, ruKeyLogAlerts);
  const [error, run, busy] = useAction();
  const dismiss = () => run(() => client.dismissKeyLogAlert(alert.id));
  const toDevices = () => go('/settings/devices');
  let title: string;
  let body: string;
  let action: string;
  let onAction = toDevices;
  switch (alert.kind) {
    case 'unknown_device_key':
      title = t('keyLogUnknownTitle');
      body = t('keyLogUnknownBody', { time: fmt.dateTime(alert.at) });
      action = t('reviewDevices');
      break;
    case 'new_device_key':
      title = t('keyLogNewTitle', { name: alert.deviceName, time: fmt.dateTime(alert.deviceCreatedAt) });
      body = t('keyLogNewBody');
      action = t('notYouRevoke');
      break;
    case 'key_log_forked':
    case 'key_log_invalid':
      title = t(alert.kind === 'key_log_forked' ? 'keyLogOwnForkedTitle' : 'keyLogOwnInvalidTitle');
      body = t('keyLogOwnBrokenBody');
      action = t('reviewDevices');
      break;
    case 'key_log_split': {
      // The safety number with the person whose keys differ, or with the sender when it is this user's own keys.
      const own = alert.userId === client.userId;
      const target = own ? { userId: alert.senderUserId, name: alert.senderName } : { userId: alert.userId, name: alert.userName };
      title = own ? t('keyLogSplitOwnTitle', { sender: alert.senderName }) : t('keyLogSplitTitle', { name: alert.userName, sender: alert.senderName });
      body = own ? t('keyLogSplitOwnBody', { sender: alert.senderName }) : t('keyLogSplitBody', { target: target.name, sender: alert.senderName });
      if (target.userId === client.userId) {
        action = t('reviewDevices'); // two devices of this account disagree: its devices list is where to look
      } else {
        action = t('compareSafetyNumbers');
        onAction = () => run(() => goWhenDone(async () => `/info/${(await client.openDirect(target.userId)).chatId}`));
      }
      break;
    }
  }
  const serious = alert.kind !== 'new_device_key';
  return (
    <div className={`card key-log-alert${serious ? ' serious' : ''}`} role={serious ? 'alert' : 'status'} data-testid="key-log-alert" data-kind={alert.kind}>
      <strong>{title}</strong>
      <span className="small">{body}</span>
      <div className="row">
        <button type="button" className={serious ? 'danger' : ''} disabled={busy} onClick={onAction}>{action}</button>
        <button type="button" className="secondary" disabled={busy} onClick={dismiss}>{t('dismiss')}</button>
      </div>
      <ErrorLine error={error} />
    </div>
  );
}
