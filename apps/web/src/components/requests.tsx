import { useState } from 'react';
import type { ChatRequest, ParleyClient } from '@parley/client';
import { useI18n } from '../i18n/index.ts';
import { go, goWhenDone } from '../state/use-client.ts';
import { Avatar } from './avatar.tsx';
import { ErrorLine, useAction } from './error-line.tsx';
import { PanelHeader } from './panel-header.tsx';

/**
 * R44: people this user shares no chat with asked them into a chat. Nothing of the chat's content is
 * shown (there is none to see yet): who asks, what for, and the four answers.
 */
export function Requests({ client }: { client: ParleyClient }) {
  const { t } = useI18n();
  const requests = client.requests();
  return (
    <section className="panel">
      <PanelHeader title={t('requests')} />
      <div className="card">
        <p className="muted">{t('requestsExplain')}</p>
      </div>
      {requests.length === 0 && <p className="empty-state muted">{t('noRequests')}</p>}
      <ul className="requests">
        {requests.map((r) => <RequestCard key={r.requestId} client={client} request={r} />)}
      </ul>
    </section>
  );
}

function RequestCard({ client, request }: { client: ParleyClient; request: ChatRequest }) {
  const { t, fmt } = useI18n();
  const [error, run, busy] = useAction();
  const [reporting, setReporting] = useState(false);
  const [reason, setReason] = useState<'spam' | 'scam' | 'abuse' | 'other'>('spam');
  const name = request.from.displayName;
  return (
    <li className="card request" data-testid="request">
      <div className="request-who">
        <Avatar name={name} color="#90a4ae" />
        <div>
          <strong>{name}</strong> <span className="muted">@{request.from.handle}</span>
          <p>{request.kind === 'direct' ? t('requestDirect', { name }) : t('requestGroup', { name, count: request.memberCount })}</p>
          <p className="muted small">{t('requestFacts', { time: fmt.listTime(request.requestedAt) })}</p>
        </div>
      </div>
      {!reporting ? (
        <div className="actions">
          <button disabled={busy} onClick={() => run(() => goWhenDone(async () => `/chat/${(await client.acceptRequest(request.requestId)).chatId}`))}>{t('accept')}</button>
          <button className="secondary" disabled={busy} onClick={() => run(() => client.declineRequest(request.requestId))}>{t('decline')}</button>
          <button className="secondary danger" disabled={busy} onClick={() => run(() => client.blockRequest(request.requestId))}>{t('block')}</button>
          <button className="secondary danger" disabled={busy} onClick={() => setReporting(true)}>{t('report')}</button>
        </div>
      ) : (
        <form className="actions" onSubmit={(e) => { e.preventDefault(); run(() => client.reportRequest(request.requestId, { reason, block: true })); }}>
          <label>{t('reportReason')}
            <select value={reason} onChange={(e) => setReason(e.target.value as typeof reason)}>
              <option value="spam">{t('reportSpam')}</option>
              <option value="scam">{t('reportScam')}</option>
              <option value="abuse">{t('reportAbuse')}</option>
              <option value="other">{t('reportOther')}</option>
            </select>
          </label>
          <button type="submit" className="danger" disabled={busy}>{t('reportAndBlock')}</button>
          <button type="button" className="secondary" onClick={() => setReporting(false)}>{t('cancel')}</button>
        </form>
      )}
      <ErrorLine error={error} />
    </li>
  );
}
