/**
 * MLS working-group interop test vectors (mlswg/mls-implementations, test-vectors/*.json) run against
 * the ts-mls version this package pins, for our default suite (1) where the vector file names a suite.
 *
 * The vectors are not in the ts-mls npm package and this repository does not vendor them: point
 * MLS_TEST_VECTORS_DIR at a checkout's test-vectors/ folder to run these; without it they are skipped.
 *
 * Every file of the set runs, each through ts-mls's own functions. Where a vector leaves something out
 * the test says so: message-protection gives no ratchet tree (a stub leaf 1 carries signature_pub) and no
 * confirmation key (our own commits reuse the published confirmation tag); tree-validation checks parent
 * hashes and leaf signatures, not ts-mls's whole join-time validateRatchetTree (lifetimes, credentials).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  decodeMlsMessage,
  encodeMlsMessage,
  joinGroup,
  makePskIndex,
  processMessage,
  acceptAll,
  bytesToBase64,
  defaultCapabilities,
  type CiphersuiteImpl,
  type ClientState,
  type GroupContext,
  type LeafNode,
  type Proposal,
  type RatchetTree,
} from 'ts-mls';
import { decodeAuthenticatedContent, type AuthenticatedContent } from 'ts-mls/authenticatedContent.js';
import { determineLength, lengthEncoder } from 'ts-mls/codec/variableLength.js';
import { decodeCommit, encodeCommit } from 'ts-mls/commit.js';
import { applyUpdatePathSecret } from 'ts-mls/createCommit.js';
import { refhash } from 'ts-mls/crypto/hash.js';
import { decryptWithLabel, encryptWithLabel } from 'ts-mls/crypto/hpke.js';
import { deriveSecret, deriveTreeSecret, expandWithLabel } from 'ts-mls/crypto/kdf.js';
import { signWithLabel, verifyWithLabel } from 'ts-mls/crypto/signature.js';
import { createContentCommitSignature, verifyConfirmationTag } from 'ts-mls/framedContent.js';
import { encodeGroupContext } from 'ts-mls/groupContext.js';
import { verifyGroupInfoConfirmationTag, verifyGroupInfoSignature } from 'ts-mls/groupInfo.js';
import { defaultKeyRetentionConfig } from 'ts-mls/keyRetentionConfig.js';
import { makeKeyPackageRef } from 'ts-mls/keyPackage.js';
import { initializeEpoch, mlsExporter } from 'ts-mls/keySchedule.js';
import { verifyLeafNodeSignature } from 'ts-mls/leafNode.js';
import { protect, protectApplicationData, protectProposal, unprotectPrivateMessage } from 'ts-mls/messageProtection.js';
import { protectProposalPublic, protectPublicMessage, unprotectPublicMessage } from 'ts-mls/messageProtectionPublic.js';
import { UsageError } from 'ts-mls/mlsError.js';
import { defaultPaddingConfig } from 'ts-mls/paddingConfig.js';
import { verifyParentHashes } from 'ts-mls/parentHash.js';
import { getCommitSecret, type PathSecrets } from 'ts-mls/pathSecrets.js';
import { computePskSecret, type PreSharedKeyID } from 'ts-mls/presharedkey.js';
import { toPrivateKeyPath, type PrivateKeyPath } from 'ts-mls/privateKeyPath.js';
import { decodeProposal, encodeProposal } from 'ts-mls/proposal.js';
import type { PrivateMessage } from 'ts-mls/privateMessage.js';
import type { PublicMessage } from 'ts-mls/publicMessage.js';
import { addLeafNode, decodeRatchetTree, encodeRatchetTree, getHpkePublicKey, removeLeafNode, resolution, updateLeafNode } from 'ts-mls/ratchetTree.js';
import { createEagerSecretTree, createSecretTree, deriveKey, deriveNonce, expandSecretTreeLeaf, ratchetUntil } from 'ts-mls/secretTree.js';
import { expandSenderDataKey, expandSenderDataNonce } from 'ts-mls/sender.js';
import { createConfirmedHash, createInterimHash } from 'ts-mls/transcriptHash.js';
import { treeHash, treeHashRoot } from 'ts-mls/treeHash.js';
import { left, nodeWidth, parent, right, root, sibling, toNodeIndex, leafToNodeIndex, nodeToLeafIndex, toLeafIndex } from 'ts-mls/treemath.js';
import { applyUpdatePath, createUpdatePath, decodeUpdatePath } from 'ts-mls/updatePath.js';
import { decryptGroupInfo, decryptGroupSecrets } from 'ts-mls/welcome.js';
import { DEFAULT_CIPHERSUITE, loadCiphersuite } from './ciphersuite.ts';

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

/** Parley's implementation of the suite (loadCiphersuite: @noble hashing and HKDF over ts-mls's default), as sessions use it. */
function cs(): Promise<CiphersuiteImpl> {
  return loadCiphersuite(DEFAULT_CIPHERSUITE);
}

