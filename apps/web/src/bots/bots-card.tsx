import { useCallback, useEffect, useState } from 'react';
import type { ParleyClient } from '@parley/client';
import { BOT_AVATAR_TYPES, BotCommand, BotHandle, type BotInfo } from '@parley/protocol';
import { Avatar, colorFor } from '../components/avatar.tsx';
import { BotPicture } from './bot-avatar.tsx';
import { CopyButton } from '../components/copy-button.tsx';
import { ErrorLine, useAction } from '../components/error-line.tsx';
import { useBotText } from './text.ts';
import './bots.css';

/** R108: the commands box's text, one `command - description` a line; a bad line's number (1-based) is thrown. */
export function parseCommandLines(text: string): BotCommand[] {
  return text.split('\n').flatMap((line, i) => {
    if (!line.trim()) return [];
    const m = /^\s*\/?([^\s-–—]+)\s*[-–—]\s*(.+?)\s*$/.exec(line);
    const parsed = m ? BotCommand.safeParse({ command: m[1], description: m[2] }) : undefined;
    if (!parsed?.success) throw new CommandLineError(i + 1);
    return [parsed.data];
  });
}
export class CommandLineError extends Error {
  constructor(readonly line: number) { super(`line ${line}`); }
}
const commandLines = (commands: readonly BotCommand[]) => commands.map((c) => `${c.command} - ${c.description}`).join('\n');

/**
 * Settings → Bots (R90-R90b, R108), like Telegram's BotFather: create a bot, see its token once,
 * issue a new one, revoke it, delete the bot, edit its `/` menu. A chunk of its own.
 */
export function BotsCard({ client }: { client: ParleyClient }) {
  const t = useBotText();
  const [bots, setBots] = useState<BotInfo[] | undefined>();
  const [token, setToken] = useState<{ handle: string; token: string } | undefined>();
  const [error, run, busy] = useAction();
  const refresh = useCallback(() => run(async () => setBots(await client.bots.list())), [client, run]);
  useEffect(refresh, [refresh]);

  const [name, setName] = useState('');
  const [handle, setHandle] = useState('');
  const [description, setDescription] = useState('');
  const handleOk = BotHandle.safeParse(handle).success;
  const create = () => run(async () => {
    const created = await client.bots.create({ handle, displayName: name.trim(), ...(description.trim() ? { description: description.trim() } : {}) });
    setToken({ handle: created.bot.handle, token: created.token });
    setName(''); setHandle(''); setDescription('');
    setBots(await client.bots.list());
  });
  const act = (bot: BotInfo, kind: 'rotate' | 'revoke' | 'delete') => {
    const question = { rotate: 'botRotateConfirm', revoke: 'botRevokeConfirm', delete: 'botDeleteConfirm' } as const;
    if (!confirm(t(question[kind], { handle: bot.handle }))) return;
    run(async () => {
      if (kind === 'rotate') setToken({ handle: bot.handle, token: await client.bots.rotateToken(bot.userId) });
      else if (kind === 'revoke') await client.bots.revoke(bot.userId);
      else await client.bots.delete(bot.userId);
      setBots(await client.bots.list());
    });
  };

  return (
    <div className="card bots-card" data-testid="bots-card">
      <h3>{t('botsTitle')}</h3>
      <p className="muted small">{t('botsHelp')}</p>
      {token && (
        <div className="notice bot-token" role="alert" data-testid="bot-token">
          <p>{t('botTokenOnce', { handle: token.handle })}</p>
          <code className="bot-token-value" data-testid="bot-token-value">{token.token}</code>
          <div className="row">
            <CopyButton text={token.token} />
            <button type="button" onClick={() => setToken(undefined)}>{t('botTokenDone')}</button>
          </div>
          <p className="muted small">{t('botTokenRun', { server: location.origin })}</p>
        </div>
      )}
      {bots?.length === 0 && <p className="muted">{t('botsNone')}</p>}
      <ul className="bot-list">
        {bots?.map((bot) => (
          <li key={bot.userId} data-testid="bot-row">
            <div className="bot-row-head">
              {bot.avatar ? <BotPicture client={client} botId={bot.userId} blobId={bot.avatar} size={40} fallback={<Avatar name={bot.displayName} color={colorFor(bot.userId)} />} />
                : <Avatar name={bot.displayName} color={colorFor(bot.userId)} />}
              <strong>{bot.displayName}</strong> <span className="muted">@{bot.handle}</span>
              {!bot.hasToken && <span className="muted small"> · {t('botRevoked')}</span>}
            </div>
            {bot.description && <p className="muted small">{bot.description}</p>}
            <div className="row wrap">
              <button type="button" className="secondary" disabled={busy} onClick={() => act(bot, 'rotate')}>{t('botRotate')}</button>
              {bot.hasToken && <button type="button" className="secondary" disabled={busy} onClick={() => act(bot, 'revoke')}>{t('botRevoke')}</button>}
              <button type="button" className="danger" disabled={busy} onClick={() => act(bot, 'delete')}>{t('botDelete')}</button>
            </div>
            <AvatarPicker client={client} bot={bot} onSaved={refresh} />
            <CommandsEditor client={client} bot={bot} onSaved={refresh} />
          </li>
        ))}
      </ul>
      <form className="bot-new" onSubmit={(e) => { e.preventDefault(); if (handleOk && name.trim()) create(); }}>
        <h4>{t('botsNew')}</h4>
        <label>{t('botName')}<input value={name} maxLength={64} required onChange={(e) => setName(e.target.value)} /></label>
        <label>{t('botHandle')}
          <input value={handle} maxLength={32} required autoCapitalize="off" spellCheck={false} aria-invalid={handle !== '' && !handleOk} aria-describedby="bot-handle-help"
            onChange={(e) => setHandle(e.target.value.toLowerCase())} />
        </label>
        {handle !== '' && !handleOk && <p className="error small" id="bot-handle-help">{t('botHandleBad')}</p>}
        <label>{t('botDescription')}<textarea value={description} maxLength={512} rows={2} onChange={(e) => setDescription(e.target.value)} /></label>
        <button type="submit" disabled={busy || !handleOk || !name.trim()}>{t('botCreate')}</button>
      </form>
      <ErrorLine error={error} />
    </div>
  );
}

