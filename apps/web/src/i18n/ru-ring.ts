import type { enRing } from './en-ring.ts';

/** Russian texts of group call ringing (R124), loaded with the ring notice (see en-ring.ts). */
export const ruRing: Record<keyof typeof enRing, string> = {
  gringVoice: '{name} начинает групповой звонок в «{chat}»',
  gringVideo: '{name} начинает групповой видеозвонок в «{chat}»',
  gringJoin: 'Присоединиться',
  gringJoinEnding: 'Завершить звонок и присоединиться',
  gringJoinLeaving: 'Выйти из своего звонка и присоединиться',
  gringDismiss: 'Отклонить',
};
