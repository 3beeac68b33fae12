import { describe, expect, it } from 'vitest';
import { shown } from './text';

describe('text shown on screen', () => {
  it('makes control and bidi characters visible instead of obeying them', () => {
    expect(shown('evil\u202Etxt.exe')).toBe('evil\\u{202E}txt.exe');
    expect(shown('a\u001b[2Jb\u0007')).toBe('a\\u{001B}[2Jb\\u{0007}');
    expect(shown('x\u2066y\u200Fz\u0085')).toBe('x\\u{2066}y\\u{200F}z\\u{0085}');
  });
  it('leaves plain text, CJK, Arabic, line breaks and tabs alone', () => {
    for (const s of ['拿铁 大杯', 'قهوة קפה', 'a\nb\tc', '']) expect(shown(s)).toBe(s);
  });
});
