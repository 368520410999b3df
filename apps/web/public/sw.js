// Parley service worker. The app shell works offline; /api/ is never cached; pushes carry no text.
// The build replaces the two placeholders below with the list of built files and their hash
// (see vite.config.ts), so every release installs a fresh worker and drops the old shell.
const PRECACHE = /* __PARLEY_PRECACHE__ */ ['/', '/index.html', '/manifest.webmanifest', '/icon.svg'];
const VERSION = /* __PARLEY_VERSION__ */ 'dev';
const SHELL = `parley-shell-${VERSION}`;
const PREFS = 'parley-prefs';
/** Videos played while they download (apps/web/src/files/media-stream.ts): never cached, never fetched. */
const MEDIA = '/__media/';
const MEDIA_ANSWER_MS = 60_000;

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
  if (url.pathname.startsWith(MEDIA)) {
    event.respondWith(mediaRange(event, url.pathname.slice(MEDIA.length)));
    return;
  }
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

/**
 * A <video>'s Range request for a file the page decrypts: the page that made it reads those bytes
 * (only the chunks that hold them, each checked) and hands them over on a MessageChannel. 206 with
 * what it gave (at most 1 MiB; the browser asks again for the rest), 416 past the end, 404 for a
 * token the page does not know, 502 when the bytes failed their check or could not be read.
 */
async function mediaRange(event, token) {
  const client = event.clientId ? await self.clients.get(event.clientId) : undefined;
  if (!client) return new Response(null, { status: 404 });
  const m = /^bytes=(\d+)-(\d*)$/.exec(event.request.headers.get('range') || 'bytes=0-');
  if (!m) return new Response(null, { status: 416 });
  const start = Number(m[1]);
  const end = m[2] ? Number(m[2]) + 1 : undefined;
  const channel = new MessageChannel();
  const reply = new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ error: 'failed' }), MEDIA_ANSWER_MS);
    channel.port1.onmessage = (e) => { clearTimeout(timer); resolve(e.data); };
  });
  client.postMessage({ type: 'parley-media-range', token, start, end }, [channel.port2]);
  const answer = await reply;
  if (answer.error === 'range') return new Response(null, { status: 416, headers: { 'content-range': `bytes */${answer.size}` } });
  if (answer.error === 'not_found') return new Response(null, { status: 404 });
  if (answer.error) return new Response(null, { status: 502 });
  const last = answer.start + answer.bytes.byteLength - 1;
  return new Response(answer.bytes, {
    status: 206,
    headers: {
      'content-type': answer.mime,
      'content-range': `bytes ${answer.start}-${last}/${answer.size}`,
      'content-length': String(answer.bytes.byteLength),
      'accept-ranges': 'bytes',
      'cache-control': 'no-store',
    },
  });
}

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

// A message push is only {type:'new_messages', v:1} (R12): no sender, no text. A call's push (R118) is
// {type:'incoming_call', v:1, chatId, until, group}: which chat, no name; the name comes from an open page, if any.
self.addEventListener('push', (event) => {
  let data;
  try {
    data = event.data ? event.data.json() : undefined;
  } catch {
    data = undefined;
  }
  if (data && data.type === 'incoming_call' && typeof data.chatId === 'string' && /^[A-Za-z0-9_-]{8,64}$/.test(data.chatId)) {
    event.waitUntil(ringCall(data.chatId, typeof data.until === 'number' ? data.until : 0, data.group === 1));
    return;
  }
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

const CALL_NAME_WAIT_MS = 1500;

/**
 * R118: "Incoming call", with the caller's name when a page of the app is open (a tab whose connection
 * is asleep) and unlocked: it alone can turn the chat id into a name. Every push shows a notification
 * (browsers require it), so a ring that arrives after `until` says the call came while away.
 * R134: a group's call (`group` 1) says "Incoming group call", with the group's name from an open page.
 */
async function ringCall(chatId, until, group) {
  const lang = await locale();
  const ru = lang === 'ru';
  const late = until > 0 && Date.now() > until;
  const name = late ? undefined : await callName(chatId);
  const title = group
    ? (late ? (ru ? 'Был групповой звонок' : 'You missed a group call') : (ru ? 'Входящий групповой звонок' : 'Incoming group call'))
    : (late ? (ru ? 'Был звонок' : 'You had a call') : (ru ? 'Входящий звонок' : 'Incoming call'));
  const body = name ? name : group
    ? (ru ? 'Групповой звонок в одном из ваших чатов. Откройте Parley, чтобы присоединиться' : 'A group call in one of your chats. Open Parley to join')
    : (ru ? 'Откройте Parley, чтобы ответить' : 'Open Parley to answer');
  await self.registration.showNotification(title, {
    body,
    icon: '/icon.svg',
    badge: '/icon.svg',
    tag: `parley-call-${chatId}`,
    renotify: true,
    requireInteraction: !late,
    vibrate: late ? undefined : [400, 200, 400, 200, 400],
    data: { url: `/#/chat/${chatId}`, chatId },
  });
}

/** Asks each open page for the chat's name (`parley-call-name`); the first answer wins, none after CALL_NAME_WAIT_MS. */
async function callName(chatId) {
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: false });
  if (windows.length === 0) return undefined;
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), CALL_NAME_WAIT_MS);
    for (const w of windows) {
      const channel = new MessageChannel();
      channel.port1.onmessage = (e) => {
        if (e.data && typeof e.data.name === 'string' && e.data.name) {
          clearTimeout(timer);
          resolve(e.data.name.slice(0, 80));
        }
      };
      w.postMessage({ type: 'parley-call-name', chatId }, [channel.port2]);
    }
  });
}

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  event.waitUntil(
    self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then((windows) => {
      const url = (event.notification.data && event.notification.data.url) || '/';
      const app = windows.find((w) => w.visibilityState === 'visible') ?? windows[0];
      const chatId = event.notification.data && event.notification.data.chatId;
      // An open page moves to the chat itself (navigating it would reload it and lock a sealed store again).
      if (app) return app.focus().then((focused) => { if (chatId) focused.postMessage({ type: 'parley-open-chat', chatId }); });
      return self.clients.openWindow(url);
    }),
  );
});
