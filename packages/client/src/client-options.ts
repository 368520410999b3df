import type { AudioResilience } from './calls/audio-resilience.ts';
import type { FrameCryptoFactory } from './calls/call-keys.ts';
import type { CallView, PeerFactory } from './calls/calls.ts';
import type { AddedDevice, ChatSummary, Message, PendingDeviceLink } from '@parley/protocol';
import type { ContentCodec } from './codec.ts';
import type { ConnectionState, WebSocketCtor } from './connection.ts';
import type { DeviceKey } from './device-key.ts';
import type { EncryptionState } from './e2ee/chat-encryption.ts';
import type { KeyLogAlert, KeyLogHeadsOptions } from './key-log/index.ts';
import type { ClientStore } from './store.ts';
import type { MlsEngine } from './mls/engine.ts';
import type { CommunityEvent } from './communities.ts';
import type { TimelineItem } from './timeline.ts';
import type { UploadProgress } from './files/types.ts';

export interface ClientOptions {
  baseUrl: string;
  session: { userId: string; deviceId: string };
  deviceKey: DeviceKey;
  store: ClientStore;
  /** Default: the MLS codec (end-to-end encrypted) when `mls.enabled`, else plaintext. */
  codec?: ContentCodec;
  /** Defaults to globalThis.WebSocket; in Node 20 pass `ws`'s WebSocket. */
  WebSocket?: WebSocketCtor;
  /** History page size for catch-up and scroll-back. */
  pageSize?: number;
  backoff?: { minMs: number; maxMs: number };
  /**
   * End-to-end encryption (MLS). When enabled (the default), every chat is an MLS group and the
   * client keeps `target` of this device's key packages (default 20, refilled below 5) and a
   * last-resort one on the server (R14).
   */
  mls?: {
    enabled: boolean; target?: number; refillBelow?: number;
    /** This device rotates its leaf key in a chat (an update commit) when it is older than this. Default 7 days. */
    rotateAfterMs?: number;
    /**
     * A device waits this long per rank in a group's leaf order (at most 8 ranks) before it
     * reconciles the group, so usually the first device commits and the others find nothing to do.
     * Default 1500 ms. 0 makes every device commit at once: for tests of concurrent commits (R15).
     */
    reconcileRankDelayMs?: number;
    /**
     * R34: while this device's view of a chat's group holds a device that no longer belongs (revoked,
     * or its user left or was removed), the chat's messages wait (shown as sending) for the commit
     * that removes it, at most this long while connected; then they go out anyway, readable by that
     * device if a server still serves it. Default 60 s; 0 turns the hold off.
     */
    holdForRemovalMs?: number;
    /**
     * R32: this long after a message arrives that this device can't read for a reason where a
     * resend helps, it asks the sender's device to send it again (once per message, at most
     * RESEND_AUTO_ASK_LIMIT per chat). Default 10 s; null: only `requestResend` asks.
     */
    resendAskAfterMs?: number | null;
    /**
     * R36: a device outside a chat's existing group (its Welcome failed, its state was lost) asks the
     * members to add it (R29); if it is still outside this long after it first asked, while
     * connected, it starts the group again itself. Default 2 minutes; 0 never.
     */
    restartAfterWaitingMs?: number;
    /**
     * R35b: a commit's Welcome carries the group's ratchet tree while its encoding is at most this
     * many bytes (default 64 KiB, about 250 devices); beyond, the devices it adds read the tree from
     * the server and check it against the tree hash the committer signed.
     */
    welcomeTreeMaxBytes?: number;
    /** R36b: the most devices one commit adds (default MLS_MAX_ADDS_PER_COMMIT, 400); more go in parts, in (userId, deviceId) order. */
    maxAddsPerCommit?: number;
    /**
     * R33: how often at most (`minIntervalMs`, default 5 minutes per chat) and how soon (`settleMs`,
     * `rankDelayMs`) this device tells a chat the key-log heads it verified for the members, and how
     * long the server may take to show it an entry a member saw (`graceMs`, default 2 minutes).
     */
    keyLogHeads?: KeyLogHeadsOptions;
    /**
     * Where the chats' MLS groups are computed (commits, Welcomes, encryption, state encoding).
     * Default: this thread. A web page passes a RemoteMlsEngine on a worker, so a 5,000-member
     * group's commit does not freeze it (docs/ARCHITECTURE.md "MLS off the page's main thread").
     */
    engine?: MlsEngine;
  };
  /**
   * Communities: R159, how long a moderator's action (a deletion of someone else's message, a pin, a
   * ban or mute statement, an admission, an announcement) waits for the owner's signed statement of
   * its right in the chat's log before it fails with `rights_unconfirmed`. Default RIGHTS_CONFIRM_WAIT_MS (30 s).
   */
  communities?: { rightsConfirmWaitMs?: number };
  /**
   * How often this device re-checks its own user's key log for keys it did not expect while online
   * (R31), on top of coming online and device changes. Default DEFAULT_OWN_KEY_LOG_CHECK_MS (5 minutes).
   */
  ownKeyLogCheckMs?: number;
  /**
   * Files (R52/R53): `chunkBytes` of new files (default FILE_CHUNK_BYTES), tus's retries of a broken
   * request before an upload counts as waiting (`tusRetryDelays`), ciphertext bytes per PATCH (`tusChunkBytes`).
   */
  files?: { chunkBytes?: number; tusRetryDelays?: number[]; tusChunkBytes?: number };
  /**
   * R61 calls: the peer connection to use (default the runtime's RTCPeerConnection; Node has none),
   * relay-only ICE, R65 audio resilience (default AUDIO_RESILIENCE; false: stock), and how long a
   * call rings (default CALL_RING_MS). `frameCrypto` (R64, R76): the app's frame encryption for every
   * call that passes none of its own, 1:1 and group (the web client's frame worker); `groupSecretSettleMs`:
   * how long a group call's keyer lets the room settle before a new call secret (R120; tests).
   */
  calls?: { peer?: PeerFactory; relayOnly?: boolean; audio?: AudioResilience | false; ringMs?: number; reconnectMs?: number; restartRetryMs?: number; frameCrypto?: FrameCryptoFactory; groupSecretSettleMs?: number };
}

