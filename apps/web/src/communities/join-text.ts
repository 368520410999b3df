import { enJoinRequests } from '../i18n/en-join-requests.ts';
import { ruJoinRequests } from '../i18n/ru-join-requests.ts';
import { pluralForm, useI18n, type I18nValue, type Translate } from '../i18n/index.ts';

export type JoinTextKey = keyof typeof enJoinRequests;
/** The app's translate, plus the join request screens' own texts (en-join-requests.ts / ru-join-requests.ts, in this chunk). */
export type JoinTranslate = (key: JoinTextKey | Parameters<Translate>[0], vars?: Record<string, string | number>) => string;

/** useI18n for asking to join and answering join requests: `t` knows its texts too, so the chat screen's dictionary does not carry them. */
export function useJoinI18n(): Omit<I18nValue, 't'> & { t: JoinTranslate } {
  const i18n = useI18n();
  const dict: Record<JoinTextKey, string> = i18n.locale === 'ru' ? ruJoinRequests : enJoinRequests;
  const t: JoinTranslate = (key, vars) => {
    if (!(key in dict)) return i18n.t(key as Parameters<Translate>[0], vars);
    const count = vars?.['count'];
    let text = pluralForm(dict[key as JoinTextKey], i18n.locale, typeof count === 'number' ? count : undefined);
    for (const [k, v] of Object.entries(vars ?? {})) text = text.replaceAll(`{${k}}`, String(v));
    return text;
  };
  return { ...i18n, t };
}
