// `npm start` on one machine: calls through a local coturn when it is installed and the operator
// configured no TURN server of their own; a start-up line saying how to enable calls when it is not.
// Clusters (and anyone who sets PARLEY_TURN_URLS, or PARLEY_LOCAL_TURN=off) run their own TURN
// servers as docs/OPERATIONS.md describes; nothing here runs then.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join, resolve } from 'node:path';


const say = (line) => console.error(`parley: ${line}`);

/**
 * Starts a local coturn for this server when that is what the operator wants, and returns the
 * environment the server then reads (PARLEY_TURN_URLS, PARLEY_TURN_SECRET); `{}` otherwise.
 * The coturn process ends with this one.
 * @param {NodeJS.ProcessEnv} env
 * @returns {Promise<Record<string, string>>}
 */
export async function localCalls(env) {
  const mode = env.PARLEY_LOCAL_TURN ?? 'auto';
  if (env.PARLEY_TURN_URLS || env.PARLEY_TURN_SECRET) return {};
  if (mode === 'off') {
    say('calls: off (PARLEY_LOCAL_TURN=off and no PARLEY_TURN_URLS; docs/OPERATIONS.md, "Calls")');
    return {};
  }
  const turnserver = env.PARLEY_LOCAL_TURN_BIN ?? '/usr/bin/turnserver';
  if (!existsSync(turnserver)) {
    say('calls: off. To call through this server, install coturn (apt-get install coturn) and start again, or set PARLEY_TURN_URLS and PARLEY_TURN_SECRET for a TURN server of your own (docs/OPERATIONS.md, "Calls")');
    return {};
  }
  const port = Number(env.PARLEY_LOCAL_TURN_PORT ?? 3478);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`invalid configuration: PARLEY_LOCAL_TURN_PORT is not a port: ${env.PARLEY_LOCAL_TURN_PORT}`);
  if (!(await free(port))) {
    say(`calls: off. Port ${port} is taken (another TURN server?): set PARLEY_LOCAL_TURN_PORT, or PARLEY_TURN_URLS and PARLEY_TURN_SECRET for that server`);
    return {};
  }
  const dataDir = resolve(env.PARLEY_DATA_DIR ?? './data');
  mkdirSync(dataDir, { recursive: true });
  const secret = turnSecret(dataDir);
  // The address browsers reach this server by is where they reach its TURN server too. On a
  // machine used from itself (localhost) coturn stays on loopback, relaying between loopback peers.
  const host = new URL(env.PARLEY_ORIGIN ?? `http://localhost:${env.PORT ?? 3000}`).hostname;
  const local = host === 'localhost' || host === '127.0.0.1' || host === '[::1]';
  const urlHost = local ? '127.0.0.1' : host;
  // The options go in a file only this account reads: on the command line the secret would show in `ps`.
  const conf = join(dataDir, 'turnserver.conf');
  writeFileSync(conf, [
    `listening-port=${port}`, 'use-auth-secret', `static-auth-secret=${secret}`, 'realm=parley',
    'no-cli', 'no-tls', 'no-dtls', 'fingerprint', `log-file=${join(dataDir, 'turnserver.log')}`, 'simple-log', 'no-stdout-log',
    ...(local ? ['listening-ip=127.0.0.1', 'relay-ip=127.0.0.1', 'allow-loopback-peers'] : []), '',
  ].join('\n'), { mode: 0o600 });
  chmodSync(conf, 0o600);
  const child = spawn(turnserver, ['-c', conf], { stdio: 'ignore' });
  const stop = () => { if (child.exitCode === null) child.kill('SIGTERM'); };
  process.once('exit', stop);
  const deadline = Date.now() + 5_000;
  while (!(await accepts(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      stop();
      say(`calls: off. The local coturn did not start (see ${join(dataDir, 'turnserver.log')})`);
      return {};
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const urls = [`turn:${urlHost}:${port}?transport=udp`, `turn:${urlHost}:${port}?transport=tcp`];
  say(`calls: on, through a local coturn on ${urlHost}:${port} (UDP and TCP; PARLEY_LOCAL_TURN=off to run without it)`);
  return { PARLEY_TURN_URLS: urls.join(','), PARLEY_TURN_SECRET: secret };
}

/** The TURN REST API secret shared with the local coturn: made once, kept in the data dir (owner-only). */
function turnSecret(dataDir) {
  const path = join(dataDir, 'turn-secret');
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  const secret = randomBytes(24).toString('base64url');
  writeFileSync(path, `${secret}\n`, { mode: 0o600 });
  return secret;
}

function free(port) {
  return new Promise((resolvePort) => {
    const probe = createServer();
    probe.once('error', () => resolvePort(false));
    probe.listen(port, () => probe.close(() => resolvePort(true)));
  });
}

function accepts(port) {
  return new Promise((resolveAccept) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); resolveAccept(true); });
    socket.once('error', () => resolveAccept(false));
  });
}
