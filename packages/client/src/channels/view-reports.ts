/**
 * R98, R183: the posts this device reported as shown, each once per run (the server keeps no list of
 * who viewed, only counters). Used by public channels (`client.channels.markViewed`) and wrapped ones
 * (`client.wrappedChannels.markViewed`).
 */
export class ViewReports {
  readonly #sent = new Set<string>();

  /** Sends the ids of `channel` not reported yet through `send`, 100 a request; those not sent (an error) may go again. */
  async report<K extends string | number>(channel: string, ids: readonly K[], send: (page: K[]) => Promise<unknown>): Promise<void> {
    const fresh = [...new Set(ids)].filter((id) => !this.#sent.has(`${channel}/${id}`));
    // Taken before the request, so two calls at once (a view re-rendering) don't count a post twice.
    for (const id of fresh) this.#sent.add(`${channel}/${id}`);
    for (let i = 0; i < fresh.length; i += 100) {
      try {
        await send(fresh.slice(i, i + 100));
      } catch (err) {
        for (const id of fresh.slice(i)) this.#sent.delete(`${channel}/${id}`);
        throw err;
      }
    }
  }
}
