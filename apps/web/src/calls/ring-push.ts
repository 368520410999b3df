import type { ParleyClient } from '@parley/client';

/**
 * R118, the page's side of a call's Web Push: the service worker asks an open page for the name
 * behind a chat id (`parley-call-name`; only an unlocked page can tell, the push names no one) and
 * asks it to open the chat when its notification is clicked (`parley-open-chat`).
 */
let current: ParleyClient | undefined;
let listening = false;

export function answerCallPushes(client: ParleyClient | undefined): void {
  current = client;
  if (listening || !('serviceWorker' in navigator)) return;
  listening = true;
  navigator.serviceWorker.addEventListener('message', (event: MessageEvent) => {
    const ask = event.data as { type?: unknown; chatId?: unknown } | null;
    if (typeof ask?.chatId !== 'string') return;
    if (ask.type === 'parley-call-name') {
      const chat = current?.chat(ask.chatId);
      event.ports[0]?.postMessage({ name: chat && !chat.noteToSelf ? chat.title : '' });
    } else if (ask.type === 'parley-open-chat' && current?.chat(ask.chatId)) {
      location.hash = `/chat/${ask.chatId}`;
    }
  });
}

/** R118's setting, remembered per browser: this device asked the server to ring it through Web Push. */
const KEY = 'parley-ring-when-closed';
export const ringWhenClosedOn = (): boolean => localStorage.getItem(KEY) === '1';
export function rememberRingWhenClosed(on: boolean): void {
  if (on) localStorage.setItem(KEY, '1');
  else localStorage.removeItem(KEY);
}
