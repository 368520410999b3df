// The lanes of scripts/run-tests.mjs: each test file runs in a `node --test` process of its own,
// `lanes` files at once, in the given order (longest first), except that no more than `browserLanes`
// files that drive Chromium run at once: a Chromium file may wait while a later file without one starts.
// Why not `node --test --test-concurrency=N` over all files: most files wait far more than they
// compute (measured: 9 server files used 66 s of CPU over 182 s of their CI wall time, a lane ~36% busy),
// so a third lane pays; three browsers at once on 2 cores would starve the media tests' waits.
// Each file's output is printed when it ends, in one piece (no interleaving of two files' lines).
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fromBundle } from './test-bundle.mjs';

/** A file drives Chromium (browser e2e files, and the call tests with Chromium peers). */
export function drivesBrowser(root, file) {
  if (/\.e2e\.tsx?$/.test(file)) return true;
  try {
    return /playwright-core|launchBrowser\(/.test(readFileSync(join(root, file), 'utf8'));
  } catch {
    return false;
  }
}

/**
 * @param {{ files: string[], browser: boolean[], lanes: number, browserLanes: number, nodeArgs: string[],
 *   root: string, tablePath: string, env: NodeJS.ProcessEnv }} opts files to run (relative to root, bundles or
 *   sources), whether each drives Chromium; nodeArgs go before `--test` (the loader); tablePath gets each
 *   file's line from scripts/file-times.mjs
 * @returns {Promise<number>} 0 when every file passed
 */
export async function runInLanes({ files, browser, lanes, browserLanes, nodeArgs, root, tablePath, env }) {
  const queue = files.map((file, i) => ({ file, browser: browser[i] === true, n: i }));
  let running = 0;
  let browsers = 0;
  let status = 0;
  await new Promise((done) => {
    const fill = () => {
      while (running < lanes) {
        const i = queue.findIndex((f) => !f.browser || browsers < Math.max(1, browserLanes));
        if (i < 0) break;
        const [next] = queue.splice(i, 1);
        running++;
        if (next.browser) browsers++;
        void runOne(next).then((code) => {
          running--;
          if (next.browser) browsers--;
          if (code !== 0) status = 1;
          fill();
        });
      }
      if (running === 0 && queue.length === 0) done();
    };
    fill();
  });
  return status;

  function runOne({ file, n }) {
    const times = `${tablePath}.${process.pid}.${n}`;
    const started = Date.now();
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [
        ...nodeArgs, '--test', '--test-force-exit', '--test-timeout=240000',
        '--test-reporter=spec', '--test-reporter-destination=stdout',
        '--test-reporter=./scripts/file-times.mjs', `--test-reporter-destination=${relative(root, times)}`,
        file,
      ], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
      const out = [];
      child.stdout.on('data', (d) => out.push(d));
      child.stderr.on('data', (d) => out.push(d));
      child.on('close', (code) => {
        process.stdout.write(Buffer.concat(out));
        const line = existsSync(times) ? readFileSync(times, 'utf8') : '';
        rmSync(times, { force: true });
        // A runner that died before its reporter wrote the file's line: the file failed all the same.
        appendFileSync(tablePath, line || `${((Date.now() - started) / 1000).toFixed(1)}\t${code === 0 ? 'pass' : 'FAIL'}\t${fromBundle(file)}\n`);
        resolve(code ?? 1);
      });
    });
  }
}
