import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { enBots } from '../i18n/en-bots.ts';
import { ruBots } from '../i18n/ru-bots.ts';
import { botNoticeKey } from './text.ts';

describe('the bot notice (R91, R129)', () => {
  it('R129 says "runs on this server" only where the server says it hosts the bot, else "its owner\'s machine"', () => {
    assert.match(enBots[botNoticeKey({ botRunsOn: 'server' })], /It runs on this server, so the server's operator can read it too\./);
    assert.match(enBots[botNoticeKey({ botRunsOn: 'owner' })], /It runs on its owner's machine\./);
    assert.match(enBots[botNoticeKey({})], /It runs on its owner's machine\./, 'an older server that says nothing');
    assert.match(ruBots[botNoticeKey({ botRunsOn: 'server' })], /на этом сервере/);
  });
});
