import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { createUser, startTestServer, waitFor } from '@parley/testing';
import { RawPeer } from './raw.ts';

function metric(text: string, name: string, labels = ''): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : NaN;
}

describe('operations endpoints', () => {
  it('/metrics counts connections, committed messages, deliveries and errors by code; /readyz and /healthz say ready', async () => {
    await using server = await startTestServer({ PARLEY_NODE_ID: 'ops-node' });
    assert.equal(server.metricsPort, undefined, 'without PARLEY_METRICS_LISTEN the main port serves /metrics');
    const alice = await createUser(server.url);
    const bob = await createUser(server.url);
    const { chatId } = await alice.client.openDirect(bob.userId);
    for (let i = 0; i < 5; i++) await alice.client.sendText(chatId, `m${i}`);
    await waitFor(() => bob.client.timeline(chatId).filter((m) => m.text?.startsWith('m')).length === 5);
    // An outsider's send is refused: counted under its stable code.
    const eve = await createUser(server.url);
    const peer = await RawPeer.authed(server.url, eve.deviceId, (d) => eve.deviceKey.sign(d));
    const refused = await peer.request({ type: 'send', rid: 'x', chatId, clientMsgId: 'eve_msg_0001', envelope: { contentType: 'text/plain', payload: 'aGk=' } });
    assert.equal(refused['code'], 'not_member');

    const res = await fetch(`${server.url}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
    const text = await res.text();
    assert.equal(metric(text, 'parley_connections'), 4, 'alice, bob, eve and the raw peer');
    assert.ok(metric(text, 'parley_messages_committed_total') >= 5);
    assert.ok(metric(text, 'parley_deliveries_total') >= 10, 'each message to both devices of the chat');
    assert.equal(metric(text, 'parley_errors_total', 'code="not_member"'), 1);
    assert.ok(metric(text, 'parley_send_commit_seconds_count') >= 5);
    assert.ok(metric(text, 'parley_delivery_latency_seconds_count') >= 5);
    assert.match(text, /node="ops-node"/);
    assert.doesNotMatch(text, new RegExp(`${chatId}|${alice.userId}`), 'no chat or user ids in metrics');

    assert.deepEqual(await (await fetch(`${server.url}/readyz`)).json(), { ready: true, state: 'ok' });
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    peer.close();
    for (const u of [alice, bob, eve]) await u.client.stop();
  });

  it('PARLEY_METRICS_LISTEN: /metrics only on its own listener, which closes with the server', async () => {
    const server = await startTestServer({ PARLEY_NODE_ID: 'ops-metrics', PARLEY_METRICS_LISTEN: '127.0.0.1:0' });
    try {
      assert.ok(server.metricsPort !== undefined && server.metricsPort !== server.port);
      const metricsUrl = `http://127.0.0.1:${server.metricsPort}`;
      const alice = await createUser(server.url);
      assert.equal((await fetch(`${server.url}/metrics`)).status, 404, 'the public port no longer serves it');
      const res = await fetch(`${metricsUrl}/metrics`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
      const text = await res.text();
      assert.equal(metric(text, 'parley_connections'), 1, 'the same registry as the server');
      assert.match(text, /node="ops-metrics"/);
      for (const path of ['/healthz', '/readyz', '/api/v1/info', '/']) {
        assert.equal((await fetch(`${metricsUrl}${path}`)).status, 404, `${path} is not on the metrics listener`);
      }
      assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
      await alice.client.stop();
    } finally {
      await server.close();
    }
    await assert.rejects(fetch(`http://127.0.0.1:${server.metricsPort}/metrics`), 'the metrics listener is closed');
  });

  it('warns once at start when /metrics would be served on a non-loopback HOST', async () => {
    const logs = async (env: Record<string, string>) => {
      const lines: string[] = [];
      const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
      await using _server = await startTestServer(env, { logger });
      return lines.filter((l) => l.includes('/metrics is public')).map((l) => String(JSON.parse(l).msg));
    };
    const warned = await logs({ HOST: '0.0.0.0' });
    assert.equal(warned.length, 1);
    assert.match(warned[0] ?? '', /HOST=0\.0\.0\.0.*PARLEY_METRICS_LISTEN=127\.0\.0\.1:9464/);
    assert.deepEqual(await logs({ HOST: '127.0.0.1' }), [], 'loopback: nobody else can scrape it');
    assert.deepEqual(await logs({ HOST: '0.0.0.0', PARLEY_METRICS_LISTEN: '127.0.0.1:0' }), [], 'moved to its own listener');
  });
});
