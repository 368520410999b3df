import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TimelineItem } from '@parley/client';
import { CALL_RING_MS } from '@parley/protocol';
import { loadLocale, translator } from '../i18n/index.ts';
import { callText, systemText } from './system-text.ts';

await loadLocale('ru'); // Russian is a chunk of its own (i18n/index.ts)

const line = (senderUserId: string, call: TimelineItem['call'], sentAt = 1_000_000): TimelineItem => ({
  id: 'offer0001', chatId: 'chat00001', seq: 1, senderUserId, sentAt, text: '', edited: false, deleted: false, reactions: [], state: 'sent', mine: senderUserId === 'me', ...(call ? { call } : {}),
});

test('R61 a call line says who called, how it went and how long it was, in both languages', () => {
  const en = translator('en');
  const ru = translator('ru');
  const ended = { callId: 'call00001', media: 'video' as const, outcome: 'ended' as const, durationMs: 65_400 };
  assert.equal(callText(en, line('me', ended), 'me'), 'Outgoing video call · 1:05');
  assert.equal(callText(en, line('ann', { ...ended, media: 'audio' }), 'me'), 'Incoming call · 1:05');
  assert.equal(callText(ru, line('ann', { ...ended, media: 'audio' }), 'me'), 'Входящий звонок · 1:05');
  assert.equal(callText(en, line('ann', { callId: 'c', media: 'audio', outcome: 'missed' }), 'me'), 'Missed call');
  assert.equal(callText(en, line('me', { callId: 'c', media: 'audio', outcome: 'missed' }), 'me'), 'Call not answered');
  assert.equal(callText(en, line('ann', { callId: 'c', media: 'audio', outcome: 'declined' }), 'me'), 'You declined the call');
  assert.equal(callText(en, line('me', { callId: 'c', media: 'audio', outcome: 'declined' }), 'me'), 'Call declined');
  // Still "ringing" in the log after the ring time: its caller's device never closed it; it was missed.
  const ringing = line('ann', { callId: 'c', media: 'audio', outcome: 'ringing' }, 1_000_000);
  assert.equal(callText(en, ringing, 'me', 1_000_000 + 1000), 'Incoming call…');
  assert.equal(callText(en, ringing, 'me', 1_000_000 + CALL_RING_MS + 1), 'Missed call');
});

test('R63 a group call line says how many are in it, then how long it ran', () => {
  const en = translator('en');
  const ru = translator('ru');
  const member = (userId: string, feedId: number) => ({ userId, feedId, joinId: `join${feedId}`, since: 1_000_000 });
  const running = { callId: 'join00001', media: 'video' as const, outcome: 'answered' as const, group: { participants: [member('me', 1), member('ann', 2)], startedAt: 1_000_000 } };
  assert.equal(callText(en, line('ann', running), 'me'), 'Group call · 2 in it');
  assert.equal(callText(ru, line('ann', running), 'me'), 'Групповой звонок · участников: 2');
  const ended = { ...running, outcome: 'ended' as const, durationMs: 125_000, group: { participants: [], startedAt: 1_000_000, endedAt: 1_125_000 } };
  assert.equal(callText(en, line('me', ended), 'me'), 'Group call · 2:05');
});

test('R70 a handover line about one\'s own new role reads "became", not "made you"', () => {
  const en = translator('en');
  const ru = translator('ru');
  const member = (userId: string, displayName: string, role: 'owner' | 'admin') => ({ userId, handle: userId, displayName, role, deliveredSeq: 0, readSeq: 0 });
  const members = [member('hana', 'Hana', 'admin'), member('zed', 'Zed', 'owner')];
  const role = (sender: string, userId: string, r: 'owner' | 'admin' | 'member'): TimelineItem => ({ ...line(sender, undefined), system: { kind: 'role_changed', userId, role: r } });
  assert.equal(systemText(en, role('hana', 'hana', 'admin'), members, 'hana'), 'You became admin');
  assert.equal(systemText(en, role('hana', 'hana', 'admin'), members, 'zed'), 'Hana became admin');
  assert.equal(systemText(en, role('hana', 'hana', 'member'), members, 'zed'), 'Hana became a regular member');
  assert.equal(systemText(ru, role('hana', 'hana', 'admin'), members, 'zed'), 'Hana: теперь админ');
  assert.equal(systemText(en, role('hana', 'zed', 'owner'), members, 'hana'), 'You made Zed owner');
});

