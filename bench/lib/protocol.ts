/** Coordinator ↔ load-worker messages (IPC). */
export interface SessionSpec {
  userId: string;
  deviceId: string;
  token: string;
  /** Node to connect to, when not the command's url (cluster benchmarks spread clients over nodes). */
  url?: string;
}

export type ChannelReadMode = 'none' | 'list' | 'open';

/** Per-notice reads since the last reset: devices done, requests, HTTP statuses other than 2xx, last done time. */
export interface ReadStats {
  devices: number;
  requests: number;
  failed: Record<string, number>;
  lastAt: number;
}

export type Command =
  | { cmd: 'connect'; url: string; sessions: SessionSpec[]; localAddresses: string[] }
  | { cmd: 'receipts'; delayMs: number }
  | { cmd: 'reset' }
  /**
   * On each channel notice, every connection reads what the web app reads (its own session, over REST):
   * 'list' = the chat list's `GET /channels`; 'open' = that plus the open channel view's reload.
   */
  | { cmd: 'channelReads'; mode: ChannelReadMode }
  /** Sends `rate * seconds` messages round-robin over routes (index into this worker's connections). */
  | { cmd: 'send'; routes: { conn: number; chatId: string }[]; rate: number; seconds: number; window: number }
  | { cmd: 'stats' }
  | { cmd: 'close' };

export type Reply =
  | { cmd: 'ready' }
  | { cmd: 'connect'; connections: number; rssKb: number }
  | { cmd: 'receipts' }
  | { cmd: 'reset' }
  | { cmd: 'send'; sent: number; acked: number; errors: number }
  | { cmd: 'channelReads' }
  | { cmd: 'stats'; received: number; firstAt: number; lastAt: number; latencies: number[]; errors: number; reads: ReadStats }
  | { cmd: 'close' }
  | { cmd: 'error'; message: string };
