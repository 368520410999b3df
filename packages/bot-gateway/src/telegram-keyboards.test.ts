import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BotApiError } from './bot-api-error.ts';
import { fromTelegramReplyKeyboard } from './telegram-keyboards.ts';

const refused = (raw: unknown, description: RegExp) => assert.throws(() => fromTelegramReplyKeyboard(raw), (err: unknown) => err instanceof BotApiError && err.code === 400 && description.test(err.message));

describe('Telegram reply keyboards to Parley\'s (R121)', () => {
  it('maps keyboard, resize_keyboard, one_time_keyboard, input_field_placeholder and remove_keyboard', () => {
    assert.deepEqual(fromTelegramReplyKeyboard({ keyboard: [['A', { text: 'B' }], [{ text: 'C' }], []], resize_keyboard: true, one_time_keyboard: true, input_field_placeholder: 'Pick', selective: true }),
      { rows: [[{ text: 'A' }, { text: 'B' }], [{ text: 'C' }]], resize: true, oneTime: true, placeholder: 'Pick' });
    assert.deepEqual(fromTelegramReplyKeyboard({ keyboard: [['only']] }), { rows: [[{ text: 'only' }]] });
    assert.deepEqual(fromTelegramReplyKeyboard({ remove_keyboard: true, selective: false }), { remove: true });
    assert.equal(fromTelegramReplyKeyboard({ inline_keyboard: [[{ text: 'x', callback_data: 'y' }]] }), undefined, 'inline keyboards are R93\'s');
    assert.equal(fromTelegramReplyKeyboard({ force_reply: true }), undefined);
    assert.equal(fromTelegramReplyKeyboard(undefined), undefined);
  });

  it('refuses what Parley cannot show with Telegram\'s 400', () => {
    refused({ keyboard: 'A' }, /Array of Arrays/);
    refused({ keyboard: [] }, /non-empty/);
    refused({ keyboard: [[{ text: '' }]] }, /non-empty String/);
    refused({ keyboard: [[{ text: 'Share', request_contact: true }]] }, /not supported/);
    refused({ keyboard: [[{ text: 'x'.repeat(65) }]] }, /reply keyboard/);
    refused({ keyboard: [Array.from({ length: 9 }, (_, i) => `b${i}`)] }, /reply keyboard/);
    refused({ keyboard: [['A']], input_field_placeholder: 'p'.repeat(65) }, /reply keyboard/);
  });
});
