import { AUTH_SIGNING_PREFIX, type AccountCreated, type DeviceAdded, type NewDevice, type SessionResponse } from '@parley/protocol';
import { RestApi } from './api.ts';
import type { DeviceKey } from './device-key.ts';
import type { RestFn } from './session.ts';
import { bytesToBase64 } from './encoding.ts';

/** Account creation and sign-in, before a ParleyClient exists. */
export const accounts = {
  /** An account held by a device key alone (SDK, CLI, bots). */
  createWithDeviceKey(baseUrl: string, input: { handle: string; displayName: string; deviceName: string; deviceKey: DeviceKey }): Promise<AccountCreated> {
    return new RestApi(baseUrl).call('POST', '/accounts', {
      handle: input.handle,
      displayName: input.displayName,
      device: { name: input.deviceName, publicKey: input.deviceKey.publicKey },
    });
  },
  passkeyRegisterOptions(baseUrl: string, input: { handle: string; displayName: string }): Promise<{ flowId: string; options: Record<string, unknown> }> {
    return new RestApi(baseUrl).call('POST', '/passkeys/register/options', input);
  },
  passkeyRegisterVerify(baseUrl: string, input: { flowId: string; response: unknown; device: NewDevice }): Promise<AccountCreated> {
    return new RestApi(baseUrl).call('POST', '/passkeys/register/verify', input);
  },
  passkeyLoginOptions(baseUrl: string): Promise<{ flowId: string; options: Record<string, unknown> }> {
    return new RestApi(baseUrl).call('POST', '/passkeys/login/options', {});
  },
  passkeyLoginVerify(baseUrl: string, input: { flowId: string; response: unknown; device: NewDevice }): Promise<DeviceAdded> {
    return new RestApi(baseUrl).call('POST', '/passkeys/login/verify', input);
  },
  /** R46: starts adding a passkey to the signed-in account of `rest` (a RestFn of one of its devices). */
  passkeyAddOptions(rest: RestFn): Promise<{ flowId: string; options: Record<string, unknown> }> {
    return rest('POST', '/passkeys/add/options', {});
  },
  passkeyAddVerify(rest: RestFn, input: { flowId: string; response: unknown }): Promise<void> {
    return rest('POST', '/passkeys/add/verify', input);
  },
  recover(baseUrl: string, input: { handle: string; recoveryCode: string; device: NewDevice }): Promise<AccountCreated> {
    return new RestApi(baseUrl).call('POST', '/recovery', input);
  },
  /** Proves possession of the device key and returns a bearer session token. */
  async login(baseUrl: string, deviceId: string, deviceKey: DeviceKey): Promise<SessionResponse> {
    const api = new RestApi(baseUrl);
    const { challenge } = await api.call<{ challenge: string }>('POST', '/auth/challenge', { deviceId });
    const signature = await deviceKey.sign(new TextEncoder().encode(AUTH_SIGNING_PREFIX + challenge));
    return api.call('POST', '/auth/device', { deviceId, challenge, signature: bytesToBase64(signature) });
  },
};
