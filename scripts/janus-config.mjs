// Janus (Debian's package, 1.1.x) configured for Parley's group calls (R62), as docs/OPERATIONS.md
// tells an operator to: stored-token auth on the public API (`token_auth`), the admin API on
// loopback behind an admin secret, only the VideoRoom plugin (room creation behind an admin key).
// Used by `npm start`'s local Janus (scripts/local-calls.mjs) and the tests' (packages/testing/src/janus.ts).

export const JANUS_BIN = '/usr/bin/janus';
export const JANUS_LIB = '/usr/lib/x86_64-linux-gnu/janus';
const OTHER_PLUGINS = ['audiobridge', 'duktape', 'echotest', 'lua', 'nosip', 'recordplay', 'sip', 'streaming', 'textroom', 'videocall', 'voicemail'];
const OTHER_TRANSPORTS = ['mqtt', 'nanomsg', 'pfunix', 'rabbitmq'];
const EVENT_HANDLERS = ['gelfevh', 'mqttevh', 'nanomsgevh', 'rabbitmqevh', 'sampleevh', 'wsevh'];

/**
 * The config files of one Janus, by file name (they go in one directory, given to janus as `-F`).
 * @param {{ dir: string, ip: string, httpPort: number, adminPort: number, wsPort?: number, adminSecret: string,
 *   roomAdminKey: string, rtpMin: number, rtpMax: number, serverName: string, logFile?: string, iceAddress?: string }} o
 *   `iceAddress`: the one local address Janus gathers ICE candidates on (`ice_enforce_list`); all but vmnet* when absent.
 * @returns {Record<string, string>}
 */
export function janusConfigFiles(o) {
  const list = (names) => names.map((n) => `libjanus_${n}.so`).join(',');
  return {
    'janus.jcfg': `general: {
  configs_folder = "${o.dir}"
  plugins_folder = "${JANUS_LIB}/plugins"
  transports_folder = "${JANUS_LIB}/transports"
  events_folder = "${JANUS_LIB}/events"
  loggers_folder = "${JANUS_LIB}/loggers"
  debug_level = 3
  admin_secret = "${o.adminSecret}"
  token_auth = true
  session_timeout = 60
  server_name = "${o.serverName}"${o.logFile ? `\n  log_to_file = "${o.logFile}"` : ''}
}
media: {
  rtp_port_range = "${o.rtpMin}-${o.rtpMax}"
}
nat: {
  ice_ignore_list = "vmnet"${o.iceAddress ? `\n  ice_enforce_list = "${o.iceAddress}"` : ''}
}
plugins: {
  disable = "${list(OTHER_PLUGINS)}"
}
transports: {
  disable = "${list([...OTHER_TRANSPORTS, ...(o.wsPort === undefined ? ['websockets'] : [])])}"
}
loggers: {
  disable = "libjanus_jsonlog.so"
}
events: {
  broadcast = false
  disable = "${list(EVENT_HANDLERS)}"
}
`,
    'janus.transport.http.jcfg': `general: {
  json = "plain"
  base_path = "/janus"
  http = true
  port = ${o.httpPort}
  ip = "${o.ip}"
  https = false
}
admin: {
  admin_base_path = "/admin"
  admin_http = true
  admin_port = ${o.adminPort}
  admin_ip = "127.0.0.1"
  admin_https = false
}
cors: {
}
`,
    ...(o.wsPort === undefined ? {} : {
      'janus.transport.websockets.jcfg': `general: {
  json = "plain"
  ws = true
  ws_port = ${o.wsPort}
  ws_ip = "${o.ip}"
  wss = false
}
admin: {
  admin_ws = false
  admin_wss = false
}
`,
    }),
    'janus.plugin.videoroom.jcfg': `general: {
  admin_key = "${o.roomAdminKey}"
  lock_rtp_forward = true
}
`,
  };
}

/**
 * Whether a Janus answers on its public and admin HTTP APIs.
 * @param {{ url: string, adminUrl: string, adminSecret: string }} j
 * @returns {Promise<boolean>}
 */
export async function janusAnswers(j) {
  try {
    const [info, admin] = await Promise.all([
      fetch(`${j.url}/info`),
      fetch(j.adminUrl, { method: 'POST', body: JSON.stringify({ janus: 'ping', transaction: 'up', admin_secret: j.adminSecret }) }),
    ]);
    return info.ok && admin.ok;
  } catch {
    return false;
  }
}
