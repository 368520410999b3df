/** Coordinator (bench/fuzz.ts) ↔ fuzz load process (fuzz-worker.ts) messages (IPC), and merging their stats. */
import type { FrameFuzzContext, FuzzStats } from '../../packages/testing/src/index.ts';

export interface FuzzConnectionSpec {
  token: string;
  ctx: FrameFuzzContext;
  seed: number;
  frames: number;
}

export type FuzzCommand =
  | { cmd: 'run'; url: string; connections: FuzzConnectionSpec[]; batch: number }
  | { cmd: 'stats' };

export type FuzzReply =
  | { cmd: 'ready' }
  | { cmd: 'stats'; stats: FuzzStats; done: boolean; failures: string[] }
  | { cmd: 'error'; message: string };

export function emptyStats(): FuzzStats {
  return { frames: 0, expected: {}, errors: {}, replies: {}, closes: {}, reconnects: 0, violations: 0, firstViolations: [] };
}

export function mergeStats(into: FuzzStats, from: FuzzStats): FuzzStats {
  into.frames += from.frames;
  into.reconnects += from.reconnects;
  into.violations += from.violations;
  into.firstViolations.push(...from.firstViolations.slice(0, Math.max(0, 20 - into.firstViolations.length)));
  for (const key of ['expected', 'errors', 'replies', 'closes'] as const) {
    for (const [k, v] of Object.entries(from[key])) into[key][k] = (into[key][k] ?? 0) + v;
  }
  return into;
}
