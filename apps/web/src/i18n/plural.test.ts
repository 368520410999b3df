import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allDictionaries, loadLocale, translator } from './index.ts';

describe('i18n plurals', () => {
  it('English and Russian pick the right plural form of a count', async () => {
    await loadLocale('ru');
    const en = translator('en');
    assert.equal(en('membersCount', { count: 1 }), '1 member');
    assert.equal(en('membersCount', { count: 2 }), '2 members');
    const ru = translator('ru');
    assert.deepEqual([1, 2, 5, 11, 21, 22, 25].map((count) => ru('membersCount', { count })),
      ['1 участник', '2 участника', '5 участников', '11 участников', '21 участник', '22 участника', '25 участников']);
  });

  it('every plural text in every language has an "other" form', async () => {
    for (const [locale, dict] of Object.entries(await allDictionaries())) {
      for (const [key, text] of Object.entries(dict)) {
        if (/^(zero|one|two|few|many|other):/.test(text)) assert.match(text, /(^|\|)other:/, `${locale}.${key}`);
      }
    }
  });
});
