import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * A second "host" in a network namespace (../shared/tools/netns-lab: a veth pair, loss or blocked
 * UDP by nftables) for call tests on a kernel without `tc netem`. Needs root and nftables
 * (installed on first use, as coturn and chromium are). `down()` removes it; `NetnsLab.sweep`
 * removes labs a killed run left behind.
 */
export interface LabRules { loss?: number; blockUdp?: boolean }

export class NetnsLab implements AsyncDisposable {
  #wrapperDir: string | undefined;

  private constructor(readonly name: string, readonly hostIp: string, readonly peerIp: string) {}

  static async up(name: string, rules: LabRules = {}): Promise<NetnsLab> {
    if (!existsSync('/usr/sbin/nft')) execFileSync('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nftables'], { stdio: 'inherit' });
    execFileSync(labScript(), ['down', name], { stdio: 'ignore' }); // a previous run's, killed before its cleanup
    const out = execFileSync(labScript(), ['up', name, ...ruleArgs(rules)], { encoding: 'utf8' }).trim().split(/\s+/);
    const [hostIp, peerIp] = [out.at(-2), out.at(-1)];
    if (!hostIp || !peerIp) throw new Error(`netns-lab up ${name} printed ${out.join(' ')}`);
    return new NetnsLab(name, hostIp, peerIp);
  }

  /** Changes the loss / UDP blocking of the link (both directions, applied where packets arrive). */
  set(rules: LabRules): void {
    execFileSync(labScript(), ['set', this.name, ...ruleArgs(rules)], { stdio: 'ignore' });
  }

  /** An executable that runs Debian's chromium inside the namespace (for Playwright's `executablePath`). */
  chromium(): string {
    this.#wrapperDir ??= mkdtempSync(join(tmpdir(), 'parley-netns-'));
    const path = join(this.#wrapperDir, 'chromium');
    writeFileSync(path, `#!/bin/sh\nexec ip netns exec ${this.name} /usr/bin/chromium "$@"\n`);
    chmodSync(path, 0o755);
    return path;
  }

  down(): void {
    // Processes still inside (a browser that did not close) would keep the namespace's veth busy.
    try { execFileSync('sh', ['-c', `ip netns pids ${this.name} 2>/dev/null | xargs -r kill -9`], { stdio: 'ignore' }); } catch { /* none */ }
    execFileSync(labScript(), ['down', this.name], { stdio: 'ignore' });
    if (this.#wrapperDir) rmSync(this.#wrapperDir, { recursive: true, force: true });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.down();
  }
}

function ruleArgs(rules: LabRules): string[] {
  return [...(rules.loss ? ['--loss', String(rules.loss)] : []), ...(rules.blockUdp ? ['--block-udp'] : [])];
}

/** The shared tool: $PARLEY_NETNS_LAB, else ../shared/tools/netns-lab beside the repository, else /work/shared. */
export function labScript(): string {
  const repo = resolve(fileURLToPath(new URL('../../../', import.meta.url)));
  const candidates = [process.env.PARLEY_NETNS_LAB, join(repo, '../shared/tools/netns-lab'), '/work/shared/tools/netns-lab'];
  const found = candidates.find((p): p is string => p !== undefined && p !== '' && existsSync(p));
  if (!found) throw new Error(`netns-lab not found (tried ${candidates.filter(Boolean).join(', ')}); set PARLEY_NETNS_LAB`);
  return found;
}

/** Whether this process can make namespaces (root, with the tool present). */
export function canUseNetns(): boolean {
  try { return process.getuid?.() === 0 && labScript() !== ''; } catch { return false; }
}

/**
 * A firewall on this host's side of a lab that drops the namespace's TCP to some ports (e.g. a
 * TURN server's plain port, so only its TLS port on 443 gets through, as on networks that pass web
 * traffic only). `remove()` drops the table.
 */
export function blockTcpFrom(lab: NetnsLab, ports: number[]): { remove(): void } {
  const table = `parleyblk_${lab.name}`;
  const nft = (...args: string[]) => execFileSync('nft', args, { stdio: 'ignore' });
  try { nft('delete', 'table', 'inet', table); } catch { /* none yet */ }
  nft('add', 'table', 'inet', table);
  nft('add', 'chain', 'inet', table, 'in', '{ type filter hook prerouting priority 0; }');
  nft('add', 'rule', 'inet', table, 'in', 'ip', 'saddr', lab.peerIp, 'tcp', 'dport', `{ ${ports.join(', ')} }`, 'drop');
  return { remove: () => { try { nft('delete', 'table', 'inet', table); } catch { /* gone */ } } };
}

/**
 * Cuts a lab off entirely (every packet between it and this host dropped where it arrives, both
 * ways: a lift, a tunnel, a dead Wi-Fi), until `restore()`. What netns-lab's `--loss` can't do (it
 * stops at 99%).
 */
export function cutOff(lab: NetnsLab): { restore(): void } {
  const table = `parleycut_${lab.name}`;
  const sides: Array<{ run: string[]; from: string }> = [{ run: [], from: lab.peerIp }, { run: ['ip', 'netns', 'exec', lab.name], from: lab.hostIp }];
  const nft = (run: string[], ...args: string[]) => {
    const [bin, ...pre] = [...run, 'nft'];
    execFileSync(bin!, [...pre, ...args], { stdio: 'ignore' });
  };
  for (const { run, from } of sides) {
    try { nft(run, 'delete', 'table', 'inet', table); } catch { /* none yet */ }
    nft(run, 'add', 'table', 'inet', table);
    nft(run, 'add', 'chain', 'inet', table, 'in', '{ type filter hook prerouting priority 0; }');
    nft(run, 'add', 'rule', 'inet', table, 'in', 'ip', 'saddr', from, 'drop');
  }
  return {
    restore: () => {
      for (const { run } of sides) { try { nft(run, 'delete', 'table', 'inet', table); } catch { /* gone */ } }
    },
  };
}
