import type { enJoin } from './en-join.ts';

/** Russian texts of join requests (see en-join.ts). Part of `ru`. */
export const ruJoin: Record<keyof typeof enJoin, string> = {
  sysModJoinApproved: '{name} одобрил(а) заявку на вступление: {other}',
  sysModJoinApprovedYou: '{name} одобрил(а) вашу заявку на вступление',
  sysModJoinDeclined: '{name} отклонил(а) заявку на вступление',
  inviteNeedsApproval: 'Новых участников одобряет администратор',
  inviteNeedsApprovalHint: 'Открывший ссылку подаёт заявку; администратор её одобряет или отклоняет.',
  joinNeedsApproval: 'Новых участников этого сообщества одобряет администратор.',
  joinNoteLabel: 'Записка для администраторов (необязательно)',
  joinNotePlaceholder: 'например, кв. 12, второй подъезд',
  joinAskButton: 'Подать заявку',
  joinRequestSent: 'Заявка отправлена. Вас впустят, когда администратор её одобрит.',
  joinRequestDeclined: 'Вашу заявку на вступление отклонили.',
  joinRequestCancel: 'Отозвать заявку',
  joinRequestCancelled: 'Заявка отозвана.',
  joinRequestsTitle: 'Заявки на вступление',
  joinRequestsNone: 'Заявок нет.',
  joinRequestApprove: 'Одобрить',
  joinRequestDecline: 'Отклонить',
  joinRequestAsked: 'заявка {when}',
  errJoinApprovalRequired: 'По этой ссылке вступают с одобрения администратора: подайте заявку.',
  errJoinRequestsFull: 'В этом сообществе слишком много необработанных заявок. Попробуйте позже.',
  errJoinRequestClosed: 'На эту заявку уже ответили или её отозвали.',
};
