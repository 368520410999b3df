/**
 * R133: a screen shared in a group call is a second video stream of the sharer's one Janus publisher
 * (a second video m-line of its publishing peer, Janus 1.x multistream), labelled with the stream
 * description `screen`. Janus tells the others in its `publishers` events (each stream's mid, type,
 * description and whether it is disabled); a subscriber already carrying that publisher adds the new
 * stream by its mid. Stopping turns the m-line inactive (Janus marks the stream disabled and stops
 * forwarding it); sharing again reuses it.
 */

/** The stream description a screen's video carries on Janus (the only thing Janus learns of it). */
export const SCREEN_DESCRIPTION = 'screen';

/** One stream a publisher sends, as Janus lists it. */
export interface PublisherStream {
  mid: string;
  kind: 'audio' | 'video';
  /** Not disabled: it carries media now. */
  active: boolean;
  screen: boolean;
}

/** A publisher's streams from an entry of Janus's `publishers` list. */
export function publisherStreams(publisher: Record<string, unknown>): PublisherStream[] {
  const streams = publisher['streams'];
  if (!Array.isArray(streams)) return [];
  return (streams as Array<Record<string, unknown>>).flatMap((s) => {
    const kind = s['type'];
    if (typeof s['mid'] !== 'string' || (kind !== 'audio' && kind !== 'video')) return [];
    return [{ mid: s['mid'], kind, active: s['disabled'] !== true, screen: s['description'] === SCREEN_DESCRIPTION }];
  });
}

/** The publisher's active streams (by its mids) that the subscriber does not carry yet. */
export function missingMids(published: readonly PublisherStream[], carried: readonly { feedMid?: string | undefined }[]): string[] {
  const have = new Set(carried.map((s) => s.feedMid));
  return published.filter((p) => p.active && !have.has(p.mid)).map((p) => p.mid);
}

/** Feeds sharing a screen now: a publisher stream labelled `screen` that is not disabled. */
export function presenting(streams: ReadonlyMap<number, readonly PublisherStream[]>): number[] {
  return [...streams].filter(([, list]) => list.some((s) => s.screen && s.active)).map(([feed]) => feed);
}
