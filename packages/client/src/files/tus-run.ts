// What an upload run promises its caller, without tus-js-client itself: uploads.ts loads
// ./tus-upload.ts (and tus-js-client with it) only when a file is first uploaded.

/** What an upload needs from the client: where to upload and the session token. */
export interface TusEndpoint {
  /** `${baseUrl}/api/v1/blobs` (R53). */
  endpoint: string;
  /** The device's session token; `fresh` after the server refused the kept one. */
  token(fresh: boolean): Promise<string>;
  /** tus's own retries of a broken request before the upload counts as waiting (ms each). */
  retryDelays?: number[];
  /** Ciphertext bytes per PATCH request. */
  chunkSize?: number;
}

/** Default retries within one run: a dropped connection resumes from the server's offset. */
export const TUS_RETRY_DELAYS = [0, 1000, 3000, 5000, 10000];
/** Bytes per PATCH: large enough that requests cost little, small enough to hold in memory. */
export const TUS_CHUNK_BYTES = 16 * 1024 * 1024;

/** An upload stopped for good (`code`), or for now (`retry`: network, server busy). */
export class UploadFailed extends Error {
  constructor(readonly code: string, readonly retry: boolean, message: string) {
    super(message);
  }
}

export interface TusRun {
  /** Resolves with the upload's URL when the server has every byte. */
  readonly done: Promise<string>;
  /** Stops sending; `terminate` also deletes the upload on the server (tus termination). */
  abort(terminate: boolean): Promise<void>;
}
