import type { Locale } from '../i18n/index.ts';

const UNITS = ['byte', 'kilobyte', 'megabyte', 'gigabyte', 'terabyte'] as const;

/** 1.5 MB, 820 kB, 12 bytes: in the person's language (Intl), decimal units (1 kB = 1000 B), as file managers show. */
export function formatBytes(bytes: number, locale: Locale): string {
  let i = 0;
  let n = bytes;
  while (n >= 1000 && i < UNITS.length - 1) { n /= 1000; i++; }
  // English "short" says "254 byte"; files are counted in B.
  if (i === 0 && locale === 'en') return `${Math.round(n)} B`;
  return new Intl.NumberFormat(locale, { style: 'unit', unit: UNITS[i], unitDisplay: 'short', maximumFractionDigits: n < 10 && i > 0 ? 1 : 0 }).format(n);
}

/** 0:07, 1:05:09. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/** "PDF", "ZIP": the extension shown on a file's icon (at most 4 letters), or '' when it has none. */
export function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  if (dot <= 0 || dot === name.length - 1) return '';
  const ext = name.slice(dot + 1);
  return /^[a-z0-9]{1,4}$/i.test(ext) ? ext.toUpperCase() : '';
}
