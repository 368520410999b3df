import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { exportDeviceKey, importDeviceKey, type DeviceKey } from '@parley/client';

/** A CLI profile: one account's device on one server, kept in a directory (mode 0700). */
export interface Profile {
  server: string;
  userId: string;
  deviceId: string;
  handle: string;
  key: { publicJwk: JsonWebKey; privateJwk: JsonWebKey };
}

export function profileDir(flag: string | undefined): string {
  return resolve(flag ?? process.env['PARLEY_PROFILE'] ?? join(homedir(), '.parley'));
}

export function readProfile(dir: string): Profile {
  const path = join(dir, 'profile.json');
  if (!existsSync(path)) throw new CliError(`no profile in ${dir}: run \`parley register\` first`);
  return JSON.parse(readFileSync(path, 'utf8')) as Profile;
}

export async function writeProfile(dir: string, profile: Omit<Profile, 'key'>, key: DeviceKey): Promise<void> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const path = join(dir, 'profile.json');
  if (existsSync(path)) throw new CliError(`${dir} already holds a profile; use another --profile`);
  writeFileSync(path, JSON.stringify({ ...profile, key: await exportDeviceKey(key) }, null, 2), { mode: 0o600 });
}

export function profileKey(profile: Profile): Promise<DeviceKey> {
  return importDeviceKey(profile.key);
}

/** An error meant for the person at the terminal: printed without a stack trace, exit code 1. */
export class CliError extends Error {}
