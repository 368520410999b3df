/** Coordinator ↔ load-worker messages (IPC). */
export interface SessionSpec {
  userId: string;
  deviceId: string;
  token: string;
  /** Node to connect to, when not the command's url (cluster benchmarks spread clients over nodes). */
  url?: string;
}

export type Command =
  | { cmd: 'connect'; url: string; sessions: SessionSpec[]; localAddresses: string[] }
  | { cmd: 'receipts'; delayMs: number }
  | { cmd: 'reset' }
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
  | { cmd: 'stats'; received: number; firstAt: number; lastAt: number; latencies: number[]; errors: number }
  | { cmd: 'close' }
  | { cmd: 'error'; message: string };
