import { zeroOutUint8Array } from 'ts-mls';
import { decryptGroupInfo, decryptGroupSecrets } from 'ts-mls/welcome.js';
import { bytesEqual } from './byte-codec.ts';
import { loadCiphersuite } from './ciphersuite.ts';
import { MlsSessionError } from './errors.ts';
import type { MlsIdentity } from './identity.ts';
import { decodePrivateKeys, type GeneratedKeyPackage } from './key-packages.ts';
import { decodeMessage } from './wire.ts';

/**
 * The leaf index (in the epoch it welcomes to) of the member that signed a Welcome's GroupInfo: the
 * device that committed the addition. MlsGroupSession.join verifies that signature but keeps no
 * record of whose it is; this decrypts the GroupInfo once more (one HPKE open and one AEAD open) so
 * a caller can hold the signer to a stricter rule than the rest of the tree. Parley uses no PSKs.
 */
export async function welcomeSigner(identity: MlsIdentity, welcome: Uint8Array, keyPackages: readonly GeneratedKeyPackage[]): Promise<number> {
  const cs = await loadCiphersuite(identity.ciphersuite);
  const w = decodeMessage(welcome, 'mls_welcome').welcome;
  const mine = keyPackages.find((kp) => w.secrets.some((s) => bytesEqual(s.newMember, kp.ref)));
  if (mine === undefined) throw new MlsSessionError('mls_welcome_not_for_us');
  const { initPrivateKey } = decodePrivateKeys(mine.privateKeys, identity);
  const secrets = await decryptGroupSecrets(await cs.hpke.importPrivateKey(initPrivateKey), mine.ref, w, cs.hpke);
  if (secrets === undefined) throw new MlsSessionError('mls_invalid_welcome', 'group secrets do not decrypt');
  try {
    if (secrets.psks.length > 0) throw new MlsSessionError('mls_invalid_welcome', 'welcome needs a pre-shared key');
    const info = await decryptGroupInfo(w, secrets.joinerSecret, new Uint8Array(cs.kdf.size), cs);
    if (info === undefined) throw new MlsSessionError('mls_invalid_welcome', 'group info does not decrypt');
    return info.signer;
  } finally {
    zeroOutUint8Array(secrets.joinerSecret);
  }
}
