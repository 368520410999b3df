import { useState } from 'react';
import { ParleyError, type ParleyClient } from '@parley/client';
import { MAX_CHANNEL_DESCRIPTION, MAX_CHANNEL_TITLE, MAX_DESCRIPTION_CHARS, channelHandleProblem } from '@parley/protocol';
import { ErrorLine, useAction } from '../components/error-line.tsx';
import { PanelHeader } from '../components/panel-header.tsx';
import { useChannelI18n, type ChannelTranslate } from './text.ts';
import { go, goWhenDone } from '../state/use-client.ts';
import { channelLink, channelsChanged } from './use-channels.ts';

/** R95: why a handle can't be had, in the person's language (the server checks the same rules again). */
function handleProblemText(t: ChannelTranslate, handle: string): string | undefined {
  const problem = channelHandleProblem(handle);
  if (!problem) return undefined;
  if (problem.includes('mixes')) return t('chHandleLookAlike');
  if (problem.includes('other scripts')) return t('chHandleScript');
  if (problem === 'this handle is reserved') return t('chHandleReserved');
  if (problem.includes('looks like a reserved')) return t('chHandleLooksReserved');
  return t('chHandleForm');
}

/**
 * #/new-channel: a public channel with this person as owner, its owner key made on this device (R95);
 * or a private one (R112): a community whose announcements chat is the channel, its name end-to-end
 * encrypted in that chat (the server gets no name, no handle).
 */
export function NewChannel({ client }: { client: ParleyClient }) {
  const { t } = useChannelI18n();
  const [kind, setKind] = useState<'public' | 'private'>('public');
  const [title, setTitle] = useState('');
  const [handle, setHandle] = useState('');
  const [description, setDescription] = useState('');
  const [taken, setTaken] = useState<string | undefined>();
  const [error, run, busy] = useAction();
  const clean = handle.trim().replace(/^@/, '');
  const isPrivate = kind === 'private';
  const problem = isPrivate || clean === '' ? undefined : taken === clean ? t('chHandleTaken') : handleProblemText(t, clean);
  return (
    <section className="panel">
      <PanelHeader title={t('chNew')} />
      <form className="card" onSubmit={(e) => {
        e.preventDefault();
        if (problem) return;
        run(async () => {
          if (isPrivate) {
            return goWhenDone(async () => {
              const community = await client.communities.create({ name: title.trim(), ...(description.trim() ? { description: description.trim() } : {}), settings: { channel: true } });
              return `/chat/${community.announcementsChatId}`;
            }, { replace: true });
          }
          try {
            const channel = await client.channels.create({ handle: clean, title: title.trim(), description: description.trim() });
            // The author reads their channel in the chat list like anyone subscribed.
            await client.channels.subscribe(channel.channelId);
            channelsChanged();
            go(`/channel/${channel.channelId}`, { replace: true });
          } catch (err) {
            if (err instanceof ParleyError && err.code === 'handle_taken') return setTaken(clean);
            throw err;
          }
        });
      }}>
        <fieldset className="channel-kind-choice">
          <legend>{t('chKindLabel')}</legend>
          {(['public', 'private'] as const).map((k) => (
            <label key={k} className="check">
              <input type="radio" name="channel-kind" value={k} checked={kind === k} onChange={() => setKind(k)} />
              {t(k === 'public' ? 'chKindPublicChoice' : 'chKindPrivateChoice')}
            </label>
          ))}
        </fieldset>
        <p className="muted small">{isPrivate ? t('chPrivateNote') : t('chCreateNote')}</p>
        <label>{t('chTitle')}<input value={title} onChange={(e) => setTitle(e.target.value)} required maxLength={isPrivate ? 100 : MAX_CHANNEL_TITLE} /></label>
        {!isPrivate && <>
          <label>{t('chHandle')}
            <input value={handle} onChange={(e) => setHandle(e.target.value)} required autoCapitalize="off" autoCorrect="off" spellCheck={false}
              maxLength={64} aria-invalid={problem ? true : undefined} aria-describedby="channel-handle-check" />
          </label>
          <p id="channel-handle-check" className={problem ? 'error' : 'muted small'} role={problem ? 'alert' : undefined} data-testid="handle-check">
            {problem ?? (clean ? t('chHandleOk', { link: channelLink(clean) }) : t('chHandleForm'))}
          </p>
        </>}
        <label>{t('chDescription')}
          <textarea value={description} onChange={(e) => setDescription(e.target.value)} maxLength={isPrivate ? MAX_DESCRIPTION_CHARS : MAX_CHANNEL_DESCRIPTION} rows={3} />
        </label>
        <button type="submit" disabled={busy || !!problem}>{isPrivate ? t('chCreatePrivate') : t('chCreate')}</button>
        <ErrorLine error={error} />
      </form>
    </section>
  );
}
