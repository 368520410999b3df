import type { ParleyClient } from '@parley/client';
import { need, type Out } from './run-client.ts';

/**
 * R141-R142 from a script: a private channel past the MLS size (wrapped epoch keys). `channel-join`
 * takes an invite link's token; `channel-read` prints each post as a JSON line (`{seq, epoch, text,
 * date, authorId}` when it opened and its signature checked, with R167's `edits: <seq>` when it replaces that post's text
 * and R184's `pin: {seq, on}` when it pins or unpins that post (its text then ''), else
 * `{seq, epoch, unreadable}`);
 * `channel-post` (admins) posts, opening a new epoch first when a subscriber left; `channel-wrap`
 * (admins) wraps the current epoch for subscriber devices that have none yet.
 */
export async function channelCommand(c: ParleyClient, command: string, args: readonly string[], after: string | undefined, out: Out): Promise<void> {
  switch (command) {
    case 'channel-join': {
      const community = await c.communities.joinInvite(need(args[0], 'TOKEN'));
      out(JSON.stringify({ communityId: community.communityId, wrapped: community.settings.wrapped === true }));
      return;
    }
    case 'channel-read':
      for (const p of await c.wrappedChannels.read(need(args[0], 'COMMUNITY_ID'), Number(after ?? 0) || 0)) {
        out(JSON.stringify(p.verified ? { seq: p.seq, epoch: p.epoch, text: p.text, date: p.date, authorId: p.authorId, ...(p.edits !== undefined ? { edits: p.edits } : {}), ...(p.pin ? { pin: p.pin } : {}) } : { seq: p.seq, epoch: p.epoch, unreadable: p.problem }));
      }
      return;
    case 'channel-post': {
      const post = await c.wrappedChannels.post(need(args[0], 'COMMUNITY_ID'), need(args[1], 'TEXT'));
      out(JSON.stringify({ seq: post.seq, epoch: post.epoch }));
      return;
    }
    default: // channel-wrap
      out(JSON.stringify(await c.wrappedChannels.wrapMissing(need(args[0], 'COMMUNITY_ID'))));
  }
}
