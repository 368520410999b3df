import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { CallEpochKey, CallPeer, FrameKeySink, GroupCall, ParleyClient, PeerFactory } from '@parley/client';
import { createUser, Janus, startTestServer, waitFor } from '@parley/testing';
import { bundleCallPage, launchCallBrowser, openCallPage } from './sfu-pages.ts';

/**
 * R76/R120 media through a real Janus: three members' ParleyClients (Node, real MLS) join their
 * group's call with client.calls.joinGroup; each device's peer connections live in its own Chromium
 * page (fake camera and microphone; the SDK drives them through a thin proxy), and the frame
 * encryption is the web client's own (attachFrameCrypto and its worker, bundled here). Carol's
 * page is handed a wrong key: what Janus forwards to her decrypts to nothing, while Alice and Bob
 * decrypt each other. Carol leaves the call (she stays in the chat): Alice and Bob move to a new
 * call secret (R120) she is not given, and a decryptor holding only the old key (a tap in their frame
 * workers) reads none of the frames sent after.
 */

const root = (p: string) => fileURLToPath(new URL(`../../../${p}`, import.meta.url));

/**
 * The web client's frame worker, with a tap in front of its receive side (`tap` messages): `stale`,
 * per epoch key the worker was given, the frames that key alone opens (by the frame's epoch low
 * bits); `fresh`, the frames the worker's current keys open. Per key, not the first one seen: a join
 * may rotate once more before the test reads which epoch the call settled on.
 */
const WORKER_TAP = `
import { FrameKeys } from ${JSON.stringify(root('packages/client/src/calls/frame-keys.ts'))};
import { decodeHeader } from ${JSON.stringify(root('packages/client/src/calls/sframe.ts'))};
const scope = self;
const byKey = new Map();
const fresh = new FrameKeys();
const counts = { stale: {}, fresh: {} };
const bump = (m, k) => { m[k] = (m[k] || 0) + 1; };
let realMessage, realTransform;
Object.defineProperty(scope, 'onmessage', { configurable: true, get: () => realMessage, set: (h) => { realMessage = h; } });
Object.defineProperty(scope, 'onrtctransform', { configurable: true, get: () => realTransform, set: (h) => { realTransform = h; } });
scope.addEventListener('message', (event) => {
  const m = event.data;
  if (m && m.type === 'epoch') {
    const e = String(m.key.epoch);
    if (!byKey.has(e)) { const k = new FrameKeys({ graceMs: 1e12 }); k.setEpoch(m.key); byKey.set(e, k); counts.stale[e] = {}; }
    fresh.setEpoch(m.key);
  }
  realMessage(event);
});
scope.addEventListener('rtctransform', (event) => {
  const t = event.transformer;
  if (t.options.side !== 'receive') return realTransform({ transformer: t });
  const tap = new TransformStream({ async transform(frame, out) {
    if (frame.type === undefined && frame.data.byteLength > 0) {
      const data = new Uint8Array(frame.data);
      let low = -1;
      try { low = Number(decodeHeader(data).kid & 15n); } catch {}
      for (const [e, keys] of byKey) { try { await keys.decrypt(data.slice()); bump(counts.stale[e], low); } catch {} }
      try { await fresh.decrypt(data.slice()); bump(counts.fresh, low); } catch {}
    }
    out.enqueue(frame);
  } });
  realTransform({ transformer: { options: t.options, readable: t.readable.pipeThrough(tap), writable: t.writable } });
});
setInterval(() => scope.postMessage({ tap: counts }), 500);
`;

/**
 * In the page: peer connections by number, fake media, and each frame worker's stats (per role:
 * frames sent, decrypted, refused; the tap's counts). A string: a transpiled function could carry
 * the bundler's helpers into the page.
 */
