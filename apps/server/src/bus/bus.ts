import type { AddedDevice, ChatRequest, DeviceLinkStatus, JoinRequestStatus, Message, PendingDeviceLink } from '@parley/protocol';

/**
 * Fan-out between the sessions of one node and, later, between nodes (NATS). Topics:
 * `chat.<chatId>` for what every member's devices see, `user.<userId>` for one person's devices.
 * Delivery is at-most-once: the store is the source of truth and clients resync gaps (R4).
 */
export type BusEvent =
  | { type: 'message'; message: Message }
  | { type: 'receipt'; chatId: string; userId: string; kind: 'delivered' | 'read'; upToSeq: number }
  | { type: 'typing'; chatId: string; userId: string }
  /** The chat's look or membership changed: sessions refresh its summary. */
  | { type: 'chat_changed'; chatId: string }
  /** R117: members joined or left a large group: sessions send just them (`members` frame), no summary. */
  | { type: 'members_changed'; chatId: string; added: string[]; removed: string[]; lastSeq: number; digest: string }
  | { type: 'chat_removed'; chatId: string; userId: string }
  | { type: 'device_revoked'; deviceId: string }
  /** On `user.<id>`: a new device asks to join the account; its devices show a prompt (R26). */
  | { type: 'device_link_request'; link: PendingDeviceLink }
  /** On `user.<id>`: a link request ended; its devices drop the prompt (R26). */
  | { type: 'device_link_closed'; linkId: string; status: DeviceLinkStatus }
  /** On `user.<id>`: a device was added to the account (login alert, R27). */
  | { type: 'device_added'; device: AddedDevice }
  /** On `chat.<id>`: a device can't read the chat's group and asks its members to add it again (R29). */
  | { type: 'rejoin_requested'; chatId: string; userId: string; deviceId: string }
  /** On `user.<id>`: someone the user shares no chat with asks them into a chat (R44). */
  | { type: 'chat_request'; request: ChatRequest }
  /** On `user.<id>`: the user answered a request (on whichever device): its devices drop it (R44). */
  | { type: 'chat_request_closed'; requestId: string }
  /**
   * R74: on the community's announcements chat (every member is in it): the community changed.
   * On `user.<id>`: `community_removed`, the user is no longer a member.
   */
  | { type: 'community_changed'; communityId: string }
  | { type: 'community_removed'; communityId: string; userId: string }
  /** On `user.<id>` of those who handle reports: R84, a member reported a message of the community. */
  | { type: 'community_report'; communityId: string; reportId: string }
  /** R97: on `channel.<id>`: the channel's log has an entry at `seq`; one small notice for every subscriber's connection, never the post. */
  | { type: 'channel_post'; channelId: string; seq: number }
  /** R97: on `user.<id>`: the user subscribed to (or left) a channel; their connections start (or stop) hearing its notices. */
  | { type: 'channel_subscription'; channelId: string; subscribed: boolean }
  /** R201: on `user.<id>`: the user was named an admin of the channel or removed, or (to the owner) a named admin accepted. */
  | { type: 'channel_admin'; channelId: string }
  /** R148: on `wrapped.<communityId>`: a wrapped channel has a post at `seq`; one small notice per member connection, never the post. */
  | { type: 'wrapped_post'; communityId: string; seq: number; info?: true | undefined; deleted?: true | undefined; edit?: true | undefined }
  /** R185: on `wrapped.<communityId>`: the votes of the poll at `seq` changed (coalesced per node); no voter named. */
  | { type: 'wrapped_votes'; communityId: string; seq: number }
  /** R148: on `user.<id>`: the user came into a wrapped channel; their connections start hearing its notices (and read their communities again). */
  | { type: 'wrapped_joined'; communityId: string }
  /** R149: on `user.<id>`: wraps of `epoch` were stored for the user's devices. */
  | { type: 'wrapped_keys'; communityId: string; epoch: number }
  /** R149: on `user.<id>` of a wrapped channel's admins: a subscriber device has no wrap of the current epoch. */
  | { type: 'wraps_needed'; communityId: string }
  /** On `user.<id>` of who asked and of the community's holders of `invite`: R101, a join request was made or closed. */
  | { type: 'community_join_request'; communityId: string; requestId: string; status: JoinRequestStatus }
  /** On `upload.<blobId>`: a request (`holder`) waits to write to the upload: its current writer lets go (R53). */
  | { type: 'upload_release'; blobId: string; holder: string };

export type BusHandler = (event: BusEvent) => void;

export interface Bus {
  publish(topic: string, event: BusEvent): Promise<void>;
  /** Returns an unsubscribe function. */
  subscribe(topic: string, handler: BusHandler): () => void;
  /**
   * Events may have been lost (the bus reconnected after an outage): every local session must
   * resync its chats from storage. Fires after the outage, once the bus delivers again; may fire
   * more than once for one outage. Returns a function that removes the handler.
   */
  onResync(handler: () => void): () => void;
  /**
   * Presence across nodes. `local` tells which of a user's devices are connected to this node;
   * the bus answers other nodes' questions with it. Call once at start.
   */
  servePresence(local: (userId: string) => readonly string[]): void;
  /** The user's devices connected to any node (this one included); this node's view alone while the link is down. */
  onlineDevices(userId: string): Promise<Set<string>>;
  /** False while the link to other nodes is down (the node reports itself not ready). */
  connected(): boolean;
  close(): Promise<void>;
}

export const chatTopic = (chatId: string) => `chat.${chatId}`;
export const userTopic = (userId: string) => `user.${userId}`;
export const channelTopic = (channelId: string) => `channel.${channelId}`;
/** R148: a wrapped channel's notices, heard by its members' connections. */
export const wrappedTopic = (communityId: string) => `wrapped.${communityId}`;
export const uploadTopic = (blobId: string) => `upload.${blobId}`;
