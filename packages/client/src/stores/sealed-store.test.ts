import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChatSummary } from '@parley/protocol';
import type { ClientStore, OutboxItem, StoredKeyPackage, StoredMessage } from '../store.ts';
import { MemoryStore } from './memory-store.ts';
import { isStoreSealError } from './seal.ts';
import { KEY_CHECK_META, SealedStore } from './sealed-store.ts';

const MARKER = 'MARKER-7f3a9c-plaintext';
const MARKER_BYTES = new TextEncoder().encode('BYTES-MARKER-51e2d0');
const CHAT = 'chat_00000001';
const CHAT2 = 'chat_00000002';

const newKey = () => crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);

function chat(chatId: string): ChatSummary {
  return { chatId, kind: 'group', name: 'Team', color: '#336699', members: [], lastSeq: 2, unread: 0, createdAt: 1, mlsEpoch: 0 };
}

function message(seq: number, text: string, chatId = CHAT): StoredMessage {
  return {
    chatId, seq, clientMsgId: `msg_0000000${seq}`, senderUserId: 'user_alice01', senderDeviceId: 'dev_alice001', sentAt: 1000 + seq,
    envelope: { contentType: 'parley/plain+json', payload: btoa(JSON.stringify({ kind: 'text', text })) },
    system: null,
    decoded: { kind: 'content', content: { kind: 'text', text } },
  };
}

const keyPackage = (ref: string, privateKeys: Uint8Array): StoredKeyPackage => ({
  ref, keyPackage: new Uint8Array([1, 2, 3]), privateKeys, lastResort: false, createdAt: 5,
});

/** Fills a store with one of everything, secrets carrying the markers. */
async function fill(store: ClientStore): Promise<void> {
  await store.putChat(chat(CHAT));
  await store.putMessages([message(1, `hello ${MARKER}`), message(2, 'second')], new Map([[CHAT, MARKER_BYTES]]));
  await store.putMessages([{ ...withoutDecoded(message(3, 'x')), envelope: null, system: { kind: 'renamed', name: `name ${MARKER}` } }]);
  await store.putOutbox({ chatId: CHAT, clientMsgId: 'out_00000001', content: { kind: 'text', text: `draft ${MARKER}` }, createdAt: 3, attempts: 0 });
  await store.setMeta('session-token', `token-${MARKER}`);
  await store.putMlsIdentity(MARKER_BYTES);
  await store.putKeyPackages([keyPackage('ref-one', MARKER_BYTES)]);
}

/** Everything the store holds, through its interface: byte arrays as hex. */
async function dump(store: ClientStore): Promise<string> {
  const chats = await store.getChats();
  const all = {
    chats,
    messages: await Promise.all([CHAT, CHAT2].map((id) => store.getMessages(id))),
    groups: await Promise.all([CHAT, CHAT2].map((id) => store.getMlsGroup(id))),
    outbox: await store.listOutbox(),
    meta: await Promise.all(['session-token', 'other'].map((k) => store.getMeta(k))),
    identity: await store.getMlsIdentity(),
    keyPackages: await store.listKeyPackages(),
  };
  return JSON.stringify(all, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v));
}

function assertNoPlaintext(text: string): void {
  assert.ok(!text.includes(MARKER), 'marker text in the inner store');
  assert.ok(!text.includes(Buffer.from(MARKER_BYTES).toString('hex')), 'marker bytes in the inner store');
  assert.ok(!text.includes(Buffer.from(MARKER_BYTES).toString('base64').slice(0, 16)), 'marker bytes (base64) in the inner store');
  assert.ok(!text.includes(btoa(JSON.stringify({ kind: 'text', text: `hello ${MARKER}` }))), 'plaintext envelope in the inner store');
}

/** The same behavioural checks for any ClientStore. */
function behaves(name: string, make: () => Promise<ClientStore>): void {
  describe(`${name} behaves as a ClientStore`, () => {
    it('round-trips messages with what they decoded to, group states, outbox, meta and MLS state', async () => {
      const store = await make();
      await fill(store);
      const messages = await store.getMessages(CHAT);
      assert.deepEqual(messages.map((m) => m.seq), [1, 2, 3]);
      assert.deepEqual(messages[0], message(1, `hello ${MARKER}`));
      assert.deepEqual(messages[2]?.system, { kind: 'renamed', name: `name ${MARKER}` });
      assert.equal(messages[2]?.envelope, null);
      assert.deepEqual(await store.getMlsGroup(CHAT), MARKER_BYTES);
      assert.deepEqual((await store.listOutbox())[0]?.content, { kind: 'text', text: `draft ${MARKER}` });
      assert.equal(await store.getMeta('session-token'), `token-${MARKER}`);
      assert.equal(await store.getMeta('absent'), undefined);
      assert.deepEqual(await store.getMlsIdentity(), MARKER_BYTES);
      assert.deepEqual(await store.listKeyPackages(), [keyPackage('ref-one', MARKER_BYTES)]);
      assert.deepEqual((await store.getChats()).map((c) => c.chatId), [CHAT]);
    });

    it('upserts by (chatId, seq), deletes, and keeps a group state past deleteChat', async () => {
      const store = await make();
      await fill(store);
      await store.putMessages([message(2, 'second, again')]);
      assert.deepEqual((await store.getMessages(CHAT))[1], message(2, 'second, again'));
      await store.deleteOutbox('out_00000001');
      assert.deepEqual(await store.listOutbox(), []);
      await store.deleteKeyPackages(['ref-one']);
      assert.deepEqual(await store.listKeyPackages(), []);
      await store.deleteChat(CHAT);
      assert.deepEqual(await store.getMessages(CHAT), []);
      assert.deepEqual(await store.getMlsGroup(CHAT), MARKER_BYTES);
      await store.deleteMlsGroup(CHAT);
      assert.equal(await store.getMlsGroup(CHAT), undefined);
    });
  });
}

