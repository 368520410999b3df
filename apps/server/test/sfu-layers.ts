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
  return page.evaluate(async () => {
    const sub = (window as unknown as { call: { view: { subscriber?: RTCPeerConnection } } }).call.view.subscriber;
    const out = { decoded: 0, width: 0 };
    (await sub?.getStats())?.forEach((s: Record<string, any>) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') {
        out.decoded = s.framesDecoded ?? 0;
        out.width = s.frameWidth ?? 0;
      }
    });
    return out;
  });
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
  let seen = { decoded: 0, width: 0 };
  /** The frame count when the width was first seen (again): frames decoded since are of that width. */
  let since: number | undefined;
  await waitFor(async () => {
    seen = await receivedVideo(page);
    if (seen.width !== width) since = undefined;
    else since ??= seen.decoded;
    return since !== undefined && seen.decoded >= since + (opts.frames ?? 5);
  }, { what: `the receiver to decode ${width}-pixel frames`, timeoutMs: opts.timeoutMs ?? 60_000, intervalMs: 300 }).catch(async (err: unknown) => {
    throw new Error(`${(err as Error).message}: ${JSON.stringify({ seen, since, publisher: await opts.context?.() })}`);
  });
}
