import { ParleyError } from '@parley/protocol';

/** Not a well-formed commit of this group at this epoch, or a check of it failed (`mls_commit_invalid`). */
export const invalid = (why: string): never => {
  throw new ParleyError('mls_commit_invalid', why);
};

/** Well-formed, but its effect is not allowed (`mls_commit_forbidden`). */
export const forbidden = (why: string): never => {
  throw new ParleyError('mls_commit_forbidden', why);
};

/** ts-mls reports a failed check by throwing; anything it throws while checking a client's bytes is their fault. */
export async function mls<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof ParleyError) throw err;
    return invalid(`${what}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
