import assert from 'node:assert/strict';
import { ParleyError } from '@parley/protocol';

/**
 * Asserts that `promise` rejects with a ParleyError of `code` (and a message matching `message`, when
 * given); returns the error for further checks. The refusal tests' one way to say "refused with code X".
 */
export async function rejectsWithCode(promise: Promise<unknown>, code: string, message?: RegExp): Promise<ParleyError> {
  let caught: ParleyError | undefined;
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof ParleyError, String(err));
    assert.equal(err.code, code, err.message);
    if (message) assert.match(err.message, message);
    caught = err;
    return true;
  });
  return caught!;
}
