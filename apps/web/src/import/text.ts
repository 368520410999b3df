import { enImportScreen } from '../i18n/en-import-screen.ts';
import { ruImportScreen } from '../i18n/ru-import-screen.ts';
import { pluralForm, useI18n, type I18nValue, type Translate } from '../i18n/index.ts';

export type ImportTextKey = keyof typeof enImportScreen;
/** The app's translate, plus the import screen's own texts (en-import-screen.ts / ru-import-screen.ts, in this chunk). */
export type ImportTranslate = (key: ImportTextKey | Parameters<Translate>[0], vars?: Record<string, string | number>) => string;

/** useI18n for the import screen: `t` knows its texts too, so the chat screen's dictionary does not carry them. */
export function useImportI18n(): Omit<I18nValue, 't'> & { t: ImportTranslate } {
  const i18n = useI18n();
  const dict: Record<ImportTextKey, string> = i18n.locale === 'ru' ? ruImportScreen : enImportScreen;
  const t: ImportTranslate = (key, vars) => {
    if (!(key in dict)) return i18n.t(key as Parameters<Translate>[0], vars);
    const count = vars?.['count'];
    let text = pluralForm(dict[key as ImportTextKey], i18n.locale, typeof count === 'number' ? count : undefined);
    for (const [k, v] of Object.entries(vars ?? {})) text = text.replaceAll(`{${k}}`, String(v));
    return text;
  };
  return { ...i18n, t };
}
