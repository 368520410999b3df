import { useState } from 'react';
import type { ParleyClient } from '@parley/client';
import { useI18n } from '../i18n/index.ts';
import { enableNotifications, type NotificationStatus } from '../state/session.ts';
import { ringWhenClosedOn, rememberRingWhenClosed } from './ring-push.ts';

/**
 * R118: "Ring me when the app is closed". Turning it on asks for notification permission, subscribes
 * this device to Web Push and asks the server to ring it; the push names no one (docs/SECURITY.md).
 */
export function RingSetting({ client, run, busy, onStatus }: {
  client: ParleyClient; run: (task: () => Promise<void>) => void; busy: boolean; onStatus: (status: NotificationStatus) => void;
}) {
  const { t } = useI18n();
  const [on, setOn] = useState(ringWhenClosedOn);
  const [refused, setRefused] = useState<NotificationStatus | undefined>();
  const change = (want: boolean) => run(async () => {
    setRefused(undefined);
    if (want) {
      const status = await enableNotifications(client);
      onStatus(status);
      if (status !== 'on') {
        setRefused(status);
        return;
      }
    }
    await client.setCallRinging(want);
    rememberRingWhenClosed(want);
    setOn(want);
  });
  return (
    <>
      <label className="check">
        <input type="checkbox" checked={on} disabled={busy} data-testid="ring-when-closed" aria-describedby="ring-when-closed-help"
          onChange={(e) => change(e.target.checked)} />
        <span>{t('ringWhenClosed')}</span>
      </label>
      <p className="muted small" id="ring-when-closed-help">{t('ringWhenClosedHelp')}</p>
      {refused === 'denied' && <p className="muted small" role="status">{t('notificationsDenied')}</p>}
      {refused === 'unsupported' && <p className="muted small" role="status">{t('notificationsUnsupported')}</p>}
    </>
  );
}
