import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PALETTE, textColorVars } from './avatar.tsx';

const luminance = (hex: string) => {
  const [r = 0, g = 0, b = 0] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
    .map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
};
const contrast = (a: string, b: string) => {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
};

describe('sender name colours', () => {
  it('every palette colour reads at 4.5:1 as a name on the bubble, in the light and the dark theme', () => {
    for (const color of PALETTE) {
      const vars = textColorVars(color) as Record<string, string>;
      const light = vars['--sender-light'] ?? '';
      const dark = vars['--sender-dark'] ?? '';
      assert.ok(contrast(light, '#ffffff') >= 4.5, `${color} → ${light} on white: ${contrast(light, '#ffffff').toFixed(2)}`);
      assert.ok(contrast(dark, '#20242c') >= 4.5, `${color} → ${dark} on #20242c: ${contrast(dark, '#20242c').toFixed(2)}`);
    }
  });
});
