import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { originHint, sourceOf } from './client-source.ts';

describe('client sources (R43)', () => {
  it('an IPv4 address is its own source; an IPv6 address counts by its /64', () => {
    assert.equal(sourceOf('203.0.113.7'), '203.0.113.7');
    assert.equal(sourceOf('::ffff:203.0.113.7'), '203.0.113.7');
    assert.equal(sourceOf('2001:db8:5:7::1'), '2001:0db8:0005:0007::/64');
    assert.equal(sourceOf('2001:db8:5:7:a:b:c:d'), sourceOf('2001:0DB8:5:7::ffff'), 'one /64, one source');
    assert.notEqual(sourceOf('2001:db8:5:7::1'), sourceOf('2001:db8:5:8::1'));
    assert.equal(sourceOf('::1'), '0000:0000:0000:0000::/64');
    assert.equal(sourceOf('fe80::1%eth0'), 'fe80:0000:0000:0000::/64');
    assert.equal(sourceOf('::ffff:1.2.3.4'), '1.2.3.4');
    assert.equal(sourceOf('not an address'), 'not an address');
  });

  it('the origin shown: nothing by default, a network prefix, or the address when the operator says so', () => {
    assert.equal(originHint('203.0.113.7', 'none'), undefined);
    assert.equal(originHint('203.0.113.7', 'ip-prefix'), '203.0.113.x');
    assert.equal(originHint('::ffff:203.0.113.7', 'ip-prefix'), '203.0.113.x');
    assert.equal(originHint('2001:db8:5:7::1', 'ip-prefix'), '2001:db8:5::/48');
    assert.equal(originHint('203.0.113.7', 'ip'), '203.0.113.7');
    assert.equal(originHint('2001:DB8:5:7::1', 'ip'), '2001:db8:5:7::1');
    assert.equal(originHint('garbage', 'ip-prefix'), undefined);
  });
});
