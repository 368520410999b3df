import type { enChannelsCore } from './en-channels-core.ts';

/** Russian texts of public channels that are part of `ru` (see en-channels-core.ts). */
export const ruChannelsCore: Record<keyof typeof enChannelsCore, string> = {
  chNew: 'Новый канал',
  chFind: 'Найти каналы',
  chRowHint: 'Публичный канал · @{handle}',
  chWrappedUnnamed: 'Приватный канал',
  chWrappedRowHint: 'Сквозное шифрование · ключ для каждого устройства',
  chCreateNote: 'Публичный канал может читать кто угодно, с аккаунтом или без. Посты не шифруются; каждый подписан на устройстве администратора.',
  chNotFound: 'Такого канала нет.',
  chAdminOnly: 'Это могут только администраторы канала.',
  chLimit: 'Достигнут предел канала.',
  chPinLimit: 'В канале уже максимум закреплённых постов: сначала открепите один.',
  chPostTooLarge: 'Пост слишком длинный.',
};
