import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { framesDecoded } from './remote-video.ts';

describe('R103 video arriving in a voice call', () => {
  it('R103 counts only inbound video frames decoded (not audio, not outbound)', () => {
    assert.equal(framesDecoded([
      { type: 'inbound-rtp', kind: 'audio' },
      { type: 'inbound-rtp', kind: 'video', framesDecoded: 40 },
      { type: 'outbound-rtp', kind: 'video', framesDecoded: 99 },
      { type: 'inbound-rtp', kind: 'video' },
    ]), 40);
    assert.equal(framesDecoded([]), 0);
  });
});
