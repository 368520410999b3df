import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLoopbackHost, loadConfig } from './config.ts';

describe('config', () => {
  it('PARLEY_METRICS_LISTEN is host:port or [ipv6]:port; unset leaves /metrics on the main port', () => {
    assert.equal(loadConfig({}).metricsListen, undefined);
    assert.deepEqual(loadConfig({ PARLEY_METRICS_LISTEN: '127.0.0.1:9464' }).metricsListen, { host: '127.0.0.1', port: 9464 });
    assert.deepEqual(loadConfig({ PARLEY_METRICS_LISTEN: 'monitor.internal:0' }).metricsListen, { host: 'monitor.internal', port: 0 });
    assert.deepEqual(loadConfig({ PARLEY_METRICS_LISTEN: '[::1]:9464' }).metricsListen, { host: '::1', port: 9464 });
    for (const bad of ['9464', '127.0.0.1', '127.0.0.1:', ':9464', '127.0.0.1:65536', '::1:9464', 'http://127.0.0.1:9464', '']) {
      assert.throws(() => loadConfig({ PARLEY_METRICS_LISTEN: bad }), /PARLEY_METRICS_LISTEN: must be host:port/, bad);
    }
  });

  it('loopback hosts are told apart from addresses others can reach', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST', '::1', '::ffff:127.0.0.1']) assert.ok(isLoopbackHost(host), host);
    for (const host of ['0.0.0.0', '::', '10.0.0.5', 'chat.example.org', '127.0.0.1.example.org']) assert.ok(!isLoopbackHost(host), host);
  });

  it('R37 push settings: a per-device limit of at least 1, host names or *.domain, networks in CIDR form', () => {
    assert.deepEqual(loadConfig({}).push, { maxSubscriptionsPerDevice: 5, allowedHosts: [], allowPrivateNetworks: [] });
    const push = loadConfig({
      PARLEY_PUSH_MAX_SUBSCRIPTIONS_PER_DEVICE: '2',
      PARLEY_PUSH_ALLOWED_HOSTS: 'fcm.googleapis.com, updates.push.services.mozilla.com,*.push.apple.com,*.notify.windows.com,',
      PARLEY_PUSH_ALLOW_PRIVATE_NETWORKS: '10.1.2.0/24, fd00::/64',
    }).push;
    assert.deepEqual(push, {
      maxSubscriptionsPerDevice: 2,
      allowedHosts: ['fcm.googleapis.com', 'updates.push.services.mozilla.com', '*.push.apple.com', '*.notify.windows.com'],
      allowPrivateNetworks: ['10.1.2.0/24', 'fd00::/64'],
    });
    assert.throws(() => loadConfig({ PARLEY_PUSH_MAX_SUBSCRIPTIONS_PER_DEVICE: '0' }), /PARLEY_PUSH_MAX_SUBSCRIPTIONS_PER_DEVICE/);
    for (const bad of ['https://fcm.googleapis.com', 'fcm.googleapis.com/x', '*', '*.', 'a..b', 'ex ample.com']) {
      assert.throws(() => loadConfig({ PARLEY_PUSH_ALLOWED_HOSTS: bad }), /PARLEY_PUSH_ALLOWED_HOSTS: not a host name/, bad);
    }
    for (const bad of ['10.0.0.1', '10.0.0.0/33', 'lan', '::1/129']) {
      assert.throws(() => loadConfig({ PARLEY_PUSH_ALLOW_PRIVATE_NETWORKS: bad }), /PARLEY_PUSH_ALLOW_PRIVATE_NETWORKS: not a network/, bad);
    }
  });
});
