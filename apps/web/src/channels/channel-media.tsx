import { useEffect, useState } from 'react';
import { ParleyError } from '@parley/protocol';
import type { ParleyClient } from '@parley/client';
import { CHANNEL_IMAGE_TYPES, type ChannelAttachment } from '@parley/protocol';
import { ErrorLine, useAction } from '../components/error-line.tsx';
import { Icon } from '../components/icons.tsx';
import { formatBytes } from '../files/format.ts';
import { useChannelI18n } from './text.ts';
import { VoicePlayerView, type VoiceSource } from '../files/voice-player.tsx';

/**
 * R110: a public post's photos and files. Each is downloaded and checked against the hash the post
 * signed before it is shown or saved; bytes that do not match are never shown.
 */
export function ChannelMedia({ client, handle, files }: { client: ParleyClient; handle: string; files: readonly ChannelAttachment[] }) {
  if (files.length === 0) return null;
  return (
    <div className="channel-photos">
      {files.map((f) => (CHANNEL_IMAGE_TYPES.includes(f.mime)
        ? <ChannelImage key={f.blobId} client={client} handle={handle} file={f} />
        : f.voice ? <ChannelVoice key={f.blobId} client={client} handle={handle} file={f} />
          : <ChannelFile key={f.blobId} client={client} handle={handle} file={f} />))}
    </div>
  );
}

function ChannelImage({ client, handle, file }: { client: ParleyClient; handle: string; file: ChannelAttachment }) {
  const { t } = useChannelI18n();
  const [state, setState] = useState<{ url: string } | { bad: string } | { error: unknown } | undefined>();
  useEffect(() => {
    let url: string | undefined;
    let live = true;
    client.channels.fetchFile(handle, file).then((got) => {
      if (!live) return;
      if (!got.verified) return setState({ bad: got.problem });
      url = URL.createObjectURL(new Blob([got.bytes as Uint8Array<ArrayBuffer>], { type: file.mime }));
      setState({ url });
    }, (error: unknown) => { if (live) setState({ error }); });
    return () => {
      live = false;
      if (url) URL.revokeObjectURL(url);
    };
  }, [client, handle, file]);
  if (!state) return <div className="channel-photo-wait" style={{ aspectRatio: file.width && file.height ? `${file.width} / ${file.height}` : undefined }} role="status" aria-label={t('loading')} />;
  if ('error' in state) return <ErrorLine error={state.error} />;
  if ('bad' in state) return <p className="channel-unverified small" role="alert" data-testid="photo-not-verified">{t('chPhotoBad')}</p>;
  return <img src={state.url} alt={file.name ?? t('chPhoto')} width={file.width} height={file.height} data-testid="channel-photo" />;
}

/**
 * R199: a voice note of a public post, in the chats' voice player. The first play downloads it and
 * checks it against the signed hash; bytes that do not match show as a damaged file and never play.
 */
function ChannelVoice({ client, handle, file }: { client: ParleyClient; handle: string; file: ChannelAttachment }) {
  const [src, setSrc] = useState<Omit<VoiceSource, 'load'>>({ state: 'idle' });
  useEffect(() => () => { if (src.url) URL.revokeObjectURL(src.url); }, [src.url]);
  const load = () => {
    if (src.state === 'loading' || src.state === 'ready') return;
    setSrc({ state: 'loading' });
    client.channels.fetchFile(handle, file).then((got) => setSrc(got.verified
      ? { state: 'ready', url: URL.createObjectURL(new Blob([got.bytes as Uint8Array<ArrayBuffer>], { type: file.mime })) }
      : { state: 'failed', error: new ParleyError('file_damaged', got.problem) }), (error: unknown) => setSrc({ state: 'failed', error }));
  };
  return <div className="channel-voice"><VoicePlayerView data={{ ...src, load }} att={file} disabled={false} /></div>;
}

function ChannelFile({ client, handle, file }: { client: ParleyClient; handle: string; file: ChannelAttachment }) {
  const { t, locale } = useChannelI18n();
  const [bad, setBad] = useState(false);
  const [error, run, busy] = useAction();
  const save = () => run(async () => {
    const got = await client.channels.fetchFile(handle, file);
    if (!got.verified) return setBad(true);
    const url = URL.createObjectURL(new Blob([got.bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = file.name ?? 'file';
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  });
  return (
    <div className="channel-file">
      <button type="button" className="secondary small" disabled={busy} onClick={save}>
        <Icon name="download" size={14} /> {file.name ?? 'file'} ({formatBytes(file.size, locale)})
      </button>
      {bad && <p className="channel-unverified small" role="alert">{t('chPhotoBad')}</p>}
      <ErrorLine error={error} />
    </div>
  );
}
