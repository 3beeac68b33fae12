// The chain book → channel → bank of a day as a picture: three boxes with their money and two
// arrows coloured by whether the link agrees (green), differs (red), waits (amber) or is not
// known yet (grey). Pure: a DayChain and the words in the UI's language → SVG text.

import { formatFenGrouped } from '../money';
import type { DayChain, Link } from '../backend/bank';

/** The words of the picture (from i18n, so the function stays pure). */
export interface ChainWords {
  book: string;
  channel: string;
  bank: string;
  sales: string;
  refunds: string;
  fees: string;
  expected: string;
  deposited: string;
  noFunds: string;
  noBank: string;
  link: Record<Link['state'], string>;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const yuan = (fen: number) => `¥${formatFenGrouped(fen)}`;

const W = 960;
const BOX = { w: 250, h: 150, y: 20 };
const X = [10, 355, 700];

function box(i: number, title: string, big: string, lines: string[], test: string, state: string): string {
  const x = X[i];
  const rows = lines.map((l, n) => `<text class="chain-line" x="${x + 16}" y="${BOX.y + 104 + n * 20}">${esc(l)}</text>`).join('');
  return `<g data-box="${test}" data-state="${state}">`
    + `<rect class="chain-box ${state}" x="${x}" y="${BOX.y}" width="${BOX.w}" height="${BOX.h}" rx="14"/>`
    + `<text class="chain-title" x="${x + 16}" y="${BOX.y + 28}">${esc(title)}</text>`
    + `<text class="chain-big" x="${x + 16}" y="${BOX.y + 70}">${esc(big)}</text>${rows}</g>`;
}

function arrow(i: number, l: Link, label: string, test: string): string {
  const x1 = X[i] + BOX.w + 8;
  const x2 = X[i + 1] - 10;
  const y = BOX.y + BOX.h / 2;
  const mid = (x1 + x2) / 2;
  return `<g class="chain-link link-${l.state}" data-link="${test}" data-state="${l.state}">`
    + `<line x1="${x1}" y1="${y}" x2="${x2 - 12}" y2="${y}" stroke-width="4" stroke-linecap="round"/>`
    + `<path d="M ${x2 - 16} ${y - 9} L ${x2} ${y} L ${x2 - 16} ${y + 9} Z"/>`
    + `<text class="chain-link-label" x="${mid}" y="${y - 14}" text-anchor="middle">${esc(label)}</text></g>`;
}

function linkLabel(l: Link, w: ChainWords): string {
  if (l.state === 'differ' && l.difference !== 0) return `${w.link.differ} ${l.difference > 0 ? '+' : '−'}${yuan(Math.abs(l.difference))}`;
  return w.link[l.state];
}

/** The picture of a day's chain. */
export function chainSvg(c: DayChain, w: ChainWords): string {
  const read = c.accounts.some((a) => a.funds);
  const bankState = c.bank_covered_to === null ? 'unknown' : c.channel_bank.state;
  const parts = [
    box(0, w.book, yuan(c.book.sales - c.book.refunds), [`${w.sales} ${yuan(c.book.sales)}`, `${w.refunds} ${yuan(c.book.refunds)}`], 'book', 'agree'),
    box(1, w.channel, read ? yuan(c.channel.net) : '—', read ? [`${w.sales} ${yuan(c.channel.sales)} · ${w.refunds} ${yuan(c.channel.refunds)}`, `${w.fees} ${yuan(c.channel.fees)}`] : [w.noFunds], 'channel', read ? c.book_channel.state : 'unknown'),
    box(2, w.bank, c.bank_covered_to === null ? '—' : yuan(c.deposited), c.bank_covered_to === null ? [w.noBank] : [`${w.expected} ${yuan(c.expected)}`, `${w.deposited} ${yuan(c.deposited)}`], 'bank', bankState),
    arrow(0, c.book_channel, linkLabel(c.book_channel, w), 'book-channel'),
    arrow(1, { ...c.channel_bank, state: bankState as Link['state'] }, linkLabel({ ...c.channel_bank, state: bankState as Link['state'] }, w), 'channel-bank'),
  ];
  return `<svg class="chain-svg" viewBox="0 0 ${W} ${BOX.h + 40}" role="img" aria-label="${esc(`${w.book} → ${w.channel} → ${w.bank}`)}" xmlns="http://www.w3.org/2000/svg">${parts.join('')}</svg>`;
}
