import { createContext, useContext } from 'react';
import { en, type Dictionary, type MessageKey } from './en.ts';
import { formatters, type Formatters } from './format.ts';

export type Locale = 'en' | 'ru';
export const LOCALES: readonly Locale[] = ['en', 'ru'];
/** Each language's own name, shown as is in the picker. */
export const LOCALE_NAMES: Record<Locale, string> = { en: 'English', ru: 'Русский' };
/**
 * The dictionaries this page has: English always (the fallback, and what the welcome screen's chunk
 * holds); another language is a chunk of its own, loaded before the first render that needs it
 * (`loadLocale`), so a page in English never downloads the Russian texts (issue 15's size budget).
 */
const loaded: Partial<Record<Locale, Dictionary>> = { en };
const LOADERS: Record<Exclude<Locale, 'en'>, () => Promise<Dictionary>> = { ru: async () => (await import('./ru.ts')).ru };

/** Loads a language's dictionary (once); resolves when `translator(locale)` speaks it. */
export async function loadLocale(locale: Locale): Promise<void> {
  if (locale === 'en' || loaded[locale]) return;
  loaded[locale] = await LOADERS[locale]();
}

/** Every language's dictionary (loads them all: for tests and checks). */
export async function allDictionaries(): Promise<Record<Locale, Dictionary>> {
  for (const l of LOCALES) await loadLocale(l);
  return Object.fromEntries(LOCALES.map((l) => [l, loaded[l] ?? en])) as Record<Locale, Dictionary>;
}

const STORAGE_KEY = 'parley.locale';

export function detectLocale(): Locale {
  const saved = localStorage.getItem(STORAGE_KEY);
  if (saved === 'en' || saved === 'ru') return saved;
  return navigator.language.toLowerCase().startsWith('ru') ? 'ru' : 'en';
}

export function saveLocale(locale: Locale): void {
  localStorage.setItem(STORAGE_KEY, locale);
}

/** The service worker has no localStorage: it reads the language from the Cache API to word notifications. */
export function shareLocaleWithWorker(locale: Locale): void {
  if ('caches' in window) {
    void caches.open('parley-prefs').then((c) => c.put('/__prefs/locale', new Response(locale))).catch(() => {});
  }
}

export type Translate = (key: MessageKey, vars?: Record<string, string | number>) => string;

/**
 * Picks the plural form of a text written as `one:… |other:…` (categories of Intl.PluralRules:
 * zero, one, two, few, many, other) by the number in `count`; other texts pass unchanged.
 */
export function pluralForm(text: string, locale: Locale, count: number | undefined): string {
  if (count === undefined || !/^(zero|one|two|few|many|other):/.test(text)) return text;
  const forms = new Map(text.split('|').map((f) => [f.slice(0, f.indexOf(':')), f.slice(f.indexOf(':') + 1)] as const));
  return forms.get(new Intl.PluralRules(locale).select(count)) ?? forms.get('other') ?? text;
}

export function translator(locale: Locale): Translate {
  const dict = loaded[locale] ?? en;
  return (key, vars) => {
    const count = vars?.['count'];
    let text = pluralForm(dict[key], locale, typeof count === 'number' ? count : undefined);
    for (const [k, v] of Object.entries(vars ?? {})) text = text.replaceAll(`{${k}}`, String(v));
    return text;
  };
}

export interface I18nValue {
  t: Translate;
  locale: Locale;
  setLocale: (l: Locale) => void;
  fmt: Formatters;
}

export function makeI18n(locale: Locale, setLocale: (l: Locale) => void): I18nValue {
  return { t: translator(locale), locale, setLocale, fmt: formatters(locale) };
}

export const I18n = createContext<I18nValue>(makeI18n('en', () => {}));

export const useI18n = () => useContext(I18n);