const PAGE = `(() => {
  const W = window.Worker;
  window.__workers = [];
  window.Worker = class extends W {
    constructor(url, options) {
      super(url, options);
      const s = { role: window.__nextRole, sent: 0, decrypted: 0, refused: 0, tap: { stale: {}, fresh: {} } };
      window.__workers.push(s);
      this.addEventListener('message', (e) => {
        const d = e.data;
        if (d.tap) s.tap = d.tap; else { s.sent += d.sent; s.decrypted += d.decrypted; s.refused += d.refused; }
      });
    }
  };
  window.__pcs = [];
  window.__sinks = [];
  window.__media = navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 320, height: 240 } });
  window.__mkpc = (config) => {
    const pc = new RTCPeerConnection(config);
    const id = window.__pcs.push(pc) - 1;
    pc.onicecandidate = (e) => window.__ice(id, e.candidate ? e.candidate.toJSON() : null);
    pc.onconnectionstatechange = () => window.__state(id, pc.connectionState);
    return id;
  };
})();`;

/** The SDK's side of a peer connection that lives in a page. */
class PagePeer implements CallPeer {
  connectionState = 'new';
  onicecandidate: CallPeer['onicecandidate'] = null;
  onconnectionstatechange: (() => void) | null = null;
  constructor(readonly page: Page, readonly id: number) {}
  #call<T>(fn: string, arg?: unknown): Promise<T> {
    return this.page.evaluate(([id, fn, arg]) => {
      const pc = (window as any).__pcs[id as number];
      return Promise.resolve(pc[fn as string](arg)).then((d: any) => (d ? { type: d.type, sdp: d.sdp } : undefined));
    }, [this.id, fn, arg] as const) as Promise<T>;
  }
  createOffer() { return this.#call<{ type: string; sdp?: string }>('createOffer'); }
  createAnswer() { return this.#call<{ type: string; sdp?: string }>('createAnswer'); }
  async setLocalDescription(d: { type: 'offer' | 'answer'; sdp?: string }) { await this.#call('setLocalDescription', d); }
  async setRemoteDescription(d: { type: 'offer' | 'answer'; sdp: string }) { await this.#call('setRemoteDescription', d); }
  async addIceCandidate(c: unknown) { await this.#call('addIceCandidate', c); }
  close(): void { void this.page.evaluate((id) => (window as any).__pcs[id].close(), this.id).catch(() => undefined); }
}

/** One person's page: the peer factory, prepare and frame crypto the SDK gets for it. */
async function personPage(page: Page, wrongKey = false) {
  const peers = new Map<number, PagePeer>();
  await page.exposeFunction('__ice', (id: number, c: { candidate: string; sdpMid: string | null; sdpMLineIndex: number | null } | null) => peers.get(id)?.onicecandidate?.({ candidate: c }));
  await page.exposeFunction('__state', (id: number, state: string) => {
    const p = peers.get(id);
    if (p) { p.connectionState = state; p.onconnectionstatechange?.(); }
  });
  // The SDK asks for a peer synchronously: the page's is made first, the proxy waits for its number.
  const factory = (config: unknown): CallPeer => {
    const pending = page.evaluate((c) => (window as any).__mkpc(c), config);
    const peer = new PagePeer(page, -1);
    const ready = pending.then((id) => { (peer as { id: number }).id = id; peers.set(id, peer); });
    return new Proxy(peer, {
      get(target, key, receiver) {
        const v = Reflect.get(target, key, receiver);
        return typeof v === 'function' && key !== 'close' ? (...args: unknown[]) => ready.then(() => v.apply(target, args)) : v;
      },
    });
  };
  const prepare = async (peer: CallPeer, role: 'publisher' | 'subscriber') => {
    await waitFor(() => (peer as PagePeer).id >= 0, { what: 'the page\'s peer' });
    await page.evaluate(async ([id, role]) => {
      const w = window as any;
      const pc = w.__pcs[id as number] as RTCPeerConnection;
      if (role === 'publisher') {
        // In a later task than the frame crypto was attached: its addTrack hook covers the senders.
        const stream = await w.__media;
        for (const track of stream.getTracks()) pc.addTrack(track, stream);
      } else {
        pc.ontrack = (event) => { // a playing sink, or Chromium does not decode the audio it receives
          const el = document.createElement(event.track.kind === 'audio' ? 'audio' : 'video') as HTMLMediaElement;
          el.autoplay = true;
          el.muted = event.track.kind === 'video';
          el.srcObject = new MediaStream([event.track]);
          document.body.append(el);
        };
      }
    }, [(peer as PagePeer).id, role] as const);
  };
  const keysGiven: CallEpochKey[] = [];
  const frameCrypto = async (peer: CallPeer, role?: 'publisher' | 'subscriber'): Promise<FrameKeySink> => {
    await waitFor(() => (peer as PagePeer).id >= 0, { what: 'the page\'s peer' });
    await page.evaluate(async ([id, role]) => {
      const w = window as any;
      const pc = w.__pcs[id as number] as RTCPeerConnection;
      w.__nextRole = role;
      w.__sinks[id as number] = w.ParleyCalls.attachFrameCrypto(pc);
    }, [(peer as PagePeer).id, role ?? 'publisher'] as const);
    const id = (peer as PagePeer).id;
    return {
      setEpoch(key) {
        keysGiven.push({ ...key, baseKey: key.baseKey.slice() });
        const bytes = [...key.baseKey];
        if (wrongKey) bytes[0] = bytes[0]! ^ 1;
        void page.evaluate(([id, k]) => {
          const key = k as { epoch: string; leafIndex: number; leafCount: number; baseKey: number[] };
          (window as any).__sinks[id as number].setEpoch({ epoch: BigInt(key.epoch), leafIndex: key.leafIndex, leafCount: key.leafCount, baseKey: Uint8Array.from(key.baseKey) });
        }, [id, { epoch: key.epoch.toString(), leafIndex: key.leafIndex, leafCount: key.leafCount, baseKey: bytes }] as const);
      },
      close() { void page.evaluate((id) => (window as any).__sinks[id].close(), id).catch(() => undefined); },
    };
  };
  return { factory: factory as PeerFactory, prepare, frameCrypto, keysGiven };
}

interface WorkerStats { role: string; sent: number; decrypted: number; refused: number; tap: { stale: Record<string, Record<string, number>>; fresh: Record<string, number> } }
const workers = (page: Page): Promise<WorkerStats[]> => page.evaluate(() => (window as any).__workers);
const sub = (w: WorkerStats[]) => w.filter((x) => x.role === 'subscriber').reduce((a, x) => ({ ...x, decrypted: a.decrypted + x.decrypted, refused: a.refused + x.refused }), { role: 'subscriber', sent: 0, decrypted: 0, refused: 0, tap: { stale: {}, fresh: {} } } as WorkerStats);
const subTap = (w: WorkerStats[]) => w.filter((x) => x.role === 'subscriber').at(-1)?.tap ?? { stale: {}, fresh: {} };
const sentBy = (w: WorkerStats[]) => w.filter((x) => x.role === 'publisher').reduce((n, x) => n + x.sent, 0);

async function videoDecoded(page: Page): Promise<number[]> {
  return page.evaluate(async () => {
    const out: number[] = [];
    for (const pc of (window as any).__pcs as RTCPeerConnection[]) {
      (await pc.getStats()).forEach((s: any) => { if (s.type === 'inbound-rtp' && s.kind === 'video') out.push(s.framesDecoded ?? 0); });
    }
    return out;
  });
}

describe('R76/R120 end-to-end encrypted group call media through Janus (Chromium, fake media)', () => {
  it('R76 Janus forwards frames only the key opens: Alice and Bob decrypt each other, Carol with a wrong key nothing; R120 Carol leaves and her last key opens none of the frames after', { timeout: 120_000 }, async () => {
    await using janus = await Janus.start();
    await using server = await startTestServer({
      PARLEY_JANUS_URL: janus.url, PARLEY_JANUS_ADMIN_URL: janus.adminUrl, PARLEY_JANUS_ADMIN_SECRET: janus.adminSecret, PARLEY_JANUS_ROOM_ADMIN_KEY: janus.roomAdminKey,
      PARLEY_SFU_SWEEP_INTERVAL_MS: '3600000',
    });
    const script = await bundleCallPage({ workerPrelude: WORKER_TAP });
    const browser = await launchCallBrowser();
    const clients: ParleyClient[] = [];
    try {
      const pages: Page[] = [];
      for (let i = 0; i < 3; i++) pages.push(await openCallPage(browser, server.url, script, PAGE));
      const people = await Promise.all(pages.map((p, i) => personPage(p, i === 2)));
      const users = await Promise.all(['Alice', 'Bob', 'Carol'].map((displayName, i) => createUser(server.url, {
        displayName, client: { mls: { enabled: true }, calls: { peer: people[i]!.factory, groupSecretSettleMs: 200 } },
      })));
      clients.push(...users.map((u) => u.client));
      const { chatId } = await users[0]!.client.createGroup({ name: 'Entrance 2', memberIds: [users[1]!.userId, users[2]!.userId] });
      await waitFor(() => clients.every((c) => c.chat(chatId)?.encryption === 'on'), { what: 'the group encrypted on every device', timeoutMs: 30_000 });
      const calls: GroupCall[] = [];
      for (const [i, u] of users.entries()) calls.push(await u.client.calls.joinGroup(chatId, { prepare: people[i]!.prepare, frameCrypto: people[i]!.frameCrypto }));
      const [a, b, c] = calls as [GroupCall, GroupCall, GroupCall];
      await waitFor(() => a.view.frameEpoch !== undefined && calls.every((x) => x.view.frameEpoch === a.view.frameEpoch), { what: 'one epoch key in the call' });
      const e0 = a.view.frameEpoch!;

      // Generous: on a loaded 2-core machine three Chromium encoders and Janus compete for the CPU.
      let last: unknown;
      await waitFor(async () => {
        const [wa, wb, wc] = await Promise.all(pages.map(workers));
        const vids = await Promise.all(pages.slice(0, 2).map(videoDecoded));
        last = { workers: [wa, wb, wc], vids };
        return [wa, wb].every((w) => sub(w!).decrypted > 100) && sub(wc!).refused > 100 && [wa, wb, wc].every((w) => sentBy(w!) > 100)
          && vids.every((v) => v.some((n) => n > 10));
      }, { what: 'encrypted frames everywhere', timeoutMs: 60_000, intervalMs: 500 }).catch((err: unknown) => assert.fail(`${String(err)}: ${JSON.stringify(last)}\n${janus.recentLog.slice(-1500)}`));
      assert.equal(sub((await workers(pages[2]!))).decrypted, 0, 'Carol, without the key, decrypts none of what Janus forwards her');

      // Carol leaves the call, not the chat: one new call secret (R120) moves Alice and Bob past her key.
      await c.leave();
      await waitFor(() => a.view.frameEpoch === e0 + 1 && b.view.frameEpoch === e0 + 1, { what: 'alice and bob rotate', timeoutMs: 20_000 });
      const low = String((e0 + 1) % 16);
      await waitFor(async () => (await Promise.all(pages.slice(0, 2).map(workers))).every((w) => (subTap(w).fresh[low] ?? 0) > 50), { what: 'frames of the new epoch decrypt', timeoutMs: 45_000, intervalMs: 500 });
      for (const page of pages.slice(0, 2)) {
        const tap = subTap(await workers(page));
        const old = tap.stale[String(e0)] ?? {};
        assert.ok((old[String(e0 % 16)] ?? 0) > 50, `the old key opened the old epoch's frames (the tap works): ${JSON.stringify(tap)}`);
        assert.equal(old[low] ?? 0, 0, `the old epoch's key opens none of the new epoch's frames: ${JSON.stringify(tap)}`);
      }
      assert.equal(people[2]!.keysGiven.at(-1)?.epoch, BigInt(e0), 'Carol\'s call was not handed the new key');
      await Promise.all([a.leave(), b.leave()]);
    } finally {
      await Promise.all(clients.map((x) => x.stop()));
      await browser.close();
    }
  });
});