function throwsOrEquals(f: () => number, expected: number | null, what: string): void {
  if (expected === null) assert.throws(f, what);
  else assert.equal(f(), expected, what);
}

/** Decodes a whole TLS structure or fails the test (no trailing bytes left over). */
function decodeAll<T>(decode: (b: Uint8Array, offset: number) => [T, number] | undefined, h: Hex, what: string): T {
  const bytes = hex(h);
  const r = decode(bytes, 0);
  assert.ok(r, `decode ${what}`);
  assert.equal(r[1], bytes.length, `${what}: decoded length`);
  return r[0];
}

function publicMessageOf(h: Hex, what: string): PublicMessage {
  const m = decodeMlsMessage(hex(h), 0)?.[0];
  assert.ok(m?.wireformat === 'mls_public_message', `${what} is an MLSMessage(PublicMessage)`);
  return m.publicMessage;
}

function privateMessageOf(h: Hex, what: string): PrivateMessage {
  const m = decodeMlsMessage(hex(h), 0)?.[0];
  assert.ok(m?.wireformat === 'mls_private_message', `${what} is an MLSMessage(PrivateMessage)`);
  return m.privateMessage;
}

/** Whether an HPKE private key belongs to a public key: seal to the public key, open with the private one. */
async function hpkeKeyPairMatches(publicKey: Uint8Array, privateKey: Uint8Array, c: CiphersuiteImpl): Promise<boolean> {
  const plaintext = new TextEncoder().encode('interop key check');
  const sealed = await encryptWithLabel(await c.hpke.importPublicKey(publicKey), 'key check', new Uint8Array(), plaintext, c.hpke);
  try {
    return toHex(await decryptWithLabel(await c.hpke.importPrivateKey(privateKey), 'key check', new Uint8Array(), sealed.enc, sealed.ct, c.hpke)) === toHex(plaintext);
  } catch {
    return false;
  }
}

