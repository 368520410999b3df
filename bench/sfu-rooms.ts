// R62 group call rooms on a private Janus (Debian's, loopback), server in this process: the cost of
// POST /calls/room (the first ask makes the room; later asks grant a token), of joining through the
// SDK until another participant sees the joiner (Node: no media), of a member removal (tokens out,
// publisher kicked), and of one sweep over many rooms; Janus's CPU for it all.
// Usage: node --import tsx bench/sfu-rooms.ts [members=10] [rooms=50]
import { readFileSync } from 'node:fs';
import { createUser, Janus, startTestServer, waitFor } from '@parley/testing';
import { percentile, round } from './lib/stats.ts';

const members = Number(process.argv[2] ?? 10);
const roomCount = Number(process.argv[3] ?? 50);

const janus = await Janus.start();
const server = await startTestServer({
  PARLEY_JANUS_URL: janus.url, PARLEY_JANUS_ADMIN_URL: janus.adminUrl, PARLEY_JANUS_ADMIN_SECRET: janus.adminSecret,
  PARLEY_JANUS_ROOM_ADMIN_KEY: janus.roomAdminKey, PARLEY_SFU_SWEEP_INTERVAL_MS: '3600000', PARLEY_RATE_SFU_ROOM_PER_HOUR: '100000',
  PARLEY_CALL_MAX_PARTICIPANTS: String(Math.max(members, 2)),
});
/** Janus's CPU seconds so far (utime + stime from /proc). */
const janusCpu = () => {
  const fields = readFileSync(`/proc/${janus.child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
};
const ms = (t0: number) => performance.now() - t0;
const summary = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { p50ms: round(percentile(s, 50), 2), p95ms: round(percentile(s, 95), 2), maxms: round(s.at(-1) ?? NaN, 2) };
};

try {
  const users = [];
  for (let i = 0; i < members; i++) users.push(await createUser(server.url, { start: i < 2, displayName: `m${i}` }));
  const [owner, second] = users as [typeof users[0], typeof users[0]];
  const { chatId } = await owner.client.createGroup({ name: 'bench', memberIds: users.slice(1).map((u) => u.userId) });

  // 1. POST /calls/room: the first ask (the room is made), then every member's, then again (same window: same token).
  let t0 = performance.now();
  await owner.client.groupCallRoom(chatId);
  const firstMs = ms(t0);
  const asks: number[] = [];
  for (let round_ = 0; round_ < 3; round_++) {
    for (const u of users) {
      t0 = performance.now();
      await u.client.groupCallRoom(chatId);
      asks.push(ms(t0));
    }
  }
  console.log(JSON.stringify({ what: 'POST /calls/room', members, firstAskMs: round(firstMs, 2), ...summary(asks), asks: asks.length }));

  // 2. joinGroup through the SDK until the other participant sees the joiner (no media in Node).
  await waitFor(() => second.client.chat(chatId) !== undefined, { what: 'the group on the second device' });
  const joins: number[] = [];
  for (let i = 0; i < 10; i++) {
    const host = await owner.client.calls.joinGroup(chatId);
    t0 = performance.now();
    const guest = await second.client.calls.joinGroup(chatId);
    await waitFor(() => host.view.participants.some((p) => p.feedId === guest.view.feedId), { intervalMs: 2 });
    joins.push(ms(t0));
    await guest.leave();
    await host.leave();
  }
  console.log(JSON.stringify({ what: 'joinGroup until seen by another participant', ...summary(joins), joins: joins.length }));

  // 3. A removal: the removing node takes the member's tokens out and kicks its publisher.
  const host = await owner.client.calls.joinGroup(chatId);
  const guest = await second.client.calls.joinGroup(chatId);
  t0 = performance.now();
  await owner.client.removeMember(chatId, second.userId);
  const removeMs = ms(t0);
  await waitFor(() => guest.view.state === 'left' && host.view.participants.length === 0, { intervalMs: 2 });
  console.log(JSON.stringify({ what: 'removeMember with a participant in the call', removeMs: round(removeMs, 2), droppedAndSeenMs: round(ms(t0), 2) }));
  await host.leave();

  // 4. One sweep over many rooms, each with a live token (nothing to remove: the steady state).
  for (let i = 0; i < roomCount; i++) {
    const { chatId: other } = await owner.client.createGroup({ name: `bench ${i}`, memberIds: users.slice(2, 4).map((u) => u.userId) });
    await owner.client.groupCallRoom(other);
  }
  const cpu0 = janusCpu();
  const sweeps: number[] = [];
  for (let i = 0; i < 5; i++) {
    t0 = performance.now();
    await server.services.groupCalls.sweep();
    sweeps.push(ms(t0));
  }
  console.log(JSON.stringify({ what: 'sweep', rooms: roomCount + 1, ...summary(sweeps), janusCpuSecondsPerSweep: round((janusCpu() - cpu0) / sweeps.length, 3) }));
  console.log(JSON.stringify({ what: 'janus', cpuSecondsTotal: round(janusCpu(), 2) }));
  await Promise.all([owner, second].map((u) => u.client.stop()));
} finally {
  await server.close();
  await janus.close();
}
