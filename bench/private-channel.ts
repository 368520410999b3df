// R112-R113: what a private channel costs on the MLS-group path (one group holds every subscriber's
// device), and the cost of the path beyond it (an epoch key wrapped for each subscriber's device).
// No server: the clients' work is what grows with subscribers (the server stores each post once, R3).
// Per size: build the group (the admin adds every subscriber at once, as a growing channel never
// pays in one go), a 1 KB post (encrypt once, decrypt per subscriber), one subscriber added (commit +
// Welcome) and one removed (commit), each commit's processing time on a subscriber's device, and the
// sum over all subscribers' devices. Then the wrap path: X25519 + HKDF-SHA256 + AES-128-GCM per
// device (HPKE's shape, node:crypto), µs per wrap and bytes per device.
// Usage: node --import tsx bench/private-channel.ts [sizes=100,1000] [wraps=10000]
import { createCipheriv, diffieHellman, generateKeyPairSync, hkdfSync, randomBytes } from 'node:crypto';
import { MlsGroupSession } from '../packages/client/src/mls/index.ts';
import { round } from './lib/fixture.ts';
import { device, timed } from './lib/mls-fixture.ts';

const sizes = (process.argv[2] ?? '100,1000').split(',').map(Number);
const wraps = Number(process.argv[3] ?? 10_000);
const log = (o: Record<string, unknown>) => console.log(JSON.stringify(o));

for (const n of sizes) {
  const members = await Promise.all(Array.from({ length: n - 1 }, (_, i) => device(`sub${i}`)));
  const admin = await device('admin');
  const channel = await MlsGroupSession.create(admin.identity, new TextEncoder().encode(`channel-${n}`));
  const [{ welcome }, buildMs] = await timed(() => channel.addMembers(members.map((m) => m.kps[0]!.keyPackage)));
  channel.mergePendingCommit();
  const reader = members[0]!;
  // Past R35b's size the Welcome carries no tree: the joiner reads it from the server (here: from the admin's session).
  const { session: sub } = await MlsGroupSession.join(reader.identity, welcome, reader.kps, {}, channel.ratchetTreeBytes());

  // A post: encrypted once by the admin's device; each subscriber's device decrypts it.
  const text = new TextEncoder().encode('x'.repeat(1024));
  const [post, encryptMs] = await timed(() => channel.encrypt(text));
  const [, decryptMs] = await timed(() => sub.decrypt(post));

  // One subscriber more: the admin's device commits the add; every other device processes it.
  const newcomer = await device('newcomer');
  const [add, addMs] = await timed(() => channel.addMembers([newcomer.kps[0]!.keyPackage]));
  channel.mergePendingCommit();
  const [, processAddMs] = await timed(() => sub.processHandshake(add.commit));

  // One subscriber removed (R112: after a ban, so nothing new reaches their device).
  const [removal, removeMs] = await timed(() => channel.removeMembers([{ userId: 'newcomer', deviceId: 'dev' }]));
  channel.mergePendingCommit();
  const [, processRemoveMs] = await timed(() => sub.processHandshake(removal.commit));
  // A second removal: the first one's path update left the tree fuller (closer to the steady state).
  const gone = members[1]!;
  const [removal2, remove2Ms] = await timed(() => channel.removeMembers([{ userId: gone.identity.userId, deviceId: gone.identity.deviceId }]));
  channel.mergePendingCommit();
  const [, processRemove2Ms] = await timed(() => sub.processHandshake(removal2.commit));

  log({
    bench: 'private-channel', path: 'mls-group', subscribers: n - 1, buildAllAtOnceMs: round(buildMs), welcomeBytes: welcome.length,
    post1KbEncryptMs: round(encryptMs, 2), postBytes: post.length, post1KbDecryptMsPerDevice: round(decryptMs, 2),
    addCommitMs: round(addMs), addCommitBytes: add.commit.length, addWelcomeBytes: add.welcome.length, processAddMsPerDevice: round(processAddMs, 1),
    removeCommitMs: round(removeMs), removeCommitBytes: removal.commit.length, processRemoveMsPerDevice: round(processRemoveMs, 1),
    secondRemoveCommitMs: round(remove2Ms), secondRemoveCommitBytes: removal2.commit.length, secondProcessRemoveMsPerDevice: round(processRemove2Ms, 1),
    allDevicesCpuPerRemovalS: round(((n - 1) * processRemove2Ms) / 1000, 1),
    allDevicesCpuPerPostS: round(((n - 1) * decryptMs) / 1000, 2),
  });
}

// Beyond the MLS group (R113): a fresh epoch key wrapped for each subscriber device's X25519 key.
{
  const recipients = Array.from({ length: Math.min(wraps, 1000) }, () => generateKeyPairSync('x25519').publicKey);
  const epochKey = randomBytes(16);
  const [bytes, ms] = await timed(() => {
    let total = 0;
    for (let i = 0; i < wraps; i++) {
      const eph = generateKeyPairSync('x25519');
      const shared = diffieHellman({ privateKey: eph.privateKey, publicKey: recipients[i % recipients.length]! });
      const key = Buffer.from(hkdfSync('sha256', shared, Buffer.alloc(0), 'parley-channel-epoch-key-v1', 16));
      const iv = randomBytes(12);
      const c = createCipheriv('aes-128-gcm', key, iv);
      const sealed = Buffer.concat([c.update(epochKey), c.final(), c.getAuthTag()]);
      total += 32 + iv.length + sealed.length; // ephemeral public key + nonce + sealed key and tag
    }
    return total;
  });
  const perWrapUs = (ms * 1000) / wraps;
  log({
    bench: 'private-channel', path: 'wrapped-epoch-key', wraps, perWrapUs: round(perWrapUs, 1), bytesPerDevice: bytes / wraps,
    rekey100kDevicesS: round((perWrapUs * 100_000) / 1e6, 1), rekey1MDevicesS: round((perWrapUs * 1_000_000) / 1e6, 1),
    rekey1MDevicesMB: round((bytes / wraps) * 1_000_000 / 1e6, 1),
  });
}
