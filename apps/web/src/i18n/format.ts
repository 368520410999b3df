import type { Locale } from './index.ts';

const DAY_MS = 86_400_000;

function startOfDay(ms: number): number {
  const d = new Date(ms);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

/** Formatting of times and days in the chosen language (Intl only). */
export function formatters(locale: Locale) {
  const time = new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit' });
  const day = new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'long' });
  const dayWithYear = new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'long', year: 'numeric' });
  const short = new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'short' });
  const dateTime = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' });
  const relative = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  const capitalize = (s: string) => s.charAt(0).toLocaleUpperCase(locale) + s.slice(1);
  return {
    time: (ms: number) => time.format(ms),
    dateTime: (ms: number) => dateTime.format(ms),
    /** Day separator of the timeline: "Today", "Yesterday", "3 March", "3 March 2024". */
    day(ms: number, now = Date.now()): string {
      const diff = Math.round((startOfDay(now) - startOfDay(ms)) / DAY_MS);
      if (diff === 0 || diff === 1) return capitalize(relative.format(-diff, 'day'));
      return new Date(ms).getFullYear() === new Date(now).getFullYear() ? day.format(ms) : dayWithYear.format(ms);
    },
    /** Chat list: the time today, else a short date. */
    listTime(ms: number, now = Date.now()): string {
      return startOfDay(ms) === startOfDay(now) ? time.format(ms) : short.format(ms);
    },
    /** Key of the calendar day, for grouping. */
    dayKey: (ms: number) => startOfDay(ms),
  };
}

export type Formatters = ReturnType<typeof formatters>;
