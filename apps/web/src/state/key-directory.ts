import type { ClientStore, DeviceKey, KeyDirectory, ParleyClient } from '@parley/client';

/**
 * The key directory (key transparency, docs/PROTOCOL.md R19-R22) of the signed-in client. The SDK
 * client owns it (`client.keys`): it publishes this device's MLS key when it comes online and checks
 * every MLS member against it.
 */
export function keyDirectoryOf(client: ParleyClient): KeyDirectory | undefined {
  return client.keys;
}

export function attachKeyDirectory(client: ParleyClient, _opts?: { baseUrl: string; store: ClientStore; deviceKey: DeviceKey }): KeyDirectory {
  return client.keys;
}
