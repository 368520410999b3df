import type { MessageState } from '@parley/client';
import type { MessageKey } from '../i18n/en.ts';
import { useI18n } from '../i18n/index.ts';

const LABEL: Record<MessageState, MessageKey> = {
  sending: 'stateSending', sent: 'stateSent', delivered: 'stateDelivered', read: 'stateRead', failed: 'stateFailed',
};

const CHECK = 'M1.5 8.5l3 3 6-7';
const SECOND_CHECK = 'M7.5 11.5l6-7';

/** Clock = sending, ✓ sent, ✓✓ delivered, bold ✓✓ in the accent colour = read (not colour alone), ⚠ failed. */
export function StateIcon({ state }: { state: MessageState }) {
  const { t } = useI18n();
  const label = t(LABEL[state]);
  return (
    <span className={`state state-${state}`} role="img" aria-label={label} title={label} data-state-icon={state}>
      <svg viewBox="0 0 16 16" width="16" height="16" fill="none" stroke="currentColor" strokeWidth={state === 'read' ? 2.4 : 1.6} strokeLinecap="round" strokeLinejoin="round" aria-hidden="true">
        {state === 'sending' && <><circle cx="8" cy="8" r="5.5" /><path d="M8 5v3l2 1.5" /></>}
        {state === 'sent' && <path d={CHECK} />}
        {(state === 'delivered' || state === 'read') && <><path d={CHECK} /><path d={SECOND_CHECK} /></>}
        {state === 'failed' && <><path d="M8 2l6.5 11.5h-13z" /><path d="M8 6.5v3M8 11.6v.1" /></>}
      </svg>
    </span>
  );
}
