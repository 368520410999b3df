import { groupCallInProgress, type ParleyClient } from '@parley/client';

/** A person in a chat's group call, as the chat's R63 call line names them. */
export interface CallPerson {
  userId: string;
  feedId: number;
  name: string;
}

/**
 * Who is in the chat's group call now, from its call line in the timeline (R63: each device's
 * end-to-end encrypted join and leave entries, which carry the SFU publisher id), and the call's media;
 * undefined when no call runs in the chat.
 */
export function groupCallPeople(client: ParleyClient, chatId: string, now = Date.now()): { people: CallPerson[]; media: 'audio' | 'video' } | undefined {
  const line = groupCallInProgress(client.timeline(chatId), now);
  const call = line?.call;
  if (!call?.group) return undefined;
  const members = client.chat(chatId)?.members ?? [];
  const people = call.group.participants.map((p) => ({
    userId: p.userId, feedId: p.feedId, name: members.find((m) => m.userId === p.userId)?.displayName ?? '',
  }));
  return { people, media: call.media };
}
