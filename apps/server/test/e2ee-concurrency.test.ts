import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ParleyClient, StoredMessage, WebSocketCtor } from '@parley/client';
import { addDevice, createUser, startTestServer, tappedWebSocket, waitFor, type ClientTweaks, type TestUser } from '@parley/testing';

/**
 * Every client of the test talks through this: while armed, it holds each `commit` frame for one
 * chat until `count` devices have one waiting, then sends them all at once. Each was made in the
 * epoch the server had then, and the server moves only when it takes one, so they all name the
 * same epoch: a real race, not a lucky interleaving. It also records the server's answer to every
 * commit of that chat.
 */
class CommitRace {
  readonly #held: (() => void)[] = [];
  /** rid → the answer (ack or error code), for the chat's commit frames. */
  readonly answers = new Map<string, string | undefined>();
  #lastCommitAt = 0;
  #round: { chatId: string; count: number; rids: string[] } | undefined;

  readonly WebSocket: WebSocketCtor = tappedWebSocket({
    send: (data, io) => this.#send(data, io.out),
    heard: (data) => this.#heard(data),
  });

  /** Holds the next `count` commits for the chat; resolves with the server's answers to them. */
  async round(chatId: string, count: number): Promise<string[]> {
    const round = { chatId, count, rids: [] };
    this.#round = round;
    await waitFor(() => round.rids.length === count && round.rids.every((r) => this.answers.get(r) !== undefined), { what: `${count} concurrent commits answered`, timeoutMs: 30_000 });
    return round.rids.map((r) => this.answers.get(r) ?? '');
  }

  /** No commit sent for `ms` and every one answered: the devices stopped re-proposing. */
  quietFor(ms: number): boolean {
    return Date.now() - this.#lastCommitAt >= ms && [...this.answers.values()].every((a) => a !== undefined);
  }

  /** How many commits the server refused with `epoch_conflict`, over the whole test. */
  get conflicts(): number {
    return [...this.answers.values()].filter((a) => a === 'epoch_conflict').length;
  }

  #send(data: string, out: () => void): void {
    const frame = JSON.parse(data) as { type?: string; rid?: string; chatId?: string };
    if (frame.type === 'commit' && frame.rid) {
      this.answers.set(frame.rid, undefined);
      this.#lastCommitAt = Date.now();
    }
    const round = this.#round;
    if (!round || frame.type !== 'commit' || frame.chatId !== round.chatId || !frame.rid) return out();
    round.rids.push(frame.rid);
    this.#held.push(out);
    if (round.rids.length < round.count) return;
    this.#round = undefined;
    for (const release of this.#held.splice(0)) release();
  }

  #heard(data: string): void {
    const frame = JSON.parse(data) as { type?: string; rid?: string; code?: string };
    if (!frame.rid || !this.answers.has(frame.rid)) return;
    if (frame.type === 'ack') this.answers.set(frame.rid, 'ack');
    else if (frame.type === 'error') this.answers.set(frame.rid, frame.code ?? 'error');
  }
}

const texts = (client: ParleyClient, chatId: string) => client.timeline(chatId).filter((i) => !i.system && !i.unreadable).map((i) => i.text);

/** seq → the epoch each commit in the device's log moved the group to. */
function commitEpochs(client: ParleyClient, chatId: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const m of client.log(chatId) as readonly StoredMessage[]) {
    if (m.envelope?.contentType !== 'parley/mls-commit') continue;
    assert.equal(m.decoded?.kind, 'handshake', `commit at seq ${m.seq} decoded as ${JSON.stringify(m.decoded)}`);
    if (m.decoded?.kind === 'handshake') out.set(m.seq, m.decoded.epoch);
  }
  return out;
}

async function memberDevices(client: ParleyClient, chatId: string): Promise<string[]> {
  return (await client.encryptionMembers(chatId)).map((m) => `${m.userId}:${m.deviceId}`).sort();
}

