import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Content } from './content.ts';

test('R49 a forwarded text: from is optional, its name bounded; noForwardName is only true', () => {
  const forwarded = { sentAt: 1, from: { userId: 'bob000001', displayName: 'Bob' } };
  assert.ok(Content.safeParse({ kind: 'text', text: 'hi', forwarded }).success);
  assert.ok(Content.safeParse({ kind: 'text', text: 'hi', forwarded: { sentAt: 1 } }).success, 'the name left out');
  assert.ok(!Content.safeParse({ kind: 'text', text: 'hi', forwarded: { ...forwarded, from: { userId: 'bob000001', displayName: 'x'.repeat(101) } } }).success);
  assert.ok(!Content.safeParse({ kind: 'text', text: 'hi', forwarded: { from: forwarded.from } }).success, 'sentAt is required');
  assert.ok(Content.safeParse({ kind: 'text', text: 'hi', noForwardName: true }).success);
  assert.ok(!Content.safeParse({ kind: 'text', text: 'hi', noForwardName: false }).success);
});

test('R186 a text forwarded from a wrapped channel names the channel (1 to 100 characters)', () => {
  const forwarded = { sentAt: 1, channel: { name: 'Night trains' } };
  const parsed = Content.safeParse({ kind: 'text', text: 'hi', forwarded });
  assert.ok(parsed.success && parsed.data.kind === 'text');
  assert.deepEqual(parsed.data.forwarded, forwarded);
  assert.ok(!Content.safeParse({ kind: 'text', text: 'hi', forwarded: { sentAt: 1, channel: { name: '' } } }).success);
  assert.ok(!Content.safeParse({ kind: 'text', text: 'hi', forwarded: { sentAt: 1, channel: { name: 'x'.repeat(101) } } }).success);
});

test('R50 a pin names its target by client id and says on or off', () => {
  assert.ok(Content.safeParse({ kind: 'pin', target: 'hello0001', on: true }).success);
  assert.ok(!Content.safeParse({ kind: 'pin', target: 'hello0001' }).success);
  assert.ok(!Content.safeParse({ kind: 'pin', target: '', on: false }).success);
});

test('R61 call entries: each action takes exactly its fields', () => {
  const call = (rest: Record<string, unknown>) => Content.safeParse({ kind: 'call', callId: 'call00001', ...rest }).success;
  assert.equal(call({ action: 'offer', media: 'audio', sdp: 'v=0' }), true);
  assert.equal(call({ action: 'offer', sdp: 'v=0' }), false, 'an offer names its media');
  assert.equal(call({ action: 'offer', media: 'audio' }), false, 'an offer carries SDP');
  assert.equal(call({ action: 'answer', sdp: 'v=0', to: 'device0001' }), true);
  assert.equal(call({ action: 'answer', sdp: 'v=0' }), false, 'an answer names the offering device');
  assert.equal(call({ action: 'ice', candidates: [{ candidate: 'candidate:1 1 udp 1 127.0.0.1 9 typ host', sdpMid: '0', sdpMLineIndex: 0 }] }), true);
  assert.equal(call({ action: 'ice', candidates: [] }), false);
  assert.equal(call({ action: 'ice', candidates: Array.from({ length: 21 }, () => ({ candidate: 'c' })) }), false, 'at most 20 candidates');
  assert.equal(call({ action: 'decline' }), true);
  assert.equal(call({ action: 'decline', sdp: 'v=0' }), false);
  assert.equal(call({ action: 'end', reason: 'hangup', durationMs: 1000 }), true);
  assert.equal(call({ action: 'end' }), false, 'an end says why');
  assert.equal(call({ action: 'end', reason: 'exploded' }), false);
  assert.equal(call({ action: 'offer', media: 'audio', sdp: 'x'.repeat(32_001) }), false, 'SDP is bounded');
});

