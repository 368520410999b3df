import type { enJoinRequests } from './en-join-requests.ts';

/** Russian texts of asking to join and of answering join requests, in the community screens' chunks (communities/join-text.ts). */
export const ruJoinRequests: Record<keyof typeof enJoinRequests, string> = {
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
};
