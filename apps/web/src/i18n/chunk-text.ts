import { pluralForm, useI18n, type I18nValue, type Translate } from './index.ts';

/** The app's translate, plus texts of a lazy chunk's own. */
export type ChunkTranslate<K extends string> = (key: K | Parameters<Translate>[0], vars?: Record<string, string | number>) => string;

/**
 * useI18n for a screen in a lazy chunk whose texts are in that chunk (`en`, `ru`: its own dictionaries,
 * en-<screen>.ts / ru-<screen>.ts), so the chat screen's dictionary does not carry them (its size budget).
 */
export function useChunkI18n<K extends string>(en: Record<K, string>, ru: Record<K, string>): Omit<I18nValue, 't'> & { t: ChunkTranslate<K> } {
  const i18n = useI18n();
  const dict = i18n.locale === 'ru' ? ru : en;
  const t: ChunkTranslate<K> = (key, vars) => {
    if (!(key in dict)) return i18n.t(key as Parameters<Translate>[0], vars);
    const count = vars?.['count'];
    let text = pluralForm(dict[key as K], i18n.locale, typeof count === 'number' ? count : undefined);
    for (const [k, v] of Object.entries(vars ?? {})) text = text.replaceAll(`{${k}}`, String(v));
    return text;
  };
  return { ...i18n, t };
}
