// The till's reports on screen: a shift's X / handover report and a Z report, as the printer and
// the exports show them (figures by tender, the drawer, unresolved orders, later adjustments).

import { h } from '../dom';
import { fmtTime, t, tk } from '../i18n';
import { formatFen } from '../money';
import type { Figures, ShiftReport, ZReport } from '../backend/types';

const signed = (fen: number) => `${fen > 0 ? '+' : ''}${formatFen(fen)}`;

function row(label: string, value: string, test?: string, cls = '') {
  return h('tr', { class: cls }, h('th', null, label), h('td', { class: 'num', 'data-test': test ?? null }, value));
}

export function figuresView(f: Figures): HTMLElement {
  const c = f.cash;
  return h('div', { class: 'figures' },
    h('table', { class: 'tenders', 'data-test': 'tender-lines' },
      h('thead', null, h('tr', null, h('th', null, t('till.method')), h('th', { class: 'num' }, t('till.count')), h('th', { class: 'num' }, t('till.amount')), h('th', { class: 'num' }, t('till.refunds')))),
      h('tbody', null, f.lines.map((l) => h('tr', { 'data-method': l.method }, h('td', null, tk('method', l.method)), h('td', { class: 'num' }, String(l.count)), h('td', { class: 'num' }, formatFen(l.amount)), h('td', { class: 'num' }, l.refunded ? `-${formatFen(l.refunded)}` : '')))),
    ),
    h('table', { class: 'totals' }, h('tbody', null,
      row(t('till.sales'), String(f.sales), 'sales'),
      row(t('till.gross'), formatFen(f.gross), 'gross'),
      row(t('till.refunded', { n: f.refund_count }), f.refunded ? `-${formatFen(f.refunded)}` : '0.00'),
      row(t('till.net'), formatFen(f.net), 'net', 'strong'),
      f.void_count ? row(t('till.voids', { n: f.void_count }), formatFen(f.voided)) : null,
      c.opening_float !== null ? row(t('till.float'), formatFen(c.opening_float)) : null,
      row(t('till.cashSales'), formatFen(c.sales)),
      row(t('till.cashRefunds'), c.refunds ? `-${formatFen(c.refunds)}` : '0.00'),
      c.expected !== null ? row(t('till.expected'), formatFen(c.expected), 'expected') : c.opening_float !== null ? row(t('till.expected'), t('till.afterCount'), 'expected') : null,
      c.counted !== null ? row(t('till.counted'), formatFen(c.counted), 'counted') : null,
      c.over_short !== null ? row(t('till.overShort'), signed(c.over_short), 'over-short', c.over_short < 0 ? 'short strong' : c.over_short > 0 ? 'over strong' : 'strong') : null)),
    f.open_orders.length + f.open_refunds.length > 0 ? h('div', { class: 'unresolved', 'data-test': 'unresolved' }, h('h4', null, t('till.unresolved')),
      h('ul', null, [...f.open_orders, ...f.open_refunds].map((o) => h('li', { class: 'mono' }, `${o.no} · ${tk('method', o.method)} · ${formatFen(o.amount)} · ${tk('status', o.status)}`)))) : null);
}

export function shiftReportView(r: ShiftReport): HTMLElement {
  const s = r.shift;
  return h('div', { class: 'till-report', 'data-test': 'shift-report', 'data-locked': String(r.locked) },
    h('h3', null, r.locked ? t('till.handoverTitle') : t('till.xTitle'), ' ', h('span', { class: 'mono' }, s.shift_no)),
    h('p', { class: 'muted' }, t('till.who', { cashier: s.opened_by ?? t('till.system'), opened: fmtTime(s.opened_at), closed: s.closed_at ? fmtTime(s.closed_at) : '—' }),
      s.handed_to ? ` · ${t('till.handedTo', { name: s.handed_to })}` : ''),
    figuresView(r.figures),
    r.adjustments.length > 0 ? h('div', { class: 'adjustments', 'data-test': 'adjustments' }, h('h4', null, t('till.adjustments')), h('p', { class: 'muted' }, t('till.adjustmentsHint')),
      h('ul', null, r.adjustments.map((a) => h('li', null, `${fmtTime(a.at)} · `, h('span', { class: 'mono' }, a.refund_no ?? a.order_no), ` · ${tk('method', a.method)} ${formatFen(a.amount)} → ${tk('status', a.to_status)}`)))) : null);
}

export function zReportView(z: ZReport): HTMLElement {
  return h('div', { class: 'till-report', 'data-test': 'z-report' },
    h('h3', null, `Z${String(z.z_no).padStart(4, '0')} · `, z.scope === 'store' ? t('till.storeZ', { store: z.store }) : t('till.tillZ', { till: `${z.store}/${z.till}` })),
    h('p', { class: 'muted' }, t('till.zWhen', { day: z.business_date, at: fmtTime(z.taken_at), by: z.taken_by ?? '' })),
    h('table', { class: 'shifts-in-z' }, h('tbody', null, z.shifts.map((s) => h('tr', null, h('td', { class: 'mono' }, s.shift_no), h('td', null, s.opened_by ?? t('till.system')),
      h('td', { class: 'num' }, s.over_short === null ? '—' : signed(s.over_short)))))),
    figuresView(z.figures),
    h('p', { class: 'strong', 'data-test': 'z-over-short' }, `${t('till.overShort')}: ${signed(z.over_short)}`));
}
