import { ParleyError, isErrorCode, type ChannelAttachment } from '@parley/protocol';

/** What the channels part needs to move public files: the server's address and this device's session token. */
export interface MediaEndpoint {
  baseUrl: string;
  token(fresh: boolean): Promise<string>;
}

const hex = (bytes: ArrayBuffer) => [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, '0')).join('');

/** Lowercase hex SHA-256 of the bytes (R110: what the signed post names). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  return hex(await crypto.subtle.digest('SHA-256', bytes as BufferSource));
}

/**
 * R110: uploads a public post's file as it is (a public post's files are public: not encrypted),
 * through the blob upload path (R53, tus creation-with-upload: one request), and describes it for
 * the post to sign: its blob id, SHA-256, size and type.
 */
/** What a public file is said to be in the signed post: R110's type, name and size in pixels; R199's voice mark, length and waveform. */
export type PublicFileMeta = { mime: string; name?: string; width?: number; height?: number; voice?: boolean; durationMs?: number; waveform?: string };

export async function uploadPublicFile(ep: MediaEndpoint, bytes: Uint8Array, meta: PublicFileMeta): Promise<ChannelAttachment> {
  const send = async (fresh: boolean) => fetch(`${ep.baseUrl.replace(/\/$/, '')}/api/v1/blobs`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${await ep.token(fresh)}`, 'tus-resumable': '1.0.0', 'upload-length': String(bytes.length),
      'content-type': 'application/offset+octet-stream',
    },
    body: bytes as BodyInit,
  });
  let res = await send(false);
  if (res.status === 401) res = await send(true);
  if (res.status !== 201) throw await failure(res);
  const location = res.headers.get('location') ?? '';
  const blobId = decodeURIComponent(location.split('/').pop() ?? '');
  if (Number(res.headers.get('upload-offset')) !== bytes.length) throw new ParleyError('blob_incomplete', 'the server did not take the whole file');
  return {
    blobId, sha256: await sha256Hex(bytes), size: bytes.length, mime: meta.mime,
    ...(meta.name ? { name: meta.name } : {}), ...(meta.width && meta.height ? { width: meta.width, height: meta.height } : {}),
    ...(meta.voice ? { voice: true as const } : {}), ...(meta.durationMs !== undefined ? { durationMs: Math.round(meta.durationMs) } : {}),
    ...(meta.waveform ? { waveform: meta.waveform } : {}),
  };
}

/** A downloaded public file: its bytes if they are what the post signed, else why not. */
export type PublicFile = { verified: true; bytes: Uint8Array } | { verified: false; problem: string };

/**
 * R110: downloads a public post's file from its channel (`/c/<handle>/media/<blob>`, no account
 * needed) and checks its size and SHA-256 against the signed post before anyone sees it.
 */
export async function fetchPublicFile(baseUrl: string, handle: string, file: ChannelAttachment): Promise<PublicFile> {
  const res = await fetch(`${baseUrl.replace(/\/$/, '')}/c/${encodeURIComponent(handle)}/media/${encodeURIComponent(file.blobId)}`);
  if (!res.ok) throw await failure(res);
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (bytes.length !== file.size) return { verified: false, problem: `the server sent ${bytes.length} bytes; the post signed ${file.size}` };
  if (await sha256Hex(bytes) !== file.sha256) return { verified: false, problem: 'the bytes do not hash to what the post signed (altered)' };
  return { verified: true, bytes };
}

async function failure(res: Response): Promise<ParleyError> {
  const body = (await res.json().catch(() => undefined) as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  const code = typeof body?.code === 'string' && isErrorCode(body.code) ? body.code : 'internal';
  return new ParleyError(code, typeof body?.message === 'string' ? body.message : `HTTP ${res.status}`);
}
