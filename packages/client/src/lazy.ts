import type { Bots, BotsDeps } from './bots/bots.ts';
import type { Channels, ChannelsDeps } from './channels/channels.ts';
import type { importHistory } from './import/import-history.ts';
import type { setTunedLocalDescription } from './calls/audio-resilience.ts';
import type { WrappedChannels, WrappedChannelsDeps } from './channels/wrapped.ts';
import type { ChannelViews } from './channels/channel-views.ts';
import type { MlsSchedule, MlsScheduleDeps } from './channels/mls-schedule.ts';
import type { RestFn } from './session.ts';
import type { Channel, ChannelSubscription, ServerFrame } from '@parley/protocol';

/** The async methods of `T`: what a lazily loaded part of the SDK offers before it is loaded. */
export type AsyncMethods<T> = { [K in keyof T as T[K] extends (...args: never[]) => Promise<unknown> ? K : never]: T[K] };

/**
 * A part of the SDK loaded on its first use (its code is a chunk of its own in the web bundle, so the
 * chat screen does not pay for it): each async method loads it once, then calls through.
 */
export function lazyAsync<T extends object>(load: () => Promise<T>): AsyncMethods<T> {
  let loaded: Promise<T> | undefined;
  return new Proxy({}, {
    get: (_target, key) => async (...args: unknown[]) => {
      const part = await (loaded ??= load());
      const method = Reflect.get(part, key) as unknown;
      if (typeof method !== 'function') throw new TypeError(`no method ${String(key)}`);
      return (method as (...a: unknown[]) => unknown).apply(part, args);
    },
  }) as AsyncMethods<T>;
}

// The SDK's parts loaded on first use: only their types are imported above, their code by `import()`.

/**
 * R95-R99: `client.channels`. Listing the subscriptions (R97, the chat list's rows) is one REST call
 * that verifies nothing, so it does not load the part: the chat screen pays for channels only when
 * one is opened. So is R200's `adminInvites`.
 */
export const lazyChannels = (deps: ChannelsDeps): AsyncMethods<Channels> => {
  const part = lazyAsync(async () => new (await import('./channels/channels.ts')).Channels(deps));
  const subscriptions = async () => (await deps.rest<{ subscriptions: ChannelSubscription[] }>('GET', '/channels')).subscriptions;
  // R200: the chat list asks for admin invitations too; one REST call, verifying nothing.
  const adminInvites = async () => (await deps.rest<{ channels: Channel[] }>('GET', '/channels/admin-invites')).channels;
  return new Proxy(part, { get: (target, key) => (key === 'subscriptions' ? subscriptions : key === 'adminInvites' ? adminInvites : Reflect.get(target, key)) });
};
/** R190: `client.channelViews`, view counts of a private channel in MLS mode. */
export const lazyChannelViews = (rest: RestFn): AsyncMethods<ChannelViews> => lazyAsync(async () => new (await import('./channels/channel-views.ts')).ChannelViews(rest));
/** R191: `client.channelSchedule`, scheduled posts of a private channel in MLS mode (admins). */
export const lazyMlsSchedule = (deps: MlsScheduleDeps): AsyncMethods<MlsSchedule> => lazyAsync(async () => new (await import('./channels/mls-schedule.ts')).MlsSchedule(deps));
/** R90-R93: `client.bots`. */
export const lazyBots = (deps: BotsDeps): AsyncMethods<Bots> => lazyAsync(async () => new (await import('./bots/bots.ts')).Bots(deps));
/** R65: a call's SDP tuning, loaded with the first offer or answer. */
export const setTunedLocalDescriptionLater: typeof setTunedLocalDescription = async (...args) => (await import('./calls/audio-resilience.ts')).setTunedLocalDescription(...args);
/** R104: `client.importHistory`. */
export const importHistoryLater: typeof importHistory = async (...args) => (await import('./import/import-history.ts')).importHistory(...args);
/**
 * R141-R142: `client.wrappedChannels`, private channels past the MLS size (epoch keys wrapped per device).
 * `notice` takes the realtime frames of R148-R149 without loading the part for a notice: a new post
 * or new wraps are an event; `wraps_needed` (sent to admins' devices only) loads it and wraps.
 */
export const lazyWrappedChannels = (deps: WrappedChannelsDeps & { emit(e: { communityId: string; seq?: number; info?: true; deleted?: true; edit?: true }): void; emitVotes(e: { communityId: string; seq: number }): void }) => {
  const part = lazyAsync(async () => new (await import('./channels/wrapped.ts')).WrappedChannels(deps));
  const notice = (frame: ServerFrame): boolean => {
    if (frame.type === 'wrapped_post') deps.emit({ communityId: frame.communityId, seq: frame.seq, ...(frame.info ? { info: true as const } : {}), ...(frame.deleted ? { deleted: true as const } : {}), ...(frame.edit ? { edit: true as const } : {}) });
    else if (frame.type === 'wrapped_keys') deps.emit({ communityId: frame.communityId });
    else if (frame.type === 'wrapped_votes') deps.emitVotes({ communityId: frame.communityId, seq: frame.seq }); // R185
    else if (frame.type === 'wraps_needed') void part.autoWrap(frame.communityId);
    else return false;
    return true;
  };
  return new Proxy(part, { get: (target, key) => (key === 'notice' ? notice : Reflect.get(target, key)) }) as AsyncMethods<WrappedChannels> & { notice: typeof notice };
};
