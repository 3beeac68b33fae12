// The always-focused scan field: tells a barcode scanner's burst from a person typing an amount.
//
// Keyboard-wedge scanners "type" a payment code within a few milliseconds per character and end
// with Enter. A person types an amount slowly. The field records when each character arrived;
// on Enter, the trailing fast burst (if it is a payment code) is the code and what was typed
// before it is the amount.

import { isPartialAmount, methodOfCode } from './money';

/** Characters closer together than this (ms) belong to one scanner burst. */
export const BURST_GAP_MS = 35;

export type ScanResult =
  | { kind: 'code'; code: string; amount: string | null }
  | { kind: 'amount'; amount: string }
  | { kind: 'empty' }
  | { kind: 'garbage'; text: string };

/** Decides what an Enter in the scan field means. `times[i]` is when `text[i]` arrived. */
export function interpret(text: string, times: number[]): ScanResult {
  const t = text.trim();
  if (t === '') return { kind: 'empty' };
  if (methodOfCode(t)) return { kind: 'code', code: t, amount: null };
  // Find where the last fast burst starts.
  let start = text.length - 1;
  while (start > 0 && times[start] - times[start - 1] <= BURST_GAP_MS) start--;
  const code = text.slice(start);
  const before = text.slice(0, start);
  if (start > 0 && methodOfCode(code) && (before === '' || isPartialAmount(before))) return { kind: 'code', code, amount: before || null };
  // Typed so fast we cannot tell: accept a unique split "amount with two decimals" + code.
  const m = /^(\d+\.\d{2})(\d{16,24})$/.exec(t);
  if (m && methodOfCode(m[2])) return { kind: 'code', code: m[2], amount: m[1] };
  if (isPartialAmount(t) && t.length <= 14) return { kind: 'amount', amount: t.endsWith('.') ? t.slice(0, -1) : t };
  return { kind: 'garbage', text: t };
}