behaves('MemoryStore', async () => new MemoryStore());
behaves('SealedStore(MemoryStore)', async () => SealedStore.open(new MemoryStore(), await newKey()));

describe('SealedStore', () => {
  it('leaves no plaintext or secret bytes in the inner store', async () => {
    const inner = new MemoryStore();
    await fill(await SealedStore.open(inner, await newKey()));
    assertNoPlaintext(await dump(inner));
    const [record] = await inner.getMessages(CHAT);
    assert.equal(record?.clientMsgId, 'msg_00000001', 'indexes and server-known fields stay clear');
    assert.equal(record?.envelope, null);
    assert.equal(record?.decoded, undefined);
  });

  it('passes the sealed group states to the same putMessages call (one atomic write)', async () => {
    const inner = new MemoryStore();
    const calls: string[] = [];
    const spy = new Proxy(inner, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          if (prop === 'putMessages') calls.push(`putMessages(${(args[1] as Map<string, Uint8Array> | undefined)?.size ?? 0})`);
          if (prop === 'putMlsGroup') calls.push('putMlsGroup');
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const store = await SealedStore.open(spy, await newKey());
    await store.putMessages([message(1, 'a')], new Map([[CHAT, MARKER_BYTES], [CHAT2, new Uint8Array([9])]]));
    assert.deepEqual(calls, ['putMessages(2)']);
  });

  it('a record moved to another slot fails to open (store_record_invalid)', async () => {
    const inner = new MemoryStore();
    const store = await SealedStore.open(inner, await newKey());
    await store.putMessages([message(1, 'one'), message(2, 'two')], new Map([[CHAT, new Uint8Array([1])], [CHAT2, new Uint8Array([2])]]));
    const [one, two] = await inner.getMessages(CHAT);
    await inner.putMessages([{ ...two!, sealed: (one as StoredMessage & { sealed: string }).sealed } as StoredMessage]);
    await assert.rejects(store.getMessages(CHAT), (e) => isStoreSealError(e, 'store_record_invalid'));

    await inner.putMlsGroup(CHAT, (await inner.getMlsGroup(CHAT2))!);
    await assert.rejects(store.getMlsGroup(CHAT), (e) => isStoreSealError(e, 'store_record_invalid'));

    await inner.setMeta('other', (await inner.getMeta('session-token')) ?? '');
    await store.setMeta('session-token', 't');
    await inner.setMeta('other', (await inner.getMeta('session-token'))!);
    await assert.rejects(store.getMeta('other'), (e) => isStoreSealError(e, 'store_record_invalid'));
  });

  it('a wrong key is refused before anything is read (store_key_mismatch); a locked store refuses calls', async () => {
    const inner = new MemoryStore();
    const store = await SealedStore.open(inner, await newKey());
    await fill(store);
    await assert.rejects(SealedStore.open(inner, await newKey()), (e) => isStoreSealError(e, 'store_key_mismatch'));
    assert.ok(await inner.getMeta(KEY_CHECK_META));
    store.lock();
    assert.equal(store.locked, true);
    await assert.rejects(store.getMessages(CHAT), (e) => isStoreSealError(e, 'store_locked'));
    await assert.rejects(store.getChats(), (e) => isStoreSealError(e, 'store_locked'));
    await assert.rejects(store.putMlsIdentity(new Uint8Array([1])), (e) => isStoreSealError(e, 'store_locked'));
  });

  it('the right key opens it again', async () => {
    const inner = new MemoryStore();
    const key = await newKey();
    await fill(await SealedStore.open(inner, key));
    const again = await SealedStore.open(inner, key);
    assert.deepEqual(await again.getMlsIdentity(), MARKER_BYTES);
    assert.equal((await again.getMessages(CHAT)).length, 3);
  });

  it('the first unlock rewrites an existing unencrypted store sealed, and reads it the same', async () => {
    const inner = new MemoryStore();
    await fill(inner);
    const before = await dump(inner);
    assert.ok(before.includes(MARKER));
    const store = await SealedStore.open(inner, await newKey());
    assertNoPlaintext(await dump(inner));
    assert.deepEqual(JSON.parse(await dump(store)), JSON.parse(before));
  });

  it('a migration interrupted halfway is finished at the next unlock', async () => {
    const inner = new MemoryStore();
    await fill(inner);
    const key = await newKey();
    // As if the first unlock crashed after binding the key and sealing only the identity.
    const scratch = new MemoryStore();
    await (await SealedStore.open(scratch, key)).putMlsIdentity(MARKER_BYTES);
    await inner.setMeta(KEY_CHECK_META, (await scratch.getMeta(KEY_CHECK_META))!);
    await inner.putMlsIdentity((await scratch.getMlsIdentity())!);
    const before = await dump(inner);
    const store = await SealedStore.open(inner, key);
    assertNoPlaintext(await dump(inner));
    assert.deepEqual(await store.getMlsIdentity(), MARKER_BYTES);
    assert.ok(before.includes(MARKER));
  });

  it('keeps sealed fields as strings and bytes that survive JSON (FileStore)', async () => {
    const key = await newKey();
    const inner = new MemoryStore();
    const store = await SealedStore.open(inner, key);
    await store.putMessages([message(1, 'json')]);
    await store.putOutbox({ chatId: CHAT, clientMsgId: 'out_00000001', content: { kind: 'text', text: 'json' }, createdAt: 3, attempts: 0 });
    const copy = new MemoryStore();
    await copy.setMeta(KEY_CHECK_META, (await inner.getMeta(KEY_CHECK_META))!);
    await copy.putMessages(JSON.parse(JSON.stringify(await inner.getMessages(CHAT))) as StoredMessage[]);
    await copy.putOutbox(JSON.parse(JSON.stringify((await inner.listOutbox())[0])) as OutboxItem);
    const reopened = await SealedStore.open(copy, key);
    assert.deepEqual(await reopened.getMessages(CHAT), [message(1, 'json')]);
    assert.deepEqual((await reopened.listOutbox())[0]?.content, { kind: 'text', text: 'json' });
  });
});

function withoutDecoded(m: StoredMessage): StoredMessage {
  const { decoded: _, ...rest } = m;
  return rest;
}

describe('SealedStore uploads', () => {
  it('R150 a pending upload\'s caption, keyboards, force_reply and the edit it is for: sealed what the message will say, the rest back as it was', async () => {
    const inner = new MemoryStore();
    const store = await SealedStore.open(inner, await newKey());
    const upload = {
      clientMsgId: 'up_00000001', chatId: CHAT, createdAt: 4, text: `caption ${MARKER}`, editOf: 'msg_00000001',
      replyMarkup: { inlineKeyboard: [[{ text: `button ${MARKER}`, callbackData: 'x' }]] }, replyKeyboard: { rows: [[{ text: `key ${MARKER}` }]] },
      forceReply: { placeholder: `ask ${MARKER}` },
      files: [{ attachment: { key: 'A'.repeat(43) + '=', size: 3, chunkBytes: 65536, kind: 'file' as const, name: 'a.txt', mime: 'text/plain' }, source: { path: '/tmp/a' } }],
    };
    await store.putPendingUpload(upload);
    assert.ok(!JSON.stringify(await inner.listPendingUploads()).includes(MARKER), 'no plaintext of the message in the inner store');
    assert.deepEqual(await store.listPendingUploads(), [upload]);
  });

  it('R202 a forwarded public post\'s upload: the channel it names is sealed, back as it was', async () => {
    const inner = new MemoryStore();
    const store = await SealedStore.open(inner, await newKey());
    const upload = {
      clientMsgId: 'up_00000003', chatId: CHAT, createdAt: 6, text: 'caption', forwarded: { channel: { name: `City ${MARKER}` }, sentAt: 7 },
      files: [{ attachment: { key: 'A'.repeat(43) + '=', size: 3, chunkBytes: 65536, kind: 'file' as const, name: 'a.png', mime: 'image/png' }, source: { path: '/tmp/a' } }],
    };
    await store.putPendingUpload(upload);
    assert.ok(!JSON.stringify(await inner.listPendingUploads()).includes(MARKER), 'the channel\'s name is not in the inner store');
    assert.deepEqual(await store.listPendingUploads(), [upload]);
  });

  it('R162 a kept wrapped post: its text and the kept files\' keys sealed, back as it was', async () => {
    const inner = new MemoryStore();
    const store = await SealedStore.open(inner, await newKey());
    const kept = { key: `${MARKER}${'B'.repeat(43 - MARKER.length)}=`, size: 3, chunkBytes: 65536, kind: 'file' as const, name: 'kept.txt', mime: 'text/plain', blobId: 'C'.repeat(22), sha256: '0'.repeat(64) };
    const upload = {
      clientMsgId: 'up_00000002', chatId: 'wrapped:comm_1', createdAt: 5, text: `post ${MARKER}`, wrapped: { communityId: 'comm_1', edits: 3, keep: [kept] },
      files: [{ attachment: { key: 'A'.repeat(43) + '=', size: 3, chunkBytes: 65536, kind: 'file' as const, name: 'a.txt', mime: 'text/plain' }, source: { path: '/tmp/a' } }],
    };
    await store.putPendingUpload(upload);
    assert.ok(!JSON.stringify(await inner.listPendingUploads()).includes(MARKER), 'no plaintext of the post in the inner store');
    assert.deepEqual(await store.listPendingUploads(), [upload]);
  });
});
