import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { API_PREFIX } from '@parley/protocol';

/**
 * R38: the headers every response carries. The web client gets a Content-Security-Policy as strict
 * as it runs under (its files, and the service worker, whose script response sets the worker's own
 * policy); the API and the operations endpoints, which serve JSON and text only, get one that allows
 * nothing. Both forbid framing (`frame-ancestors 'none'`, and X-Frame-Options for older browsers), so
 * no other site can lay the app under a decoy and have "Approve" or "Revoke" clicked.
 */
export interface SecurityHeaders {
  /** For the web client's files (index.html, built assets, sw.js, manifest, icons). */
  app: Readonly<Record<string, string>>;
  /** For /api/v1, /healthz, /readyz, /metrics and errors there. */
  api: Readonly<Record<string, string>>;
}

/**
 * Features the app may use: camera and microphone for calls later, fullscreen, picture-in-picture,
 * screen sharing and wake lock with them, the clipboard for "Copy", passkeys. Everything else that
 * reaches sensors, money, devices or tracking is off; `()` also denies it to any frame.
 */
const PERMISSIONS_POLICY = [
  'camera=(self)', 'microphone=(self)', 'display-capture=(self)', 'autoplay=(self)', 'fullscreen=(self)',
  'picture-in-picture=(self)', 'screen-wake-lock=(self)', 'clipboard-write=(self)',
  'publickey-credentials-create=(self)', 'publickey-credentials-get=(self)',
  'accelerometer=()', 'browsing-topics=()', 'clipboard-read=()', 'encrypted-media=()', 'geolocation=()',
  'gyroscope=()', 'hid=()', 'idle-detection=()', 'local-fonts=()', 'magnetometer=()', 'midi=()', 'otp-credentials=()',
  'payment=()', 'serial=()', 'usb=()', 'window-management=()', 'xr-spatial-tracking=()',
].join(', ');

/** 'sha256-…' sources for the inline <script> and <style> blocks of an HTML page (Vite's build has none today). */
export function inlineHashes(html: string): { scripts: string[]; styles: string[] } {
  const hash = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
  const scripts = [...html.matchAll(/<script\b(?![^>]*\bsrc\s*=)[^>]*>([\s\S]*?)<\/script\s*>/gi)].map((m) => hash(m[1] ?? ''));
  const styles = [...html.matchAll(/<style\b[^>]*>([\s\S]*?)<\/style\s*>/gi)].map((m) => hash(m[1] ?? ''));
  return { scripts, styles };
}

export function securityHeaders(opts: { origin: string; indexHtml?: string; connect?: string[] }): SecurityHeaders {
  const origin = new URL(opts.origin);
  const { scripts, styles } = inlineHashes(opts.indexHtml ?? '');
  // 'self' covers the same host's ws:/wss: in CSP Level 3; the public origin's WebSocket URL is named
  // too for browsers that still read 'self' as http(s) only.
  const ws = `${origin.protocol === 'https:' ? 'wss:' : 'ws:'}//${origin.host}`;
  const appCsp = [
    "default-src 'self'",
    ['script-src', "'self'", ...scripts].join(' '),
    // React's style props go through the CSSOM, which CSP does not restrict: no 'unsafe-inline'.
    ['style-src', "'self'", ...styles].join(' '),
    // QR codes and attachment thumbnails are data: URLs; decrypted photos are blob: URLs (made by
    // the app from what it decrypted, never fetched from elsewhere).
    "img-src 'self' data: blob:",
    // Decrypted videos and voice messages play from blob: URLs.
    "media-src 'self' blob:",
    "font-src 'self'",
    // R62: the SFU's public API (Janus's HTTP long-poll), where group calls are on.
    ['connect-src', "'self'", ws, ...(opts.connect ?? []).map((url) => new URL(url).origin)].join(' '),
    "manifest-src 'self'",
    "worker-src 'self'",
    "frame-src 'none'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    // DOM XSS sinks (innerHTML, script URLs…) take only values a named policy made; the app has two,
    // for its service worker's URL (apps/web/src/main.tsx) and its thumbnail worker's
    // (apps/web/src/files/thumbnails.ts), and renders no HTML from strings.
    "require-trusted-types-for 'script'",
    'trusted-types parley-sw parley-worker',
  ].join('; ');
  const apiCsp = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
  const common: Record<string, string> = {
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'permissions-policy': PERMISSIONS_POLICY,
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
  };
  // Only where the public origin is https (browsers ignore it over http); no includeSubDomains: the
  // operator's other hosts are not ours to decide.
  if (origin.protocol === 'https:') common['strict-transport-security'] = 'max-age=31536000';
  return {
    app: { ...common, 'content-security-policy': appCsp },
    api: { ...common, 'content-security-policy': apiCsp },
  };
}

const OPERATIONS_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

function isApiPath(url: string): boolean {
  const path = url.split('?', 1)[0] ?? '';
  return path === API_PREFIX || path.startsWith(`${API_PREFIX}/`) || OPERATIONS_PATHS.has(path);
}

/** Sets the headers on every response of `app`, errors and 404s included, before any handler runs. */
export function registerSecurityHeaders(app: FastifyInstance, headers: SecurityHeaders): void {
  app.addHook('onRequest', (request, reply, done) => {
    void reply.headers(isApiPath(request.url) ? headers.api : headers.app);
    done();
  });
}
