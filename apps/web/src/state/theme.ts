export type Theme = 'light' | 'dark' | 'system';

const STORAGE_KEY = 'parley.theme';

export function loadTheme(): Theme {
  const saved = localStorage.getItem(STORAGE_KEY);
  return saved === 'light' || saved === 'dark' ? saved : 'system';
}

export function saveTheme(theme: Theme): void {
  localStorage.setItem(STORAGE_KEY, theme);
}

/** Applies the theme to the document (CSS variables switch on data-theme) and the browser chrome. */
export function applyTheme(theme: Theme): () => void {
  applyTextSize(); // the other half of the appearance, applied with the theme at start
  const media = matchMedia('(prefers-color-scheme: dark)');
  const update = () => {
    const dark = theme === 'dark' || (theme === 'system' && media.matches);
    document.documentElement.dataset['theme'] = theme;
    document.querySelector('meta[name="theme-color"]')?.setAttribute('content', dark ? '#181b21' : '#2f6fed');
  };
  update();
  media.addEventListener('change', update);
  return () => media.removeEventListener('change', update);
}

/** Text size: 'normal' follows the browser's own font size setting; the others scale every text from there. */
export type TextSize = 'normal' | 'large' | 'larger';
const TEXT_SIZE_KEY = 'parley.textSize';

export function loadTextSize(): TextSize {
  const saved = localStorage.getItem(TEXT_SIZE_KEY);
  return saved === 'large' || saved === 'larger' ? saved : 'normal';
}

export function setTextSize(size: TextSize): void {
  localStorage.setItem(TEXT_SIZE_KEY, size);
  applyTextSize(size);
}

export function applyTextSize(size: TextSize = loadTextSize()): void {
  if (size === 'normal') delete document.documentElement.dataset['textSize'];
  else document.documentElement.dataset['textSize'] = size;
}
