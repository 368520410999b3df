/// <reference lib="webworker" />
// The engine's module itself, not the SDK's index: a worker is one file (no chunks), and the index brings the whole SDK.
import { serveMlsEngine } from '../../../../packages/client/src/mls/engine-host.ts';
import type { EnginePort } from '../../../../packages/client/src/mls/engine-wire.ts';

/**
 * The page's MLS groups (docs/ARCHITECTURE.md "MLS off the page's main thread"): commits, Welcomes,
 * encryption, decryption and state encoding of every chat run here, so a 5,000-member group's
 * commit (~0.8 s, ~16 s for one adding 100) does not stop the page. The page keeps the store.
 */
serveMlsEngine(self as unknown as EnginePort);
