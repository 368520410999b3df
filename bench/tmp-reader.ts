import { CipherReader, importFileKey, newFileKey } from '../packages/client/src/index.ts';
import { openSource } from '../packages/client/src/files/sources.ts';
for (const cb of [1048576]) {
  const src = await openSource({ path: '/tmp/r512.bin' }, 512 * 1048576);
  const r = new CipherReader(await importFileKey(newFileKey()), src, cb);
  const c0 = process.cpuUsage(); const t0 = performance.now();
  const step = 16 * 1048576;
  for (let s = 0; s < r.layout.cipherSize; s += step) await r.read(s, Math.min(s + step, r.layout.cipherSize));
  await r.digest();
  const c = process.cpuUsage(c0);
  console.log(cb, 'wall', Math.round(performance.now() - t0), 'ms cpu', Math.round((c.user + c.system) / 1000), 'ms');
  await r.close();
}
