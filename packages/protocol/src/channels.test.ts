import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { channelHandleProblem, handleSkeleton, ReactionEmoji } from './channels.ts';

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
});
