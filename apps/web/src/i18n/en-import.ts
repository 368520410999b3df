/** English texts of importing chat history from Telegram and WhatsApp (R104). Part of `en`; the import screen's own texts are en-import-screen.ts, in its chunk. */
export const enImport = {
  importHistory: 'Import history',
  importHelp: 'Bring a chat\'s history from Telegram or WhatsApp into this chat. The export is read and encrypted on this device; the messages arrive marked "imported", with their original authors and dates, sent by you.',
  importNewHelp: 'Start a new group from a Telegram or WhatsApp chat export. The export is read and encrypted on this device; the messages arrive marked "imported", with their original authors and dates, sent by you. Add members afterwards.',
  importedMark: 'imported',
  importedFrom: '{name}, {date}',
  importedSystem: 'From the original chat, {date}',
  importedAs: 'linked to {name}',
  importedEdited: 'edited {date}',
  importedOmitted: 'one:{count} file not in the export|other:{count} files not in the export',
  errImportMalformed: 'This is not a Telegram or WhatsApp chat export that Parley can read.',
  errImportTooLarge: 'This export is over the import\'s limits (messages, files or line length).',
  errImportUnsafePath: 'This export names a file outside its folder, so it was not imported.',
};
