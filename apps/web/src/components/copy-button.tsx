import { useEffect, useState } from 'react';
import { useI18n } from '../i18n/index.ts';

export function CopyButton({ text, className = 'secondary' }: { text: string; className?: string }) {
  const { t } = useI18n();
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    if (!copied) return;
    const timer = setTimeout(() => setCopied(false), 2000);
    return () => clearTimeout(timer);
  }, [copied]);
  return (
    <button type="button" className={className} aria-live="polite"
      onClick={() => void navigator.clipboard?.writeText(text).then(() => setCopied(true), (err: unknown) => console.warn('parley: copy failed', err))}>
      {copied ? t('copied') : t('copy')}
    </button>
  );
}
