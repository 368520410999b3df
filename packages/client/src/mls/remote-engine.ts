import { MLS_ERROR_CODES, MlsSessionError, type MlsErrorCode } from './errors.ts';
import type { MlsGroup, MlsEngine } from './engine.ts';
import type { EnginePort, EngineRequest, EngineResponse, EngineStats, GroupMethod, GroupSnapshot, WireOptions } from './engine-wire.ts';
import type { DecryptedMessage, HandshakeOutcome, MlsMember } from './group-session.ts';
import type { MemberIdentity, MlsIdentity } from './identity.ts';
import type { MlsSessionOptions } from './session-options.ts';

type Answer = Extract<EngineResponse, { id: number; ok: true }>;
type Request = Exclude<EngineRequest, { op: 'free' } | { op: 'auth_answer' }>;
type Ask = Request extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

/**
 * MLS groups computed in a worker that runs serveMlsEngine (docs/ARCHITECTURE.md "MLS off the
 * page's main thread"): commits, Welcomes, encryption, decryption and state encoding happen there;
 * the page keeps handles, a copy of each group's epoch and members, and the `authenticate`
 * callbacks (the worker asks them per leaf). The codec's lock per chat keeps one call per group at
 * a time, as in-thread. Imports no ts-mls code.
 */
export class RemoteMlsEngine implements MlsEngine {
  readonly #port: EnginePort;
  readonly #waiting = new Map<number, { resolve: (a: Answer) => void; reject: (e: Error) => void }>();
  readonly #auth = new Map<number, NonNullable<MlsSessionOptions['authenticate']>>();
  /** A handle the page dropped frees the worker's group (megabytes at 5,000 members) and its callback. */
  readonly #dropped = new FinalizationRegistry<{ handle: number; auth: number | undefined }>(({ handle, auth }) => {
    this.#port.postMessage({ op: 'free', handle } satisfies EngineRequest, []);
    if (auth !== undefined) this.#auth.delete(auth);
  });
  #nextId = 1;
  #failed: Error | undefined;

  constructor(port: EnginePort) {
    this.#port = port;
    port.onmessage = (event) => this.#receive(event.data as EngineResponse);
  }

  async create(identity: MlsIdentity, groupId: Uint8Array, options: MlsSessionOptions, epoch: bigint): Promise<MlsGroup> {
    const wire = this.#options(options);
    return this.#group(await this.#ask({ op: 'create', identity: identity.toBytes(), groupId, options: wire, epoch }), wire.auth);
  }

  async join(identity: MlsIdentity, welcome: Uint8Array, keyPackages: readonly { keyPackage: Uint8Array; ref: Uint8Array; lastResort: boolean; privateKeys: Uint8Array }[], options: MlsSessionOptions, tree?: Uint8Array): Promise<{ session: MlsGroup; usedKeyPackageRef: Uint8Array }> {
    const wire = this.#options(options);
    const a = await this.#ask({ op: 'join', identity: identity.toBytes(), welcome, keyPackages: keyPackages.map((k) => ({ ...k })), options: wire, tree });
    return { session: this.#group(a, wire.auth), usedKeyPackageRef: a.value as Uint8Array };
  }

  async deserialize(bytes: Uint8Array, options: MlsSessionOptions): Promise<MlsGroup> {
    const wire = this.#options(options);
    return this.#group(await this.#ask({ op: 'deserialize', bytes, options: wire }), wire.auth);
  }

  /**
   * The worker is gone (it failed to load, or crashed): every call waiting and every later one fails
   * with this error instead of waiting for ever (the codec's per-chat lock would hold the chat).
   */
  fail(error: Error): void {
    this.#failed = error;
    for (const w of this.#waiting.values()) w.reject(error);
    this.#waiting.clear();
  }

  /** How many of each operation the worker ran (tests: the work happened there). */
  async stats(): Promise<EngineStats> {
    return (await this.#ask({ op: 'stats' })).value as EngineStats;
  }

  #options(o: MlsSessionOptions): WireOptions {
    let auth: number | undefined;
    if (o.authenticate) {
      auth = this.#nextId++;
      this.#auth.set(auth, o.authenticate);
    }
    return {
      ...(o.retainedEpochs !== undefined ? { retainedEpochs: o.retainedEpochs } : {}),
      ...(o.welcomeTreeMaxBytes !== undefined ? { welcomeTreeMaxBytes: o.welcomeTreeMaxBytes } : {}),
      ...(auth !== undefined ? { auth } : {}),
    };
  }

  #group(a: Answer, auth: number | undefined): MlsGroup {
    if (a.handle === undefined || a.snapshot === undefined) throw new MlsSessionError('mls_internal', 'the MLS worker opened no group');
    const group = new RemoteGroup(a.handle, a.snapshot, (method, args) => this.#ask({ op: 'call', handle: a.handle as number, method, args }));
    this.#dropped.register(group, { handle: a.handle, auth });
    return group;
  }

  #ask(request: Ask): Promise<Answer> {
    const id = this.#nextId++;
    if (this.#failed) return Promise.reject(this.#failed);
    return new Promise<Answer>((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      this.#port.postMessage({ ...request, id } as EngineRequest, []);
    });
  }

  #receive(m: EngineResponse): void {
    if ('op' in m) {
      const authenticate = this.#auth.get(m.auth);
      const answer = (ok: boolean) => this.#port.postMessage({ op: 'auth_answer', id: m.id, ok } satisfies EngineRequest, []);
      if (!authenticate) return answer(false);
      authenticate(m.member, m.key).then(answer, () => answer(false));
      return;
    }
    const waiting = this.#waiting.get(m.id);
    if (!waiting) return;
    this.#waiting.delete(m.id);
    if (m.ok) return waiting.resolve(m);
    const { code, name, message } = m.error;
    if (code !== undefined && code in MLS_ERROR_CODES) return waiting.reject(new MlsSessionError(code as MlsErrorCode, message));
    const err = new Error(message);
    err.name = name;
    waiting.reject(err);
  }
}

