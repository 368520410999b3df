import type { ReactNode } from 'react';
import { useI18n } from '../i18n/index.ts';
import { go } from '../state/use-client.ts';
import { Icon } from './icons.tsx';

/** The header of a side panel: Back (on phones, and to the chat from its info) and a title. */
export function PanelHeader({ title, backTo = '/', children }: { title: string; backTo?: string; children?: ReactNode }) {
  const { t } = useI18n();
  return (
    <header className="chat-header">
      <button className={`icon back${backTo !== '/' ? ' always' : ''}`} aria-label={t('back')} title={t('back')} onClick={() => go(backTo)}><Icon name="back" /></button>
      {children}
      <h2>{title}</h2>
    </header>
  );
}
