// Bundled for Chromium by files-browser.e2e.ts: the SDK as a browser app gets it.
import { IndexedDbStore, ParleyClient, SealedStore, importDeviceKey, type UploadProgress } from '../src/index.ts';

declare global {
  interface Window {
    sdkSmoke: typeof smoke;
  }
}

const smoke = {
  /** Starts the SDK on a sealed IndexedDB store, as the web app does; resolves once online. */
  async start(opts: { baseUrl: string; userId: string; deviceId: string; jwks: { publicJwk: JsonWebKey; privateJwk: JsonWebKey }; storeKey: string }) {
    const key = await crypto.subtle.importKey('raw', Uint8Array.from(atob(opts.storeKey), (c) => c.charCodeAt(0)), 'AES-GCM', false, ['encrypt', 'decrypt']);
    const store = await SealedStore.open(await IndexedDbStore.open('sdk-smoke'), key);
    const client = new ParleyClient({
      baseUrl: opts.baseUrl, session: { userId: opts.userId, deviceId: opts.deviceId }, deviceKey: await importDeviceKey(opts.jwks), store, mls: { enabled: false },
    });
    const seen: UploadProgress[] = [];
    client.on('uploads', (list) => seen.push(...list));
    await client.start();
    while (client.connectionState !== 'online') await new Promise((r) => setTimeout(r, 20));
    Object.assign(window, { client, seen });
    return true;
  },
  /** Sends `size` pseudo-random bytes (from `seed`) as a file; resolves with the client id. */
  async send(chatId: string, size: number, seed: number) {
    const bytes = new Uint8Array(size);
    let x = seed;
    for (let i = 0; i < size; i++) { x = (x * 1103515245 + 12345) >>> 0; bytes[i] = x >>> 24; }
    const client = (window as unknown as { client: ParleyClient }).client;
    return client.sendFiles(chatId, [{ source: new File([bytes], 'clip.webm', { type: 'video/webm' }), name: 'clip.webm', mime: 'video/webm', size }], { text: 'from the browser' });
  },
  uploads() {
    return (window as unknown as { client: ParleyClient }).client.uploads();
  },
  /** Downloads the attachment of message `id` in the browser and answers its SHA-256 and a range. */
  async fetchBack(chatId: string, id: string) {
    const client = (window as unknown as { client: ParleyClient }).client;
    const att = client.timeline(chatId).find((i) => i.id === id)?.attachments?.[0];
    if (!att) throw new Error('no attachment');
    const blob = await client.downloadAttachment(att);
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', await blob.arrayBuffer()));
    const range = await client.readAttachmentRange(att, 1000, 1010);
    return { type: blob.type, size: blob.size, sha256: [...digest].map((b) => b.toString(16).padStart(2, '0')).join(''), range: [...range] };
  },
};
window.sdkSmoke = smoke;
