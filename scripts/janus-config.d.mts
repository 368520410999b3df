export const JANUS_BIN: string;
export const JANUS_LIB: string;
export function janusConfigFiles(o: {
  dir: string; ip: string; httpPort: number; adminPort: number; wsPort?: number; adminSecret: string;
  roomAdminKey: string; rtpMin: number; rtpMax: number; serverName: string; logFile?: string;
}): Record<string, string>;
export function janusAnswers(j: { url: string; adminUrl: string; adminSecret: string }): Promise<boolean>;
