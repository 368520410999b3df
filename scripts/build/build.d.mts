// Types of build.mjs for TypeScript callers (packages/testing's spawnServer).
export function ensureBuilt(names: Array<'server' | 'cli' | 'web' | 'sdk'>, opts?: { force?: boolean; base?: string }): Promise<string[]>;
