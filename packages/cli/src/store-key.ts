import { randomBytes, scrypt } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { base64ToBytes, bytesToBase64 } from '@parley/client';
import { CliError } from './profile.ts';

/** The environment variable that, set when the key file is made, makes the store key a passphrase's. */
export const PASSPHRASE_ENV = 'PARLEY_STORE_PASSPHRASE';
export const STORE_KEY_FILE = 'store-key.json';

/**
 * The profile's store key, in `<profile>/store-key.json` (mode 0600), made on first use:
 *  - `random`: 32 random bytes kept in the file. The default: a copy of store.json alone (a backup,
 *    a synced folder) reveals nothing; whoever can read the profile directory can read everything.
 *  - `scrypt`: chosen when PARLEY_STORE_PASSPHRASE is set at that moment. The file keeps only the
 *    salt and cost; the key is scrypt(passphrase), so every later run needs the variable again.
 */
type KeyFile =
  | { v: 1; kind: 'random'; key: string }
  | { v: 1; kind: 'scrypt'; salt: string; N: number; r: number; p: number };

const SCRYPT = { N: 1 << 15, r: 8, p: 1 };

export async function cliStoreKey(dir: string, env: NodeJS.ProcessEnv = process.env): Promise<CryptoKey> {
  const path = join(dir, STORE_KEY_FILE);
  const passphrase = env[PASSPHRASE_ENV];
  let file: KeyFile;
  if (existsSync(path)) {
    file = JSON.parse(readFileSync(path, 'utf8')) as KeyFile;
  } else {
    file = passphrase
      ? { v: 1, kind: 'scrypt', salt: bytesToBase64(randomBytes(16)), ...SCRYPT }
      : { v: 1, kind: 'random', key: bytesToBase64(randomBytes(32)) };
    writeFileSync(path, JSON.stringify(file), { mode: 0o600, flag: 'wx' });
  }
  let raw: Uint8Array;
  switch (file.kind) {
    case 'random':
      raw = base64ToBytes(file.key);
      break;
    case 'scrypt':
      if (!passphrase) throw new CliError(`the local store is locked: set ${PASSPHRASE_ENV} to its passphrase`);
      raw = await scryptKey(passphrase, base64ToBytes(file.salt), file);
      break;
    default:
      throw new CliError(`${path}: unknown store key kind`);
  }
  return crypto.subtle.importKey('raw', new Uint8Array(raw), 'AES-GCM', false, ['encrypt', 'decrypt']);
}

function scryptKey(passphrase: string, salt: Uint8Array, cost: { N: number; r: number; p: number }): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    // maxmem: 128·N·r bytes are needed; Node's default cap (32 MiB) is just below it for N=2^15, r=8.
    scrypt(passphrase.normalize('NFC'), salt, 32, { ...cost, maxmem: 256 * cost.N * cost.r }, (err, key) => (err ? reject(err) : resolve(new Uint8Array(key))));
  });
}
