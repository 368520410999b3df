import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { MeResponse } from '@parley/protocol';
import { createUser, startTestServer } from '@parley/testing';
import { authedRest, SessionTokens } from './session.ts';

/** A device's session against a real server: kept tokens, signing in again, one sign-in for many callers. */
describe('SessionTokens and authedRest', () => {
  test('a refused kept token signs in again once, and the new token is kept', async () => {
    await using server = await startTestServer();
    const alice = await createUser(server.url, { start: false });
    let kept: string | undefined = 'not-a-session-token';
    const writes: string[] = [];
    const tokens = new SessionTokens(server.url, alice.deviceId, alice.deviceKey, {
      get: async () => kept, set: async (t) => { kept = t; writes.push(t); },
    });
    const rest = authedRest(server.url, tokens);
    const me = await rest<MeResponse>('GET', '/me');
    assert.equal(me.user.userId, alice.userId);
    assert.equal(writes.length, 1, 'signed in once');
    assert.notEqual(kept, 'not-a-session-token');
    await rest<MeResponse>('GET', '/me');
    assert.equal(writes.length, 1, 'the kept token is used again, no new sign-in');
  });

  test('callers at the same moment share one sign-in; without a store the token lives in memory', async () => {
    await using server = await startTestServer();
    const alice = await createUser(server.url, { start: false });
    const tokens = new SessionTokens(server.url, alice.deviceId, alice.deviceKey);
    const all = await Promise.all([tokens.get(), tokens.get(), tokens.get(true)]);
    assert.equal(new Set(all).size, 1);
    assert.equal(await tokens.get(), all[0]);
    assert.notEqual(await tokens.get(true), all[0], 'fresh signs in again');
  });
});
