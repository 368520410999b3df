import type { enCalls2 } from './en-calls2.ts';

/** Russian texts of calls that reconnect and screen sharing (see en-calls2.ts). Part of `ru`. */
export const ruCalls2: Record<keyof typeof enCalls2, string> = {
  callReconnecting: 'Переподключение…',
  callConnectionLost: 'Звонок завершён: связь потеряна',
  callShareScreen: 'Показать экран',
  callStopSharing: 'Остановить показ',
  callSharingScreen: 'Вы показываете свой экран',
  callScreenError: 'Не удалось показать экран.',
  callOwnScreen: 'Ваш экран, который видят другие',
};
