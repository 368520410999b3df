import { AUTH_SIGNING_PREFIX, WS_PATH } from '@parley/protocol';

export { WS_PATH };

export async function accountsLogin(baseUrl: string, deviceId: string, sign: (d: Uint8Array) => Promise<Uint8Array>): Promise<string> {
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${baseUrl}/api/v1${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return (await res.json()) as Record<string, string>;
  };
  const { challenge } = await post('/auth/challenge', { deviceId });
  const signature = await sign(new TextEncoder().encode(AUTH_SIGNING_PREFIX + challenge));
  const session = await post('/auth/device', { deviceId, challenge, signature: Buffer.from(signature).toString('base64') });
  if (!session['token']) throw new Error(`login failed: ${JSON.stringify(session)}`);
  return session['token'];
}