/** R143: choose the bot's avatar from a file (an image type the server takes), or remove it. */
function AvatarPicker({ client, bot, onSaved }: { client: ParleyClient; bot: BotInfo; onSaved: () => void }) {
  const t = useBotText();
  const [error, run, busy] = useAction();
  const pick = (file: File | undefined) => {
    const mime = BOT_AVATAR_TYPES.find((m) => m === file?.type);
    if (!file || !mime) return;
    run(async () => { await client.bots.setAvatar(bot.userId, new Uint8Array(await file.arrayBuffer()), mime); onSaved(); });
  };
  return (
    <div className="bot-avatar-pick">
      <div className="row wrap">
        <label className="bot-avatar-label">
          {t('botAvatarSet')}
          <input type="file" className="sr-only" accept={BOT_AVATAR_TYPES.join(',')} disabled={busy} data-testid="bot-avatar-file"
            onChange={(e) => { pick(e.target.files?.[0]); e.target.value = ''; }} />
        </label>
        {bot.avatar && <button type="button" className="secondary" disabled={busy} onClick={() => run(async () => { await client.bots.removeAvatar(bot.userId); onSaved(); })}>{t('botAvatarRemove')}</button>}
      </div>
      <p className="muted small">{t('botAvatarHelp')}</p>
      <ErrorLine error={error} />
    </div>
  );
}

function CommandsEditor({ client, bot, onSaved }: { client: ParleyClient; bot: BotInfo; onSaved: () => void }) {
  const t = useBotText();
  const [text, setText] = useState(() => commandLines(bot.commands));
  const [bad, setBad] = useState<number | undefined>();
  const [saved, setSaved] = useState(false);
  const [error, run, busy] = useAction();
  const save = () => {
    setSaved(false);
    let commands: BotCommand[];
    try { commands = parseCommandLines(text); } catch (err) { setBad(err instanceof CommandLineError ? err.line : 1); return; }
    setBad(undefined);
    run(async () => { await client.bots.setCommands(bot.userId, commands); setSaved(true); onSaved(); });
  };
  const id = `bot-commands-${bot.userId}`;
  return (
    <details className="bot-commands">
      <summary>{t('botCommands')} ({bot.commands.length})</summary>
      <label htmlFor={id} className="muted small">{t('botCommandsHelp')}</label>
      <textarea id={id} rows={4} value={text} spellCheck={false} placeholder="start - Start the bot" data-testid="bot-commands"
        aria-invalid={bad !== undefined} onChange={(e) => { setText(e.target.value); setSaved(false); }} />
      {bad !== undefined && <p className="error small" role="alert">{t('botCommandsBad', { line: String(bad) })}</p>}
      <div className="row">
        <button type="button" className="secondary" disabled={busy} onClick={save}>{t('botCommandsSave')}</button>
        {saved && <span className="muted small" role="status">{t('botCommandsSaved')}</span>}
      </div>
      <ErrorLine error={error} />
    </details>
  );
}
