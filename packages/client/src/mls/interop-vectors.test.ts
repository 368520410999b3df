/**
 * MLS working-group interop test vectors (mlswg/mls-implementations, test-vectors/*.json) run against
 * the ts-mls version this package pins, for our default suite (1) where the vector file names a suite.
 *
 * The vectors are not in the ts-mls npm package and this repository does not vendor them: point
 * MLS_TEST_VECTORS_DIR at a checkout's test-vectors/ folder to run these; without it they are skipped.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  decodeMlsMessage,
  encodeMlsMessage,
  getCiphersuiteFromName,
  getCiphersuiteImpl,
  joinGroup,
  makePskIndex,
  processMessage,
  acceptAll,
  bytesToBase64,
  type CiphersuiteImpl,
  type ClientState,
  type GroupContext,
} from 'ts-mls';
import { refhash } from 'ts-mls/crypto/hash.js';
import { decryptWithLabel, encryptWithLabel } from 'ts-mls/crypto/hpke.js';
import { deriveSecret, deriveTreeSecret, expandWithLabel } from 'ts-mls/crypto/kdf.js';
import { signWithLabel, verifyWithLabel } from 'ts-mls/crypto/signature.js';
import { encodeGroupContext } from 'ts-mls/groupContext.js';
import { verifyGroupInfoConfirmationTag, verifyGroupInfoSignature } from 'ts-mls/groupInfo.js';
import { defaultKeyRetentionConfig } from 'ts-mls/keyRetentionConfig.js';
import { makeKeyPackageRef } from 'ts-mls/keyPackage.js';
import { initializeEpoch, mlsExporter } from 'ts-mls/keySchedule.js';
import { decodeRatchetTree } from 'ts-mls/ratchetTree.js';
import { createSecretTree, deriveKey, deriveNonce, ratchetUntil } from 'ts-mls/secretTree.js';
import { expandSenderDataKey, expandSenderDataNonce } from 'ts-mls/sender.js';
import { left, nodeWidth, parent, right, root, sibling, toNodeIndex, leafToNodeIndex, toLeafIndex } from 'ts-mls/treemath.js';
import { decryptGroupInfo, decryptGroupSecrets } from 'ts-mls/welcome.js';
import { DEFAULT_CIPHERSUITE } from './ciphersuite.ts';

const SUITE_ID = 1; // DEFAULT_CIPHERSUITE
const dir = process.env.MLS_TEST_VECTORS_DIR;
const skip = dir === undefined || !existsSync(join(dir, 'tree-math.json')) ? 'MLS_TEST_VECTORS_DIR not set to an mls-implementations test-vectors/ folder' : false;

type Hex = string;
const hex = (h: Hex): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'));
const toHex = (b: Uint8Array): Hex => Buffer.from(b).toString('hex');

/** Test data read from disk: shapes are the published schema, checked by the assertions that use them. */
function vectors<T>(file: string, bySuite = true): T[] {
  const all = JSON.parse(readFileSync(join(dir ?? '', file), 'utf8')) as (T & { cipher_suite?: number })[];
  const chosen = bySuite ? all.filter((v) => v.cipher_suite === SUITE_ID) : all;
  assert.ok(chosen.length > 0, `${file}: no vectors for suite ${SUITE_ID}`);
  return chosen;
}

let impl: CiphersuiteImpl | undefined;
async function cs(): Promise<CiphersuiteImpl> {
  impl ??= await getCiphersuiteImpl(getCiphersuiteFromName(DEFAULT_CIPHERSUITE));
  return impl;
}

function throwsOrEquals(f: () => number, expected: number | null, what: string): void {
  if (expected === null) assert.throws(f, what);
  else assert.equal(f(), expected, what);
}

