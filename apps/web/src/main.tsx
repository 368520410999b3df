// First: schemas built after it never try eval, which the CSP forbids (R38).
import '@parley/protocol/no-eval';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app.tsx';
import { detectLocale, loadLocale } from './i18n/index.ts';
import './styles.css';

// A page in another language than English loads its texts first (a chunk of their own), then shows.
void loadLocale(detectLocale()).catch(() => undefined).finally(() => {
  createRoot(document.getElementById('root') as HTMLElement).render(<StrictMode><App /></StrictMode>);
});

/** The Trusted Types API where the browser has it (Chromium); the server's CSP requires it for script URLs (R38). */
interface TrustedTypesApi {
  createPolicy(name: string, rules: { createScriptURL(url: string): string }): { createScriptURL(url: string): unknown };
}

/**
 * The service worker's URL as the CSP lets it through: under `require-trusted-types-for 'script'`
 * a script URL must come from a policy the CSP names (`trusted-types parley-sw`), and this one
 * vouches for exactly one URL. No other script URL or HTML string can reach a sink.
 */
function serviceWorkerUrl(): string {
  const trustedTypes = (window as unknown as { trustedTypes?: TrustedTypesApi }).trustedTypes;
  const policy = trustedTypes?.createPolicy('parley-sw', {
    createScriptURL: (url) => {
      if (url !== '/sw.js') throw new TypeError(`not the service worker: ${url}`);
      return url;
    },
  });
  return (policy?.createScriptURL('/sw.js') ?? '/sw.js') as string;
}

/**
 * A chunk this page needs is gone: a new release replaced the files (and the new service worker its
 * cache) while this page sat on an older index.html. Load the new release, once a minute at most so
 * a file missing for another reason does not reload forever; offline there is nothing newer to get.
 */
addEventListener('vite:preloadError', () => {
  if (!navigator.onLine) return;
  const key = 'parley.reloadedForRelease';
  if (Date.now() - Number(sessionStorage.getItem(key) ?? 0) < 60_000) return;
  sessionStorage.setItem(key, String(Date.now()));
  location.reload();
});

// Not in `vite dev`: the worker would serve stale modules there.
if ('serviceWorker' in navigator && !import.meta.env.DEV) {
  addEventListener('load', () => {
    navigator.serviceWorker.register(serviceWorkerUrl()).catch((err: unknown) => console.warn('parley: service worker not registered', err));
  });
}
