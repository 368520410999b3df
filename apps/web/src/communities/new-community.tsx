import { useState } from 'react';
import type { ParleyClient } from '@parley/client';
import { MAX_DESCRIPTION_CHARS } from '@parley/protocol';
import { useI18n } from '../i18n/index.ts';
import { goWhenDone } from '../state/use-client.ts';
import { ErrorLine, useAction } from '../components/error-line.tsx';
import { PanelHeader } from '../components/panel-header.tsx';

/**
 * #/new-community: a community with this person as owner (R66). Its name goes end-to-end encrypted
 * as the announcements chat's `chat_info` (the SDK does it); the server gets only the settings.
 */
export function NewCommunity({ client }: { client: ParleyClient }) {
  const { t } = useI18n();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [school, setSchool] = useState(false);
  const [error, run, busy] = useAction();
  return (
    <section className="panel">
      <PanelHeader title={t('communityNew')} />
      <form className="card" onSubmit={(e) => {
        e.preventDefault();
        run(() => goWhenDone(async () => {
          const community = await client.communities.create({ name: name.trim(), ...(description.trim() ? { description: description.trim() } : {}), settings: { roleLabels: school ? 'school' : 'none' } });
          return `/community/${community.communityId}`;
        }, { replace: true }));
      }}>
        <p className="muted small">{t('communityNewHelp')}</p>
        <label>{t('communityName')}<input value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} /></label>
        <label>{t('communityDescription')}
          <textarea value={description} onChange={(e) => setDescription(e.target.value)} maxLength={MAX_DESCRIPTION_CHARS} rows={3} />
        </label>
        <label className="check"><input type="checkbox" checked={school} onChange={(e) => setSchool(e.target.checked)} />{t('communitySchoolLabels')}</label>
        <p className="muted small">{t('communitySchoolHelp')}</p>
        <button type="submit" disabled={busy}>{t('create')}</button>
        <ErrorLine error={error} />
      </form>
    </section>
  );
}
