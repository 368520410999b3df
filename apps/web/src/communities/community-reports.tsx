import { useCallback, useEffect, useRef } from 'react';
import type { ParleyClient } from '@parley/client';
import type { Community, CommunityReport } from '@parley/protocol';
import { useI18n } from '../i18n/index.ts';
import { go } from '../state/use-client.ts';
import { ErrorLine, useAction } from '../components/error-line.tsx';
import { mayDo, useReloading } from './use-community.ts';

const DAY_MS = 86_400_000;

/**
 * R84: the community's reports for its moderators (`ban` or `deleteMessages`), newest first: the
 * reported text as its sender's device franked it (the server checked the proof), who sent it, who
 * reported it and why; and what a moderator does about it: open the chat, delete the message for
 * everyone (R80), mute its sender for a day (R82).
 */
export function CommunityReports({ client, community }: { client: ParleyClient; community: Community }) {
  const { t, fmt } = useI18n();
  const id = community.communityId;
  const load = useCallback(() => client.communities.reports(id), [client, id]);
  const { value: reports, error: loadError, reload } = useReloading<CommunityReport[]>(client, load, id);
  const [error, run, busy] = useAction();
  const nameOf = (userId: string) => client.chat(reports?.find((r) => r.senderUserId === userId || r.reporterUserId === userId)?.chatId ?? '')?.members.find((m) => m.userId === userId)?.displayName ?? '…';
  const isDeleted = (r: CommunityReport) => client.timeline(r.chatId).find((i) => i.id === r.clientMsgId)?.deleted ?? false;
  return (
    <div className="card" data-testid="community-reports">
      <h3>{t('reportsTitle')}</h3>
      <ErrorLine error={loadError ?? error} />
      {reports?.length === 0 && <p className="muted small">{t('reportsNone')}</p>}
      <ul className="report-list">
        {reports?.map((r) => (
          <li key={r.reportId} className="report" data-testid="report">
            <blockquote className="report-text">{r.text}</blockquote>
            <p className="muted small">
              {t('reportFrom', { sender: nameOf(r.senderUserId), reporter: nameOf(r.reporterUserId), time: fmt.dateTime(r.createdAt) })}
              {r.reason ? ` · ${t('reportReasonIs', { reason: r.reason })}` : ''}
            </p>
            <div className="row">
              <button type="button" className="secondary small" onClick={() => go(`/chat/${r.chatId}`)}>{t('reportOpenChat')}</button>
              {mayDo(community, 'deleteMessages') && (isDeleted(r)
                ? <span className="muted small" data-testid="report-deleted">{t('reportDeleted')}</span>
                : <button type="button" className="danger small" disabled={busy} data-testid="report-delete"
                    onClick={() => { if (confirm(t('confirmDeleteForEveryone'))) run(async () => { await client.deleteMessage(r.chatId, r.clientMsgId); await reload(); }); }}>{t('reportDelete')}</button>)}
              {mayDo(community, 'ban') && (
                <button type="button" className="secondary small" disabled={busy} data-testid="report-mute"
                  onClick={() => run(async () => { await client.communities.mute(id, r.senderUserId, Date.now() + DAY_MS); await reload(); })}>{t('reportMuteDay')}</button>
              )}
            </div>
          </li>
        ))}
      </ul>
    </div>
  );
}

/** R84: the form a member reports a message with (the reason is optional). */
export function ReportDialog({ client, communityId, chatId, itemId, text, onClose }: { client: ParleyClient; communityId: string; chatId: string; itemId: string; text: string; onClose: () => void }) {
  const { t } = useI18n();
  const [error, run, busy] = useAction();
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => { const d = ref.current; if (d && !d.open) d.showModal(); }, []);
  return (
    <dialog ref={ref} className="poll-dialog" aria-labelledby="report-title" data-testid="report-dialog" onClose={onClose}>
      <form onSubmit={(e) => {
        e.preventDefault();
        const reason = String(new FormData(e.currentTarget).get('reason') ?? '').trim();
        run(async () => { await client.communities.report(communityId, chatId, itemId, reason || undefined); ref.current?.close(); });
      }}>
        <h2 id="report-title">{t('reportTitle')}</h2>
        <blockquote className="report-text">{text.length > 300 ? `${text.slice(0, 300)}…` : text}</blockquote>
        <p className="muted small">{t('reportExplain')}</p>
        <label className="field"><span>{t('reportReasonLabel')}</span><textarea name="reason" rows={2} maxLength={500} data-testid="report-reason" /></label>
        <ErrorLine error={error} />
        <div className="fmt-confirm-actions">
          <button type="button" className="secondary" onClick={() => ref.current?.close()}>{t('cancel')}</button>
          <button type="submit" className="danger" disabled={busy} data-testid="report-send">{t('reportSend')}</button>
        </div>
      </form>
    </dialog>
  );
}
