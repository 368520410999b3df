import type { Page } from 'playwright-core';
import { waitFor } from '@parley/testing';

/**
 * What the two R123 simulcast browser tests (calls-sfu-simulcast, -simulcast-sframe) read from
 * their pages (joined with sfu-pages.ts's `joinInPage`, `simulcast: true`): the layers the
 * publisher sends, the picture the receiver decodes, and a wait for the receiver to decode a width.
 */

/** One simulcast layer the publisher sends, from getStats. */
export interface SentLayer {
  framesEncoded: number;
  width: number;
  /** Why Chromium holds the layer back (`bandwidth`, `cpu`, `none`): for a failure's message. */
  limitedBy: string;
}

/** The publisher's video layers by rid, and its bandwidth estimate (bit/s, for a failure's message). */
export async function sentLayers(page: Page): Promise<{ layers: Record<string, SentLayer>; estimate: number }> {
  return page.evaluate(async () => {
    const pub = (window as unknown as { call: { view: { publisher?: RTCPeerConnection } } }).call.view.publisher;
    const out = { layers: {} as Record<string, { framesEncoded: number; width: number; limitedBy: string }>, estimate: 0 };
    (await pub?.getStats())?.forEach((s: Record<string, any>) => {
      if (s.type === 'outbound-rtp' && s.kind === 'video') {
        out.layers[s.rid ?? '-'] = { framesEncoded: s.framesEncoded ?? 0, width: s.frameWidth ?? 0, limitedBy: s.qualityLimitationReason ?? '' };
      }
      if (s.type === 'candidate-pair' && s.nominated) out.estimate = s.availableOutgoingBitrate ?? 0;
    });
    return out;
  });
}

/** The receiver's video: frames decoded and the width of the last one. */
export async function receivedVideo(page: Page): Promise<{ decoded: number; width: number }> {
  const { decoded, width } = await receiverStats(page);
  return { decoded, width };
}

/**
 * The receiver's inbound video in full (getStats), for a failure's message: what arrived, what was
 * lost or dropped, which key frames it decoded, what it asked for (PLI, NACK, FIR) and its freezes.
 */
export async function receiverStats(page: Page): Promise<{ decoded: number; width: number } & Record<string, unknown>> {
  return page.evaluate(async () => {
    const w = window as unknown as { call: { view: { subscriber?: RTCPeerConnection; reconnectingSince?: number } }; reconnectingSeen?: boolean };
    const sub = w.call.view.subscriber;
    const out: { decoded: number; width: number } & Record<string, unknown> = {
      decoded: 0, width: 0, peer: `${sub?.connectionState}/${sub?.iceConnectionState}/${sub?.signalingState}`, reconnectingSeen: w.reconnectingSeen,
    };
    const videos: unknown[] = [];
    const stats = await sub?.getStats();
    // The pair the media flows on (an address that went away under it would stall it).
    stats?.forEach((s: Record<string, any>) => {
      if (s.type !== 'transport' || !s.selectedCandidatePairId) return;
      const pair = stats.get(s.selectedCandidatePairId);
      const end = (id: string) => { const c = stats.get(id); return c ? `${c.address}:${c.port} ${c.candidateType}` : id; };
      if (pair) out.pair = `${end(pair.localCandidateId)} -> ${end(pair.remoteCandidateId)} (${pair.state}, ${pair.responsesReceived} responses)`;
    });
    stats?.forEach((s: Record<string, any>) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') {
        videos.push({ mid: s.mid, ssrc: s.ssrc, decoded: s.framesDecoded, width: s.frameWidth });
        out.videos = videos; // more than one would say the receiver has a second video stream of the feed
        out.decoded = s.framesDecoded ?? 0;
        out.width = s.frameWidth ?? 0;
        for (const key of ['packetsReceived', 'packetsLost', 'framesReceived', 'framesDropped', 'keyFramesDecoded', 'pliCount', 'nackCount', 'firCount',
          'freezeCount', 'totalFreezesDuration', 'jitterBufferEmittedCount', 'decoderImplementation', 'lastPacketReceivedTimestamp']) {
          if (s[key] !== undefined) out[key] = s[key];
        }
        if (typeof out.lastPacketReceivedTimestamp === 'number') out.msSinceLastPacket = Math.round(performance.timeOrigin + performance.now() - (out.lastPacketReceivedTimestamp as number));
        delete out.lastPacketReceivedTimestamp;
      }
    });
    return out;
  });
}

