import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReadGate } from './read-gate.ts';

const turn = () => new Promise((r) => setImmediate(r));

describe('ReadGate (R40)', () => {
  it('R40 at most perTurn reads start in one turn of the event loop; the rest start in later turns', async () => {
    const gate = new ReadGate(3, 100);
    const owner = {};
    const started: number[] = [];
    for (let i = 0; i < 7; i++) void gate.acquire(owner).then(() => { started.push(i); gate.release(); });
    await Promise.resolve();
    await Promise.resolve();
    assert.deepEqual(started, [0, 1, 2], 'this turn');
    await turn();
    assert.deepEqual(started, [0, 1, 2, 3, 4, 5], 'the next turn');
    await turn();
    assert.deepEqual(started, [0, 1, 2, 3, 4, 5, 6]);
  });

  it('R40 waiting reads are taken one connection at a time: one asking for little is not behind one asking for much', async () => {
    const gate = new ReadGate(2, 100);
    const hostile = {};
    const honest = {};
    const order: string[] = [];
    for (let i = 0; i < 2; i++) void gate.acquire(hostile).then(() => { order.push('h'); gate.release(); });
    for (let i = 0; i < 20; i++) void gate.acquire(hostile).then(() => { order.push('h'); gate.release(); });
    void gate.acquire(honest).then(() => { order.push('HONEST'); gate.release(); });
    while (gate.waiting > 0) await turn();
    await turn();
    assert.equal(order.length, 23);
    assert.ok(order.indexOf('HONEST') <= 4, `honest read started ${order.indexOf('HONEST')}th`);
  });

  it('R40 at most inFlight reads are in progress; a release lets the next start', async () => {
    const gate = new ReadGate(100, 2);
    const owner = {};
    let running = 0;
    let most = 0;
    const done: Array<() => void> = [];
    for (let i = 0; i < 6; i++) {
      void gate.acquire(owner).then(() => {
        most = Math.max(most, ++running);
        done.push(() => { running--; gate.release(); });
      });
    }
    for (let k = 0; k < 20 && (done.length > 0 || gate.waiting > 0); k++) {
      await turn();
      done.shift()?.();
    }
    assert.equal(most, 2);
    assert.equal(gate.waiting, 0);
  });

  it('R40 a closed connection\'s waiting reads are dropped (resolve false) and start nothing', async () => {
    const gate = new ReadGate(1, 100);
    const a = {};
    const results: boolean[] = [];
    void gate.acquire(a).then((go) => results.push(go)); // starts
    void gate.acquire(a).then((go) => results.push(go)); // waits
    gate.drop(a);
    gate.release();
    await turn();
    await turn();
    assert.deepEqual(results, [true, false]);
    assert.equal(gate.waiting, 0);
  });
});
