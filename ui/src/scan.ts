// The always-focused scan field: tells a barcode scanner's burst from a person typing an amount.
//
// Keyboard-wedge scanners "type" a payment code in one quick burst and end with Enter. A person
// types an amount more slowly. The field records when each character arrived; on Enter, the text
// is split into "amount, then payment code" at the pause where the scanner took over.

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
  // Every way to read the text as "amount typed by hand, then a payment code".
  const splits: { at: number; gap: number }[] = [];
  for (let at = 1; at <= text.length - 16; at++) {
    if (methodOfCode(text.slice(at)) && isPartialAmount(text.slice(0, at))) splits.push({ at, gap: (times[at] ?? 0) - (times[at - 1] ?? 0) });
  }
  if (splits.length > 0) {
    // The hand-to-scanner hand-over is the longest pause; a scanner's own characters come in a
    // burst. Accept the split with the longest pause if it stands out, or the only split.
    splits.sort((a, b) => b.gap - a.gap);
    const best = splits[0];
    const inBurst = Math.max(0, ...times.slice(best.at + 1).map((v, i) => v - times[best.at + i]));
    const clear = splits.length === 1 || (best.gap > BURST_GAP_MS && best.gap > 2 * inBurst && best.gap > 1.5 * splits[1].gap);
    if (clear) return { kind: 'code', code: text.slice(best.at), amount: text.slice(0, best.at).replace(/\.$/, '') || null };
  }
  if (isPartialAmount(t) && t.length <= 14) return { kind: 'amount', amount: t.endsWith('.') ? t.slice(0, -1) : t };
  return { kind: 'garbage', text: t };
}
