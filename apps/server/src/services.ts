import type { Accounts } from './domain/accounts.ts';
import type { Chats } from './domain/chats.ts';
import type { Bots } from './domain/bots/bots.ts';
import type { Communities } from './domain/communities/communities.ts';
import type { CommunityChats } from './domain/communities/community-chats.ts';
import type { CommunityInvites } from './domain/communities/community-invites.ts';
import type { Moderation } from './domain/communities/moderation.ts';
import type { JoinRequests } from './domain/communities/join-requests.ts';
import type { BlobBytes } from './blob-store/blob-bytes.ts';
import type { Channels } from './domain/channels/channels.ts';
import type { ChannelSchedule } from './domain/channels/schedule.ts';
import type { ChannelWraps } from './domain/channels/wrapped.ts';
import type { WrappedResponses } from './domain/channels/wrapped-responses.ts';
import type { WrappedComments } from './domain/channels/wrapped-comments.ts';
import type { WrappedViews } from './domain/channels/wrapped-views.ts';
import type { ChannelViews } from './domain/channels/channel-views.ts';
import type { WrappedPolls } from './domain/channels/wrapped-polls.ts';
import type { ChannelPolls } from './domain/channels/channel-polls.ts';
import type { WrappedReads } from './domain/channels/wrapped-reads.ts';
import type { WrappedSchedule } from './domain/channels/wrapped-schedule.ts';
import type { MlsSchedule } from './domain/channels/mls-schedule.ts';
import type { ChannelDiscussions } from './domain/channels/discussion.ts';
import type { Delivery } from './domain/delivery.ts';
import type { Files } from './domain/files/files.ts';
import type { Locker } from '@tus/utils';
import type { DeviceLinks } from './domain/device-links.ts';
import type { Invites } from './domain/invites.ts';
import type { LinkPreviews } from './domain/link-previews.ts';
import type { Calls } from './domain/calls.ts';
import type { CallRinger } from './domain/call-ringer.ts';
import type { GroupCalls } from './domain/group-calls.ts';
import type { KeyLog } from './domain/key-log.ts';
import type { Mls } from './domain/mls/mls.ts';
import type { Passkeys } from './domain/passkeys.ts';
import type { PushSender, PushSubscriptions } from './domain/push.ts';
import type { RateLimiter } from './domain/rate-limiter.ts';
import type { Requests } from './domain/requests.ts';
import type { Storage } from './storage/storage.ts';

/** The domain services the edges (HTTP, WebSocket) call; built once in main.ts. */
export interface Services {
  storage: Storage;
  accounts: Accounts;
  passkeys: Passkeys;
  /** Linking a new device from a signed-in one (R23-R26). */
  deviceLinks: DeviceLinks;
  chats: Chats;
  /** Invite links (R42). */
  invites: Invites;
  /** Communities (R66-R75): the community, its chats, its invites. */
  communities: Communities;
  communityChats: CommunityChats;
  /** R80-R86: mutes, slow mode, reports. */
  moderation: Moderation;
  communityInvites: CommunityInvites;
  /** R95-R99: public channels (signed posts, subscriptions, counts). */
  channels: Channels;
  /** R115: scheduled channel posts. */
  channelSchedule: ChannelSchedule;
  /** R141-R142: private channels past the MLS size (wrapped epoch keys). */
  channelWraps: ChannelWraps;
  /** R166-R167: reactions to wrapped posts and their deletion for everyone. */
  wrappedResponses: WrappedResponses;
  /** R177: comment counts of wrapped posts (marks the server counts without the comments). */
  wrappedComments: WrappedComments;
  /** R183 */
  wrappedViews: WrappedViews;
  /** R190: view counts of a private channel in MLS mode. */
  channelViews: ChannelViews;
  /** R185: votes on wrapped polls (tokens the server counts without the options). */
  wrappedPolls: WrappedPolls;
  /** R198: votes on public channels' polls (by option index). */
  channelPolls: ChannelPolls;
  /** R182: wrapped channels' unread counts and mute. */
  wrappedReads: WrappedReads;
  /** R188: scheduled posts of wrapped channels. */
  wrappedSchedule: WrappedSchedule;
  /** R191: scheduled posts of private channels in MLS mode. */
  mlsSchedule: MlsSchedule;
  /** R114: channels' discussion chats. */
  channelDiscussions: ChannelDiscussions;
  /** R100-R101: requests to join a community through a link that needs approval. */
  joinRequests: JoinRequests;
  delivery: Delivery;
  /** The MLS delivery service: key package directory, epoch-ordered commits. */
  mls: Mls;
  /** The per-user device-key log (key transparency). */
  keyLog: KeyLog;
  limiter: RateLimiter;
  /** R44: requests to join chats from people one shares none with. */
  requests: Requests;
  push: PushSender;
  /** Web Push subscriptions, checked and capped per device (R37). */
  pushSubscriptions: PushSubscriptions;
  /** The link preview fetcher (R45). */
  linkPreviews: LinkPreviews;
  /** Calls (R60): TURN credentials for members. */
  calls: Calls;
  /** Group calls (R62): SFU room tokens for members of group chats. */
  groupCalls: GroupCalls;
  /** R118: Web Push ringing for 1:1 calls. */
  callRinger: CallRinger;
  /** Files (R53-R56): uploads, access, lifetime. */
  files: Files;
  /** Where blob bytes live (the tus DataStore and ranged reads). */
  blobBytes: BlobBytes;
  /** R53: tus's lock, one writer per upload across the cluster (blob-store/upload-locker.ts). */
  uploadLocker: Locker;
  /** R90-R92: bot accounts, their tokens and devices. */
  bots: Bots;
}
