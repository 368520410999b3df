import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { wrappedVoteToken } from './wrapped-polls.ts';

describe('R185 wrapped poll vote tokens', () => {
  const key = new Uint8Array(16).map((_, i) => i + 1);
  it('R185 a vote token is the first 16 bytes of HMAC-SHA256 under the epoch key over the vote context, and differs per option, poll, channel and key', async () => {
    const token = await wrappedVoteToken(key, 'comm_1', 7, 2);
    assert.equal(token, createHmac('sha256', key).update('parley-wrapped-vote-v1\ncomm_1\n7\n2').digest().subarray(0, 16).toString('hex'));
    assert.match(token, /^[0-9a-f]{32}$/);
    const others = [
      await wrappedVoteToken(key, 'comm_1', 7, 1), await wrappedVoteToken(key, 'comm_1', 8, 2),
      await wrappedVoteToken(key, 'comm_2', 7, 2), await wrappedVoteToken(new Uint8Array(16), 'comm_1', 7, 2),
    ];
    assert.equal(new Set([token, ...others]).size, 5);
    assert.equal(await wrappedVoteToken(key, 'comm_1', 7, 2), token, 'the same vote gives the same token (the server counts it once per user)');
  });
});
