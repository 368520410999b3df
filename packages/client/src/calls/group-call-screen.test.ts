import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { missingMids, presenting, publisherStreams } from './group-call-screen.ts';

describe('R133 group call screen streams from Janus publisher lists', () => {
  const bob = { id: 7, streams: [
    { type: 'audio', mindex: 0, mid: '0' },
    { type: 'video', mindex: 1, mid: '1' },
    { type: 'video', mindex: 2, mid: '2', description: 'screen' },
  ] };

  it('R133 a stream described "screen" that is not disabled is a screen being shared; a disabled one is not', () => {
    const streams = publisherStreams(bob);
    assert.deepEqual(streams.map((s) => [s.mid, s.kind, s.active, s.screen]), [['0', 'audio', true, false], ['1', 'video', true, false], ['2', 'video', true, true]]);
    assert.deepEqual(presenting(new Map([[7, streams]])), [7]);
    // Stopped: Janus lists the m-line as disabled (and leaves the description out).
    const stopped = publisherStreams({ id: 7, streams: [bob.streams[0], bob.streams[1], { type: 'video', mindex: 2, mid: '2', disabled: true }] });
    assert.deepEqual(presenting(new Map([[7, stopped]])), []);
    assert.deepEqual(publisherStreams({ id: 8 }), [], 'no streams listed: nothing');
  });

  it('R133 a subscriber lacks the publisher\'s active streams it does not carry by feed mid', () => {
    const streams = publisherStreams(bob);
    assert.deepEqual(missingMids(streams, [{ feedMid: '0' }, { feedMid: '1' }]), ['2'], 'the new screen');
    assert.deepEqual(missingMids(streams, [{ feedMid: '0' }, { feedMid: '1' }, { feedMid: '2' }]), []);
    const disabled = streams.map((s) => (s.mid === '2' ? { ...s, active: false } : s));
    assert.deepEqual(missingMids(disabled, [{ feedMid: '0' }, { feedMid: '1' }]), [], 'a stopped screen is not asked for');
  });
});