/**
 * What Janus says of its VideoRoom handles (admin API `handle_info`), for a failure's message: each
 * handle's role and ICE pair, its video streams' simulcast state (for a subscriber: the substream it
 * relays, the one asked for) and its video media counters (what came in from the browser, what went out).
 */
export async function janusHandles(janus: { adminUrl: string; adminSecret: string }): Promise<unknown[]> {
  const admin = async (body: Record<string, unknown>, path = ''): Promise<Record<string, any>> => {
    const res = await fetch(`${janus.adminUrl}${path}`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...body, transaction: Math.random().toString(36).slice(2), admin_secret: janus.adminSecret }),
      signal: AbortSignal.timeout(5_000),
    });
    return (await res.json()) as Record<string, any>;
  };
  const out: unknown[] = [];
  try {
    for (const session of ((await admin({ janus: 'list_sessions' })).sessions ?? []) as number[]) {
      for (const handle of ((await admin({ janus: 'list_handles' }, `/${session}`)).handles ?? []) as number[]) {
        const info = (await admin({ janus: 'handle_info' }, `/${session}/${handle}`)).info as Record<string, any> | undefined;
        const plugin = info?.plugin_specific as Record<string, any> | undefined;
        const streams = ((plugin?.streams ?? []) as Array<Record<string, any>>).filter((s) => s.type === 'video')
          .map((s) => ({ mid: s.mid, ...(s.simulcast ? { simulcast: s.simulcast } : {}) }));
        const media = ((info?.webrtc?.media ?? {}) as Record<string, any>);
        const video = Object.values(media).filter((m: any) => m?.type === 'video')
          .map((m: any) => ({ in: m.stats?.in, out: m.stats?.out, rtcp: m.rtcp?.main ?? m.rtcp }));
        out.push({ handle, type: plugin?.type, pair: info?.webrtc?.ice?.['selected-pair'], streams, video });
      }
    }
  } catch (err) {
    out.push(`admin API: ${(err as Error).message}`);
  }
  return out;
}

/** Waits (generously: two Chromiums and Janus on a loaded 2-core machine) until `rids` each have 10 frames encoded. */
export async function waitForLayers(page: Page, rids: string[], timeoutMs = 90_000): Promise<Record<string, SentLayer>> {
  let last: Awaited<ReturnType<typeof sentLayers>> = { layers: {}, estimate: 0 };
  await waitFor(async () => {
    last = await sentLayers(page);
    return rids.every((rid) => (last.layers[rid]?.framesEncoded ?? 0) > 10);
  }, { what: `the publisher to send layers ${rids.join(', ')}`, timeoutMs, intervalMs: 500 }).catch((err: unknown) => {
    throw new Error(`${(err as Error).message}: ${JSON.stringify(last)}`);
  });
  return last.layers;
}

/**
 * Waits until the receiver decodes `frames` (5) more pictures while its last stays `width` pixels wide (getStats;
 * Janus switches at the asked layer's next key frame; a loaded machine may take a while).
 * `context`: what to add to a failure's message (the publisher's layers, say).
 */
export async function decodesWidth(page: Page, width: number, opts: { frames?: number; timeoutMs?: number; context?: () => Promise<unknown> } = {}): Promise<void> {
  let seen: { decoded: number; width: number } = { decoded: 0, width: 0 };
  /** The frame count when the width was first seen (again): frames decoded since are of that width. */
  let since: number | undefined;
  await waitFor(async () => {
    seen = await receivedVideo(page);
    if (seen.width !== width) since = undefined;
    else since ??= seen.decoded;
    return since !== undefined && seen.decoded >= since + (opts.frames ?? 5);
  }, { what: `the receiver to decode ${width}-pixel frames`, timeoutMs: opts.timeoutMs ?? 60_000, intervalMs: 300 }).catch(async (err: unknown) => {
    const receiver = await receiverStats(page).catch((e: unknown) => String(e));
    throw new Error(`${(err as Error).message}: ${JSON.stringify({ seen, since, receiver, publisher: await opts.context?.() })}`);
  });
}