test('R80 R81 moderation lines say who did what to whom, in both languages', () => {
  const en = translator('en');
  const ru = translator('ru');
  const members = [{ userId: 'ann', handle: 'ann', displayName: 'Ann', role: 'owner' as const, deliveredSeq: 0, readSeq: 0 }, { userId: 'cat', handle: 'cat', displayName: 'Cat', role: 'member' as const, deliveredSeq: 0, readSeq: 0 }];
  const sys = (system: TimelineItem['system']): TimelineItem => ({ ...line('ann', undefined), ...(system ? { system } : {}) });
  assert.equal(systemText(en, sys({ kind: 'moderation', action: 'banned', userId: 'cat' }), members, 'me'), 'Ann banned Cat');
  assert.equal(systemText(ru, sys({ kind: 'moderation', action: 'banned', userId: 'cat' }), members, 'me'), 'Ann заблокировал(а) Cat');
  assert.equal(systemText(en, sys({ kind: 'moderation', action: 'slow_mode', slowModeMs: 30_000 }), members, 'me'), 'Ann turned on slow mode: one message every 30 s');
  assert.equal(systemText(en, sys({ kind: 'moderation', action: 'slow_mode', slowModeMs: 0 }), members, 'me'), 'Ann turned off slow mode');
  assert.equal(systemText(en, sys({ kind: 'moderation', action: 'rights_changed', userId: 'cat', role: 'admin', rights: ['pin'], before: { role: 'member', rights: [] } }), members, 'me'), 'Ann changed what Cat may do');
  const deleted: TimelineItem = { ...line('ann', undefined), notice: 'deleted_by_moderator', deletedOf: { id: 'msg1', senderUserId: 'cat' } };
  assert.equal(systemText(en, deleted, members, 'me'), 'Ann deleted a message by Cat');
});

test('R101 a join request\'s audit line names who approved whom, "your" for the reader, in both languages', () => {
  const en = translator('en');
  const ru = translator('ru');
  const members = [{ userId: 'ann', handle: 'ann', displayName: 'Ann', role: 'owner' as const, deliveredSeq: 0, readSeq: 0 }, { userId: 'cat', handle: 'cat', displayName: 'Cat', role: 'member' as const, deliveredSeq: 0, readSeq: 0 }];
  const sys = (system: TimelineItem['system']): TimelineItem => ({ ...line('ann', undefined), ...(system ? { system } : {}) });
  assert.equal(systemText(en, sys({ kind: 'moderation', action: 'join_approved', userId: 'cat' }), members, 'me'), 'Ann approved Cat’s request to join');
  assert.equal(systemText(en, sys({ kind: 'moderation', action: 'join_approved', userId: 'cat' }), members, 'cat'), 'Ann approved your request to join');
  assert.equal(systemText(ru, sys({ kind: 'moderation', action: 'join_approved', userId: 'cat' }), members, 'me'), 'Ann одобрил(а) заявку на вступление: Cat');
  assert.equal(systemText(ru, sys({ kind: 'moderation', action: 'join_approved', userId: 'cat' }), members, 'cat'), 'Ann одобрил(а) вашу заявку на вступление');
  assert.equal(systemText(en, sys({ kind: 'moderation', action: 'join_declined', userId: 'zed' }), members, 'me'), 'Ann declined a request to join');
  assert.equal(systemText(ru, sys({ kind: 'moderation', action: 'join_declined', userId: 'zed' }), members, 'me'), 'Ann отклонил(а) заявку на вступление');
});
