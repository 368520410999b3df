/** The Trusted Types API where the browser has it; the CSP names this policy (`trusted-types … parley-worker`, R38). */
interface TrustedTypesApi {
  createPolicy(name: string, rules: { createScriptURL(url: string): string }): { createScriptURL(url: string): unknown };
}

/** The built workers' URLs (each module passes its own `?worker&url` import); nothing else passes. */
const workers = new Set<string>();
let policy: { createScriptURL(url: string): unknown } | null | undefined;

/**
 * A worker's URL as the CSP lets it through. One policy of that name can exist per page, so the
 * thumbnail worker and the call frame-encryption worker share it; it vouches for exactly the URLs
 * of the app's own built workers.
 */
export function trustedWorkerUrl(url: string): string {
  workers.add(url);
  if (policy === undefined) {
    const tt = (window as unknown as { trustedTypes?: TrustedTypesApi }).trustedTypes;
    policy = tt?.createPolicy('parley-worker', {
      createScriptURL: (u) => {
        if (!workers.has(u)) throw new TypeError(`not one of the app's workers: ${u}`);
        return u;
      },
    }) ?? null;
  }
  return (policy?.createScriptURL(url) ?? url) as string;
}
