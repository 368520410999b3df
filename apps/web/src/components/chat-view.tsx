import { Suspense, lazy, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { KeyDirectory, ParleyClient, TimelineItem } from '@parley/client';
import type { BotCommand } from '@parley/protocol';
import { useI18n } from '../i18n/index.ts';
import { go } from '../state/use-client.ts';
import { ChatAvatar } from './avatar.tsx';
import { Icon } from './icons.tsx';
import { Composer, type ComposerMode } from './composer.tsx';
import { forwardNameOn } from './forward-privacy.ts';
import type { MessageActions } from './message.tsx';
import { chatTitle } from './system-text.ts';
import { Timeline } from './timeline.tsx';
import { KeyChangeBanner } from './key-change.tsx';
import { ErrorLine } from './error-line.tsx';
import { useAttachTray } from '../files/attach-tray.tsx';
import { useFileDrop } from '../files/drop-zone.ts';
import { attachmentsOf, files as filesOf } from '../files/sdk.ts';
import { isVisual } from '../files/attachments.tsx';
import { VoiceRecorder } from '../files/voice-recorder.tsx';
import { CallError, isLive, useCalls } from '../calls/call-state.tsx';
import { groupCallPeople } from '../calls/group-call-people.ts';
import { groupCallMedia } from '../calls/group-call-media.ts';
import { useGroupCall } from '../calls/use-group-call.ts';
import { AwaitingAdmission } from '../communities/admissions.tsx';

// Opened by a click, not needed to show the chat: chunks of their own (issue 15's size budget).
// Fetched only while a group chat's call runs (the chat screen's budget).
const GroupCallBanner = lazy(async () => ({ default: (await import('../calls/group-call-banner.tsx')).GroupCallBanner }));
const ForwardPicker = lazy(async () => ({ default: (await import('./forward-picker.tsx')).ForwardPicker }));
const Viewer = lazy(async () => ({ default: (await import('../files/viewer.tsx')).Viewer }));
const PinnedBar = lazy(async () => ({ default: (await import('./pinned-bar.tsx')).PinnedBar })); // R50: only in a chat with pins
const ThreadPanel = lazy(async () => ({ default: (await import('./thread-panel.tsx')).ThreadPanel }));
const ReportDialog = lazy(async () => ({ default: (await import('../communities/community-reports.tsx')).ReportDialog }));
const PollDialog = lazy(async () => ({ default: (await import('./poll.tsx')).PollDialog }));
// R91, R108: the bot notice, its badge and command menu: the bots chunk, loaded where a bot is a member.
const BotNotice = lazy(async () => ({ default: (await import('../bots/bot-chat.tsx')).BotNotice }));
const BotBadge = lazy(async () => ({ default: (await import('../bots/bot-chat.tsx')).BotBadge }));
const ReplyKeyboardBar = lazy(async () => ({ default: (await import('../bots/bot-chat.tsx')).ReplyKeyboardBar })); // R121

const report = (what: string) => (err: unknown) => console.warn(`parley: ${what} failed`, err);

/** Marks the chat read while it is on screen and the window has focus. */
function useMarkRead(client: ParleyClient, chatId: string, lastId: string | undefined): void {
  useEffect(() => {
    const mark = () => {
      if (document.visibilityState === 'visible' && document.hasFocus()) client.markRead(chatId);
    };
    mark();
    document.addEventListener('visibilitychange', mark);
    addEventListener('focus', mark);
    return () => {
      document.removeEventListener('visibilitychange', mark);
      removeEventListener('focus', mark);
    };
  }, [client, chatId, lastId]);
}

export function ChatView({ client, chatId, keys }: { client: ParleyClient; chatId: string; keys?: KeyDirectory | undefined }) {
  const { t } = useI18n();
  const chat = client.chat(chatId);
  const [mode, setMode] = useState<ComposerMode>({ kind: 'new' });
  const [forwarding, setForwarding] = useState<TimelineItem | undefined>();
  const [viewing, setViewing] = useState<{ blobId: string } | undefined>();
  const [micError, setMicError] = useState('');
  const [sendError, setSendError] = useState<unknown>();
  const [callError, setCallError] = useState<unknown>();
  const [pollOpen, setPollOpen] = useState(false);
  const [threadRoot, setThreadRoot] = useState<string | undefined>();
  const [reporting, setReporting] = useState<TimelineItem | undefined>();
  const [botCommands, setBotCommands] = useState<readonly BotCommand[]>([]);
  const [kbPlaceholder, setKbPlaceholder] = useState<string | undefined>(); // R121: the bot's reply keyboard's, from ReplyKeyboardBar
  const input = useRef<HTMLTextAreaElement>(null);
  const fetchPreview = useCallback((url: string) => client.fetchLinkPreview(url), [client]);
  const drafts = useMemo(() => ({ get: (id: string) => client.draft(id), set: (id: string, text: string) => client.setDraft(id, text) }), [client]);
  const items = client.timeline(chatId);
  const pinned = client.pinned(chatId);
  const inOneToOne = useCalls(client).some(isLive);
  const inCall = useGroupCall().live || inOneToOne;
  const tray = useAttachTray();
  const drop = useFileDrop((list) => tray.add(list));
  useMarkRead(client, chatId, items.at(-1)?.id);
  useEffect(() => { if (matchMedia('(pointer: fine)').matches) input.current?.focus(); }, [chatId]);

  if (!chat) {
    return (
      <section className="chat-view empty-state">
        <p className="muted">{t('errNotMember')}</p>
        <button className="secondary" onClick={() => go('/')}>{t('back')}</button>
      </section>
    );
  }

  const actions: MessageActions = {
    onReply: (item) => { setMode({ kind: 'reply', item }); input.current?.focus(); },
    onEdit: (item) => { setMode({ kind: 'edit', item }); input.current?.focus(); },
    onDelete: (item) => { if (confirm(t(item.mine ? 'confirmDelete' : 'confirmDeleteForEveryone'))) client.deleteMessage(chatId, item.id).catch(report('delete')); },
    onReact: (item, emoji, on) => { client.react(chatId, item.id, emoji, on).catch(report('reaction')); },
    onResend: (item) => { client.requestResend(chatId, [item.id]).catch(report('resend request')); },
    onForward: (item) => setForwarding(item),
    onPin: (item, on) => { client.pin(chatId, item.id, on).catch(report('pin')); },
    onOpenMedia: (_item, att) => setViewing({ blobId: att.blobId }),
    ...(chat.kind === 'group' ? { onOpenThread: (item: TimelineItem) => setThreadRoot(item.id) } : {}), // R89
    ...(chat.community ? { onReport: (item: TimelineItem) => setReporting(item) } : {}), // R84
    mayDeleteOthers: chat.community?.moderators?.some((m) => m.userId === client.userId && m.rights.includes('deleteMessages')) ?? false, // R80
  };
  const closeForward = (id: string) => {
    setForwarding(undefined);
    // The dialog hands the focus back to Forward, which was hidden with the message's toolbar while
    // the dialog had the focus, so it lands nowhere: the message shows its toolbar again and Forward
    // gets it (a keyboard user goes on where they were).
    const msg = document.getElementById(`msg-${id}`);
    const at = document.activeElement;
    if (msg && (!at || at === document.body || at.closest('dialog'))) {
      msg.focus();
      msg.querySelector<HTMLElement>('[data-action="forward"]')?.focus();
    }
  };
  // The viewer moves through the chat's photos and videos as far as this device has loaded them.
  const media = viewing ? items.flatMap((i) => (i.deleted || i.unreadable ? [] : attachmentsOf(i).filter(isVisual))) : [];
  const viewIndex = viewing ? media.findIndex((a) => a.blobId === viewing.blobId) : -1;
  const sendFiles = (...args: Parameters<ReturnType<typeof filesOf>['sendFiles']>) => filesOf(client).sendFiles(...args);
  const typingNames = chat.typing.filter((id) => id !== client.userId)
    .map((id) => chat.members.find((m) => m.userId === id)?.displayName).filter((n): n is string => !!n);
  const other = chat.kind === 'direct' ? chat.members.find((m) => m.userId !== client.userId) : undefined;
  const title = chatTitle(t, chat);
  const bot = chat.members.find((m) => m.bot && m.userId !== client.userId);
  const joinGroup = (media: 'audio' | 'video') => { setCallError(undefined); groupCallMedia.join(client, chatId, media).catch(setCallError); };
  // R69: in a community's announcements chat only holders of postAnnouncements post; a post the server refused says so.
  const readOnly = chat.community?.mayPost === false;
  const refused = client.outbox().some((o) => o.chatId === chatId && o.failedCode === 'announcements_only');
  // R159: a moderator's action waits for the owner's signed statement of the right; it fails when none comes.
  const rightsWait = chat.community !== undefined && client.communities.rightsAwaited(chatId);
  const rightsFailed = client.outbox().some((o) => o.chatId === chatId && o.failedCode === 'rights_unconfirmed');
  // R176: what failed with this code is tried again or dropped.
  const failedButtons = (code: string) => (['retry', 'discardFailed'] as const).map((k) => <button key={k} type="button" className="link-button" onClick={() => { for (const o of client.outbox()) if (o.chatId === chatId && o.failedCode === code) void client[k === 'retry' ? 'retryMessage' : 'discardMessage'](chatId, o.clientMsgId); }}>{t(k)}</button>);
  const about = chat.noteToSelf ? t('savedHint') : chat.kind === 'group' ? t('membersCount', { count: chat.members.length }) : other?.handle ? `@${other.handle}` : '';
  // The lock is drawn, not an emoji: a system without an emoji font would show an empty box.
  const subtitle = typingNames.length > 0 ? t('typing', { name: typingNames.join(', ') })
    : <>{about}{about && chat.encryption === 'on' ? ' · ' : ''}{chat.encryption === 'on' && <span className="e2ee-mark"><Icon name="lock" size={12} />{t('e2eeOn')}</span>}</>;

  return (
    <section className={`chat-view${drop.over ? ' dropping' : ''}`} aria-label={title} {...drop.handlers}>
      {drop.over && <div className="drop-overlay" aria-hidden="true"><Icon name="attach" size={32} /><span>{t('dropFiles')}</span></div>}
      <header className="chat-header">
        <button className="icon back" aria-label={t('back')} title={t('back')} onClick={() => go('/')}><Icon name="back" /></button>
        <ChatAvatar chat={chat} size={36} client={client} />
        <div className="chat-header-text">
          <h2>{title}{other?.bot && <Suspense fallback={null}> <BotBadge /></Suspense>}</h2>
          <span className={`muted small${typingNames.length > 0 ? ' typing' : ''}`} aria-live="polite" data-testid="chat-subtitle">{subtitle}</span>
        </div>
        {chat.kind === 'direct' && !chat.noteToSelf && other && (['audio', 'video'] as const).map((media) => (
          <button key={media} className="icon" aria-label={t(media === 'video' ? 'callVideo' : 'callVoice', { name: other.displayName })} title={t(media === 'video' ? 'callVideo' : 'callVoice', { name: other.displayName })}
            disabled={inCall} onClick={() => { setCallError(undefined); import('../calls/call-media.ts').then((m) => m.startCall(client, chatId, media)).catch(setCallError); }}><Icon name={media === 'video' ? 'video' : 'phone'} /></button>
        ))}
        {chat.kind === 'group' && (['audio', 'video'] as const).map((media) => (
          <button key={media} className="icon" aria-label={t(media === 'video' ? 'gcallVideo' : 'gcallVoice')} title={t(media === 'video' ? 'gcallVideo' : 'gcallVoice')}
            disabled={inCall} onClick={() => joinGroup(media)}><Icon name={media === 'video' ? 'video' : 'phone'} /></button>
        ))}
        <button className="icon" aria-label={t('mediaAndFiles')} title={t('mediaAndFiles')} data-testid="open-media" onClick={() => go(`/media/${chatId}`)}><Icon name="media" /></button>
        {chat.community && (
          <button className="icon" aria-label={t('communityInfo')} title={t('communityInfo')} onClick={() => go(`/community/${chat.community?.communityId ?? ''}`)}><Icon name="community" /></button>
        )}
        {chat.kind === 'group' && !chat.community && (
          <button className="icon" aria-label={t('groupInfo')} title={t('groupInfo')} onClick={() => go(`/info/${chatId}`)}><Icon name="info" /></button>
        )}
        {chat.kind === 'direct' && !chat.noteToSelf && keys && (
          <button className="icon" aria-label={t('verifyTitle', { name: chat.title })} title={t('verifyTitle', { name: chat.title })} onClick={() => go(`/info/${chatId}`)}><Icon name="info" /></button>
        )}
      </header>
      {callError !== undefined && <CallError error={callError} />}
      {bot && <Suspense fallback={null}><BotNotice client={client} chatId={chatId} bot={bot} onCommands={setBotCommands} /></Suspense>}
      {chat.kind === 'group' && (groupCallPeople(client, chatId)?.people.length ?? 0) > 0
        && <Suspense fallback={null}><GroupCallBanner client={client} chatId={chatId} busy={inCall} onJoin={joinGroup} /></Suspense>}
      {chat.kind === 'direct' && <KeyChangeBanner keys={keys} contact={other} chatId={chatId} />}
      {chat.kind === 'direct' && !other && chat.requested?.[0] && (
        <div className="notice" role="status" data-testid="awaiting-accept">{t('waitingForAccept', { name: chat.requested[0].displayName })}</div>
      )}
      {chat.kind === 'group' && (chat.requested?.length ?? 0) > 0 && (
        <div className="notice muted" role="status" data-testid="asked-to-join">{t('askedToJoin', { names: (chat.requested ?? []).map((r) => r.displayName).join(', ') })}</div>
      )}
      {chat.encryption === 'waiting' && (
        <div className="notice" role="status" data-testid="e2ee-waiting">
          {t('e2eeWaiting')}{' '}
          <button type="button" className="link-button" onClick={() => { client.requestRejoin(chatId).catch(report('rejoin')); }}>{t('e2eeAskReadd')}</button>
        </div>
      )}
      {chat.community && <AwaitingAdmission client={client} communityId={chat.community.communityId} />}
      {chat.encryption === 'removed' && <div className="notice" role="status" data-testid="e2ee-removed">{t('e2eeRemoved')}</div>}
      {pinned.length > 0 && <Suspense fallback={null}><PinnedBar pinned={pinned} mayPin={client.mayPin(chatId)} onUnpin={(item) => actions.onPin(item, false)} /></Suspense>}
      <Timeline client={client} chat={chat} actions={actions} />
      {viewing && viewIndex >= 0 && <Suspense fallback={null}><Viewer client={client} items={media} start={viewIndex} onClose={() => setViewing(undefined)} /></Suspense>}
      {micError && <p className="error" role="alert">{micError}</p>}
      <ErrorLine error={sendError} />
      {threadRoot && <Suspense fallback={null}><ThreadPanel client={client} chat={chat} rootId={threadRoot} actions={actions} onClose={() => setThreadRoot(undefined)} /></Suspense>}
      {reporting && chat.community && <Suspense fallback={null}><ReportDialog client={client} communityId={chat.community.communityId} chatId={chatId} itemId={reporting.id} text={reporting.franked?.text ?? reporting.text} onClose={() => setReporting(undefined)} /></Suspense>}
      {pollOpen && <Suspense fallback={null}><PollDialog client={client} chatId={chatId} onClose={() => { setPollOpen(false); input.current?.focus(); }} /></Suspense>}
      {refused && <p className="error" role="alert" data-testid="announcements-refused">{t('errAnnouncementsOnly')}{failedButtons('announcements_only')}</p>}
      {rightsWait && <p className="notice muted" role="status" data-testid="rights-awaited">{t('rightsAwaited')}</p>}
      {rightsFailed && <p className="error" role="alert" data-testid="rights-unconfirmed">{t('errRightsUnconfirmed')}{failedButtons('rights_unconfirmed')}</p>}
      {forwarding && <Suspense fallback={null}><ForwardPicker client={client} sourceChatId={chatId} item={forwarding} onClose={() => closeForward(forwarding.id)} /></Suspense>}
      {bot && !readOnly && <Suspense fallback={null}><ReplyKeyboardBar client={client} chatId={chatId} items={items} onPlaceholder={setKbPlaceholder} onReply={actions.onReply} /></Suspense>}
      {readOnly ? <p className="composer read-only muted" data-testid="read-only">{t('communityOnlyAdminsPost')}</p> : <Composer
        key={chatId}
        chat={chat}
        me={client.userId}
        commands={bot ? botCommands : undefined}
        placeholder={bot ? kbPlaceholder : undefined}
        mode={mode}
        setMode={setMode}
        inputRef={input}
        onTyping={() => client.typing(chatId)}
        onEditLast={() => {
          const mine = [...items].reverse().find((i) => i.mine && !i.system && !i.deleted && i.seq !== null);
          if (mine) setMode({ kind: 'edit', item: mine });
        }}
        fetchPreview={fetchPreview}
        drafts={drafts}
        tray={tray}
        {...(chat.kind === 'group' && !chat.noteToSelf ? { onPoll: () => setPollOpen(true) } : {})}
        voice={<VoiceRecorder onError={setMicError} onSend={(file) => { setMicError(''); setSendError(undefined); sendFiles(chatId, [file]).catch(setSendError); }} />}
        onSendFiles={(list, { text, entities }, m) => {
          setSendError(undefined);
          sendFiles(chatId, list, { text, entities, ...(m.kind === 'reply' ? { replyTo: m.item.id } : {}), noForwardName: !forwardNameOn() }).catch((err: unknown) => {
            console.warn('parley: send files failed', err);
            setSendError(err);
          });
        }}
        onSend={({ text, entities }, m, preview) => {
          if (m.kind === 'edit') {
            const changed = text !== m.item.text || JSON.stringify(entities) !== JSON.stringify(m.item.entities ?? []);
            if (changed) client.edit(chatId, m.item.id, text, { entities }).catch(report('edit'));
          } else {
            client.sendText(chatId, text, { entities, ...(m.kind === 'reply' ? { replyTo: m.item.id } : {}), ...(preview ? { preview } : {}), noForwardName: !forwardNameOn() }).catch(report('send'));
          }
        }}
      />}
    </section>
  );
}
