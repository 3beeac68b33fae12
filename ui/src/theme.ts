// Light or dark: the till's choice (this machine's, kept in localStorage), or the system's.
// The stylesheet reads <html data-theme>; the analytics charts are drawn in the same theme.

export type ThemePref = 'system' | 'light' | 'dark';
export type Theme = 'light' | 'dark';
export const THEME_PREFS: ThemePref[] = ['system', 'light', 'dark'];
export const THEME_ICONS: Record<ThemePref, string> = { system: '◐', light: '☀', dark: '☾' };
const KEY = 'paydesk.theme';
const listeners = new Set<(t: Theme) => void>();

function storage(): Storage | null {
  try { return typeof localStorage === 'undefined' ? null : localStorage; } catch { return null; }
}

export function themePref(): ThemePref {
  const v = storage()?.getItem(KEY);
  return v === 'light' || v === 'dark' ? v : 'system';
}

function systemDark(): boolean {
  return typeof matchMedia === 'function' && matchMedia('(prefers-color-scheme: dark)').matches;
}

/** The theme in effect for a preference. */
export function resolveTheme(pref: ThemePref, dark = systemDark()): Theme {
  return pref === 'system' ? (dark ? 'dark' : 'light') : pref;
}

/** The theme the page shows now. */
export function currentTheme(): Theme {
  return document.documentElement.dataset.theme === 'dark' ? 'dark' : 'light';
}

function apply() {
  const next = resolveTheme(themePref());
  if (document.documentElement.dataset.theme === next) return;
  document.documentElement.dataset.theme = next;
  listeners.forEach((f) => f(next));
}

export function setThemePref(p: ThemePref) {
  const s = storage();
  if (p === 'system') s?.removeItem(KEY); else s?.setItem(KEY, p);
  apply();
}

/** Called when the theme in effect changes; returns the unsubscribe. */
export function onThemeChange(f: (t: Theme) => void): () => void {
  listeners.add(f);
  return () => { listeners.delete(f); };
}

/** Applies the stored preference and follows the system's while the preference is "system". */
export function initTheme() {
  apply();
  if (typeof matchMedia === 'function') matchMedia('(prefers-color-scheme: dark)').addEventListener?.('change', apply);
}
