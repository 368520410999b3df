import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ParleyError, RestApi } from '@parley/client';
import { createUser, startTestServer, type TestUser } from '@parley/testing';
import { accountsLogin } from './raw-login.ts';

/** R85: who may do each moderation action, by role and right; every denial has a stable code. */

async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    if (err instanceof ParleyError) return err.code;
    throw err;
  }
}

const ROLES = ['owner', 'adminWith', 'adminWithout', 'member', 'banned', 'removed', 'outsider'] as const;
type RoleName = (typeof ROLES)[number];

describe('community moderation rights (R85)', () => {
  it('R85 mute, unmute, the mute list, slow mode, filing and reading reports: owner, admin with and without the right, member, banned, removed, non-member', { timeout: 180_000 }, async () => {
    await using server = await startTestServer();
    const names = [...ROLES, 'target', 'admin2'] as const;
    const users = Object.fromEntries(await Promise.all(names.map(async (n) => [n, await createUser(server.url, { displayName: n, start: false })] as const))) as Record<(typeof names)[number], TestUser>;
    const api = Object.fromEntries(await Promise.all(names.map(async (n) => [n, new RestApi(server.url, await accountsLogin(server.url, users[n].deviceId, (d) => users[n].deviceKey.sign(d)))] as const))) as Record<(typeof names)[number], RestApi>;
    const { community } = await api.owner.call<{ community: { communityId: string; announcementsChatId: string } }>('POST', '/communities', { name: 'Block 7' });
    const id = community.communityId;
    const { token } = await api.owner.call<{ token: string }>('POST', `/communities/${id}/invites`, {});
    for (const n of ['adminWith', 'adminWithout', 'member', 'banned', 'removed', 'target', 'admin2'] as const) await api[n].call('POST', `/community-invites/${token}/join`);
    const uid = (n: (typeof names)[number]) => users[n].userId;
    await api.owner.call('PUT', `/communities/${id}/members/${uid('adminWith')}`, { role: 'admin', rights: ['ban', 'manageChats', 'deleteMessages'] });
    await api.owner.call('PUT', `/communities/${id}/members/${uid('adminWithout')}`, { role: 'admin', rights: ['invite', 'pin'] });
    await api.owner.call('PUT', `/communities/${id}/members/${uid('admin2')}`, { role: 'admin', rights: [] });
    await api.owner.call('PUT', `/communities/${id}/bans/${uid('banned')}`);
    await api.owner.call('DELETE', `/communities/${id}/members/${uid('removed')}`);
    const { chats } = await api.owner.call<{ chats: { chatId: string; kind: string }[] }>('GET', `/communities/${id}/chats`);
    const general = chats.find((c) => c.kind === 'general')?.chatId ?? '';
    const soon = () => Date.now() + 600_000;

    const table = async (act: (n: RoleName) => Promise<unknown>) => {
      const out: Record<string, string> = {};
      for (const n of ROLES) out[n] = await outcome(act(n));
      return out;
    };
    const expect = (ok: string, rest: Partial<Record<RoleName, string>> = {}) => ({
      owner: ok, adminWith: ok, adminWithout: 'forbidden', member: 'forbidden', banned: 'not_found', removed: 'not_found', outsider: 'not_found', ...rest,
    });

    assert.deepEqual(await table((n) => api[n].call('PUT', `/communities/${id}/mutes/${uid('target')}`, { untilMs: soon() })), expect('ok'), 'mute');
    assert.deepEqual(await table((n) => api[n].call('GET', `/communities/${id}/mutes`)), expect('ok'), 'the mute list');
    assert.deepEqual(await table(async (n) => {
      await api.owner.call('PUT', `/communities/${id}/mutes/${uid('target')}`, { untilMs: soon() });
      return api[n].call('DELETE', `/communities/${id}/mutes/${uid('target')}`);
    }), expect('ok'), 'unmute');
    assert.deepEqual(await table((n) => api[n].call('PATCH', `/communities/${id}/chats/${general}`, { slowModeMs: 5000 })), expect('ok'), 'slow mode');
    assert.deepEqual(await table((n) => api[n].call('GET', `/communities/${id}/reports`)), expect('ok'), 'reading reports');
    // Anyone in the community and the chat may file one; a proof that does not hold is report_invalid.
    const forged = { chatId: general, seq: 1, clientMsgId: 'nothing_here', text: 'x', frankingKey: Buffer.alloc(32, 1).toString('base64') };
    assert.deepEqual(await table((n) => api[n].call('POST', `/communities/${id}/reports`, forged)),
      expect('report_invalid', { adminWithout: 'report_invalid', member: 'report_invalid' }), 'filing a report');

    // Below one's role only; bounds are bad_request; an unknown member is user_not_found.
    assert.equal(await outcome(api.adminWith.call('PUT', `/communities/${id}/mutes/${uid('owner')}`, { untilMs: soon() })), 'forbidden');
    assert.equal(await outcome(api.adminWith.call('PUT', `/communities/${id}/mutes/${uid('admin2')}`, { untilMs: soon() })), 'forbidden');
    assert.equal(await outcome(api.owner.call('PUT', `/communities/${id}/mutes/${uid('admin2')}`, { untilMs: soon() })), 'ok');
    assert.equal(await outcome(api.owner.call('PUT', `/communities/${id}/mutes/${uid('target')}`, { untilMs: Date.now() - 1 })), 'bad_request');
    assert.equal(await outcome(api.owner.call('PUT', `/communities/${id}/mutes/${uid('target')}`, { untilMs: Date.now() + 31 * 86_400_000 })), 'bad_request');
    assert.equal(await outcome(api.owner.call('PUT', `/communities/${id}/mutes/${uid('outsider')}`, { untilMs: soon() })), 'user_not_found');
    assert.equal(await outcome(api.owner.call('DELETE', `/communities/${id}/mutes/${uid('member')}`)), 'user_not_found');
    assert.equal(await outcome(api.owner.call('PATCH', `/communities/${id}/chats/${general}`, { slowModeMs: 3_600_001 })), 'bad_request');
  });
});
