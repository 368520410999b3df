import { useI18n } from '../i18n/index.ts';
import { PALETTE } from './avatar.tsx';

export function ColorPicker({ value, onChange }: { value: string; onChange: (color: string) => void }) {
  const { t } = useI18n();
  return (
    <fieldset className="colors">
      <legend>{t('color')}</legend>
      {PALETTE.map((c) => (
        <label key={c} className="swatch" style={{ background: c }}>
          <input type="radio" name="color" value={c} checked={value.toLowerCase() === c} onChange={() => onChange(c)} aria-label={c} />
        </label>
      ))}
    </fieldset>
  );
}
