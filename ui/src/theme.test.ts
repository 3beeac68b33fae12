import { describe, expect, it } from 'vitest';
import { resolveTheme, themePref } from './theme';

describe('theme', () => {
  it('a chosen theme wins over the system; "system" follows it', () => {
    expect(resolveTheme('dark', false)).toBe('dark');
    expect(resolveTheme('light', true)).toBe('light');
    expect(resolveTheme('system', true)).toBe('dark');
    expect(resolveTheme('system', false)).toBe('light');
  });
  it('without storage the preference is the system', () => {
    expect(themePref()).toBe('system');
  });
});
