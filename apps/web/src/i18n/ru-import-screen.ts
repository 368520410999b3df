import type { enImportScreen } from './en-import-screen.ts';

/** Russian texts of the import screen (R104), in its chunk (import/text.ts). */
export const ruImportScreen: Record<keyof typeof enImportScreen, string> = {
  importPickWhatsApp: 'Экспорт WhatsApp (.txt или .zip с медиафайлами)',
  importPickTelegram: 'Папка экспорта Telegram (result.json и медиафайлы)',
  importReading: 'Читаем экспорт…',
  importPreview: 'Что будет импортировано',
  importChatName: 'Чат',
  importFrom: 'Откуда',
  importMessages: 'Сообщений',
  importDates: 'Даты',
  importFiles: 'Файлов',
  importFilesMissing: 'one:{count} файла нет в экспорте, он будет отмечен как отсутствующий|few:{count} файла нет в экспорте, они будут отмечены как отсутствующие|many:{count} файлов нет в экспорте, они будут отмечены как отсутствующие|other:{count} файла нет в экспорте, они будут отмечены как отсутствующие',
  importAuthors: 'Авторы',
  importAuthorsHelp: 'Свяжите автора с участником этого чата: у его сообщений будет метка с именем участника. Отправителем всё равно будете вы.',
  importNotLinked: 'Не связан',
  importStart: 'one:Импортировать {count} сообщение|few:Импортировать {count} сообщения|many:Импортировать {count} сообщений|other:Импортировать {count} сообщения',
  importProgress: 'Импортировано {done} из {total}',
  importCancel: 'Остановить',
  importStopped: 'Остановлено. Повторный импорт того же экспорта продолжит с места остановки, без повторов.',
  importDone: 'Готово: импортировано сообщений: {sent} (уже были здесь: {skipped}).',
  importOpenChat: 'Открыть чат',
  importZone: 'Часовой пояс телефона, с которого сделан экспорт WhatsApp (время в нём записано без пояса)',
  importZoneHere: 'Часовой пояс этого устройства',
};
