import { FILE_CHUNK_BYTES, type Attachment } from '@parley/protocol';
import { base64ToBytes } from '../encoding.ts';
import { CipherReader, importFileKey } from '../files/file-crypto.ts';
import { openSource } from '../files/sources.ts';
import type { TusEndpoint } from '../files/tus-run.ts';
import type { FileToSend } from '../files/types.ts';
import { attachmentDraft } from '../files/uploads.ts';

/**
 * R162: a wrapped channel post's files go the files path (R52-R53): each gets a fresh key, is encrypted
 * on this device and uploaded with tus; the attachment (key included) then travels inside the post,
 * sealed under the epoch key and signed. Unlike a chat's upload outbox (R58) nothing is kept across a
 * restart: the admin's `post` waits for the uploads and fails as a whole if one does.
 */
export async function uploadWrappedFiles(ep: TusEndpoint, files: readonly FileToSend[]): Promise<Attachment[]> {
  const { runTus } = await import('../files/tus-upload.ts');
  const out: Attachment[] = [];
  for (const f of files) {
    const draft = attachmentDraft(f, FILE_CHUNK_BYTES);
    const reader = new CipherReader(await importFileKey(base64ToBytes(draft.key)), await openSource(f.source, f.size), draft.chunkBytes);
    try {
      const url = await runTus(reader, ep, { onUrl: () => {}, onProgress: () => {} }).done;
      out.push({ ...draft, blobId: new URL(url).pathname.split('/').pop()!, sha256: await reader.digest() });
    } finally {
      await reader.close().catch(() => undefined);
    }
  }
  return out;
}
