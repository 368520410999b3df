import { createContext, useContext } from 'react';
import { en, type Dictionary, type MessageKey } from './en.ts';
import { ru } from './ru.ts';

export type Locale = 'en' | 'ru';
export const dictionaries: Record<Locale, Dictionary> = { en, ru };

export function detectLocale(): Locale {
  const saved = localStorage.getItem('parley.locale');
  if (saved === 'en' || saved === 'ru') return saved;
  return navigator.language.toLowerCase().startsWith('ru') ? 'ru' : 'en';
}

export type Translate = (key: MessageKey, vars?: Record<string, string | number>) => string;

export function translator(locale: Locale): Translate {
  const dict = dictionaries[locale];
  return (key, vars) => {
    let text: string = dict[key];
    for (const [k, v] of Object.entries(vars ?? {})) text = text.replaceAll(`{${k}}`, String(v));
    return text;
  };
}

export const I18n = createContext<{ t: Translate; locale: Locale; setLocale: (l: Locale) => void }>({
  t: translator('en'),
  locale: 'en',
  setLocale: () => {},
});

export const useI18n = () => useContext(I18n);
