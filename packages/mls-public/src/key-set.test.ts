import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RatchetTree } from 'ts-mls';
import { KeySet } from './key-set.ts';
import { keysUnique } from './tree-checks.ts';
import { addDevices, device, startGroup } from './test-fixtures.ts';

const bytes = (...b: number[]) => Uint8Array.from(b);

describe('key uniqueness (RFC 9420 §7.9)', () => {
  it('KeySet compares whole bytes: same first six bytes or a prefix of another key is a different key', () => {
    const s = new KeySet();
    assert.equal(s.add(bytes(1, 2, 3, 4, 5, 6, 7)), true);
    assert.equal(s.add(bytes(1, 2, 3, 4, 5, 6, 8)), true);
    assert.equal(s.add(bytes(1, 2, 3, 4, 5, 6)), true);
    assert.equal(s.add(bytes(1, 2, 3)), true);
    assert.equal(s.add(bytes()), true);
    assert.equal(s.add(bytes(1, 2, 3, 4, 5, 6, 8)), false);
    assert.equal(s.add(new Uint8Array(bytes(0, 1, 2, 3, 4, 5, 6, 7).buffer, 1)), false, 'a view on other bytes with the same content');
    assert.equal(s.has(bytes(1, 2, 3)), true);
    assert.equal(s.has(bytes(1, 2, 3, 4, 5, 6, 9)), false);
    assert.equal(s.has(bytes()), true);
  });

  it('keysUnique: a real tree passes; an HPKE key twice (leaf and parent) or a signature key twice fails', async () => {
    const devices = await Promise.all(Array.from({ length: 4 }, (_, i) => device(`k${i}`, `x${i}`)));
    const { member } = await startGroup(devices[0]!, 'chat_keys');
    const { members } = await addDevices(member, [], devices.slice(1));
    const tree = members[0]!.state.ratchetTree;
    assert.equal(keysUnique(tree), true);
    const at = (i: number) => {
      const n = tree[i];
      assert.ok(n?.nodeType === 'leaf');
      return n.leaf;
    };
    const sameSig: RatchetTree = tree.slice();
    sameSig[2] = { nodeType: 'leaf', leaf: { ...at(2), signaturePublicKey: at(0).signaturePublicKey.slice() } };
    assert.equal(keysUnique(sameSig), false);
    const sameHpke: RatchetTree = tree.slice();
    sameHpke[1] = { nodeType: 'parent', parent: { hpkePublicKey: at(4).hpkePublicKey.slice(), parentHash: new Uint8Array(), unmergedLeaves: [] } };
    assert.equal(keysUnique(sameHpke), false);
  });
});
