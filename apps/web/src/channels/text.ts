import { enChannels } from '../i18n/en-channels.ts';
import { ruChannels } from '../i18n/ru-channels.ts';
import { pluralForm, useI18n, type I18nValue, type Translate } from '../i18n/index.ts';

export type ChannelTextKey = keyof typeof enChannels;
/** The app's translate, plus the channel screens' own texts (en-channels.ts / ru-channels.ts, in this chunk). */
export type ChannelTranslate = (key: ChannelTextKey | Parameters<Translate>[0], vars?: Record<string, string | number>) => string;

/** useI18n for the channel screens: `t` knows their texts too, so the chat screen's dictionary does not carry them. */
export function useChannelI18n(): Omit<I18nValue, 't'> & { t: ChannelTranslate } {
  const i18n = useI18n();
  const dict: Record<ChannelTextKey, string> = i18n.locale === 'ru' ? ruChannels : enChannels;
  const t: ChannelTranslate = (key, vars) => {
    if (!(key in dict)) return i18n.t(key as Parameters<Translate>[0], vars);
    const count = vars?.['count'];
    let text = pluralForm(dict[key as ChannelTextKey], i18n.locale, typeof count === 'number' ? count : undefined);
    for (const [k, v] of Object.entries(vars ?? {})) text = text.replaceAll(`{${k}}`, String(v));
    return text;
  };
  return { ...i18n, t };
}
