import { useEffect, useState } from 'react';
import type { ParleyClient } from '@parley/client';
import type { StorageUsage } from '@parley/protocol';
import { useI18n } from '../i18n/index.ts';
import { ErrorLine } from '../components/error-line.tsx';
import { formatBytes } from './format.ts';
import { files } from './sdk.ts';

/** Settings: how much of the server's quota the person's files use (R56, GET /me/storage). */
export function StorageCard({ client }: { client: ParleyClient }) {
  const { t, locale } = useI18n();
  const [usage, setUsage] = useState<StorageUsage | undefined>();
  const [error, setError] = useState<unknown>();
  useEffect(() => { files(client).storageUsage().then(setUsage, setError); }, [client]);
  const percent = usage && usage.quotaBytes > 0 ? Math.min(100, (usage.usedBytes / usage.quotaBytes) * 100) : 0;
  return (
    <div className="card" data-testid="storage-card">
      <h3>{t('storage')}</h3>
      {usage && (
        <>
          <div className="storage-meter" role="meter" aria-label={t('storage')} aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(percent)}
            aria-valuetext={t('storageUsed', { used: formatBytes(usage.usedBytes, locale), quota: formatBytes(usage.quotaBytes, locale) })}>
            <div style={{ width: `${percent}%` }} />
          </div>
          <p className="small" data-testid="storage-used">
            {t('storageUsed', { used: formatBytes(usage.usedBytes, locale), quota: formatBytes(usage.quotaBytes, locale) })} · {t('storageFiles', { count: usage.blobs })}
          </p>
          <p className="muted small">{t('storageHelp', { max: formatBytes(usage.maxFileBytes, locale) })}</p>
        </>
      )}
      <ErrorLine error={error} />
    </div>
  );
}
