export { parseTelegram, type TelegramOptions } from './telegram.ts';
export { parseWhatsApp, type WhatsAppOptions } from './whatsapp.ts';
export {
  DEFAULT_IMPORT_LIMITS, ImportError, kindOfFile, safeMediaPath,
  type ImportErrorCode, type ImportLimits, type ImportedAttachment, type ImportedAttachmentKind, type ImportedChat, type ImportedMessage, type TextChunks,
} from './types.ts';
export { ExportZip, type ZipEntry, type ZipLimits } from './zip.ts';
export {
  importHistory, previewImport, importedMessageId, DEFAULT_IMPORT_SEND_LIMITS,
  type ImportHistoryOptions, type ImportMedia, type ImportPreview, type ImportProgress, type ImportSendLimits, type ImportSource,
} from './import-history.ts';
export { exportSource, mimeOfName, type ExportFile, type ExportSourceOptions } from './export-source.ts';
