// A call's errors the chat screen words before any call media code is loaded (call-media.ts is a chunk of its own).

/** getUserMedia refused or found no microphone (the person is told so, not "something failed"). */
export class MicUnavailable extends Error {
  constructor(cause: unknown) {
    super('microphone unavailable', { cause });
    this.name = 'MicUnavailable';
  }
}

/** Set when call-media.ts is loaded (the first call): only then is there a microphone to stop. */
export const callMediaState = { loaded: false };
