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
