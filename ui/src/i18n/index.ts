// Translations: zh-CN first, English second. Components call t('key', {param}) only; no
// user-visible string lives in a component.

import { zhCN } from './zh-CN';
import { en } from './en';

export type Key = keyof typeof zhCN;
export type Lang = 'zh-CN' | 'en';
export const LANGS: Lang[] = ['zh-CN', 'en'];
/** Each language by its own name (the same in every UI language). */
export const LANG_NAMES: Record<Lang, string> = { 'zh-CN': '中文', en: 'English' };
export const DICTS: Record<Lang, Record<Key, string>> = { 'zh-CN': zhCN, en };

let current: Lang = 'zh-CN';
const listeners: (() => void)[] = [];

export function lang(): Lang { return current; }
export function setLang(l: string) {
  current = l === 'en' ? 'en' : 'zh-CN';
  if (typeof document !== 'undefined') document.documentElement.lang = current;
  listeners.forEach((f) => f());
}
export function onLangChange(f: () => void) { listeners.push(f); }

/** The text of `key` with `{name}` placeholders filled. */
export function t(key: Key, params: Record<string, string | number> = {}): string {
  const s = DICTS[current][key] ?? key;
  return s.replace(/\{(\w+)\}/g, (_, p: string) => (p in params ? String(params[p]) : `{${p}}`));
}

/** Whether the language has `key` (codes sent by the backend may be newer than the UI). */
export function hasKey(key: string): boolean {
  return key in DICTS[current];
}

/** Keys that exist for enum-like values (status.success, method.alipay, …). */
export function tk(prefix: string, value: string): string {
  const key = `${prefix}.${value}`;
  return hasKey(key) ? t(key as Key) : value;
}

export function fmtTime(iso: string | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  return d.toLocaleString(current === 'en' ? 'en-GB' : 'zh-CN', { hour12: false });
}

/** Short time for lists: "11-25 17:44:38". */
export function fmtShort(iso: string | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
