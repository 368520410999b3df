import type { ChannelLimits } from '../../config.ts';
import type { Clock } from '../ports.ts';
import type { RateLimiter } from '../rate-limiter.ts';

/** What counting views needs: R98's limits (`PARLEY_CHANNEL_VIEW_BUCKET_MS`, `PARLEY_CHANNEL_VIEW_REPORTS_PER_MIN`), shared by R183. */
export interface ViewCounting {
  limiter: RateLimiter;
  clock: Clock;
  limits: Pick<ChannelLimits, 'viewBucketMs' | 'viewReportsPerMin'>;
}

/**
 * R98, R183: one device's report of posts it showed. It takes one of the device's reports a minute
 * under `limiterKey` (`rate_limited` past them), so no one inflates counts fast, then `add` counts each
 * post once in the current time bucket. No record of who viewed: only the counter per (post, bucket).
 */
export async function countViews(d: ViewCounting, limiterKey: string, add: (bucket: number) => Promise<unknown>): Promise<void> {
  const perMin = d.limits.viewReportsPerMin;
  await d.limiter.take(limiterKey, perMin / 60, perMin);
  const bucketMs = d.limits.viewBucketMs;
  await add(Math.floor(d.clock.now() / bucketMs) * bucketMs);
}