function metric(text: string, name: string, labels: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

/**
 * The storm is over (no commit for 2 s: a loser re-proposes within 1.6 s of its last refusal) and
 * every device has the server's epoch, exactly the `expected` members, and encryption on.
 */
async function converged(race: CommitRace, devices: readonly TestUser[], chatId: string, expected: readonly string[]): Promise<boolean> {
  if (!race.quietFor(2000)) return false;
  const { mlsEpoch } = await devices[0]!.client.getChat(chatId);
  for (const d of devices) {
    if (d.client.chat(chatId)?.encryption !== 'on') return false;
    if (Math.max(0, ...commitEpochs(d.client, chatId).values()) !== mlsEpoch) return false;
    if (JSON.stringify(await memberDevices(d.client, chatId)) !== JSON.stringify(expected)) return false;
  }
  return true;
}

describe('end-to-end encryption: concurrent commits through the server', () => {
  it('R15 devices committing in one epoch at once: the server takes one and refuses the rest (epoch_conflict); every device converges on one epoch history, one commit per epoch, and reads the others', async () => {
    await using server = await startTestServer();
    const race = new CommitRace();
    // No rank delay, so every device reconciles at once; rotateAfterMs 0, so every reconcile wants an update commit.
    const tweaks: ClientTweaks = { mls: { enabled: true, rotateAfterMs: 0, reconcileRankDelayMs: 0 }, WebSocket: race.WebSocket };
    const [alice, bob, carol, dave] = await Promise.all([1, 2, 3, 4].map(() => createUser(server.url, { client: tweaks })));
    if (!alice || !bob || !carol || !dave) throw new Error('users');
    const alice2 = await addDevice(alice, { client: tweaks });
    const devices = [alice, alice2, bob, carol];
    const key = (u: TestUser) => `${u.userId}:${u.deviceId}`;

    const { chatId } = await alice.client.createGroup({ name: 'one history', memberIds: [bob.userId, carol.userId] });
    await waitFor(() => converged(race, devices, chatId, devices.map(key).sort()), { what: 'the group formed', timeoutMs: 60_000 });

    // Round 1: all four rotate their leaf key in the same epoch.
    const epochBefore = (await alice.client.getChat(chatId)).mlsEpoch;
    const answers = race.round(chatId, devices.length);
    for (const d of devices) d.client.checkEncryption(chatId);
    assert.deepEqual((await answers).sort(), ['ack', 'epoch_conflict', 'epoch_conflict', 'epoch_conflict'], 'one commit per epoch wins');
    // The losers apply the winner's commit and re-propose: each device's update lands once, in its own epoch.
    await waitFor(async () => (await alice.client.getChat(chatId)).mlsEpoch >= epochBefore + devices.length, { what: 'every update landed', timeoutMs: 60_000 });
    await waitFor(() => converged(race, devices, chatId, devices.map(key).sort()), { what: 'converged after the updates', timeoutMs: 60_000 });

    // Round 2: a member and a device join at the same moment; every device reconciles at once.
    const membership = race.round(chatId, devices.length);
    const [bob2] = await Promise.all([addDevice(bob, { client: tweaks }), alice.client.addMember(chatId, dave.userId)]);
    const second = await membership;
    assert.equal(second.filter((a) => a === 'ack').length, 1, `one of the simultaneous commits wins: ${second.join(', ')}`);
    assert.equal(second.filter((a) => a === 'epoch_conflict').length, devices.length - 1);
    const everyone = [...devices, bob2, dave];
    await waitFor(() => converged(race, everyone, chatId, everyone.map(key).sort()), { what: 'converged with the new member and device', timeoutMs: 90_000 });

    // One epoch history: the server's log has one commit per epoch, 1…N in seq order, and every
    // device's view of each commit it holds is that one.
    const { mlsEpoch } = await alice.client.getChat(chatId);
    while (alice.client.hasOlder(chatId)) await alice.client.loadOlder(chatId);
    const history = commitEpochs(alice.client, chatId);
    assert.deepEqual([...history.values()], Array.from({ length: mlsEpoch }, (_, i) => i + 1), 'one commit per epoch, none lost, none twice');
    for (const d of everyone) {
      for (const [seq, epoch] of commitEpochs(d.client, chatId)) assert.equal(epoch, history.get(seq), `${key(d)} sees the commit at seq ${seq} as epoch ${epoch}`);
    }

    // The server counted every refusal it sent (errors by code), and the clients saw each one.
    const text = await (await fetch(`${server.url}/metrics`)).text();
    assert.equal(metric(text, 'parley_errors_total', 'code="epoch_conflict"'), race.conflicts);
    assert.ok(race.conflicts >= 2 * (devices.length - 1));

    // After the storm each device writes once, and every other device reads it.
    await Promise.all(everyone.map((d, i) => d.client.sendText(chatId, `after the storm from device ${i}`)));
    const all = everyone.map((_, i) => `after the storm from device ${i}`);
    await waitFor(() => everyone.every((d) => all.every((t) => texts(d.client, chatId).includes(t))), { what: 'every device reads every other', timeoutMs: 60_000 });
    for (const d of everyone) assert.ok(!d.client.timeline(chatId).some((i) => i.unreadable && i.unreadableReason === 'tampered'), `${key(d)} found nothing tampered`);

    await Promise.all(everyone.map((d) => d.client.stop()));
  });
});
