// What a web app device reads over REST when a channel notice (R97 `channel_post`) arrives: the SDK
// only emits `channelPost`; apps/web reloads on it (apps/web/src/channels/use-channels.ts):
// - 'list': the chat list's channel rows (channel-rows.tsx): `GET /channels` (subscriptions, unread).
// - 'open': that, plus the open channel view's load (channel-view.tsx): `GET /channels/:id`,
//   `GET /channels`, `GET /channels/:id/posts?limit=50` then `GET /channels/:id` (inside
//   `client.channels.posts`), `GET /channels/:id/counts?postIds=…` (the page's posts), then
//   `POST /channels/:id/views` (the new post) and `POST /channels/:id/read` (up to the notice's seq).
// Used by bench/lib/load-worker.ts, each connection with its own session token.
import { Agent as HttpAgent, request } from 'node:http';
import { API_PREFIX } from '@parley/protocol';
import type { ChannelReadMode } from './protocol.ts';

export interface ReadCounters {
  requests: number;
  failed: Record<string, number>;
}

function call(base: string, token: string, agent: HttpAgent, counters: ReadCounters, method: string, path: string, body?: unknown): Promise<string> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  counters.requests += 1;
  return new Promise((resolve) => {
    const req = request(base + API_PREFIX + path, {
      method, agent,
      headers: { authorization: `Bearer ${token}`, ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if ((res.statusCode ?? 0) >= 300) {
          const code = /"code":"([a-z_]+)"/.exec(text)?.[1] ?? '';
          const k = `${method} ${path.replace(/\?.*/, '').replace(/\/channels\/[^/]+/, '/channels/:id')} ${res.statusCode} ${code}`;
          counters.failed[k] = (counters.failed[k] ?? 0) + 1;
        }
        resolve(text);
      });
      res.on('error', () => resolve(''));
    });
    req.on('error', (err) => {
      const k = `${method} ${err.message.slice(0, 40)}`;
      counters.failed[k] = (counters.failed[k] ?? 0) + 1;
      resolve('');
    });
    req.end(payload);
  });
}

/** The reads one device makes on one notice; resolves once it has all their answers. */
export async function readOnNotice(base: string, token: string, channelId: string, seq: number, mode: ChannelReadMode, agent: HttpAgent, counters: ReadCounters): Promise<void> {
  const c = (method: string, path: string, body?: unknown) => call(base, token, agent, counters, method, path, body);
  const id = `/channels/${encodeURIComponent(channelId)}`;
  const list = c('GET', '/channels');
  if (mode === 'open') {
    const [, , page] = await Promise.all([c('GET', id), c('GET', '/channels'), c('GET', `${id}/posts?limit=50`).then(async (t) => (await c('GET', id), t))]);
    let postIds: string[] = [];
    try {
      postIds = (JSON.parse(page) as { entries: { signed: string }[] }).entries.map((e) => (JSON.parse(e.signed) as { postId: string }).postId);
    } catch { /* counted as failed above */ }
    if (postIds.length) await c('GET', `${id}/counts?postIds=${postIds.slice(0, 100).map(encodeURIComponent).join(',')}`);
    await Promise.all([postIds.length ? c('POST', `${id}/views`, { postIds: postIds.slice(0, 1) }) : undefined, c('POST', `${id}/read`, { upToSeq: seq })]);
  }
  await list;
}
