import { PanelHeader } from '../components/panel-header.tsx';
import { useI18n } from '../i18n/index.ts';
import type { ParleyClient } from '@parley/client';

/** #/channels: find public channels (R111). */
export function ChannelSearch(_: { client: ParleyClient }) {
  const { t } = useI18n();
  return <section className="panel"><PanelHeader title={t('chFind')} /></section>;
}
