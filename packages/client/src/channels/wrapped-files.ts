import { ParleyError, isErrorCode, type Attachment, type WrappedPost } from '@parley/protocol';
import { randomId } from '../encoding.ts';
import { NetworkError } from '../errors.ts';
import { UploadFailed } from '../files/tus-run.ts';
import type { FileToSend, PendingUpload, UploadProgress } from '../files/types.ts';
import { wrappedUploadChat, type Uploads } from '../files/uploads.ts';
import type { WrappedScheduled } from './wrapped-schedule.ts';

/**
 * R162: a wrapped channel's post with files goes the way of a chat message with files (R52-R53, R58):
 * it is kept in the store's upload outbox (`PendingUpload.wrapped`) before its first byte is sent, its
 * files encrypted and uploaded with tus (resumed after a restart from the server's offset), and once
 * every file is complete it is sealed under the epoch current then, signed and posted. The server
 * answers a post sent again (a restart after it accepted, before the record went) with the stored one,
 * since its fresh blob ids name it: the post goes out once. Nothing here loads the files path.
 */

/** What a kept wrapped post says besides its text and files. */
export interface WrappedUpload {
  communityId: string;
  /** R167: the post this one edits. */
  edits?: number;
  /** R167: files of the edited post it keeps (referenced by that post, not uploaded again). */
  keep?: Attachment[];
  /** R192: a scheduled post (its id chosen when queued, so posting again replaces it), not a post: scheduled once its files are uploaded. */
  schedule?: { id: string; publishAt: number };
}

/** What a kept post becomes: a post, or (R192) a scheduled post. */
type Outcome = WrappedPost | WrappedScheduled;


/** Codes after which posting again later may succeed: the upload waits and tries again (after a reconnect at the latest). */
const TRANSIENT = new Set(['internal', 'rate_limited', 'channel_rekey_needed', 'slow_consumer']);

/** How a failed post of uploaded files is taken by the upload outbox: waiting to try again, or failed for good (shown with retry and discard). */
function wrappedPostFailure(err: unknown): UploadFailed {
  if (err instanceof UploadFailed) return err;
  if (err instanceof ParleyError) return new UploadFailed(err.code, TRANSIENT.has(err.code), err.message);
  if (err instanceof NetworkError) return new UploadFailed('network', true, err.message);
  return new UploadFailed('internal', false, (err as Error)?.message ?? String(err));
}

/** A wrapped post with files this device has not posted yet, as `client.wrappedPending` lists it. */
export interface WrappedPending {
  clientMsgId: string;
  text: string;
  /** The files' names. */
  files: string[];
  progress: UploadProgress;
}

export interface WrappedUploadsDeps {
  uploads(): Uploads;
  /** `WrappedChannels.postUploaded`. */
  post(upload: WrappedUpload, text: string, attachments: Attachment[]): Promise<Outcome>;
}

/** The client's side of it: queues into the upload outbox, posts what completes, settles the `post` awaiting it (`client.wrappedPending` lists them). */
export class WrappedUploads {
  readonly #d: WrappedUploadsDeps;
  /** The `posted` promises of this run's queued posts (a later run posts them unawaited). */
  readonly #waits = new Map<string, { resolve(post: Outcome): void; reject(err: Error): void; post?: Outcome }>();

  constructor(deps: WrappedUploadsDeps) {
    this.#d = deps;
  }

  /** Keeps the post with its files (resolves once kept) and uploads them; `posted` settles when it is posted or refused for good. */
  async queue(upload: WrappedUpload, text: string, files: readonly FileToSend[]): Promise<{ clientMsgId: string; posted: Promise<Outcome> }> {
    const clientMsgId = randomId();
    const posted = new Promise<Outcome>((resolve, reject) => this.#waits.set(clientMsgId, { resolve, reject }));
    posted.catch(() => undefined); // an app that keeps only the id hears of a failure through 'uploads'
    try {
      await this.#d.uploads().add(wrappedUploadChat(upload.communityId), files, { text, clientMsgId, wrapped: upload });
    } catch (err) {
      this.#waits.delete(clientMsgId);
      throw err;
    }
    return { clientMsgId, posted };
  }

  /** The upload outbox's `complete` for a wrapped post: posts it; a failure waits and tries again (network) or fails for good. */
  async uploaded(upload: PendingUpload, attachments: Attachment[]): Promise<void> {
    if (!upload.wrapped) throw new UploadFailed('internal', false, 'not a wrapped post');
    let post: Outcome;
    try {
      post = await this.#d.post(upload.wrapped, upload.text, attachments);
    } catch (err) {
      throw wrappedPostFailure(err);
    }
    const wait = this.#waits.get(upload.clientMsgId);
    if (wait) wait.post = post;
  }

  /** The upload outbox told how its uploads stand: a `post` awaiting a wrapped one hears how it ended. */
  settle(uploads: readonly UploadProgress[]): void {
    for (const u of uploads) {
      const wait = this.#waits.get(u.clientMsgId);
      if (!wait) continue;
      if (u.state === 'done' && wait.post) wait.resolve(wait.post);
      else if (u.state === 'failed') wait.reject(new ParleyError(isErrorCode(u.error) ? u.error : 'internal', `the post failed: ${u.error ?? 'unknown'}`));
      else if (u.state === 'cancelled') wait.reject(new ParleyError('bad_request', 'the post was cancelled'));
      else continue;
      this.#waits.delete(u.clientMsgId);
    }
  }

}
