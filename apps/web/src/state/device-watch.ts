import { useEffect, useReducer } from 'react';
import {
  approveDeviceLink, denyDeviceLink, devicesAddedSince, pendingDeviceLinks, type ParleyClient, type RestFn,
} from '@parley/client';
import type { DeviceInfo, PendingDeviceLink } from '@parley/protocol';
import { deviceRest } from './session.ts';

/** How often a visible page asks for link requests, and for the devices list (login alerts). */
const PENDING_EVERY_MS = 3000;
const DEVICES_EVERY_MS = 30_000;

/**
 * What this signed-in device shows about the account's other devices: link requests waiting for
 * approval (R26) and devices added since the person last dismissed the notice (R27).
 *
 * It polls REST while the page is visible because ParleyClient does not pass on the realtime
 * `device_link_request` / `device_added` frames yet; once it does, `refresh()` on those events
 * replaces the timers.
 */
export class DeviceWatch {
  pending: PendingDeviceLink[] = [];
  added: DeviceInfo[] = [];
  readonly #client: ParleyClient;
  readonly #rest: RestFn;
  readonly #listeners = new Set<() => void>();
  #timers: ReturnType<typeof setInterval>[] = [];
  /** When this device was added: the first look at the devices list starts from there. */
  #selfCreatedAt: number | undefined;
  #users = 0;

  constructor(client: ParleyClient, rest: RestFn) {
    this.#client = client;
    this.#rest = rest;
  }

  get #seenKey(): string {
    return `parley.devicesSeenAt.${this.#client.deviceId}`;
  }

  subscribe(fn: () => void): () => void {
    this.#listeners.add(fn);
    if (this.#users++ === 0) this.#start();
    return () => {
      this.#listeners.delete(fn);
      if (--this.#users === 0) this.#stop();
    };
  }

  async approve(linkId: string, code: string): Promise<void> {
    await approveDeviceLink(this.#rest, linkId, code);
    await Promise.all([this.refreshPending(), this.refreshDevices()]);
  }

  async deny(linkId: string): Promise<void> {
    await denyDeviceLink(this.#rest, linkId);
    await this.refreshPending();
  }

  /**
   * Devices added up to this time are no longer new (the person dismissed the notice for them), or
   * undefined before the first look at the devices list.
   */
  seenUpTo(): number | undefined {
    const saved = localStorage.getItem(this.#seenKey);
    return saved !== null ? Number(saved) : this.#selfCreatedAt;
  }

  /** The person saw the notice: devices added until `upTo` (default: all listed now) are no longer new. */
  dismissAdded(upTo = Math.max(0, ...this.added.map((d) => d.createdAt))): void {
    const seen = Math.max(upTo, this.seenUpTo() ?? 0);
    localStorage.setItem(this.#seenKey, String(seen));
    this.added = this.added.filter((d) => d.createdAt > seen);
    this.#emit();
  }

  async refreshPending(): Promise<void> {
    const next = await pendingDeviceLinks(this.#rest);
    if (JSON.stringify(next) !== JSON.stringify(this.pending)) {
      this.pending = next;
      this.#emit();
    }
  }

  async refreshDevices(): Promise<void> {
    const me = await this.#client.me();
    const self = me.devices.find((d) => d.current);
    // A device learns of devices added after it was; the first look starts from there.
    this.#selfCreatedAt = self?.createdAt;
    const seen = this.seenUpTo() ?? Date.now();
    const next = devicesAddedSince(me, seen);
    if (JSON.stringify(next) !== JSON.stringify(this.added)) {
      this.added = next;
      this.#emit();
    }
  }

  #emit(): void {
    for (const fn of this.#listeners) fn();
  }

  #start(): void {
    const quietly = (p: Promise<void>) => p.catch((err: unknown) => console.warn('parley: device watch', err));
    const tick = (fn: () => Promise<void>) => () => { if (document.visibilityState === 'visible') void quietly(fn()); };
    void quietly(this.refreshPending());
    void quietly(this.refreshDevices());
    this.#timers = [
      setInterval(tick(() => this.refreshPending()), PENDING_EVERY_MS),
      setInterval(tick(() => this.refreshDevices()), DEVICES_EVERY_MS),
    ];
  }

  #stop(): void {
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
  }
}

const watches = new WeakMap<ParleyClient, DeviceWatch>();

/** The client's DeviceWatch (one per client, however many components show it); re-renders on change. */
export function useDeviceWatch(client: ParleyClient): DeviceWatch | undefined {
  const [, bump] = useReducer((n: number) => n + 1, 0);
  let watch = watches.get(client);
  if (!watch) {
    const rest = deviceRest(client);
    if (rest) watches.set(client, (watch = new DeviceWatch(client, rest)));
  }
  useEffect(() => watch?.subscribe(bump), [watch]);
  return watch;
}
