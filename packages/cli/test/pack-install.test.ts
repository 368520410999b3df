import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { freshCheckout, repoRoot, startTestServer, type Checkout } from '@parley/testing';

const run = promisify(execFile);
const PACKAGES = ['protocol', 'mls-public', 'client', 'cli'];

/** What someone outside this repository writes: plain Node, the SDK from its installed package. */
const SDK_SCRIPT = `import { accounts, generateDeviceKey } from '@parley/client';
import { PROTOCOL_VERSION } from '@parley/protocol';
const baseUrl = process.argv[2];
const deviceKey = await generateDeviceKey();
const created = await accounts.createWithDeviceKey(baseUrl, { handle: process.argv[3], displayName: 'SDK script', deviceName: 'script', deviceKey });
const session = await accounts.login(baseUrl, created.deviceId, deviceKey);
console.log(JSON.stringify({ protocol: PROTOCOL_VERSION, userId: created.userId, deviceId: created.deviceId, hasRecoveryCode: created.recoveryCode.length > 0, hasToken: session.token.length > 0 }));
`;

/** The same against the installed declarations, under a strict tsconfig of the consumer's own. */
const TYPED_USE = `import { accounts, generateDeviceKey, ParleyClient, type DeviceKey } from '@parley/client';
import { PROTOCOL_VERSION, type AccountCreated } from '@parley/protocol';
export async function create(baseUrl: string): Promise<{ created: AccountCreated; version: number }> {
  const deviceKey: DeviceKey = await generateDeviceKey();
  const created = await accounts.createWithDeviceKey(baseUrl, { handle: 'h', displayName: 'd', deviceName: 'n', deviceKey });
  return { created, version: PROTOCOL_VERSION };
}
export type Client = ParleyClient;
`;

describe('pack and install: the SDK and the CLI as packages a developer installs', { timeout: 240_000 }, () => {
  let checkout: Checkout | undefined;
  let app: string;
  let tarballs: string[] = [];
  before(async () => {
    // Packed from a fresh clone: prepack swaps package.json and writes dist/, which this checkout must not see mid-test.
    checkout = freshCheckout();
    app = mkdtempSync(join(tmpdir(), 'parley-consumer-'));
    if (!checkout) return;
    const packs = join(checkout.dir, 'packs');
    mkdirSync(packs);
    for (const name of PACKAGES) await run('npm', ['pack', '--silent', '--pack-destination', packs], { cwd: join(checkout.dir, 'packages', name) });
    tarballs = readdirSync(packs).map((f) => join(packs, f));
  });
  after(async () => {
    await checkout?.[Symbol.asyncDispose]();
    rmSync(app, { recursive: true, force: true });
  });

  it('npm pack gives tarballs with compiled JavaScript and declarations, and no TypeScript sources', async (t) => {
    if (!checkout) return t.skip('not a git checkout');
    assert.equal(tarballs.length, PACKAGES.length);
    const files = async (name: string) => (await run('tar', ['tzf', tarballs.find((f) => f.includes(`parley-${name}-`))!])).stdout.split('\n').filter(Boolean);
    for (const name of ['protocol', 'mls-public', 'client']) {
      const list = await files(name);
      assert.ok(list.includes('package/dist/index.js') && list.includes('package/dist/index.d.ts'), `${name}: ${list.join(' ')}`);
      assert.ok(!list.some((f) => f.startsWith('package/src/') || /\.test\.(js|ts)$/.test(f)), `${name} ships no sources or tests`);
    }
    // The SDK carries the patched ts-mls it was tested with (a module only the patch adds), not the registry's.
    assert.ok((await files('client')).includes('package/node_modules/ts-mls/dist/src/treeHashSeeds.js'), 'the client tarball bundles the patched ts-mls');
    assert.deepEqual((await files('cli')).sort(), ['package/README.md', 'package/bin/parley.mjs', 'package/dist/index.js', 'package/package.json']);
    // The packing put the repository's package.json back.
    const { stdout } = await run('git', ['status', '--porcelain', '--', 'packages'], { cwd: checkout.dir });
    assert.equal(stdout.trim(), '');
  });

  it('the tarballs install into an empty directory: `npx parley --help` works, an SDK script creates an account, the types check', async (t) => {
    if (!checkout) return t.skip('not a git checkout');
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...tarballs], { cwd: app });

    const help = await run('npx', ['--no-install', 'parley', '--help'], { cwd: app });
    assert.match(help.stdout, /^parley — command-line client/);

    await using server = await startTestServer();
    writeFileSync(join(app, 'sdk.mjs'), SDK_SCRIPT);
    const out = await run(process.execPath, ['sdk.mjs', server.url, `sdk_${process.pid.toString(36)}`], { cwd: app });
    const result = JSON.parse(out.stdout) as { protocol: number; userId: string; deviceId: string; hasRecoveryCode: boolean; hasToken: boolean };
    assert.equal(result.hasRecoveryCode, true);
    assert.equal(result.hasToken, true);
    assert.ok(await server.services.storage.getUser(result.userId), 'the account exists on the server');

    writeFileSync(join(app, 'use.ts'), TYPED_USE);
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { strict: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', noEmit: true, types: [], lib: ['es2023', 'dom'] },
      files: ['use.ts'],
    }));
    await run(process.execPath, [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', app], { cwd: app });
  });
});
