import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChannelPollVotes, PutChannelVoteRequest } from './channel-polls.ts';
import { ChannelAttachment, ChannelPostBody, channelHandleProblem, handleSkeleton, ReactionEmoji } from './channels.ts';

describe('channel handles (R95)', () => {
  it('R95 a latin handle of 3-32 a-z 0-9 _ passes; other scripts, mixes, reserved and look-alikes of reserved are refused with a reason', () => {
    for (const ok of ['city_news', 'amy2026', 'support_group_of_moms', 'helpful']) assert.equal(channelHandleProblem(ok), undefined, ok);
    const cases: Array<[string, RegExp]> = [
      ['pаypal', /mixes latin letters with another script/], // Cyrillic а
      ['gооgle', /mixes latin/], // two Cyrillic о
      ['ѕupport', /mixes latin/], // Cyrillic ѕ
      ['новости', /only a-z/],
      ['ニュース', /only a-z/],
      ['news\u200b', /only a-z/], // a zero-width space
      ['City', /3-32 of a-z/], ['1news', /3-32/], ['ab', /3-32/], ['a'.repeat(33), /3-32/],
      ['support', /reserved/], ['admin', /reserved/], ['all', /reserved/],
      ['supp0rt', /looks like a reserved one/], ['adm1n', /looks like a reserved one/], ['sup_port', /looks like a reserved one/],
      ['parl3y', /looks like a reserved one/], ['offlcial', /looks like a reserved one/], ['adrnin', /looks like a reserved one/],
    ];
    for (const [handle, why] of cases) assert.match(channelHandleProblem(handle) ?? 'passed', why, handle);
  });

  it('R95 look-alike folding makes the usual swaps equal and leaves other handles apart', () => {
    assert.equal(handleSkeleton('supp0rt'), handleSkeleton('support'));
    assert.equal(handleSkeleton('rn_vv'), handleSkeleton('mw'));
    assert.notEqual(handleSkeleton('city_news'), handleSkeleton('support'));
  });

  it('R98 a reaction is one emoji: no letters, markup or long runs', () => {
    for (const ok of ['👍', '🔥', '❤️', '👍🏽', '🏳️‍🌈']) assert.equal(ReactionEmoji.safeParse(ok).success, true, ok);
    for (const bad of ['', 'abc', '<b>', '👍'.repeat(9), ' ', '1']) assert.equal(ReactionEmoji.safeParse(bad).success, false, bad);
  });

  it('R198 a signed post may carry a poll of 2-12 distinct options; a vote names each option index once', () => {
    const key = Buffer.alloc(32, 1).toString('base64');
    const post = { v: 1, channelId: 'channel-1', postId: 'post-0001', postSeq: 1, seq: 1, version: 1, date: 1, signer: key, text: 'Lunch?', pinned: false, deleted: false };
    assert.equal(ChannelPostBody.safeParse({ ...post, poll: { question: 'Where?', options: ['Here', 'There'], multiple: true } }).success, true);
    assert.deepEqual(ChannelPostBody.parse({ ...post, poll: { question: 'Where?', options: ['Here', 'There'] } }).poll?.options, ['Here', 'There']);
    for (const poll of [{ question: 'Q', options: ['one'] }, { question: 'Q', options: ['a', 'A'] }, { question: '', options: ['a', 'b'] }, { question: 'Q', options: Array.from({ length: 13 }, (_, i) => `o${i}`) }]) {
      assert.equal(ChannelPostBody.safeParse({ ...post, poll }).success, false, JSON.stringify(poll));
    }
    assert.deepEqual(PutChannelVoteRequest.parse({ options: [0, 11] }).options, [0, 11]);
    for (const options of [[], [12], [-1], [1, 1], [0.5]]) assert.equal(PutChannelVoteRequest.safeParse({ options }).success, false, JSON.stringify(options));
    assert.equal(ChannelPollVotes.safeParse({ seq: 3, votes: { 0: 2, 1: 1 }, voters: 2, mine: [1] }).success, true);
    assert.equal(ChannelPollVotes.safeParse({ seq: 3, votes: { abc: 2 }, voters: 2 }).success, false);
  });

  it('R199 a voice mark goes on an audio file only, with the chats\' length and waveform bounds', () => {
    const file = { blobId: 'AAAAAAAAAAAAAAAAAAAAAA', sha256: '0'.repeat(64), size: 10, mime: 'audio/webm', voice: true, durationMs: 3000, waveform: 'AAEC' };
    assert.equal(ChannelAttachment.safeParse(file).success, true);
    assert.equal(ChannelAttachment.safeParse({ ...file, mime: 'image/png' }).success, false);
    assert.equal(ChannelAttachment.safeParse({ ...file, voice: false }).success, false, 'the mark is true or absent');
    assert.equal(ChannelAttachment.safeParse({ ...file, waveform: 'A'.repeat(200) }).success, false, 'at most 128 samples');
    assert.equal(ChannelAttachment.safeParse({ ...file, durationMs: -1 }).success, false);
  });
});
