import { LOCALES, LOCALE_NAMES, useI18n, type Locale } from '../i18n/index.ts';

export function LanguagePicker({ className }: { className?: string }) {
  const { t, locale, setLocale } = useI18n();
  return (
    <select className={className} value={locale} aria-label={t('language')} onChange={(e) => setLocale(e.target.value as Locale)}>
      {LOCALES.map((l) => <option key={l} value={l} lang={l}>{LOCALE_NAMES[l]}</option>)}
    </select>
  );
}
