import { useI18n } from '../i18n/index.ts';
import type { MessageKey } from '../i18n/en.ts';
import { PALETTE } from './avatar.tsx';

/** Each swatch's name, so a screen reader says "Teal", not "#4db6ac". */
const COLOR_NAMES: Record<(typeof PALETTE)[number], MessageKey> = {
  '#e57373': 'colorRed', '#f06292': 'colorPink', '#ba68c8': 'colorPurple', '#7986cb': 'colorIndigo', '#4fc3f7': 'colorSky',
  '#4db6ac': 'colorTeal', '#81c784': 'colorGreen', '#ffb74d': 'colorOrange', '#a1887f': 'colorBrown', '#90a4ae': 'colorSlate',
};

export function ColorPicker({ value, onChange }: { value: string; onChange: (color: string) => void }) {
  const { t } = useI18n();
  return (
    <fieldset className="colors">
      <legend>{t('color')}</legend>
      {PALETTE.map((c) => (
        <label key={c} className="swatch" style={{ background: c }} title={t(COLOR_NAMES[c])}>
          <input type="radio" name="color" value={c} checked={value.toLowerCase() === c} onChange={() => onChange(c)} aria-label={t(COLOR_NAMES[c])} />
        </label>
      ))}
    </fieldset>
  );
}