/** Public key of the HPKE key pair a path secret yields (node_secret = DeriveSecret(path_secret, "node")). */
async function pathSecretPublicKey(pathSecret: Uint8Array, c: CiphersuiteImpl): Promise<Hex> {
  const { publicKey } = await c.hpke.deriveKeyPair(await deriveSecret(pathSecret, 'node', c.kdf));
  return toHex(await c.hpke.exportPublicKey(publicKey));
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
      // Both ways (the patch's lazy tree, each leaf derived when first needed, here last leaf first;
      // and ts-mls's eager derivation of every leaf): the RFC's keys.
      const eager = await createEagerSecretTree(v.leaves.length, hex(v.encryption_secret), c.kdf);
      let lazy = await createSecretTree(v.leaves.length, hex(v.encryption_secret), c.kdf);
      for (const [leaf, gens] of [...v.leaves.entries()].reverse()) for (const tree of ['lazy', 'eager']) {
        let node;
        if (tree === 'lazy') {
          [lazy] = await expandSecretTreeLeaf(lazy, leafToNodeIndex(toLeafIndex(leaf)), c.kdf);
          node = lazy[leafToNodeIndex(toLeafIndex(leaf))];
        } else node = eager[leafToNodeIndex(toLeafIndex(leaf))];
        assert.ok(node && !(node instanceof Uint8Array));
        for (const g of gens) {
          const [hs] = await ratchetUntil(node.handshake, g.generation, defaultKeyRetentionConfig, c.kdf);
          const [app] = await ratchetUntil(node.application, g.generation, defaultKeyRetentionConfig, c.kdf);
          assert.deepEqual(
            [await deriveKey(hs.secret, hs.generation, c), await deriveNonce(hs.secret, hs.generation, c), await deriveKey(app.secret, app.generation, c), await deriveNonce(app.secret, app.generation, c)].map(toHex),
            [g.handshake_key, g.handshake_nonce, g.application_key, g.application_nonce],
            `${tree}: leaf ${leaf} generation ${g.generation}`,
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
  test('message-protection: unprotect the published Public/PrivateMessages; protect → unprotect our own', async () => {
    type V = {
      group_id: Hex; epoch: number; tree_hash: Hex; confirmed_transcript_hash: Hex;
      signature_priv: Hex; signature_pub: Hex; encryption_secret: Hex; sender_data_secret: Hex; membership_key: Hex;
      proposal: Hex; proposal_pub: Hex; proposal_priv: Hex; commit: Hex; commit_pub: Hex; commit_priv: Hex; application: Hex; application_priv: Hex;
    };
    const c = await cs();
    const SENDER = 1; // "use the member with LeafIndex 1 as the sender"
    for (const v of vectors<V>('message-protection.json')) {
      const gc: GroupContext = {
        version: 'mls10',
        cipherSuite: DEFAULT_CIPHERSUITE,
        groupId: hex(v.group_id),
        epoch: BigInt(v.epoch),
        treeHash: hex(v.tree_hash),
        confirmedTranscriptHash: hex(v.confirmed_transcript_hash),
        extensions: [],
      };
      const [sigPriv, sigPub, membershipKey, senderDataSecret] = [v.signature_priv, v.signature_pub, v.membership_key, v.sender_data_secret].map(hex) as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
      // The vector gives no ratchet tree, only the sender's signature key: a 2-member tree whose leaf 1 carries it is
      // enough for ts-mls to find the sender (sender-data check) and its signature key (no override key is passed).
      const senderLeaf: LeafNode = {
        leafNodeSource: 'commit',
        hpkePublicKey: new Uint8Array(32),
        signaturePublicKey: sigPub,
        credential: { credentialType: 'basic', identity: new Uint8Array() },
        capabilities: defaultCapabilities(),
        parentHash: new Uint8Array(),
        extensions: [],
        signature: new Uint8Array(),
      };
      const tree: RatchetTree = [undefined, undefined, { nodeType: 'leaf', leaf: senderLeaf }];
      const secretTree = () => createSecretTree(2, hex(v.encryption_secret), c.kdf);
      const unprotectPriv = async (m: PrivateMessage) =>
        (await unprotectPrivateMessage(senderDataSecret, m, await secretTree(), tree, gc, defaultKeyRetentionConfig, c)).content;
      const unprotectPub = (m: PublicMessage) => unprotectPublicMessage(membershipKey, gc, tree, m, c);
      const asMlsMessage = (publicMessage: PublicMessage) => toHex(encodeMlsMessage({ version: 'mls10', wireformat: 'mls_public_message', publicMessage }));
      const proposal: Proposal = decodeAll(decodeProposal, v.proposal, 'proposal');
      const commit = decodeAll(decodeCommit, v.commit, 'commit');

      // proposal — PublicMessage: the published one verifies (membership tag + signature) and carries the raw proposal
      const proposalPub = publicMessageOf(v.proposal_pub, 'proposal_pub');
      const pp = await unprotectPub(proposalPub);
      assert.ok(pp.content.contentType === 'proposal' && pp.content.sender.senderType === 'member' && pp.content.sender.leafIndex === SENDER);
      assert.equal(toHex(encodeProposal(pp.content.proposal)), v.proposal, 'proposal_pub → proposal');
      // ours verifies too, and (Ed25519 and the membership MAC being deterministic) is the published message byte for byte
      const ownProposalPub = (await protectProposalPublic(sigPriv, membershipKey, gc, proposalPub.content.authenticatedData, proposal, SENDER, c)).publicMessage;
      const opp = await unprotectPub(ownProposalPub);
      assert.ok(opp.content.contentType === 'proposal');
      assert.equal(toHex(encodeProposal(opp.content.proposal)), v.proposal, 'own PublicMessage(proposal) → proposal');
      assert.equal(asMlsMessage(ownProposalPub), v.proposal_pub, 'own PublicMessage(proposal) = proposal_pub');

      // commit — PublicMessage
      const commitPub = publicMessageOf(v.commit_pub, 'commit_pub');
      const cp = await unprotectPub(commitPub);
      assert.ok(cp.content.contentType === 'commit' && cp.content.sender.senderType === 'member' && cp.content.sender.leafIndex === SENDER);
      assert.equal(toHex(encodeCommit(cp.content.commit)), v.commit, 'commit_pub → commit');
      assert.ok(cp.auth.contentType === 'commit');
      // the confirmation tag is not derivable from the vector (no confirmation key): reuse the published one
      const signed = await createContentCommitSignature(gc, 'mls_public_message', commit, { senderType: 'member', leafIndex: SENDER }, commitPub.content.authenticatedData, sigPriv, c.signature);
      const ownCommitContent: AuthenticatedContent = { wireformat: 'mls_public_message', content: signed.framedContent, auth: { contentType: 'commit', signature: signed.signature, confirmationTag: cp.auth.confirmationTag } };
      const ownCommitPub = await protectPublicMessage(membershipKey, gc, ownCommitContent, c);
      const ocp = await unprotectPub(ownCommitPub);
      assert.ok(ocp.content.contentType === 'commit');
      assert.equal(toHex(encodeCommit(ocp.content.commit)), v.commit, 'own PublicMessage(commit) → commit');
      assert.equal(asMlsMessage(ownCommitPub), v.commit_pub, 'own PublicMessage(commit) = commit_pub');

      // proposal / commit / application — PrivateMessage: the published ones decrypt and verify
      const pv = await unprotectPriv(privateMessageOf(v.proposal_priv, 'proposal_priv'));
      assert.ok(pv.content.contentType === 'proposal' && pv.content.sender.senderType === 'member' && pv.content.sender.leafIndex === SENDER);
      assert.equal(toHex(encodeProposal(pv.content.proposal)), v.proposal, 'proposal_priv → proposal');
      const cv = await unprotectPriv(privateMessageOf(v.commit_priv, 'commit_priv'));
      assert.ok(cv.content.contentType === 'commit' && cv.content.sender.senderType === 'member' && cv.content.sender.leafIndex === SENDER);
      assert.equal(toHex(encodeCommit(cv.content.commit)), v.commit, 'commit_priv → commit');
      const applicationPriv = privateMessageOf(v.application_priv, 'application_priv');
      const av = await unprotectPriv(applicationPriv);
      assert.ok(av.content.contentType === 'application' && av.content.sender.senderType === 'member' && av.content.sender.leafIndex === SENDER);
      assert.equal(toHex(av.content.applicationData), v.application, 'application_priv → application');

      // ours (the sender's secret tree) unprotect with a receiver's fresh secret tree
      const ownProposalPriv = await protectProposal(sigPriv, senderDataSecret, proposal, new Uint8Array(), gc, await secretTree(), SENDER, defaultPaddingConfig, c);
      const opv = await unprotectPriv(ownProposalPriv.privateMessage);
      assert.ok(opv.content.contentType === 'proposal');
      assert.equal(toHex(encodeProposal(opv.content.proposal)), v.proposal, 'own PrivateMessage(proposal) → proposal');
      const privSigned = await createContentCommitSignature(gc, 'mls_private_message', commit, { senderType: 'member', leafIndex: SENDER }, new Uint8Array(), sigPriv, c.signature);
      assert.ok(cv.auth.contentType === 'commit');
      const ownCommitPriv = await protect(senderDataSecret, new Uint8Array(), gc, await secretTree(), { ...privSigned.framedContent, auth: { contentType: 'commit', signature: privSigned.signature, confirmationTag: cv.auth.confirmationTag } }, SENDER, defaultPaddingConfig, c);
      const ocv = await unprotectPriv(ownCommitPriv.privateMessage);
      assert.ok(ocv.content.contentType === 'commit');
      assert.equal(toHex(encodeCommit(ocv.content.commit)), v.commit, 'own PrivateMessage(commit) → commit');
      const ownApplicationPriv = await protectApplicationData(sigPriv, senderDataSecret, hex(v.application), new Uint8Array(), gc, await secretTree(), SENDER, defaultPaddingConfig, c);
      const oav = await unprotectPriv(ownApplicationPriv.privateMessage);
      assert.ok(oav.content.contentType === 'application');
      assert.equal(toHex(oav.content.applicationData), v.application, 'own PrivateMessage(application) → application');

      // application data may not go out as a PublicMessage
      const applicationAsPublic: AuthenticatedContent = { ...av, wireformat: 'mls_public_message' };
      await assert.rejects(protectPublicMessage(membershipKey, gc, applicationAsPublic, c), UsageError, 'application as PublicMessage');
    }
  });

  test('transcript-hashes', async () => {
    type V = { confirmation_key: Hex; authenticated_content: Hex; interim_transcript_hash_before: Hex; confirmed_transcript_hash_after: Hex; interim_transcript_hash_after: Hex };
    const c = await cs();
    for (const v of vectors<V>('transcript-hashes.json')) {
      const ac = decodeAll(decodeAuthenticatedContent, v.authenticated_content, 'authenticated_content');
      assert.ok(ac.content.contentType === 'commit' && ac.auth.contentType === 'commit', 'authenticated_content holds a Commit');
      const tag = ac.auth.confirmationTag;
      assert.ok(await verifyConfirmationTag(hex(v.confirmation_key), tag, hex(v.confirmed_transcript_hash_after), c.hash), 'confirmation_tag');
      const confirmed = await createConfirmedHash(hex(v.interim_transcript_hash_before), { wireformat: ac.wireformat, content: ac.content, signature: ac.auth.signature }, c.hash);
      assert.equal(toHex(confirmed), v.confirmed_transcript_hash_after, 'confirmed_transcript_hash_after');
      assert.equal(toHex(await createInterimHash(confirmed, tag, c.hash)), v.interim_transcript_hash_after, 'interim_transcript_hash_after');
    }
  });

  test('tree-validation: tree hashes, resolutions, parent hashes, leaf signatures', async () => {
    type V = { tree: Hex; group_id: Hex; resolutions: number[][]; tree_hashes: Hex[] };
    const c = await cs();
    for (const [n, v] of vectors<V>('tree-validation.json').entries()) {
      const tree = decodeAll(decodeRatchetTree, v.tree, `tree ${n}`);
      assert.equal(v.tree_hashes.length, v.resolutions.length);
      for (const [i, h] of v.tree_hashes.entries()) assert.equal(toHex(await treeHash(tree, toNodeIndex(i), c.hash)), h, `tree ${n}: tree hash of node ${i}`);
      for (const [i, r] of v.resolutions.entries()) assert.deepEqual(resolution(tree, toNodeIndex(i)), r, `tree ${n}: resolution of node ${i}`);
      assert.ok(await verifyParentHashes(tree, c.hash), `tree ${n}: parent hashes`);
      for (const [i, node] of tree.entries()) {
        if (node?.nodeType !== 'leaf') continue;
        assert.ok(await verifyLeafNodeSignature(node.leaf, hex(v.group_id), nodeToLeafIndex(toNodeIndex(i)), c.signature), `tree ${n}: signature of leaf ${i / 2}`);
      }
    }
  });

  test('tree-operations: apply add / update / remove, compare the tree and its hash', async () => {
    type V = { tree_before: Hex; proposal: Hex; proposal_sender: number; tree_hash_before: Hex; tree_after: Hex; tree_hash_after: Hex };
    const c = await cs();
    for (const [n, v] of vectors<V>('tree-operations.json').entries()) {
      const before = decodeAll(decodeRatchetTree, v.tree_before, `tree_before ${n}`);
      assert.equal(toHex(await treeHashRoot(before, c.hash)), v.tree_hash_before, `case ${n}: tree_hash_before`);
      const p = decodeAll(decodeProposal, v.proposal, `proposal ${n}`);
      let after: RatchetTree;
      if (p.proposalType === 'add') after = addLeafNode(before, p.add.keyPackage.leafNode)[0];
      else if (p.proposalType === 'update') after = updateLeafNode(before, p.update.leafNode, toLeafIndex(v.proposal_sender));
      else if (p.proposalType === 'remove') after = removeLeafNode(before, toLeafIndex(p.remove.removed));
      else assert.fail(`case ${n}: unexpected proposal type ${p.proposalType}`);
      assert.equal(toHex(encodeRatchetTree(after)), v.tree_after, `case ${n} (${p.proposalType}): tree_after`);
      assert.equal(toHex(await treeHashRoot(after, c.hash)), v.tree_hash_after, `case ${n} (${p.proposalType}): tree_hash_after`);
    }
  });

  test('treekem: private state, decrypt the published UpdatePaths, create and decrypt our own', async () => {
    type LeafPrivate = { index: number; encryption_priv: Hex; signature_priv: Hex; path_secrets: { node: number; path_secret: Hex }[] };
    type Path = { sender: number; update_path: Hex; path_secrets: (Hex | null)[]; commit_secret: Hex; tree_hash_after: Hex };
    type V = { group_id: Hex; epoch: number; confirmed_transcript_hash: Hex; ratchet_tree: Hex; leaves_private: LeafPrivate[]; update_paths: Path[] };
    const c = await cs();
    for (const [n, v] of vectors<V>('treekem.json').entries()) {
      const tree = decodeAll(decodeRatchetTree, v.ratchet_tree, `ratchet_tree ${n}`);
      const gc: GroupContext = {
        version: 'mls10',
        cipherSuite: DEFAULT_CIPHERSUITE,
        groupId: hex(v.group_id),
        epoch: BigInt(v.epoch),
        treeHash: await treeHashRoot(tree, c.hash),
        confirmedTranscriptHash: hex(v.confirmed_transcript_hash),
        extensions: [],
      };

      // each member's private state, checked against the public tree
      const privatePaths = new Map<number, PrivateKeyPath>();
      for (const lp of v.leaves_private) {
        const leafNode = tree[leafToNodeIndex(toLeafIndex(lp.index))];
        assert.ok(leafNode?.nodeType === 'leaf', `tree ${n}: leaf ${lp.index} is not blank`);
        assert.ok(await hpkeKeyPairMatches(leafNode.leaf.hpkePublicKey, hex(lp.encryption_priv), c), `tree ${n}: leaf ${lp.index} encryption_priv`);
        const secrets: PathSecrets = {};
        for (const ps of lp.path_secrets) {
          const node = tree[ps.node];
          assert.ok(node !== undefined, `tree ${n}: leaf ${lp.index}: node ${ps.node} is not blank`);
          assert.equal(await pathSecretPublicKey(hex(ps.path_secret), c), toHex(getHpkePublicKey(node)), `tree ${n}: leaf ${lp.index}: key of node ${ps.node}`);
          secrets[ps.node] = hex(ps.path_secret);
        }
        const path = await toPrivateKeyPath(secrets, lp.index, c);
        privatePaths.set(lp.index, { ...path, privateKeys: { ...path.privateKeys, [leafToNodeIndex(toLeafIndex(lp.index))]: hex(lp.encryption_priv) } });
      }

      for (const up of v.update_paths) {
        const what = `tree ${n}, update path from leaf ${up.sender}`;
        const sender = toLeafIndex(up.sender);
        const path = decodeAll(decodeUpdatePath, up.update_path, what);
        assert.ok(await verifyLeafNodeSignature(path.leafNode, gc.groupId, up.sender, c.signature), `${what}: leaf signature`);
        // applyUpdatePath checks the new leaf's parent hash; verifyParentHashes checks every link of the merged tree
        const merged = await applyUpdatePath(tree, sender, path, c.hash);
        assert.ok(await verifyParentHashes(merged, c.hash), `${what}: parent hashes after merge`);
        assert.equal(toHex(await treeHashRoot(merged, c.hash)), up.tree_hash_after, `${what}: tree_hash_after`);
        const gcAfter: GroupContext = { ...gc, treeHash: hex(up.tree_hash_after) };
        assert.equal(up.path_secrets[up.sender], null, `${what}: no path secret for the sender`);
        let receivers = 0;
        for (const [j, expected] of up.path_secrets.entries()) {
          if (j === up.sender || expected === null) continue;
          receivers++;
          const own = privatePaths.get(j);
          assert.ok(own, `${what}: leaf ${j} has a path secret but no private state`);
          // as processMessage does: decrypt against the merged tree, then hash up to the root for the commit secret
          const got = await applyUpdatePathSecret(merged, own, sender, gcAfter, path, [], c);
          assert.equal(toHex(got.pathSecret), expected, `${what}: path secret decrypted by leaf ${j}`);
          assert.equal(toHex(await getCommitSecret(merged, got.nodeIndex, got.pathSecret, c.kdf)), up.commit_secret, `${what}: commit secret at leaf ${j}`);
        }
        assert.equal(receivers, privatePaths.size - 1, `${what}: every other member with private state got a path secret`);

        // a fresh UpdatePath from the same sender over the same tree, decrypted by every other member. ts-mls encrypts
        // it to the provisional context of the next epoch (epoch + 1, the new tree hash), as a commit does.
        const senderPrivate = v.leaves_private.find((lp) => lp.index === up.sender);
        assert.ok(senderPrivate, `${what}: sender's private state`);
        const [ownTree, ownPath, ownSecrets] = await createUpdatePath(tree, sender, gc, hex(senderPrivate.signature_priv), c);
        const last = ownSecrets.at(-1);
        assert.ok(last, `${what}: own path has secrets`);
        const ownCommitSecret = toHex(await getCommitSecret(ownTree, toNodeIndex(last.nodeIndex), last.secret, c.kdf));
        const received = await applyUpdatePath(tree, sender, ownPath, c.hash);
        const receivedHash = await treeHashRoot(received, c.hash);
        assert.equal(toHex(receivedHash), toHex(await treeHashRoot(ownTree, c.hash)), `${what}: own path, sender and receivers agree on the tree`);
        assert.ok(await verifyParentHashes(received, c.hash), `${what}: own path, parent hashes`);
        const gcNext: GroupContext = { ...gc, epoch: gc.epoch + 1n, treeHash: receivedHash };
        for (const [j, own] of privatePaths) {
          if (j === up.sender) continue;
          const got = await applyUpdatePathSecret(received, own, sender, gcNext, ownPath, [], c);
          assert.equal(toHex(await getCommitSecret(received, got.nodeIndex, got.pathSecret, c.kdf)), ownCommitSecret, `${what}: own path, commit secret at leaf ${j}`);
        }
      }
    }
  });

  test('psk_secret', async () => {
    type V = { psks: { psk_id: Hex; psk: Hex; psk_nonce: Hex }[]; psk_secret: Hex };
    const c = await cs();
    for (const v of vectors<V>('psk_secret.json')) {
      const psks = v.psks.map((p): [PreSharedKeyID, Uint8Array] => [{ psktype: 'external', pskId: hex(p.psk_id), pskNonce: hex(p.psk_nonce) }, hex(p.psk)]);
      assert.equal(toHex(await computePskSecret(psks, c)), v.psk_secret, `${v.psks.length} PSKs`);
    }
  });

  test('deserialization: variable-length vector headers', () => {
    type V = { vlbytes_header: Hex; length: number };
    for (const v of vectors<V>('deserialization.json', false)) {
      const header = hex(v.vlbytes_header);
      assert.deepEqual(determineLength(header), { length: v.length, lengthFieldSize: header.length }, `decode ${v.vlbytes_header}`);
      // and the encoder writes that same (minimal) header for that length
      const [size, write] = lengthEncoder(v.length);
      const buffer = new ArrayBuffer(size);
      write(0, buffer);
      assert.equal(toHex(new Uint8Array(buffer)), v.vlbytes_header, `encode ${v.length}`);
    }
  });
});
