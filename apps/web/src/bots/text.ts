import { useI18n } from '../i18n/index.ts';
import { enBots } from '../i18n/en-bots.ts';
import { ruBots } from '../i18n/ru-bots.ts';

export type BotTextKey = keyof typeof enBots;

/** R129: the notice names where the bot runs, as the server says (`botRunsOn`); an owner's machine unless the server says it hosts it. */
export function botNoticeKey(bot: { botRunsOn?: 'owner' | 'server' | undefined }): 'botNoticeServer' | 'botNoticeOwner' {
  return bot.botRunsOn === 'server' ? 'botNoticeServer' : 'botNoticeOwner';
}

/** The bots chunk's own texts (en-bots.ts, ru-bots.ts), in the page's language. */
export function useBotText(): (key: BotTextKey, vars?: Record<string, string>) => string {
  const { locale } = useI18n();
  const dict = locale === 'ru' ? ruBots : enBots;
  return (key, vars) => {
    let text: string = dict[key];
    for (const [k, v] of Object.entries(vars ?? {})) text = text.replaceAll(`{${k}}`, v);
    return text;
  };
}
