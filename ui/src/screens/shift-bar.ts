// The shift bar above the cashier's keypad: open a shift with the counted float (开班), the X
// report (blind: no expected cash before the count), hand over with a blind count (交班), open
// the drawer. Its panels (report, count form) take the right-hand side while they are up.

import { h, mount } from '../dom';
import { fmtShort, t } from '../i18n';
import { formatFen } from '../money';
import { errorText } from '../error-text';
import type { ShiftView } from '../backend/types';
import type { Ctx } from '../context';
import { shiftReportView } from './till-report';

export interface ShiftBar {
  el: HTMLElement;
  view(): ShiftView | null;
  refresh(): Promise<void>;
}

/** `show(panel)`: puts a panel on the right (null: back to the sale). */
export function shiftBar(ctx: Ctx, show: (panel: HTMLElement | null) => void, changed: () => void): ShiftBar {
  let view: ShiftView | null = null;
  const el = h('div', { class: 'shift-bar', 'data-test': 'shift-bar' });
  const fail = (e: unknown) => ctx.toast(errorText(e), 'error');

  async function refresh() {
    try { view = await ctx.backend.shiftStatus(); } catch (e) { fail(e); }
    render();
    changed();
  }

  function printButton(what: () => Promise<unknown>) {
    return h('button', { 'data-test': 'print-report', onclick: () => void what().then(() => ctx.toast(t('print.sent'))).catch(fail) }, t('print.print'));
  }

  async function xReport() {
    try {
      const r = await ctx.backend.shiftReport(null);
      show(h('div', { class: 'panel-report' }, shiftReportView(r), h('div', { class: 'actions' }, printButton(() => ctx.backend.printReport(null, null, false)),
        h('button', { 'data-test': 'back', onclick: () => show(null) }, t('till.back')))));
    } catch (e) { fail(e); }
  }

  function countForm() {
    const counted = h('input', { 'data-test': 'counted', inputmode: 'decimal', placeholder: '0.00', autocomplete: 'off' });
    const to = h('select', { 'data-test': 'handed-to' }, h('option', { value: '' }, t('till.nobody')),
      (view?.cashiers ?? []).filter((c) => c !== view?.shift?.opened_by).map((c) => h('option', { value: c }, c)));
    const msg = h('p', { class: 'error', 'data-test': 'close-error' });
    const go = async () => {
      try {
        const r = await ctx.backend.closeShift(counted.value.trim(), to.value || null);
        await refresh();
        show(h('div', { class: 'panel-report' }, shiftReportView(r), h('div', { class: 'actions' },
          printButton(() => ctx.backend.printReport(r.shift.shift_no, null, false)),
          h('button', { class: 'primary', 'data-test': 'done', onclick: () => show(null) }, t('till.done')))));
      } catch (e) { msg.textContent = errorText(e); }
    };
    counted.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); void go(); } });
    show(h('div', { class: 'count-form', 'data-test': 'count-form' },
      h('h2', null, t('till.closeTitle')), h('p', { class: 'muted' }, t('till.blindHint')),
      h('label', null, t('till.counted'), counted), h('label', null, t('till.handTo'), to),
      h('div', { class: 'actions' }, h('button', { class: 'primary', 'data-test': 'close-shift-submit', onclick: () => void go() }, t('till.closeShift')),
        h('button', { onclick: () => show(null) }, t('till.back'))), msg));
    setTimeout(() => counted.focus(), 0);
  }

  function render() {
    const s = view?.shift;
    if (s && s.kind === 'cashier') {
      mount(el, h('span', { class: 'shift-info', 'data-test': 'shift-no', 'data-shift': s.shift_no }, t('till.onShift', { no: s.shift_no, who: s.opened_by ?? '', at: fmtShort(s.opened_at) })),
        h('button', { 'data-test': 'x-report', onclick: () => void xReport() }, t('till.xReport')),
        h('button', { 'data-test': 'open-drawer', onclick: () => void ctx.backend.openDrawer().then(() => ctx.toast(t('till.drawerOpened'))).catch(fail) }, t('till.drawer')),
        h('button', { class: 'danger', 'data-test': 'close-shift', onclick: () => countForm() }, t('till.closeShift')));
      return;
    }
    const float = h('input', { 'data-test': 'float', inputmode: 'decimal', value: view?.last_counted != null ? formatFen(view.last_counted) : '', placeholder: t('till.floatPh'), autocomplete: 'off' });
    const open = async () => {
      try {
        const o = await ctx.backend.openShift(float.value.trim() || '0');
        if (o.closed_system) ctx.toast(t('till.systemClosed', { no: o.closed_system.shift.shift_no }));
        await refresh();
        show(null);
      } catch (e) { fail(e); }
    };
    float.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); void open(); } });
    mount(el, h('span', { class: 'shift-info warn', 'data-test': 'no-shift' }, s ? t('till.systemShift', { no: s.shift_no }) : t('till.noShift')),
      h('label', null, t('till.float'), float), h('button', { class: 'primary', 'data-test': 'open-shift', onclick: () => void open() }, t('till.openShift')));
  }

  render();
  return { el, view: () => view, refresh };
}
