import { Readable } from 'node:stream';
import * as tus from 'tus-js-client';
import { accounts, RestApi } from '@parley/client';
import { API_PREFIX, BLOBS_PATH, type ChatSummary } from '@parley/protocol';
import { createUser, type TestUser } from '@parley/testing';
import { RawPeer } from './raw.ts';

/** Helpers for the blob tests (R53-R56): raw users with a session token, tus uploads, downloads, sends that name blobs. */

export interface BlobUser extends TestUser {
  token: string;
  api: RestApi;
}

export async function blobUser(url: string): Promise<BlobUser> {
  const user = await createUser(url, { start: false });
  const { token } = await accounts.login(url, user.deviceId, user.deviceKey);
  return { ...user, token, api: new RestApi(url, token) };
}

export async function groupOf(owner: BlobUser, others: BlobUser[], name = 'files'): Promise<string> {
  const { chat } = await owner.api.call<{ chat: ChatSummary }>('POST', '/chats', { name, memberIds: others.map((o) => o.userId) });
  return chat.chatId;
}

export const blobsUrl = (url: string) => `${url}${API_PREFIX}${BLOBS_PATH}`;
export const blobIdOf = (location: string) => location.split('/').at(-1) ?? '';

const tusHeaders = (token: string, extra: Record<string, string> = {}) => ({ authorization: `Bearer ${token}`, 'tus-resumable': '1.0.0', ...extra });

/** POST creation by hand: the raw answer. */
export async function create(url: string, token: string, length: number | string, extra: Record<string, string> = {}): Promise<Response> {
  return fetch(blobsUrl(url), { method: 'POST', headers: tusHeaders(token, { 'upload-length': String(length), ...extra }) });
}

/** A creation that must succeed: the new blob's id. */
export async function created(url: string, token: string, length: number): Promise<string> {
  const res = await create(url, token, length);
  if (res.status !== 201) throw new Error(`creation: ${res.status} ${await res.text()}`);
  return blobIdOf(res.headers.get('location') ?? '');
}

export async function patch(url: string, token: string, blobId: string, offset: number, body: Uint8Array | Readable, extra: Record<string, string> = {}): Promise<Response> {
  return fetch(`${blobsUrl(url)}/${blobId}`, {
    method: 'PATCH',
    headers: tusHeaders(token, { 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream', ...extra }),
    body: body instanceof Readable ? (Readable.toWeb(body) as ReadableStream) : body,
    ...(body instanceof Readable ? { duplex: 'half' } : {}),
  } as RequestInit);
}

export async function head(url: string, token: string, blobId: string): Promise<Response> {
  return fetch(`${blobsUrl(url)}/${blobId}`, { method: 'HEAD', headers: tusHeaders(token) });
}

export async function download(url: string, token: string | undefined, blobId: string, range?: string): Promise<{ status: number; headers: Headers; body: Buffer; code: string | undefined }> {
  const headers: Record<string, string> = {};
  if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
  if (range !== undefined) headers['range'] = range;
  const res = await fetch(`${blobsUrl(url)}/${blobId}`, { headers });
  const body = Buffer.from(await res.arrayBuffer());
  const code = res.status >= 400 ? (JSON.parse(body.toString('utf8')) as { error: { code: string } }).error.code : undefined;
  return { status: res.status, headers: res.headers, body, code };
}

/** An upload with the real tus client (tus-js-client in Node), in `chunkSize` PATCHes. */
export async function tusUpload(url: string, token: string, data: Buffer, opts: { chunkSize?: number; retryDelays?: number[]; metadata?: Record<string, string>; endpoint?: string } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const upload = new tus.Upload(data, {
      endpoint: opts.endpoint ?? blobsUrl(url),
      headers: { authorization: `Bearer ${token}` },
      chunkSize: opts.chunkSize ?? Infinity,
      retryDelays: opts.retryDelays ?? [0, 100, 300],
      metadata: opts.metadata ?? {},
      storeFingerprintForResuming: false,
      onError: reject,
      onSuccess: () => resolve(blobIdOf(upload.url ?? '')),
    });
    upload.start();
  });
}

/** A `send` over a raw WebSocket naming blobs (R54): the server's reply frame. */
export async function sendWithBlobs(peer: RawPeer, chatId: string, clientMsgId: string, fields: { blobs?: string[]; release?: string[] }): Promise<Record<string, unknown>> {
  return peer.request({
    type: 'send', rid: `r_${clientMsgId}`, chatId, clientMsgId: clientMsgId.padEnd(8, '_'),
    envelope: { contentType: 'parley/e2ee', payload: Buffer.from(`opaque ${clientMsgId}`).toString('base64') }, ...fields,
  });
}

export async function peerOf(url: string, user: BlobUser): Promise<RawPeer> {
  return RawPeer.authed(url, user.deviceId, (d) => user.deviceKey.sign(d));
}
