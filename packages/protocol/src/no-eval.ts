import { config } from 'zod';

/**
 * Import this first in a page whose Content-Security-Policy forbids eval (the web client's, R38).
 * zod compiles a fast parser for object schemas with `new Function` when it may; under such a CSP
 * the attempt fails (zod falls back) but the browser reports a violation each time. zod decides
 * when a schema is built, so this must run before any schema module is evaluated.
 */
config({ jitless: true });
