// Money in the UI: integer fen, parsed and formatted digit by digit (never floating point),
// matching paydesk_core::Money's strict rules.

import type { Method } from './backend/types';

/** Strict yuan → fen: "12.34" → 1234; null for anything else (signs, 3 decimals, spaces, "01"). */
export function parseYuan(s: string): number | null {
  const m = /^(0|[1-9]\d{0,10})(?:\.(\d{1,2}))?$/.exec(s);
  if (!m) return null;
  const frac = m[2] ? (m[2].length === 1 ? Number(m[2]) * 10 : Number(m[2])) : 0;
  return Number(m[1]) * 100 + frac;
}

/** fen → "12.34". */
export function formatFen(fen: number): string {
  const neg = fen < 0;
  const v = Math.abs(Math.trunc(fen));
  const s = `${Math.floor(v / 100)}.${String(v % 100).padStart(2, '0')}`;
  return neg ? `-${s}` : s;
}

/** Groups the yuan part for big displays: 12345.60 → "12,345.60". */
export function formatFenGrouped(fen: number): string {
  const [i, f] = formatFen(fen).split('.');
  return `${i.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${f}`;
}

/**
 * Applies one keypad key to the amount being typed. Keys: digits, ".", "00", "C" (clear),
 * "⌫" (backspace). Input that would not be a valid amount is ignored, so the display never
 * shows an invalid amount.
 */
export function applyKey(current: string, key: string): string {
  if (key === 'C') return '';
  if (key === '⌫') return current.slice(0, -1);
  let next = current + key;
  if (current === '' && key === '.') next = '0.';
  if (current === '0' && /^\d$/.test(key)) next = key;
  if (current === '' && key === '00') return '';
  return isPartialAmount(next) ? next : current;
}

/** An amount while it is being typed ("12.", "0.5" included), at most 11 integer digits. */
export function isPartialAmount(s: string): boolean {
  return /^(0|[1-9]\d{0,10})?(\.\d{0,2})?$/.test(s) && s !== '.';
}

/** The payer's method from a payment code's prefix (mirror of core's Method::from_auth_code). */
export function methodOfCode(code: string): Method | null {
  if (!/^\d+$/.test(code)) return null;
  const p2 = Number(code.slice(0, 2));
  const n = code.length;
  if (n === 18 && p2 >= 10 && p2 <= 15) return 'wechat';
  if (n >= 16 && n <= 24 && p2 >= 25 && p2 <= 30) return 'alipay';
  if (n === 19 && p2 === 62) return 'unionpay';
  if (n === 18 && p2 === 99) return 'sandbox';
  return null;
}
