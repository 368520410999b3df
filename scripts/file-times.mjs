// Node test-runner reporter: one line per test file with its wall time (the file's process, from
// start to exit), written as each file ends (so a run cut short still leaves the files it finished).
// run-tests.mjs writes it to test-artifacts/file-times.txt and prints the slowest at the end.
// Line format: "<seconds>\t<pass|FAIL>\t<file>" (a bundle's file: the test file it was built from).
import { relative } from 'node:path';
import { fromBundle } from './test-bundle.mjs';

export default async function* fileTimes(source) {
  for await (const event of source) {
    if (event.type !== 'test:complete') continue;
    const { data } = event;
    // Each file is a top-level test named by its path (process isolation, Node 20).
    if (data.nesting !== 0 || !data.file || data.name !== data.file) continue;
    const seconds = (data.details?.duration_ms ?? 0) / 1000;
    yield `${seconds.toFixed(1)}\t${data.details?.passed === true ? 'pass' : 'FAIL'}\t${fromBundle(relative(process.cwd(), data.file))}\n`;
  }
}
