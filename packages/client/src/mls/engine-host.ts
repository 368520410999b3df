import { isMlsSessionError } from './errors.ts';
import { MlsGroupSession } from './group-session.ts';
import { MlsIdentity, type MemberIdentity } from './identity.ts';
import type { MlsSessionOptions } from './session-options.ts';
import type { EnginePort, EngineRequest, EngineResponse, EngineStats, GroupMethod, GroupSnapshot, WireOptions } from './engine-wire.ts';

/** Methods after which the members may differ (a commit applied or merged). */
const MOVES_MEMBERS: ReadonlySet<GroupMethod> = new Set(['processHandshake', 'mergePendingCommit']);

/**
 * The worker's side of RemoteMlsEngine: holds the device's open MLS groups (MlsGroupSession, the
 * same code as in-thread) by handle and runs what the page asks. State bytes it makes (serialize)
 * are transferred, not copied. A group's `authenticate` (the key log's word on a leaf, R22) stays
 * on the page: the worker asks for it per leaf and waits.
 */
export function serveMlsEngine(port: EnginePort): void {
  const groups = new Map<number, MlsGroupSession>();
  const asked = new Map<number, (ok: boolean) => void>();
  const stats: EngineStats = {};
  (globalThis as { parleyMlsStats?: EngineStats }).parleyMlsStats = stats; // a test reads it in the worker
  let nextHandle = 1;
  let nextAsk = 1;
  const send = (m: EngineResponse, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

  const options = (o: WireOptions): MlsSessionOptions => {
    const auth = o.auth;
    return {
      ...(o.retainedEpochs !== undefined ? { retainedEpochs: o.retainedEpochs } : {}),
      ...(o.welcomeTreeMaxBytes !== undefined ? { welcomeTreeMaxBytes: o.welcomeTreeMaxBytes } : {}),
      ...(auth !== undefined
        ? {
          authenticate: (member: MemberIdentity, key: Uint8Array) => new Promise<boolean>((resolve) => {
            const id = nextAsk++;
            asked.set(id, resolve);
            send({ op: 'auth', id, auth, member, key });
          }),
        }
        : {}),
    };
  };
  const snapshot = (g: MlsGroupSession, members: boolean): GroupSnapshot => ({
    groupId: g.groupId, epoch: g.epoch, isActive: g.isActive, ownLeafIndex: g.ownLeafIndex, leafCount: g.leafCount,
    hasPendingCommit: g.hasPendingCommit, ...(members ? { members: g.members() } : {}),
  });
  const opened = (id: number, g: MlsGroupSession, value: unknown = null) => {
    const handle = nextHandle++;
    groups.set(handle, g);
    send({ id, ok: true, value, handle, snapshot: snapshot(g, true) });
  };

  const run = async (r: Exclude<EngineRequest, { op: 'free' } | { op: 'auth_answer' }>): Promise<void> => {
    stats[r.op === 'call' ? r.method : r.op] = (stats[r.op === 'call' ? r.method : r.op] ?? 0) + 1;
    switch (r.op) {
      case 'create':
        return opened(r.id, await MlsGroupSession.create(MlsIdentity.fromBytes(r.identity), r.groupId, options(r.options), r.epoch));
      case 'join': {
        const { session, usedKeyPackageRef } = await MlsGroupSession.join(MlsIdentity.fromBytes(r.identity), r.welcome, r.keyPackages, options(r.options), r.tree);
        return opened(r.id, session, usedKeyPackageRef);
      }
      case 'deserialize':
        return opened(r.id, await MlsGroupSession.deserialize(r.bytes, options(r.options)));
      case 'stats':
        return send({ id: r.id, ok: true, value: { ...stats } });
      case 'call': {
        const g = groups.get(r.handle);
        if (!g) throw new Error(`no MLS group with handle ${r.handle}`);
        const method = g[r.method] as (...args: unknown[]) => unknown;
        const value = await method.apply(g, r.args);
        const transfer: ArrayBuffer[] = [];
        let out = value;
        if (r.method === 'serialize' && value instanceof Uint8Array) {
          // A state of megabytes moves to the page without a copy; never a buffer the worker still uses.
          const own = value.byteOffset === 0 && value.byteLength === value.buffer.byteLength ? value : value.slice();
          transfer.push(own.buffer as ArrayBuffer);
          out = own;
        }
        return send({ id: r.id, ok: true, value: out, snapshot: snapshot(g, MOVES_MEMBERS.has(r.method)) }, transfer);
      }
    }
  };

  port.onmessage = (event) => {
    const r = event.data as EngineRequest;
    if (r.op === 'free') {
      groups.delete(r.handle);
      return;
    }
    if (r.op === 'auth_answer') {
      asked.get(r.id)?.(r.ok);
      asked.delete(r.id);
      return;
    }
    run(r).catch((err: unknown) => {
      const e = err instanceof Error ? err : new Error(String(err));
      send({ id: r.id, ok: false, error: { name: e.name, message: e.message, ...(isMlsSessionError(e) ? { code: e.code } : {}) } });
    });
  };
}
