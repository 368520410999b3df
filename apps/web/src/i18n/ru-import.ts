import type { enImport } from './en-import.ts';

/** Русские тексты импорта истории из Telegram и WhatsApp (R104). Часть `ru`. */
export const ruImport: Record<keyof typeof enImport, string> = {
  importHistory: 'Импорт истории',
  importHelp: 'Перенесите историю чата из Telegram или WhatsApp в этот чат. Экспорт читается и шифруется на этом устройстве; сообщения приходят с пометкой «импорт», с исходными авторами и датами, отправленные вами.',
  importNewHelp: 'Создайте новую группу из экспорта чата Telegram или WhatsApp. Экспорт читается и шифруется на этом устройстве; сообщения приходят с пометкой «импорт», с исходными авторами и датами, отправленные вами. Участников добавьте потом.',
  importedMark: 'импорт',
  importedFrom: '{name}, {date}',
  importedSystem: 'Из исходного чата, {date}',
  importedAs: 'связан с {name}',
  importedEdited: 'изменено {date}',
  importedOmitted: 'one:{count} файла нет в экспорте|few:{count} файла нет в экспорте|many:{count} файлов нет в экспорте|other:{count} файла нет в экспорте',
  errImportMalformed: 'Это не экспорт чата Telegram или WhatsApp, который Parley умеет читать.',
  errImportTooLarge: 'Экспорт превышает ограничения импорта (сообщения, файлы или длина строки).',
  errImportUnsafePath: 'Экспорт ссылается на файл вне своей папки, поэтому он не импортирован.',
};
