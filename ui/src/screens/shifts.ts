// Shifts (owner, accountant): every shift of the till with its over/short, each one's locked
// handover report with the changes after it (later adjustments), the day close (Z, owner) and
// the Z reports of the till and the store; print and export (XLSX, CSV) any of them.

import { h, mount } from '../dom';
import { fmtShort, t } from '../i18n';
import { formatFen } from '../money';
import { errorText } from '../error-text';
import type { ExportFormat, Shift, ZReport } from '../backend/types';
import type { Ctx } from '../context';
import { shiftReportView, zReportView } from './till-report';

export function shiftsScreen(ctx: Ctx): { el: HTMLElement; dispose: () => void } {
  let shifts: Shift[] = [];
  let zs: ZReport[] = [];
  let picked: string | null = null;
  const list = h('div', { class: 'table-wrap' });
  const side = h('aside', { class: 'detail', 'data-test': 'shift-detail' });
  const fail = (e: unknown) => ctx.toast(errorText(e), 'error');
  const root = h('section', { class: 'shifts', 'data-screen': 'shifts' },
    h('div', { class: 'filters' },
      ctx.can('close_day') && h('button', { class: 'primary', 'data-test': 'close-day', onclick: () => void closeDay() }, t('till.closeDay')),
      h('span', { class: 'muted' }, t('till.closeDayHint'))),
    h('div', { class: 'split' }, list, side));

  const signed = (v: number | null) => (v === null ? '—' : `${v > 0 ? '+' : ''}${formatFen(v)}`);

  async function load() {
    try { [shifts, zs] = await Promise.all([ctx.backend.shiftHistory(200), ctx.backend.zReports(false)]); } catch (e) { fail(e); }
    render();
  }

  function exports(shiftNo: string | null, zNo: number | null, store: boolean) {
    const go = (f: ExportFormat) => void ctx.backend.exportTillReport(shiftNo, zNo, store, f).then((r) => ctx.toast(t('till.exported', { paths: r.paths.join(', ') }))).catch(fail);
    return h('div', { class: 'actions' },
      h('button', { 'data-test': 'print-report', onclick: () => void ctx.backend.printReport(shiftNo, zNo, store).then(() => ctx.toast(t('print.sent'))).catch(fail) }, t('print.print')),
      h('button', { 'data-test': 'export-xlsx', onclick: () => go('xlsx') }, 'XLSX'), h('button', { 'data-test': 'export-csv', onclick: () => go('csv_bom') }, 'CSV'));
  }

  async function openShift(no: string) {
    picked = no;
    try {
      const r = await ctx.backend.shiftReport(no);
      mount(side, shiftReportView(r), exports(no, null, false));
    } catch (e) { fail(e); }
    render();
  }

  function showZ(z: ZReport) {
    picked = `Z${z.z_no}`;
    mount(side, zReportView(z), exports(null, z.z_no, z.scope === 'store'));
    render();
  }

  async function closeDay() {
    try {
      const d = await ctx.backend.closeDay();
      ctx.toast(t('till.dayClosed', { z: String(d.till_z.z_no).padStart(4, '0') }));
      await load();
      mount(side, zReportView(d.till_z), exports(null, d.till_z.z_no, false), d.store_z ? zReportView(d.store_z) : h('p', { class: 'muted' }, t('till.storeWaits', { tills: d.waiting_for.join(', ') })));
    } catch (e) { fail(e); }
  }

  function render() {
    mount(list,
      h('table', { 'data-test': 'shift-list' },
        h('thead', null, h('tr', null, ['till.shift', 'till.cashier', 'till.opened', 'till.closedAt', 'till.float', 'till.expected', 'till.counted', 'till.overShort', 'Z'].map((k) => h('th', null, k === 'Z' ? 'Z' : t(k as never))))),
        h('tbody', null, shifts.map((s) => {
          const os = s.counted_cash !== null && s.expected_cash !== null ? s.counted_cash - s.expected_cash : null;
          return h('tr', { class: picked === s.shift_no ? 'selected' : '', 'data-shift': s.shift_no, onclick: () => void openShift(s.shift_no) },
            h('td', { class: 'mono' }, s.shift_no), h('td', null, s.opened_by ?? t('till.system')), h('td', null, fmtShort(s.opened_at)), h('td', null, s.closed_at ? fmtShort(s.closed_at) : t('till.stillOpen')),
            h('td', { class: 'num' }, formatFen(s.opening_float)), h('td', { class: 'num' }, s.expected_cash === null ? '' : formatFen(s.expected_cash)),
            h('td', { class: 'num' }, s.counted_cash === null ? '' : formatFen(s.counted_cash)),
            h('td', { class: `num ${os !== null && os < 0 ? 'short' : os ? 'over' : ''}`, 'data-test': 'over-short' }, signed(os)), h('td', null, s.z_no ? `Z${String(s.z_no).padStart(4, '0')}` : ''));
        }))),
      shifts.length === 0 ? h('p', { class: 'empty' }, t('till.noShifts')) : null,
      h('h3', null, t('till.zList')),
      h('ul', { class: 'z-list', 'data-test': 'z-list' }, zs.map((z) => h('li', null, h('button', { class: 'link', 'data-z': String(z.z_no), onclick: () => showZ(z) },
        `Z${String(z.z_no).padStart(4, '0')} · ${z.business_date} · ${t('till.net')} ${formatFen(z.figures.net)} · ${t('till.overShort')} ${signed(z.over_short)}`)))));
  }

  if (!picked) mount(side, h('p', { class: 'muted' }, t('till.pick')));
  void load();
  return { el: root, dispose: () => {} };
}
