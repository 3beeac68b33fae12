// Orders screen, owner only: import historical orders from another system (CSV or JSON, see
// docs/orders-import.md). The file is checked first — every error listed with its line and
// field, nothing written — and only a file without errors can be imported, in one go.

import { h, mount } from '../dom';
import { fmtTime, t } from '../i18n';
import { formatFenGrouped } from '../money';
import { errorText } from '../error-text';
import type { OrdersImported, ReconFile } from '../backend/types';
import type { Ctx } from '../context';

export function importPanel(ctx: Ctx, imported: () => void): HTMLElement {
  let file: ReconFile | null = null;
  const input = h('input', { type: 'file', accept: '.csv,.json,.jsonl,.ndjson', 'data-test': 'import-file', onchange: () => void pick() });
  const check = h('button', { 'data-test': 'import-check', disabled: true, onclick: () => void go(true) }, t('ordersImport.check'));
  const write = h('button', { class: 'primary', 'data-test': 'import-go', disabled: true, onclick: () => void go(false) }, t('ordersImport.go'));
  const result = h('div', { class: 'import-result', 'data-test': 'import-result' });

  async function pick() {
    const f = input.files?.[0];
    file = f ? { name: f.name, bytes: Array.from(new Uint8Array(await f.arrayBuffer())) } : null;
    check.disabled = !file;
    write.disabled = true;
    mount(result, null);
    if (file) await go(true);
  }

  async function go(dryRun: boolean) {
    if (!file) return;
    check.disabled = write.disabled = true;
    mount(result, h('p', { class: 'muted' }, t('ordersImport.working')));
    try {
      const r = await ctx.backend.importOrders(file, dryRun);
      show(r);
      write.disabled = !dryRun || !r.report || r.report.orders === 0;
      if (r.report && !dryRun) {
        ctx.toast(t('ordersImport.done', { n: r.report.orders }));
        file = null;
        input.value = '';
        imported();
      }
    } catch (e) {
      mount(result, h('p', { class: 'error' }, errorText(e)));
    }
    check.disabled = !file;
  }

  function show(r: OrdersImported) {
    if (!r.report) {
      const more = r.total_errors - r.errors.length;
      mount(result,
        h('p', { class: 'error', 'data-test': 'import-errors' }, t('ordersImport.errors', { n: r.total_errors })),
        h('ul', { class: 'import-errors' }, r.errors.map((e) => h('li', { 'data-line': String(e.line) },
          h('span', { class: 'mono' }, t('ordersImport.line', { line: e.line })), ' ', e.field ? h('strong', null, e.field) : null, ' ', e.message))),
        more > 0 ? h('p', { class: 'muted' }, t('ordersImport.more', { n: more })) : null);
      return;
    }
    const p = r.report;
    const span = p.first_created && p.last_created ? t('ordersImport.span', { from: fmtTime(p.first_created), to: fmtTime(p.last_created) }) : '';
    mount(result, h('p', { class: p.dry_run ? 'ok' : 'ok strong', 'data-test': 'import-summary' },
      t(p.dry_run ? 'ordersImport.checked' : 'ordersImport.written', { n: p.orders, paid: p.paid, amount: formatFenGrouped(p.paid_amount), refunds: p.refunds, refunded: formatFenGrouped(p.refunded_amount) }),
      span ? ` ${span}` : ''));
  }

  return h('details', { class: 'orders-import', 'data-test': 'orders-import' },
    h('summary', null, t('ordersImport.title')),
    h('p', { class: 'muted' }, t('ordersImport.hint')),
    h('div', { class: 'row' }, input, check, write),
    result);
}
