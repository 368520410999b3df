// Parley service worker. The app shell works offline; /api/ is never cached; pushes carry no text.
// The build replaces the two placeholders below with the list of built files and their hash
// (see vite.config.ts), so every release installs a fresh worker and drops the old shell.
const PRECACHE = /* __PARLEY_PRECACHE__ */ ['/', '/index.html', '/manifest.webmanifest', '/icon.svg'];
const VERSION = /* __PARLEY_VERSION__ */ 'dev';
const SHELL = `parley-shell-${VERSION}`;
const PREFS = 'parley-prefs';

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(SHELL).then((cache) => cache.addAll(PRECACHE)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith('parley-shell-') && k !== SHELL).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin || url.pathname.startsWith('/api/')) return;
  if (request.mode === 'navigate') {
    // Network first, so a new release shows up at once; the cached shell when offline.
    event.respondWith(
      fetch(request)
        .then((response) => {
          if (response.ok && response.type === 'basic') {
            const copy = response.clone();
            event.waitUntil(caches.open(SHELL).then((cache) => cache.put('/index.html', copy)));
          }
          return response;
        })
        .catch(async () => (await caches.match('/index.html')) ?? (await caches.match('/')) ?? Response.error()),
    );
    return;
  }
  // Built assets have content hashes in their names: cache first, filled on first use.
  event.respondWith(
    caches.match(request).then((hit) => hit ?? fetch(request).then((response) => {
      if (response.ok && response.type === 'basic') {
        const copy = response.clone();
        event.waitUntil(caches.open(SHELL).then((cache) => cache.put(request, copy)));
      }
      return response;
    })),
  );
});

/** The language the person chose in the app (kept by the page in the Cache API), else the browser's. */
async function locale() {
  try {
    const saved = await (await caches.open(PREFS)).match('/__prefs/locale');
    if (saved) return (await saved.text()).trim();
  } catch {
    // No preference stored: fall through.
  }
  return (self.navigator.language || 'en').toLowerCase().startsWith('ru') ? 'ru' : 'en';
}

// The payload is only {type:'new_messages', v:1} (R12): no sender, no text, so nothing to parse for display.
self.addEventListener('push', (event) => {
  event.waitUntil(
    locale().then((lang) => self.registration.showNotification(lang === 'ru' ? 'Новое сообщение' : 'New message', {
      icon: '/icon.svg',
      badge: '/icon.svg',
      tag: 'parley-new-messages',
      renotify: true,
      data: { url: '/' },
    })),
  );
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  event.waitUntil(
    self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then((windows) => {
      const app = windows.find((w) => w.visibilityState === 'visible') ?? windows[0];
      if (app) return app.focus();
      return self.clients.openWindow('/');
    }),
  );
});