test('R63 group call entries: a join or leave names the publisher id, nothing of a 1:1 call', () => {
  const call = (rest: Record<string, unknown>) => Content.safeParse({ kind: 'call', callId: 'join00001', ...rest }).success;
  assert.equal(call({ action: 'group_join', feedId: 123456789, media: 'video' }), true);
  assert.equal(call({ action: 'group_join', feedId: 1 }), true, 'media is optional');
  assert.equal(call({ action: 'group_leave', feedId: 1 }), true);
  assert.equal(call({ action: 'group_join' }), false, 'a join names its publisher id');
  assert.equal(call({ action: 'group_leave', feedId: 0 }), false);
  assert.equal(call({ action: 'group_leave', feedId: 1, media: 'audio' }), false);
  assert.equal(call({ action: 'group_join', feedId: 1, sdp: 'v=0' }), false);
  assert.equal(call({ action: 'offer', media: 'audio', sdp: 'v=0', feedId: 1 }), false, 'a 1:1 offer has no publisher id');
});

test('R104 an imported text: its source, original author (bounded) and time; a member id only as an id; a count of files the export left out may stand for the text', () => {
  const imported = { source: 'whatsapp', from: 'Кв. 14', at: 1704048000000 };
  const text = (rest: Record<string, unknown>) => Content.safeParse({ kind: 'text', text: 'hi', ...rest }).success;
  assert.equal(text({ imported }), true);
  assert.equal(text({ imported: { ...imported, userId: 'bob000001' } }), true);
  assert.equal(text({ imported: { ...imported, from: '', system: true } }), true, 'the app\'s own line');
  assert.equal(text({ imported: { ...imported, source: 'viber' } }), false);
  assert.equal(text({ imported: { ...imported, from: 'x'.repeat(101) } }), false, 'the name is bounded');
  assert.equal(text({ imported: { ...imported, at: -1 } }), false);
  assert.equal(text({ imported: { ...imported, userId: 'no' } }), false, 'a member id is an id');
  assert.equal(text({ imported: { ...imported, system: false } }), false);
  assert.equal(Content.safeParse({ kind: 'text', text: '', imported: { ...imported, omitted: 1 } }).success, true, 'only a missing photo');
  assert.equal(Content.safeParse({ kind: 'text', text: '', imported }).success, false, 'nothing to show');
  assert.equal(text({ imported: { ...imported, omitted: 11 } }), false);
});

test('R102 ICE restart entries: an offer or answer with its generation, for one device', () => {
  const call = (rest: Record<string, unknown>) => Content.safeParse({ kind: 'call', callId: 'call00001', ...rest }).success;
  assert.equal(call({ action: 'restart', sdp: 'v=0', to: 'dev000001', generation: 1 }), true);
  assert.equal(call({ action: 'restart_answer', sdp: 'v=0', to: 'dev000001', generation: 3 }), true);
  assert.equal(call({ action: 'restart', sdp: 'v=0', to: 'dev000001' }), false, 'a restart is numbered');
  assert.equal(call({ action: 'restart', sdp: 'v=0', generation: 1 }), false, 'a restart names the device it is for');
  assert.equal(call({ action: 'restart_answer', to: 'dev000001', generation: 1 }), false, 'an answer carries its SDP');
  assert.equal(call({ action: 'restart', sdp: 'v=0', to: 'dev000001', generation: 0 }), false, 'generations count from 1');
  assert.equal(call({ action: 'restart', sdp: 'v=0', to: 'dev000001', generation: 1_000_000 }), false, 'bounded');
  assert.equal(call({ action: 'answer', sdp: 'v=0', to: 'dev000001', generation: 1 }), false, 'only restarts are numbered');
  assert.equal(call({ action: 'restart', sdp: 'v=0', to: 'dev000001', generation: 1, media: 'audio' }), false);
});

