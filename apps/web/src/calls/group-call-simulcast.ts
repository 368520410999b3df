// R123: the SDK's simulcast layers, imported by the group call when it starts (a chunk of its own).
export { simulcastEncodings } from '@parley/client';
