// `npm start` on one machine: calls through a local coturn, and group calls through a local Janus,
// when they are installed and the operator configured none of their own; a start-up line saying how
// to enable them when they are not. Clusters (and anyone who sets PARLEY_TURN_URLS / PARLEY_JANUS_URL,
// or PARLEY_LOCAL_TURN=off / PARLEY_LOCAL_SFU=off) run their own as docs/OPERATIONS.md describes.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { JANUS_BIN, janusAnswers, janusConfigFiles } from './janus-config.mjs';


const say = (line) => console.error(`parley: ${line}`);

/**
 * What `npm start` runs next to the server for calls: a local coturn (1:1 calls) and a local Janus
 * (group calls), each when wanted; returns the environment the server then reads.
 * @param {NodeJS.ProcessEnv} env
 * @returns {Promise<Record<string, string>>}
 */
export async function localCalls(env) {
  return { ...(await localTurn(env)), ...(await localSfu(env)) };
}

/**
 * Starts a local coturn for this server when that is what the operator wants, and returns the
 * environment the server then reads (PARLEY_TURN_URLS, PARLEY_TURN_SECRET); `{}` otherwise.
 * The coturn process ends with this one.
 * @param {NodeJS.ProcessEnv} env
 * @returns {Promise<Record<string, string>>}
 */
async function localTurn(env) {
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
  const turnPort = port(env, 'PARLEY_LOCAL_TURN_PORT', 3478);
  if (!(await free(turnPort))) {
    say(`calls: off. Port ${turnPort} is taken (another TURN server?): set PARLEY_LOCAL_TURN_PORT, or PARLEY_TURN_URLS and PARLEY_TURN_SECRET for that server`);
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
    `listening-port=${turnPort}`, 'use-auth-secret', `static-auth-secret=${secret}`, 'realm=parley',
    'no-cli', 'no-tls', 'no-dtls', 'fingerprint', `log-file=${join(dataDir, 'turnserver.log')}`, 'simple-log', 'no-stdout-log',
    ...(local ? ['listening-ip=127.0.0.1', 'relay-ip=127.0.0.1', 'allow-loopback-peers'] : []), '',
  ].join('\n'), { mode: 0o600 });
  chmodSync(conf, 0o600);
  const child = spawn(turnserver, ['-c', conf], { stdio: 'ignore' });
  const stop = () => { if (child.exitCode === null) child.kill('SIGTERM'); };
  process.once('exit', stop);
  const deadline = Date.now() + 5_000;
  while (!(await accepts(turnPort))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      stop();
      say(`calls: off. The local coturn did not start (see ${join(dataDir, 'turnserver.log')})`);
      return {};
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const urls = [`turn:${urlHost}:${turnPort}?transport=udp`, `turn:${urlHost}:${turnPort}?transport=tcp`];
  say(`calls: on, through a local coturn on ${urlHost}:${turnPort} (UDP and TCP; PARLEY_LOCAL_TURN=off to run without it)`);
  return { PARLEY_TURN_URLS: urls.join(','), PARLEY_TURN_SECRET: secret };
}

/**
 * Starts a local Janus for group calls (R62) when Janus is installed, no PARLEY_JANUS_URL is set
 * and the server is used from this machine (PARLEY_ORIGIN on localhost: browsers elsewhere reach a
 * Janus only behind HTTPS, which an operator sets up as docs/OPERATIONS.md says). Its secrets are
 * made at each start and live only in its owner-only config directory and the server's environment.
 * @param {NodeJS.ProcessEnv} env
 * @returns {Promise<Record<string, string>>}
 */
async function localSfu(env) {
  if (env.PARLEY_JANUS_URL || env.PARLEY_JANUS_ADMIN_URL) return {};
  if ((env.PARLEY_LOCAL_SFU ?? 'auto') === 'off') {
    say('group calls: off (PARLEY_LOCAL_SFU=off and no PARLEY_JANUS_URL; docs/OPERATIONS.md, "Group calls")');
    return {};
  }
  const janus = env.PARLEY_LOCAL_SFU_BIN ?? JANUS_BIN;
  if (!existsSync(janus)) {
    say('group calls: off. To hold group calls on this server, install Janus (apt-get install janus) and start again, or set PARLEY_JANUS_URL and the other PARLEY_JANUS_* for a Janus of your own (docs/OPERATIONS.md, "Group calls")');
    return {};
  }
  const host = new URL(env.PARLEY_ORIGIN ?? `http://localhost:${env.PORT ?? 3000}`).hostname;
  if (!(host === 'localhost' || host === '127.0.0.1' || host === '[::1]')) {
    say(`group calls: off. PARLEY_ORIGIN is ${host}, not this machine: run Janus behind HTTPS and set PARLEY_JANUS_URL and the other PARLEY_JANUS_* (docs/OPERATIONS.md, "Group calls")`);
    return {};
  }
  const httpPort = port(env, 'PARLEY_LOCAL_SFU_PORT', 8088);
  const adminPort = port(env, 'PARLEY_LOCAL_SFU_ADMIN_PORT', 7088);
  const rtpMin = port(env, 'PARLEY_LOCAL_SFU_RTP_MIN', 10000);
  for (const p of [httpPort, adminPort]) {
    if (!(await free(p))) {
      say(`group calls: off. Port ${p} is taken (another Janus?): set PARLEY_LOCAL_SFU_PORT and PARLEY_LOCAL_SFU_ADMIN_PORT, or PARLEY_JANUS_URL and the other PARLEY_JANUS_* for that Janus`);
      return {};
    }
  }
  const dir = join(resolve(env.PARLEY_DATA_DIR ?? './data'), 'janus');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const adminSecret = randomBytes(24).toString('base64url');
  const roomAdminKey = randomBytes(24).toString('base64url');
  const files = janusConfigFiles({
    dir, ip: '127.0.0.1', httpPort, adminPort, adminSecret, roomAdminKey, rtpMin, rtpMax: Math.min(65535, rtpMin + 999),
    serverName: 'parley-local', logFile: join(dir, 'janus.log'),
  });
  for (const [name, text] of Object.entries(files)) {
    writeFileSync(join(dir, name), text, { mode: 0o600 });
    chmodSync(join(dir, name), 0o600);
  }
  const child = spawn(janus, ['-F', dir, '-C', join(dir, 'janus.jcfg')], { stdio: 'ignore' });
  const stop = () => { if (child.exitCode === null) child.kill('SIGTERM'); };
  process.once('exit', stop);
  const url = `http://127.0.0.1:${httpPort}/janus`;
  const adminUrl = `http://127.0.0.1:${adminPort}/admin`;
  const deadline = Date.now() + 15_000;
  while (!(await janusAnswers({ url, adminUrl, adminSecret }))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      stop();
      say(`group calls: off. The local Janus did not start (see ${join(dir, 'janus.log')})`);
      return {};
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  say(`group calls: on, through a local Janus on 127.0.0.1:${httpPort} (PARLEY_LOCAL_SFU=off to run without it)`);
  return { PARLEY_JANUS_URL: url, PARLEY_JANUS_ADMIN_URL: adminUrl, PARLEY_JANUS_ADMIN_SECRET: adminSecret, PARLEY_JANUS_ROOM_ADMIN_KEY: roomAdminKey };
}

/** A port from the environment, or its default; a value that is not a port stops the start. */
function port(env, name, fallback) {
  const value = Number(env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1 || value > 65535) throw new Error(`invalid configuration: ${name} is not a port: ${env[name]}`);
  return value;
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