test('R120 call secret entries: a join may name its key; a group_key wraps a secret for up to 64 participants', () => {
  const call = (rest: Record<string, unknown>) => Content.safeParse({ kind: 'call', callId: 'call00001', ...rest }).success;
  const pub = `B${'A'.repeat(86)}=`;
  const wrapped = { feedId: 7, ct: 'A'.repeat(80) };
  assert.equal(call({ action: 'group_join', feedId: 1, pub }), true);
  assert.equal(call({ action: 'group_join', feedId: 1, pub: 'short' }), false, 'a P-256 point, uncompressed');
  assert.equal(call({ action: 'group_leave', feedId: 1, pub }), false, 'only a join names a key');
  assert.equal(call({ action: 'group_key', gen: 1, epk: pub, keys: [wrapped] }), true);
  assert.equal(call({ action: 'group_key', gen: 1, keys: [wrapped] }), false, 'needs its ephemeral key');
  assert.equal(call({ action: 'group_key', epk: pub, keys: [wrapped] }), false, 'numbered');
  assert.equal(call({ action: 'group_key', gen: 1, epk: pub, keys: [] }), false, 'for someone');
  assert.equal(call({ action: 'group_key', gen: 1, epk: pub, keys: Array.from({ length: 65 }, (_, i) => ({ ...wrapped, feedId: i + 1 })) }), false, 'bounded');
  assert.equal(call({ action: 'group_key', gen: 1, epk: pub, keys: [{ ...wrapped, ct: 'A'.repeat(79) }] }), false, 'a wrapped secret has one size');
  assert.equal(call({ action: 'group_key', gen: 1, epk: pub, keys: [wrapped], feedId: 3 }), false);
  assert.equal(call({ action: 'end', reason: 'hangup', gen: 1 }), false, 'only a group_key is numbered so');
  // R124: the join of the device that found the room empty asks the others to ring.
  assert.equal(call({ action: 'group_join', feedId: 1, ring: true }), true);
  assert.equal(call({ action: 'group_leave', feedId: 1, ring: true }), false);
  assert.equal(call({ action: 'group_join', feedId: 1, ring: false }), false);
});

test('R138 a community_rights statement carries known rights only', () => {
  const statement = { kind: 'community_rights', communityId: 'comm00001', owner: 'ann000001', moderators: [{ userId: 'ben000001', rights: ['pin', 'ban'] }] };
  assert.ok(Content.safeParse(statement).success);
  assert.ok(!Content.safeParse({ ...statement, moderators: [{ userId: 'ben000001', rights: ['everything'] }] }).success);
});

test('R150 an edit may carry attachments; then its text may be empty, else it needs one', () => {
  const file = { blobId: 'A'.repeat(22), key: 'A'.repeat(43) + '=', sha256: '0'.repeat(64), size: 3, chunkBytes: 65536, kind: 'file', name: 'a.txt', mime: 'text/plain' };
  assert.ok(Content.safeParse({ kind: 'edit', target: 'hello0001', text: '', attachments: [file] }).success);
  assert.ok(Content.safeParse({ kind: 'edit', target: 'hello0001', text: 'caption', attachments: [file] }).success);
  assert.ok(!Content.safeParse({ kind: 'edit', target: 'hello0001', text: '' }).success, 'an empty text without files');
  assert.ok(!Content.safeParse({ kind: 'edit', target: 'hello0001', text: '', attachments: [] }).success, 'no files is no attachments');
  assert.ok(!Content.safeParse({ kind: 'edit', target: 'hello0001', text: '', attachments: [file, file] }).success, 'each blob once');
});

test('R151 a quiz names one of its options as right, takes one answer, and a short explanation', () => {
  const poll = { kind: 'poll', question: 'Capital of Peru?', options: ['Lima', 'Cusco'], multiple: false, anonymous: true };
  assert.ok(Content.safeParse({ ...poll, quiz: { correct: 0 } }).success);
  assert.ok(Content.safeParse({ ...poll, quiz: { correct: 1, explanation: 'Lima since 1535' } }).success);
  assert.ok(!Content.safeParse({ ...poll, quiz: { correct: 2 } }).success, 'no third option');
  assert.ok(!Content.safeParse({ ...poll, multiple: true, quiz: { correct: 0 } }).success, 'one answer');
  assert.ok(!Content.safeParse({ ...poll, quiz: { correct: 0, explanation: 'x'.repeat(201) } }).success, 'at most 200 characters');
});

test('R151 a text may carry a place (then its text may be empty); coordinates in range', () => {
  assert.ok(Content.safeParse({ kind: 'text', text: '', place: { lat: 52.52, lon: 13.405 } }).success);
  assert.ok(Content.safeParse({ kind: 'text', text: '', place: { lat: -90, lon: 180, title: 'Pole', address: 'South' } }).success);
  assert.ok(!Content.safeParse({ kind: 'text', text: '', place: { lat: 90.1, lon: 0 } }).success);
  assert.ok(!Content.safeParse({ kind: 'text', text: '', place: { lat: 0, lon: 0, title: '' } }).success);
  assert.ok(!Content.safeParse({ kind: 'text', text: '' }).success, 'nothing at all');
});
