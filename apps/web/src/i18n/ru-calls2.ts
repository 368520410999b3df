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
  callAcceptLeavingGroup: 'Выйти из группового звонка и ответить',
  // R118
  ringWhenClosed: 'Звонить, даже когда приложение закрыто',
  ringWhenClosedHelp: 'Входящие звонки звонят на этом устройстве через push-сервис браузера, даже когда вкладка Parley не открыта. В уведомлении нет ничьих имён: push-сервис браузера узнаёт только, что что-то пришло, и когда.',
};
