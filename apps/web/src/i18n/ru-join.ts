import type { enJoin } from './en-join.ts';

/** Russian texts of join requests (see en-join.ts). Part of `ru`. */
export const ruJoin: Record<keyof typeof enJoin, string> = {
  sysModJoinApproved: '{name} одобрил(а) заявку на вступление: {other}',
  sysModJoinApprovedYou: '{name} одобрил(а) вашу заявку на вступление',
  sysModJoinDeclined: '{name} отклонил(а) заявку на вступление',
  errJoinApprovalRequired: 'По этой ссылке вступают с одобрения администратора: подайте заявку.',
  errJoinRequestsFull: 'В этом сообществе слишком много необработанных заявок. Попробуйте позже.',
  admissionAwaiting: 'Вы ждёте, пока администратор вас примет. До тех пор приложения участников задерживают свои сообщения в чаты сообщества.',
  admissionNotAdmittedTitle: 'Ещё не приняты',
  admissionNotAdmittedHint: 'Этих участников не одобрял администратор, и у них не было ссылки-приглашения. Приложения участников задерживают сообщения, пока их не примут или не удалят.',
  admissionAdmit: 'Принять',
  admissionAdmitMember: 'Принять: {name}',
  errJoinRequestClosed: 'На эту заявку уже ответили или её отозвали.',
};