/** A background task failed; it is retried later and does not hold up anything else. */
export interface BackgroundError {
  task: 'key-packages' | 'encryption-group' | 'key-log' | 'chat list' | 'call-keys';
  error: unknown;
}

export interface ChatView extends ChatSummary {
  /** Group name, or the other person's name in a direct chat. */
  title: string;
  lastItem: TimelineItem | undefined;
  /** User ids typing now. */
  typing: string[];
  /** The user's note-to-self chat ("Saved messages"): shown by that name, not as a chat with oneself. */
  noteToSelf: boolean;
  /** R88: unread messages that mention this user (TimelineItem.mentionsMe). */
  mentions: number;
  /**
   * End-to-end encryption on this device: 'on'; 'waiting' for a member's device to add this one to
   * the chat's group; 'removed' from it; 'off' with the plaintext codec.
   */
  encryption: EncryptionState;
}

export type ClientEvents = {
  change: [];
  connection: [ConnectionState];
  revoked: [];
  message: [Message];
  error: [BackgroundError];
  /** A new device asks to join this account (R23-R28): show it, with the code field. */
  deviceLinkRequest: [PendingDeviceLink];
  /** A link request was approved, denied or expired (on any device). */
  deviceLinkClosed: [{ linkId: string; status: string }];
  /** A device was added to this account (login alert). */
  deviceAdded: [AddedDevice];
  /**
   * This user's own key log shows something to tell the person (R31): a key of a device the account
   * does not have, a new device key, or a rewritten log; or a member of a chat verified another
   * history of a user's log than this device did (R33, `key_log_split`). Listed by keyLogAlerts()
   * until dismissed.
   */
  keyLogAlert: [KeyLogAlert];
  /**
   * This device's uploads changed (progress at most 5 times a second, state changes at once); an
   * upload that ended (`done`: handed to the outbox, `cancelled`) is listed once more with that state.
   */
  uploads: [UploadProgress[]];
  /** R61: this device's calls changed (ringing, connecting, active, ended): every call it knows of now. */
  calls: [CallView[]];
  /** R74: a community of this user changed (read it again), or `removed`: this user is no longer in it. */
  /** R74; R84: `report` names a new report this user handles. */
  community: [CommunityEvent];
  /** R97: a subscribed channel's log has a new entry at `seq` (read `client.channels.log`). */
  channelPost: [{ channelId: string; seq: number }];
  /** R201: this user's admin role in a channel changed (invited, removed), or, to its owner, a named admin accepted. */
  channelAdmin: [{ channelId: string }];
  /**
   * R148: a wrapped channel has a new post at `seq` (R161 `info`: an entry of the channel's info alone: a
   * new epoch's first, a rename; R167 `deleted`: an admin deleted the post at `seq`: read again), or (R149, `seq` absent) this user's devices got wraps of a new epoch, or (R178) an epoch key came through the admins' group: read again.
   */
  wrappedPost: [{ communityId: string; seq?: number; info?: true; deleted?: true; edit?: true }];
  /** R185: the votes of the wrapped poll at `seq` changed (coalesced by the server): read its counts again (`wrappedChannels.pollVotes`). */
  wrappedVotes: [{ communityId: string; seq: number }];
};
/** Raises one of the client's events (ParleyClient's `emit`, handed to its parts). */
export type Emit = <E extends keyof ClientEvents>(event: E, ...args: ClientEvents[E]) => void;

export const DEFAULT_ROTATE_AFTER_MS = 7 * 24 * 3600 * 1000;
export const DEFAULT_RECONCILE_RANK_DELAY_MS = 1500;
export const DEFAULT_RESEND_ASK_AFTER_MS = 10_000;
export const DEFAULT_RESTART_AFTER_WAITING_MS = 120_000;
export const DEFAULT_HOLD_FOR_REMOVAL_MS = 60_000;
