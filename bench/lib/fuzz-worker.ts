// A fuzz load process: one FrameFuzzer (packages/testing/src/fuzz-driver.ts) per connection, each
// sending seeded batches of the shared fuzz frames and checking every answer, on command from
// bench/fuzz.ts over IPC. Stats are merged and sent back while it runs and at the end.
import fc from 'fast-check';
import { FrameFuzzer, fuzzFrame } from '../../packages/testing/src/index.ts';
import { emptyStats, mergeStats, type FuzzCommand, type FuzzConnectionSpec, type FuzzReply } from './fuzz-protocol.ts';

const fuzzers: FrameFuzzer[] = [];
const failures: string[] = [];
let done = false;

async function drive(url: string, spec: FuzzConnectionSpec, batch: number): Promise<void> {
  const fuzzer = new FrameFuzzer({ url, token: spec.token, ctx: spec.ctx, replyTimeoutMs: 60_000 });
  fuzzers.push(fuzzer);
  const frames = fuzzFrame(spec.ctx);
  try {
    for (let sent = 0, i = 0; sent < spec.frames; i++) {
      const n = Math.min(batch, spec.frames - sent);
      await fuzzer.send(fc.sample(frames, { seed: spec.seed + i, numRuns: n }));
      sent += n;
    }
  } catch (err) {
    // The server no longer accepts connections: it crashed (the coordinator checks), or it is overloaded.
    failures.push(String((err as Error)?.message ?? err).slice(0, 300));
  } finally {
    fuzzer.close();
  }
}

const reply = (r: FuzzReply) => process.send?.(r);
const merged = () => fuzzers.reduce((all, f) => mergeStats(all, f.stats), emptyStats());

process.on('message', (cmd: FuzzCommand) => {
  switch (cmd.cmd) {
    case 'run':
      void Promise.all(cmd.connections.map((spec) => drive(cmd.url, spec, cmd.batch))).then(() => (done = true));
      return;
    case 'stats':
      return reply({ cmd: 'stats', stats: merged(), done, failures });
  }
});
process.on('uncaughtException', (err) => reply({ cmd: 'error', message: String(err.stack ?? err) }));
reply({ cmd: 'ready' });