describe('MLS interop test vectors (suite 1)', { skip }, () => {
  test('tree-math', () => {
    type V = { n_leaves: number; n_nodes: number; root: number; left: (number | null)[]; right: (number | null)[]; parent: (number | null)[]; sibling: (number | null)[] };
    for (const v of vectors<V>('tree-math.json', false)) {
      assert.equal(nodeWidth(v.n_leaves), v.n_nodes);
      assert.equal(root(v.n_leaves), v.root);
      v.left.forEach((e, i) => throwsOrEquals(() => left(toNodeIndex(i)), e, `left(${i})`));
      v.right.forEach((e, i) => throwsOrEquals(() => right(toNodeIndex(i)), e, `right(${i})`));
      v.parent.forEach((e, i) => throwsOrEquals(() => parent(toNodeIndex(i), v.n_leaves), e, `parent(${i})`));
      v.sibling.forEach((e, i) => throwsOrEquals(() => sibling(toNodeIndex(i), v.n_leaves), e, `sibling(${i})`));
    }
  });

  test('crypto-basics', async () => {
    type V = {
      ref_hash: { label: string; value: Hex; out: Hex };
      expand_with_label: { secret: Hex; label: string; context: Hex; length: number; out: Hex };
      derive_secret: { secret: Hex; label: string; out: Hex };
      derive_tree_secret: { secret: Hex; label: string; generation: number; length: number; out: Hex };
      sign_with_label: { priv: Hex; pub: Hex; content: Hex; label: string; signature: Hex };
      encrypt_with_label: { priv: Hex; pub: Hex; label: string; context: Hex; plaintext: Hex; kem_output: Hex; ciphertext: Hex };
    };
    const c = await cs();
    for (const v of vectors<V>('crypto-basics.json')) {
      assert.equal(toHex(await refhash(v.ref_hash.label, hex(v.ref_hash.value), c.hash)), v.ref_hash.out);
      const e = v.expand_with_label;
      assert.equal(toHex(await expandWithLabel(hex(e.secret), e.label, hex(e.context), e.length, c.kdf)), e.out);
      assert.equal(toHex(await deriveSecret(hex(v.derive_secret.secret), v.derive_secret.label, c.kdf)), v.derive_secret.out);
      const t = v.derive_tree_secret;
      assert.equal(toHex(await deriveTreeSecret(hex(t.secret), t.label, t.generation, t.length, c.kdf)), t.out);
      const s = v.sign_with_label;
      assert.ok(await verifyWithLabel(hex(s.pub), s.label, hex(s.content), hex(s.signature), c.signature));
      const ours = await signWithLabel(hex(s.priv), s.label, hex(s.content), c.signature);
      assert.ok(await verifyWithLabel(hex(s.pub), s.label, hex(s.content), ours, c.signature));
      const x = v.encrypt_with_label;
      const priv = await c.hpke.importPrivateKey(hex(x.priv));
      const pub = await c.hpke.importPublicKey(hex(x.pub));
      assert.equal(toHex(await decryptWithLabel(priv, x.label, hex(x.context), hex(x.kem_output), hex(x.ciphertext), c.hpke)), x.plaintext);
      const again = await encryptWithLabel(pub, x.label, hex(x.context), hex(x.plaintext), c.hpke);
      assert.equal(toHex(await decryptWithLabel(priv, x.label, hex(x.context), again.enc, again.ct, c.hpke)), x.plaintext);
    }
  });

  test('key-schedule', async () => {
    type Epoch = Record<
      'commit_secret' | 'confirmation_key' | 'confirmed_transcript_hash' | 'encryption_secret' | 'epoch_authenticator' | 'exporter_secret' | 'external_pub' | 'external_secret' | 'group_context' | 'init_secret' | 'joiner_secret' | 'membership_key' | 'psk_secret' | 'resumption_psk' | 'sender_data_secret' | 'tree_hash' | 'welcome_secret',
      Hex
    > & { exporter: { label: string; context: Hex; length: number; secret: Hex } };
    type V = { group_id: Hex; initial_init_secret: Hex; epochs: Epoch[] };
    const c = await cs();
    for (const v of vectors<V>('key-schedule.json')) {
      let initSecret = hex(v.initial_init_secret);
      for (const [index, e] of v.epochs.entries()) {
        const gc: GroupContext = {
          version: 'mls10',
          cipherSuite: DEFAULT_CIPHERSUITE,
          groupId: hex(v.group_id),
          epoch: BigInt(index),
          treeHash: hex(e.tree_hash),
          confirmedTranscriptHash: hex(e.confirmed_transcript_hash),
          extensions: [],
        };
        assert.equal(toHex(encodeGroupContext(gc)), e.group_context);
        const s = await initializeEpoch(initSecret, hex(e.commit_secret), gc, hex(e.psk_secret), c.kdf);
        const ks = s.keySchedule;
        assert.deepEqual(
          [s.joinerSecret, s.welcomeSecret, ks.initSecret, ks.senderDataSecret, s.encryptionSecret, ks.exporterSecret, ks.externalSecret, ks.confirmationKey, ks.membershipKey, ks.resumptionPsk, ks.epochAuthenticator].map(toHex),
          [e.joiner_secret, e.welcome_secret, e.init_secret, e.sender_data_secret, e.encryption_secret, e.exporter_secret, e.external_secret, e.confirmation_key, e.membership_key, e.resumption_psk, e.epoch_authenticator],
        );
        const { publicKey } = await c.hpke.deriveKeyPair(hex(e.external_secret));
        assert.equal(toHex(await c.hpke.exportPublicKey(publicKey)), e.external_pub);
        const x = e.exporter;
        assert.equal(toHex(await mlsExporter(ks.exporterSecret, x.label, hex(x.context), x.length, c)), x.secret);
        initSecret = ks.initSecret;
      }
    }
  });

  test('secret-tree', async () => {
    type Gen = { generation: number; handshake_key: Hex; handshake_nonce: Hex; application_key: Hex; application_nonce: Hex };
    type V = { sender_data: { sender_data_secret: Hex; ciphertext: Hex; key: Hex; nonce: Hex }; encryption_secret: Hex; leaves: Gen[][] };
    const c = await cs();
    for (const v of vectors<V>('secret-tree.json')) {
      const sd = v.sender_data;
      assert.equal(toHex(await expandSenderDataKey(c, hex(sd.sender_data_secret), hex(sd.ciphertext))), sd.key);
      assert.equal(toHex(await expandSenderDataNonce(c, hex(sd.sender_data_secret), hex(sd.ciphertext))), sd.nonce);
      const tree = await createSecretTree(v.leaves.length, hex(v.encryption_secret), c.kdf);
      for (const [leaf, gens] of v.leaves.entries()) {
        const node = tree[leafToNodeIndex(toLeafIndex(leaf))];
        assert.ok(node);
        for (const g of gens) {
          const [hs] = await ratchetUntil(node.handshake, g.generation, defaultKeyRetentionConfig, c.kdf);
          const [app] = await ratchetUntil(node.application, g.generation, defaultKeyRetentionConfig, c.kdf);
          assert.deepEqual(
            [await deriveKey(hs.secret, hs.generation, c), await deriveNonce(hs.secret, hs.generation, c), await deriveKey(app.secret, app.generation, c), await deriveNonce(app.secret, app.generation, c)].map(toHex),
            [g.handshake_key, g.handshake_nonce, g.application_key, g.application_nonce],
            `leaf ${leaf} generation ${g.generation}`,
          );
        }
      }
    }
  });

  test('welcome', async () => {
    type V = { init_priv: Hex; signer_pub: Hex; key_package: Hex; welcome: Hex };
    const c = await cs();
    for (const v of vectors<V>('welcome.json')) {
      const w = decodeMlsMessage(hex(v.welcome), 0)?.[0];
      const kp = decodeMlsMessage(hex(v.key_package), 0)?.[0];
      assert.ok(w?.wireformat === 'mls_welcome' && kp?.wireformat === 'mls_key_package');
      const ref = await makeKeyPackageRef(kp.keyPackage, c.hash);
      const secrets = await decryptGroupSecrets(await c.hpke.importPrivateKey(hex(v.init_priv)), ref, w.welcome, c.hpke);
      assert.ok(secrets);
      const psk = new Uint8Array(c.kdf.size);
      const gi = await decryptGroupInfo(w.welcome, secrets.joinerSecret, psk, c);
      assert.ok(gi);
      assert.ok(await verifyGroupInfoConfirmationTag(gi, secrets.joinerSecret, psk, c));
      assert.ok(await verifyGroupInfoSignature(gi, hex(v.signer_pub), c.signature));
    }
  });

  test('messages: MLSMessage decode → encode is byte-exact', () => {
    const fields = ['mls_welcome', 'mls_group_info', 'mls_key_package', 'public_message_application', 'public_message_proposal', 'public_message_commit', 'private_message'] as const;
    for (const v of vectors<Record<(typeof fields)[number], Hex>>('messages.json', false)) {
      for (const f of fields) {
        const bytes = hex(v[f]);
        const decoded = decodeMlsMessage(bytes, 0);
        assert.ok(decoded, `decode ${f}`);
        assert.equal(toHex(encodeMlsMessage(decoded[0])), v[f], `re-encode ${f}`);
      }
    }
  });

  for (const file of ['passive-client-welcome.json', 'passive-client-handling-commit.json', 'passive-client-random.json']) {
    test(`${file.replace('.json', '')}: join, follow every epoch, match epoch authenticators`, async () => {
      type V = {
        key_package: Hex; signature_priv: Hex; encryption_priv: Hex; init_priv: Hex; welcome: Hex; ratchet_tree: Hex | null;
        external_psks: { psk_id: Hex; psk: Hex }[]; initial_epoch_authenticator: Hex;
        epochs: { proposals: Hex[]; commit: Hex; epoch_authenticator: Hex }[];
      };
      const c = await cs();
      for (const v of vectors<V>(file)) {
        const kp = decodeMlsMessage(hex(v.key_package), 0)?.[0];
        const w = decodeMlsMessage(hex(v.welcome), 0)?.[0];
        assert.ok(kp?.wireformat === 'mls_key_package' && w?.wireformat === 'mls_welcome');
        const psks = Object.fromEntries(v.external_psks.map((p) => [bytesToBase64(hex(p.psk_id)), hex(p.psk)]));
        const tree = v.ratchet_tree === null ? undefined : decodeRatchetTree(hex(v.ratchet_tree), 0)?.[0];
        const privateKeys = { initPrivateKey: hex(v.init_priv), hpkePrivateKey: hex(v.encryption_priv), signaturePrivateKey: hex(v.signature_priv) };
        let state: ClientState = await joinGroup(w.welcome, kp.keyPackage, privateKeys, makePskIndex(undefined, psks), c, tree);
        assert.equal(toHex(state.keySchedule.epochAuthenticator), v.initial_epoch_authenticator);
        for (const epoch of v.epochs) {
          for (const m of [...epoch.proposals, epoch.commit]) {
            const msg = decodeMlsMessage(hex(m), 0)?.[0];
            assert.ok(msg?.wireformat === 'mls_private_message' || msg?.wireformat === 'mls_public_message');
            state = (await processMessage(msg, state, makePskIndex(state, psks), acceptAll, c)).newState;
          }
          assert.equal(toHex(state.keySchedule.epochAuthenticator), epoch.epoch_authenticator);
        }
      }
    });
  }
});
