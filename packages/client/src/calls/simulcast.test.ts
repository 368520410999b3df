import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { simulcastEncodings, substreamFor } from './simulcast.ts';

describe('R123 simulcast layers', () => {
  it('R123 a camera gets as many layers as Chromium sends for its size', () => {
    assert.deepEqual(simulcastEncodings(1280).map((e) => e.rid), ['h', 'm', 'l']);
    assert.deepEqual(simulcastEncodings(640).map((e) => e.rid), ['h', 'm']);
    assert.deepEqual(simulcastEncodings(320).map((e) => e.rid), ['h']);
  });

  it('R123 a receiver asks for the smallest layer that covers its tile', () => {
    assert.equal(substreamFor(150, 640), 0, 'a strip tile: the half-size layer (320 wide)');
    assert.equal(substreamFor(500, 640), 1, 'a large tile: the full one');
    assert.equal(substreamFor(200, 960), 0, '240 wide covers it');
    assert.equal(substreamFor(400, 960), 1);
    assert.equal(substreamFor(900, 960), 2);
  });
});
