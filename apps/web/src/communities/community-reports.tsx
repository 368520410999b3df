import { useCallback, useEffect, useRef } from 'react';
import { itemOfEntry, type ParleyClient } from '@parley/client';
import type { Community, CommunityReport } from '@parley/protocol';
import { useI18n } from '../i18n/index.ts';
import { go } from '../state/use-client.ts';
import { ErrorLine, useAction } from '../components/error-line.tsx';
import { mayDo, useCommunityData } from './use-community.ts';

const DAY_MS = 86_400_000;

/**
 * R84: the community's reports for its moderators (`ban` or `deleteMessages`), newest first: the
 * reported text as its sender's device franked it (the server checked the proof), who sent it, who
 * reported it and why; and what a moderator does about it: open the chat, delete the message for
 * everyone (R80), mute its sender for a day (R82), mark it done or dismiss it (R84b: then it moves
 * to "Handled", with who decided and when, for every moderator).
 */
export function CommunityReports({ client, community }: { client: ParleyClient; community: Community }) {
  const { t, fmt } = useI18n();
  const id = community.communityId;
  const load = useCallback(() => client.communities.reports(id), [client, id]);
  const { value: reports, error: loadError, reload } = useCommunityData<CommunityReport[]>(client, load, id);
  const [error, run, busy] = useAction();
  const nameOf = (userId: string) => client.chat(reports?.find((r) => r.senderUserId === userId || r.reporterUserId === userId || r.resolved?.by === userId)?.chatId ?? '')?.members.find((m) => m.userId === userId)?.displayName ?? '…';
  // R122: a report of an edited message names the edit's entry: the message is the one it changed.
  const reported = (r: CommunityReport) => itemOfEntry(client.timeline(r.chatId), r.clientMsgId);
  const isDeleted = (r: CommunityReport) => reported(r)?.deleted ?? false;
  const open = reports?.filter((r) => !r.resolved) ?? [];
  const handled = reports?.filter((r) => r.resolved) ?? [];
  const resolve = (r: CommunityReport, outcome: 'acted' | 'dismissed') => run(async () => { await client.communities.resolveReport(id, r.reportId, outcome); await reload(); });
  const header = (r: CommunityReport) => (
    <>
      <blockquote className="report-text">{r.text}</blockquote>
      <p className="muted small">
        {t('reportFrom', { sender: nameOf(r.senderUserId), reporter: nameOf(r.reporterUserId), time: fmt.dateTime(r.createdAt) })}
        {r.reason ? ` · ${t('reportReasonIs', { reason: r.reason })}` : ''}
      </p>
    </>
  );
  return (
    <div className="card" data-testid="community-reports">
      <h3>{t('reportsTitle')}</h3>
      <ErrorLine error={loadError ?? error} />
      {reports && open.length === 0 && <p className="muted small">{t('reportsNone')}</p>}
      <ul className="report-list">
        {open.map((r) => (
          <li key={r.reportId} className="report" data-testid="report">
            {header(r)}
            <div className="row">
              <button type="button" className="secondary small" onClick={() => go(`/chat/${r.chatId}`)}>{t('reportOpenChat')}</button>
              {mayDo(community, 'deleteMessages') && (isDeleted(r)
                ? <span className="muted small" data-testid="report-deleted">{t('reportDeleted')}</span>
                : <button type="button" className="danger small" disabled={busy} data-testid="report-delete"
                    onClick={() => { if (confirm(t('confirmDeleteForEveryone'))) run(async () => { await client.deleteMessage(r.chatId, reported(r)?.id ?? r.clientMsgId); await reload(); }); }}>{t('reportDelete')}</button>)}
              {mayDo(community, 'ban') && (
                <button type="button" className="secondary small" disabled={busy} data-testid="report-mute"
                  onClick={() => run(async () => { await client.communities.mute(id, r.senderUserId, Date.now() + DAY_MS); await reload(); })}>{t('reportMuteDay')}</button>
              )}
              <button type="button" className="small" disabled={busy} data-testid="report-resolve" onClick={() => resolve(r, 'acted')}>{t('reportResolve')}</button>
              <button type="button" className="secondary small" disabled={busy} data-testid="report-dismiss" onClick={() => resolve(r, 'dismissed')}>{t('reportDismiss')}</button>
            </div>
          </li>
        ))}
      </ul>
      {handled.length > 0 && (
        <details className="reports-handled" data-testid="reports-handled">
          <summary>{t('reportsHandled', { count: handled.length })}</summary>
          <ul className="report-list">
            {handled.map((r) => (
              <li key={r.reportId} className="report handled" data-testid="report-handled">
                {header(r)}
                {r.resolved && (
                  <p className="muted small" data-testid="report-outcome">
                    {t(r.resolved.outcome === 'acted' ? 'reportActedBy' : 'reportDismissedBy', { name: nameOf(r.resolved.by), time: fmt.dateTime(r.resolved.at) })}
                  </p>
                )}
              </li>
            ))}
          </ul>
        </details>
      )}
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