/** A group in the worker, seen from the page. */
class RemoteGroup implements MlsGroup {
  #snap: GroupSnapshot;
  #members: MlsMember[];

  constructor(
    readonly handle: number,
    snapshot: GroupSnapshot,
    private readonly call: (method: GroupMethod, args: unknown[]) => Promise<Answer>,
  ) {
    this.#snap = snapshot;
    this.#members = snapshot.members ?? [];
  }

  get groupId(): Uint8Array { return this.#snap.groupId; }
  get epoch(): bigint { return this.#snap.epoch; }
  get isActive(): boolean { return this.#snap.isActive; }
  get ownLeafIndex(): number { return this.#snap.ownLeafIndex; }
  get leafCount(): number { return this.#snap.leafCount; }
  get hasPendingCommit(): boolean { return this.#snap.hasPendingCommit; }
  members(): MlsMember[] { return [...this.#members]; }

  async #run<T>(method: GroupMethod, ...args: unknown[]): Promise<T> {
    const a = await this.call(method, args);
    if (a.snapshot) {
      this.#snap = a.snapshot;
      if (a.snapshot.members) this.#members = a.snapshot.members;
    }
    return a.value as T;
  }

  serialize(): Promise<Uint8Array> { return this.#run('serialize'); }
  exportSecret(label: string, context: Uint8Array, length: number): Promise<Uint8Array> { return this.#run('exportSecret', label, context, length); }
  usableKeyPackage(bytes: Uint8Array, nowSeconds?: number): Promise<boolean> { return this.#run('usableKeyPackage', bytes, ...(nowSeconds === undefined ? [] : [nowSeconds])); }
  changeMembers(change: { add: readonly Uint8Array[]; remove: readonly MemberIdentity[] }): Promise<{ commit: Uint8Array; welcome: Uint8Array | undefined }> { return this.#run('changeMembers', change); }
  update(): Promise<{ commit: Uint8Array }> { return this.#run('update'); }
  groupInfo(): Promise<Uint8Array> { return this.#run('groupInfo'); }
  mergePendingCommit(): Promise<void> { return this.#run('mergePendingCommit'); }
  discardPendingCommit(): Promise<void> { return this.#run('discardPendingCommit'); }
  processHandshake(bytes: Uint8Array): Promise<HandshakeOutcome> { return this.#run('processHandshake', bytes); }
  encrypt(plaintext: Uint8Array, authenticatedData?: Uint8Array): Promise<Uint8Array> { return this.#run('encrypt', plaintext, ...(authenticatedData === undefined ? [] : [authenticatedData])); }
  decrypt(ciphertext: Uint8Array): Promise<DecryptedMessage> { return this.#run('decrypt', ciphertext); }
}
