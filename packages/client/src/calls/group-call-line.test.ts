import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CallContent } from '@parley/protocol';
import type { TimelineItem } from '../timeline.ts';
import { foldGroupCall, GROUP_CALL_STALE_MS, groupCallInProgress, groupMemberGone } from './group-call-line.ts';

function fold() {
  const lines = new Map<string, TimelineItem>();
  const items: TimelineItem[] = [];
  let n = 0;
  const entry = (userId: string, action: 'group_join' | 'group_leave', joinId: string, feedId: number, sentAt: number) => {
    const content = { kind: 'call', callId: joinId, action, feedId } as CallContent;
    foldGroupCall(lines, userId, content, (item) => items.push(item), { id: `m${++n}`, chatId: 'chat00001', seq: n, senderUserId: userId, sentAt, state: 'sent', mine: false });
  };
  return { lines, items, entry };
}

describe('R63 group call line', () => {
  it('opens at the first join, follows joins and leaves, ends with the last leave and its duration', () => {
    const f = fold();
    f.entry('ann', 'group_join', 'joinAnn01', 11, 1000);
    f.entry('bob', 'group_join', 'joinBob01', 22, 2000);
    assert.equal(f.items.length, 1);
    assert.deepEqual(groupCallInProgress(f.items, 3000)?.call?.group?.participants.map((p) => p.feedId), [11, 22]);
    f.entry('ann', 'group_leave', 'joinAnn01', 11, 5000);
    f.entry('bob', 'group_leave', 'joinBob01', 22, 61_000);
    assert.equal(groupCallInProgress(f.items, 62_000), undefined);
    assert.equal(f.items[0]?.call?.outcome, 'ended');
    assert.equal(f.items[0]?.call?.durationMs, 60_000);
    f.entry('bob', 'group_join', 'joinBob02', 22, 70_000);
    assert.equal(f.items.length, 2, 'a new call, a new line');
  });

  it('a leave names its own join: another person cannot take someone out; a removed member is out', () => {
    const f = fold();
    f.entry('ann', 'group_join', 'joinAnn01', 11, 1000);
    f.entry('bob', 'group_join', 'joinBob01', 22, 1000);
    f.entry('mallory', 'group_leave', 'joinAnn01', 11, 2000);
    assert.equal(groupCallInProgress(f.items, 3000)?.call?.group?.participants.length, 2);
    groupMemberGone(f.lines, 'bob', 4000);
    assert.deepEqual(groupCallInProgress(f.items, 5000)?.call?.group?.participants.map((p) => p.userId), ['ann']);
  });

  it('a join never left goes stale: no call in progress after GROUP_CALL_STALE_MS', () => {
    const f = fold();
    f.entry('ann', 'group_join', 'joinAnn01', 11, 1000);
    assert.ok(groupCallInProgress(f.items, 1000 + GROUP_CALL_STALE_MS - 1));
    assert.equal(groupCallInProgress(f.items, 1000 + GROUP_CALL_STALE_MS), undefined);
    f.entry('bob', 'group_join', 'joinBob01', 22, 1000 + GROUP_CALL_STALE_MS + 5);
    assert.equal(f.items.length, 2, 'the stale line closed; this join opens a new one');
  });
});
