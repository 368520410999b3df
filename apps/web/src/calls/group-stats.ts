/**
 * What a group call's tiles show from getStats: how loud each participant is now (for the active
 * speaker) and how well their media arrives (good / fair / poor). Pure functions over the stats
 * entries, so they are tested without a browser; the layer polls and keeps the previous sample.
 */

export type Quality = 'good' | 'fair' | 'poor';

/** Only what is read of getStats' entries. */
export interface StatsEntry {
  id: string;
  type: string;
  kind?: string;
  mid?: string;
  audioLevel?: number;
  packetsReceived?: number;
  packetsLost?: number;
  framesDecoded?: number;
  selectedCandidatePairId?: string;
  currentRoundTripTime?: number;
}

/** One participant's figures at one poll (counters are cumulative, as getStats gives them). */
export interface FeedSample {
  level: number;
  received: number;
  lost: number;
  /** Video frames decoded. */
  frames: number;
}

/** Per feed id: audio level of its audio stream, packets received and lost over its streams, video frames decoded. */
export function sampleFeeds(entries: Iterable<StatsEntry>, feedOfMid: ReadonlyMap<string, number>): Map<number, FeedSample> {
  const out = new Map<number, FeedSample>();
  for (const e of entries) {
    if (e.type !== 'inbound-rtp' || e.mid === undefined) continue;
    const feed = feedOfMid.get(e.mid);
    if (feed === undefined) continue;
    const s = out.get(feed) ?? { level: 0, received: 0, lost: 0, frames: 0 };
    if (e.kind === 'audio') s.level = Math.max(s.level, e.audioLevel ?? 0);
    if (e.kind === 'video') s.frames += e.framesDecoded ?? 0;
    s.received += e.packetsReceived ?? 0;
    s.lost += Math.max(0, e.packetsLost ?? 0);
    out.set(feed, s);
  }
  return out;
}

/** The round trip (seconds) of the peer connection's selected candidate pair, if known. */
export function roundTrip(entries: Iterable<StatsEntry>): number | undefined {
  const all = new Map<string, StatsEntry>();
  for (const e of entries) all.set(e.id, e);
  const transport = [...all.values()].find((e) => e.type === 'transport' && e.selectedCandidatePairId);
  const pair = transport?.selectedCandidatePairId !== undefined ? all.get(transport.selectedCandidatePairId) : undefined;
  return pair?.currentRoundTripTime;
}

/** Loss above this share of packets since the last poll, or a round trip above this, is fair; the second pair poor. */
const FAIR_LOSS = 0.02;
const POOR_LOSS = 0.08;
const FAIR_RTT_S = 0.3;
const POOR_RTT_S = 0.8;

/**
 * From two samples of a feed a poll apart and the path's round trip: good, fair or poor. A feed
 * that received nothing since the last poll while it was receiving before is poor (its media stopped).
 */
export function quality(prev: FeedSample | undefined, now: FeedSample, rttS: number | undefined): Quality {
  const received = now.received - (prev?.received ?? 0);
  const lost = now.lost - (prev?.lost ?? 0);
  const total = received + lost;
  const loss = total > 0 ? lost / total : prev && prev.received > 0 ? 1 : 0;
  const rtt = rttS ?? 0;
  if (loss > POOR_LOSS || rtt > POOR_RTT_S) return 'poor';
  if (loss > FAIR_LOSS || rtt > FAIR_RTT_S) return 'fair';
  return 'good';
}

/**
 * Whether a feed's video showed no new frame since the last poll (its camera is off: the sender
 * stops sending, which the SFU does not signal; or its video stalled): its tile shows the avatar.
 */
export function videoStopped(prev: FeedSample | undefined, now: FeedSample): boolean {
  return prev !== undefined && now.frames === prev.frames;
}

/** Below this audio level (0..1) nobody is speaking: the speaker view keeps whoever spoke last. */
const SPEAKING_LEVEL = 0.02;

/** The loudest participant above the speaking threshold, else `current` if still in the call, else the first. */
export function activeSpeaker(levels: ReadonlyMap<number, number>, feeds: readonly number[], current: number | undefined): number | undefined {
  let best: number | undefined;
  let bestLevel = SPEAKING_LEVEL;
  for (const feed of feeds) {
    const level = levels.get(feed) ?? 0;
    if (level > bestLevel) { best = feed; bestLevel = level; }
  }
  if (best !== undefined) return best;
  return current !== undefined && feeds.includes(current) ? current : feeds[0];
}
