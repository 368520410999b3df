import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTunedLocalDescription, tuneAudioSdp, AUDIO_RESILIENCE } from './audio-resilience.ts';

/** The audio section Debian's Chromium 156 offers (trimmed), CRLF as on the wire. */
const OFFER = [
  'v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126', 'c=IN IP4 0.0.0.0',
  'a=rtpmap:111 opus/48000/2', 'a=rtcp-fb:111 transport-cc', 'a=fmtp:111 minptime=10;useinbandfec=1',
  'a=rtpmap:63 red/48000/2', 'a=fmtp:63 111/111', 'a=rtpmap:9 G722/8000',
  'm=video 9 UDP/TLS/RTP/SAVPF 96', 'a=rtpmap:96 VP8/90000', 'a=fmtp:96 useinbandfec=1', '',
].join('\r\n');

describe('R65 audio resilience', () => {
  it('R65 by default the Opus fmtp asks for in-band FEC in mono without DTX; RED\'s fmtp, other sections and line endings are kept', () => {
    const out = tuneAudioSdp(OFFER, AUDIO_RESILIENCE);
    assert.match(out, /\r\na=fmtp:111 minptime=10;useinbandfec=1;usedtx=0;stereo=0\r\n/);
    assert.match(out, /\r\na=fmtp:63 111\/111\r\n/);
    assert.match(out, /\r\na=fmtp:96 useinbandfec=1\r\n/, 'the video section is untouched');
    assert.equal(out.split('\r\n').length, OFFER.split('\r\n').length);
    assert.ok(!/[^\r]\n/.test(out), 'CRLF only');
  });

  it('R65 with DTX and without FEC the fmtp says so', () => {
    const out = tuneAudioSdp(OFFER, { red: true, fec: false, dtx: true });
    assert.match(out, /a=fmtp:111 minptime=10;useinbandfec=0;usedtx=1;stereo=0\r\n/);
  });

  it('R65 a peer without the browser\'s transceiver API (the SDK\'s fake) gets its description tuned and set; false leaves it stock', async () => {
    const set: string[] = [];
    const peer = {
      createOffer: async () => ({ type: 'offer', sdp: OFFER }),
      createAnswer: async () => ({ type: 'answer', sdp: OFFER }),
      setLocalDescription: async (d: { sdp?: string }) => { set.push(d.sdp ?? ''); },
    };
    const tuned = await setTunedLocalDescription(peer, 'offer');
    assert.match(tuned, /useinbandfec=1;usedtx=0;stereo=0/);
    assert.equal(set[0], tuned, 'what is set is what is sent');
    assert.equal(await setTunedLocalDescription(peer, 'answer', false), OFFER);
  });
});
