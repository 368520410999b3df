import type { WrappedChannelInfo } from '@parley/protocol';
import { Calls, mlsCallKeys } from './calls/calls.ts';
import type { ClientCore } from './client-core.ts';
import { Communities } from './communities.ts';
import type { Uploads } from './files/uploads.ts';
import { lazyBots, lazyChannels } from './lazy.ts';
import { Polls } from './polls/polls.ts';
import type { SendParts } from './send-parts.ts';
import type { StoredMessage } from './store.ts';

/** The client's public feature parts, each a folder or file of its own. */
export interface FeatureParts {
  communities: Communities;
  channels: ReturnType<typeof lazyChannels>;
  calls: Calls;
  polls: Polls;
  bots: ReturnType<typeof lazyBots>;
}

/** Builds communities (R66-R75), channels (R95-R99), calls (R61), polls (R87) and bots (R90-R93) on the client's local copy. */
export function featureParts(c: ClientCore, x: SendParts & { uploads: Uploads; publishWrappedInfo(communityId: string, info: WrappedChannelInfo): Promise<unknown> }): FeatureParts {
  const { api, rest, chats, sync, post, timeline, emit, options, views, token } = c;
  const { userId, deviceId } = api;
  const { baseUrl } = options;
  const { mls } = c.keys;
  const communities = new Communities({
    rest, post, adopt: c.adopt, e2ee: mls !== undefined, myUserId: () => userId, emit: (e) => emit('community', e), item: (chatId, itemId) => timeline(chatId).find((i) => i.id === itemId),
    chatName: (id) => x.enc?.groupName(id) ?? (chats.get(id)?.name || undefined), chatInfo: (id, field) => x.enc?.groupInfo(id, field),
    rightsDisputes: (id) => views().rightsDisputes(id), notAdmitted: (id) => views().notAdmitted(id), awaitingAdmission: (id) => views().awaitingAdmission(id), rightsAwaited: (id) => views().rightsAwaited(id),
    seqOf: (id, msg) => sync.log(id).find((m) => m.clientMsgId === msg)?.seq, unsent: (id) => x.outbox.items().some((o) => o.clientMsgId === id), publishWrappedInfo: x.publishWrappedInfo,
  });
  const channels = lazyChannels({
    rest, userId, baseUrl, token, now: () => Date.now(), emit: (e) => emit('channelPost', e),
    meta: { get: (k) => options.store.getMeta(k), set: (k, v) => options.store.setMeta(k, v) }, adoptCommunity: (id, openSeq) => communities.adoptJoined(id, openSeq), openCommunity: (id) => communities.open(id),
  });
  const calls = new Calls({
    userId, deviceId, post, chat: (chatId) => chats.get(chatId),
    turn: (chatId) => api.turnCredentials(chatId), groupRoom: (chatId) => api.groupCallRoom(chatId), ring: (chatId) => api.ringCall(chatId), ringMaxMembers: async () => (await api.serverInfo()).calls?.ringMaxMembers, ...options.calls, emit: (list) => emit('calls', list),
    onError: (error) => c.backgroundError({ task: 'call-keys', error }), ...(mls ? { frameKeys: mlsCallKeys(mls) } : {}), // R64
  });
  const polls = new Polls({ userId, post, timeline });
  const bots = lazyBots({ rest, userId, baseUrl, token, post, timeline, upload: (chatId, files, o) => x.uploads.add(chatId, files, o), log: (chatId) => sync.log(chatId) as readonly StoredMessage[] });
  return { communities, channels, calls, polls, bots };
}
