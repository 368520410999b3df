import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { activeSpeaker, quality, roundTrip, sampleFeeds, videoStopped } from './group-stats.ts';

describe('group call stats', () => {
  it('sums each feed over its audio and video streams by mid, and takes the audio level', () => {
    const feeds = sampleFeeds([
      { id: 'a', type: 'inbound-rtp', kind: 'audio', mid: '0', audioLevel: 0.3, packetsReceived: 100, packetsLost: 2 },
      { id: 'b', type: 'inbound-rtp', kind: 'video', mid: '1', packetsReceived: 400, packetsLost: 8, framesDecoded: 90 },
      { id: 'c', type: 'inbound-rtp', kind: 'audio', mid: '2', audioLevel: 0.01, packetsReceived: 50, packetsLost: 0 },
      { id: 'd', type: 'inbound-rtp', kind: 'audio', mid: '9', audioLevel: 1, packetsReceived: 1 }, // no feed: ignored
      { id: 'e', type: 'outbound-rtp', kind: 'audio', mid: '0' },
    ], new Map([['0', 7], ['1', 7], ['2', 8]]));
    assert.deepEqual(feeds.get(7), { level: 0.3, received: 500, lost: 10, frames: 90 });
    assert.deepEqual(feeds.get(8), { level: 0.01, received: 50, lost: 0, frames: 0 });
    assert.equal(feeds.size, 2);
  });

  it('reads the selected candidate pair round trip', () => {
    assert.equal(roundTrip([
      { id: 'T', type: 'transport', selectedCandidatePairId: 'P2' },
      { id: 'P1', type: 'candidate-pair', currentRoundTripTime: 0.9 },
      { id: 'P2', type: 'candidate-pair', currentRoundTripTime: 0.04 },
    ]), 0.04);
    assert.equal(roundTrip([]), undefined);
  });

  it('grades loss since the last poll and round trip as good, fair or poor', () => {
    const prev = { level: 0, frames: 0, received: 1000, lost: 10 };
    assert.equal(quality(prev, { level: 0, frames: 0, received: 1100, lost: 10 }, 0.05), 'good');
    assert.equal(quality(prev, { level: 0, frames: 0, received: 1095, lost: 15 }, 0.05), 'fair'); // 5 of 100 lost
    assert.equal(quality(prev, { level: 0, frames: 0, received: 1080, lost: 30 }, 0.05), 'poor'); // 20 of 100
    assert.equal(quality(prev, { level: 0, frames: 0, received: 1100, lost: 10 }, 0.5), 'fair');
    assert.equal(quality(prev, { level: 0, frames: 0, received: 1100, lost: 10 }, 1.2), 'poor');
    // Old losses do not count again; media that stopped arriving is poor.
    assert.equal(quality({ level: 0, frames: 0, received: 10, lost: 500 }, { level: 0, frames: 0, received: 110, lost: 500 }, undefined), 'good');
    assert.equal(quality(prev, prev, 0.05), 'poor');
    assert.equal(quality(undefined, { level: 0, frames: 0, received: 0, lost: 0 }, undefined), 'good');
  });

  it('calls a feed’s video stopped when no frame was decoded since the last poll', () => {
    const at = (frames: number) => ({ level: 0, received: 0, lost: 0, frames });
    assert.equal(videoStopped(at(100), at(115)), false);
    assert.equal(videoStopped(at(115), at(115)), true);
    assert.equal(videoStopped(undefined, at(0)), false); // first poll: not known yet
  });

  it('picks the loudest speaker, keeps the last one through silence, and falls back when they left', () => {
    assert.equal(activeSpeaker(new Map([[1, 0.1], [2, 0.4]]), [1, 2], 1), 2);
    assert.equal(activeSpeaker(new Map([[1, 0.001], [2, 0.01]]), [1, 2], 1), 1);
    assert.equal(activeSpeaker(new Map(), [1, 2], 3), 1);
    assert.equal(activeSpeaker(new Map(), [], 3), undefined);
  });
});
