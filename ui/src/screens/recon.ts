// Reconciliation: pick day(s) and account(s), run or re-run with live progress (or import a
// statement downloaded by hand), summary cards per account and day (a failed run shown beside the
// last good one, which it did not replace), the discrepancy table with filters and both sides'
// values, re-query / resolve-with-note, accepting payments taken outside Paydesk (收款码 sticker,
// the channel's app) as external sales in bulk, exports (CSV with BOM or GBK, XLSX, TXT).
// Accountant and owner.

import '../recon.css';
import { h, mount } from '../dom';
import { t, tk } from '../i18n';
import { formatFen, formatFenGrouped } from '../money';
import { errorText } from '../error-text';
import { DISCREPANCY_KINDS, ITEM_STATES, type ExportFormat, type ReconFile, type ReconItem, type ReconItemFilter, type ReconRun, type ReconScope, type ReconSide } from '../backend/types';
import type { Ctx } from '../context';
import { withBankTab } from './recon-bank';

const EXPORTS: ExportFormat[] = ['xlsx', 'csv_bom', 'csv_gbk', 'txt'];

export function reconScreen(ctx: Ctx): { el: HTMLElement; dispose: () => void } {
  let runs: ReconRun[] = [];
  let items: ReconItem[] = [];
  let accounts: { name: string; display_name: string; channel: string }[] = [];
  const picked = new Set<string>();
  const filter: ReconItemFilter = {};
  let busy = false;
  let resolving: number | null = null;
  /** External discrepancies picked for accepting. */
  const selected = new Set<number>();
  const disposers: (() => void)[] = [];

  const from = h('input', { type: 'date', 'data-test': 'recon-from', onchange: () => void load() });
  const to = h('input', { type: 'date', 'data-test': 'recon-to', onchange: () => void load() });
  const accountsBox = h('div', { class: 'accounts', 'data-test': 'recon-accounts' });
  // The native file input words its button and "no file" in the system's language, not the
  // screen's: it stays hidden behind a button and a file name of our own.
  const fileName = h('span', { class: 'file-name muted', 'data-test': 'recon-file-name' }, t('recon.noFile'));
  const fileInput = h('input', { type: 'file', class: 'hidden-file', 'data-test': 'recon-file', accept: '.csv,.zip,.gz,.txt',
    onchange: () => { fileName.textContent = fileInput.files?.[0]?.name ?? t('recon.noFile'); } });
  const pickBtn = h('button', { 'data-test': 'recon-pick', onclick: () => fileInput.click() }, t('recon.chooseFile'));
  const runBtn = h('button', { class: 'primary', 'data-test': 'recon-run', onclick: () => void run(null) }, t('recon.run'));
  const importBtn = h('button', { 'data-test': 'recon-import', onclick: () => void importFile() }, t('recon.import'));
  const progress = h('div', { class: 'recon-progress', 'data-test': 'recon-progress', role: 'status' });
  const alertEl = h('div', { 'data-test': 'recon-banner' });
  const cards = h('div', { class: 'recon-cards', 'data-test': 'recon-cards' });
  const table = h('div', { class: 'table-wrap recon-items', 'data-test': 'recon-items' });
  const acceptBar = h('div', { class: 'accept-bar', 'data-test': 'recon-accept-bar' });
  const sel = (name: keyof ReconItemFilter, values: string[], prefix: string) => h('select', { 'data-filter': name, onchange: (e: Event) => { (filter as Record<string, unknown>)[name] = (e.target as HTMLSelectElement).value || null; void loadItems(); } },
    h('option', { value: '' }, t(name === 'kind' ? 'recon.allKinds' : 'recon.allStates')), values.map((v) => h('option', { value: v }, tk(prefix, v))));

  const root = h('section', { class: 'recon', 'data-screen': 'recon' },
    alertEl,
    h('div', { class: 'filters' },
      h('label', null, t('recon.from'), from), h('label', null, t('recon.to'), to), accountsBox, runBtn,
      h('span', { class: 'file-import' }, h('span', { class: 'muted' }, t('recon.importHint')), fileInput, pickBtn, fileName, importBtn)),
    progress,
    cards,
    h('div', { class: 'filters' }, h('strong', null, t('recon.discrepancies')), sel('kind', DISCREPANCY_KINDS, 'kind'), sel('state', ITEM_STATES, 'itemState'),
      h('div', { class: 'export' }, h('span', { class: 'muted' }, t('recon.export')), EXPORTS.map((f) => h('button', { 'data-export': f, onclick: () => void exportAs(f) }, t(`recon.fmt.${f}` as never))))),
    acceptBar,
    table);
  withBankTab(ctx, root);

  const scope = (): ReconScope => ({ from: from.value, to: to.value || from.value, accounts: [...picked] });
  const err = (e: unknown) => ctx.toast(errorText(e), 'error');

  async function load() {
    try {
      const o = await ctx.backend.reconOverview(from.value ? scope() : null);
      if (!from.value) { from.value = o.yesterday; to.value = o.yesterday; }
      accounts = o.accounts;
      runs = o.runs;
    } catch (e) { err(e); }
    renderAccounts();
    renderCards();
    await loadItems();
  }

  async function loadItems() {
    const shown = runs.filter((r) => r.status === 'done').map((r) => r.id);
    try { items = shown.length ? await ctx.backend.reconItems(shown, filter) : []; } catch (e) { err(e); }
    for (const id of [...selected]) if (!items.some((i) => i.id === id && acceptable(i))) selected.delete(id);
    renderItems();
  }

  /** An external payment that can still be accepted into the book. */
  function acceptable(i: ReconItem): boolean {
    return i.kind === 'external' && i.state === 'open' && !i.superseded_by;
  }

  async function run(file: ReconFile | null) {
    if (busy) return;
    busy = true;
    runBtn.disabled = true;
    importBtn.disabled = true;
    progress.className = 'recon-progress busy';
    progress.textContent = t('recon.starting');
    try {
      const done = await ctx.backend.reconRun(scope(), file);
      const open = done.reduce((n, r) => n + r.open, 0);
      ctx.toast(t('recon.ran', { runs: done.length, open }), open ? 'error' : 'ok');
      progress.textContent = t('recon.done', { runs: done.length });
    } catch (e) {
      progress.textContent = '';
      err(e);
    } finally {
      busy = false;
      runBtn.disabled = false;
      importBtn.disabled = false;
      progress.className = 'recon-progress';
    }
    await load();
    void refreshAlert();
  }

  async function importFile() {
    const f = fileInput.files?.[0];
    if (!f) { ctx.toast(t('recon.pickFile'), 'error'); return; }
    if (picked.size !== 1 || (to.value && to.value !== from.value)) { ctx.toast(t('recon.importOne'), 'error'); return; }
    const bytes = Array.from(new Uint8Array(await f.arrayBuffer()));
    await run({ name: f.name, bytes });
  }

  async function exportAs(f: ExportFormat) {
    try {
      const r = await ctx.backend.reconExport(scope(), f);
      ctx.toast(t('recon.exported', { n: r.paths.length, path: r.paths[0] ?? '' }));
    } catch (e) { err(e); }
  }

  async function refreshAlert() {
    window.dispatchEvent(new Event('paydesk:recon-changed'));
    try {
      const a = await ctx.backend.reconAlert();
      mount(alertEl, a ? h('div', { class: 'recon-alert', 'data-test': 'recon-alert' }, '⚠ ', t('recon.alert', { day: a.day, open: a.open }), a.failed ? ` ${t('recon.alertFailed', { n: a.failed })}` : '') : null);
    } catch { /* the banner is a convenience */ }
  }

  function renderAccounts() {
    if (picked.size === 0 && accounts.length) accounts.forEach((a) => picked.add(a.name));
    mount(accountsBox, accounts.length ? accounts.map((a) => h('label', null,
      h('input', { type: 'checkbox', 'data-account': a.name, checked: picked.has(a.name), onchange: (e: Event) => { if ((e.target as HTMLInputElement).checked) picked.add(a.name); else picked.delete(a.name); void load(); } }),
      ` ${a.display_name}`)) : h('span', { class: 'muted' }, t('recon.noAccounts')));
  }

  function fig(label: string, value: string, extra?: string, cls = 'fig') {
    return h('div', { class: cls }, h('span', null, label), h('b', null, value, extra ? h('small', null, extra) : null));
  }

  function renderCards() {
    mount(cards, runs.length === 0 ? h('p', { class: 'empty', 'data-test': 'recon-none' }, t('recon.none')) : runs.map((r) => {
      const s = r.summary;
      const name = accounts.find((a) => a.name === r.account)?.display_name ?? r.account;
      const total = s.matched + s.mismatched;
      const pct = total ? Math.round((s.matched / total) * 100) : 100;
      const cls = r.status === 'failed' || r.failure ? 'recon-card failed' : r.open > 0 ? 'recon-card bad' : 'recon-card';
      return h('article', { class: cls, 'data-run': `${r.account}/${r.day}` },
        h('header', null, h('strong', null, name), h('span', { class: 'muted' }, `${r.day} · ${tk('trigger', r.trigger)}`)),
        r.status === 'failed' ? h('p', { class: 'error', 'data-test': 'run-error' }, r.error ?? '') : [
          h('div', { class: 'figures' },
            fig(t('recon.payments'), formatFenGrouped(s.payment_amount), t('recon.countN', { n: s.payments })),
            fig(t('recon.refunds'), formatFenGrouped(s.refund_amount), t('recon.countN', { n: s.refunds })),
            fig(t('recon.fees'), formatFenGrouped(s.fees)),
            h('div', { class: 'fig net', 'data-test': 'card-net' }, h('span', null, t('recon.net')), h('b', null, formatFenGrouped(s.net))),
            fig(t('recon.matched'), String(s.matched)),
            h('div', { class: 'fig', 'data-test': 'card-mismatched' }, h('span', null, t('recon.mismatched')), h('b', null, String(s.mismatched), r.open ? h('small', null, t('recon.openN', { n: r.open })) : null))),
          h('div', { class: 'match-line' }, h('div', { class: 'meter' }, h('i', { style: `width:${pct}%` })), `${pct}%`),
        ],
        r.failure ? h('p', { class: 'error run-failure', 'data-test': 'run-failure' }, t('recon.laterFailed', { error: r.failure.error })) : null,
        r.status !== 'failed' && s.kinds?.length ? h('p', { class: 'kinds muted', 'data-test': 'card-kinds' }, s.kinds.map((k) => `${tk('kind', k.kind)} ${k.count} · ¥ ${formatFenGrouped(k.amount)}`).join('　')) : null,
        h('footer', null, r.statement ? `${r.statement.format} · ${tk('origin', r.statement.origin)} · SHA-256 ${r.statement.sha256.slice(0, 12)}…` : t('recon.noStatement'),
          s.crossed_day ? ` · ${t('recon.crossed', { n: s.crossed_day })}` : '', s.adjacent_missing.length ? ` · ${t('recon.adjacentMissing', { days: s.adjacent_missing.join(', ') })}` : ''));
    }));
  }

  function side(label: string, x: ReconSide | null, line: string) {
    if (!x) return h('div', null, h('span', { class: 'lbl' }, label), h('span', { class: 'muted' }, t('recon.absent')));
    const amount = line === 'refund' ? x.refund_amount : x.amount;
    return h('div', null, h('span', { class: 'lbl' }, label),
      [x.status ? tk(line === 'refund' ? 'refundStatus' : 'status', x.status) : null, amount !== null ? `¥ ${formatFen(amount)}` : null, x.fee !== null ? t('recon.feeOf', { fee: formatFen(Math.abs(x.fee)) }) : null].filter(Boolean).join(' · '),
      x.time ? h('span', { class: 'muted' }, ` · ${x.time.slice(5)}`) : null);
  }

  /** The reason in the UI's language; the core's English sentence for a rule this UI does not know. */
  function why(i: ReconItem): string {
    const key = `reason.${i.reason?.code ?? ''}`;
    const args: Record<string, string> = { ...(i.reason?.args ?? {}) };
    if (args.status) args.status = tk(i.line === 'refund' ? 'refundStatus' : 'status', args.status);
    const s = t(key as never, args);
    return s === key ? i.detail : s;
  }

  function renderAcceptBar() {
    const open = items.filter(acceptable);
    if (!open.length || !ctx.can('resolve_discrepancy')) { mount(acceptBar, null); return; }
    const note = h('input', { 'data-test': 'accept-note', placeholder: t('recon.acceptNote') });
    const all = h('input', { type: 'checkbox', 'data-test': 'accept-all', checked: open.every((i) => selected.has(i.id)),
      onchange: (e: Event) => { open.forEach((i) => ((e.target as HTMLInputElement).checked ? selected.add(i.id) : selected.delete(i.id))); renderItems(); } });
    const total = open.filter((i) => selected.has(i.id)).reduce((n, i) => n + (i.channel?.amount ?? i.channel?.refund_amount ?? 0), 0);
    mount(acceptBar, h('div', { class: 'accept' },
      h('strong', null, t('recon.externalN', { n: open.length })), h('span', { class: 'muted' }, t('recon.externalHint')),
      h('label', null, all, ` ${t('recon.selectAll')}`),
      note,
      h('button', { class: 'primary', 'data-test': 'accept-selected', disabled: selected.size === 0, onclick: () => void accept([...selected], note.value) },
        t('recon.acceptN', { n: selected.size, amount: formatFenGrouped(total) }))));
  }

  async function accept(ids: number[], note: string) {
    try {
      const done = await ctx.backend.reconAccept(ids, note);
      selected.clear();
      ctx.toast(t('recon.accepted', { n: done.length }));
    } catch (e) { err(e); return; }
    await load();
    void refreshAlert();
  }

  function number(i: ReconItem): HTMLElement {
    const trade = i.channel?.trade_no ?? i.book?.trade_no;
    const main = i.refund_no || i.order_no || (i.kind === 'external' ? t('recon.noNumber') : '');
    return h('td', { class: 'mono' }, main, i.refund_no && i.order_no ? h('div', { class: 'muted mono' }, i.order_no) : null,
      trade ? h('div', { class: 'muted mono' }, trade) : null);
  }

  function renderItems() {
    renderAcceptBar();
    mount(table, h('table', null,
      h('thead', null, h('tr', null, h('th', null), ['recon.day', 'recon.kind', 'recon.number', 'recon.sides', 'recon.detail', 'recon.state', 'recon.actions'].map((k) => h('th', null, t(k as never))))),
      h('tbody', null, items.map((i) => h('tr', { 'data-item': String(i.id), 'data-kind': i.kind, 'data-state': i.state },
        h('td', null, acceptable(i) && ctx.can('resolve_discrepancy') ? h('input', { type: 'checkbox', 'data-select': String(i.id), checked: selected.has(i.id), title: t('recon.acceptHint'),
          onchange: (e: Event) => { if ((e.target as HTMLInputElement).checked) selected.add(i.id); else selected.delete(i.id); renderAcceptBar(); } }) : null),
        h('td', null, i.day, h('div', { class: 'muted' }, i.account)),
        h('td', null, h('span', { class: `badge k-${i.kind}` }, tk('kind', i.kind)), h('div', { class: 'muted' }, tk('line', i.line))),
        number(i),
        h('td', { class: 'sides' }, side(t('recon.book'), i.book, i.line), side(t('recon.channel'), i.channel, i.line)),
        h('td', { class: 'detail-cell', 'data-test': 'item-why' }, why(i)),
        h('td', { class: 'note-cell' }, h('span', { class: `badge st-${i.state}`, 'data-test': 'item-state' }, tk('itemState', i.state)), i.note ? h('div', { class: 'muted', 'data-test': 'item-note' }, i.note) : null),
        h('td', null, actions(i))))),
      items.length === 0 ? h('p', { class: 'empty', 'data-test': 'recon-clean' }, runs.length ? t('recon.noDiscrepancies') : t('recon.none')) : null));
  }

  function actions(i: ReconItem): HTMLElement {
    const wrap = h('div', { class: 'item-actions' });
    if (i.state === 'fixed' || i.superseded_by) return wrap;
    if (i.kind !== 'external') wrap.append(h('button', { 'data-requery': String(i.id), title: t('recon.requeryHint'), onclick: () => void requery(i.id) }, t('recon.requery')));
    if (ctx.can('resolve_discrepancy')) {
      if (resolving === i.id) {
        const note = h('input', { 'data-note': String(i.id), placeholder: t('recon.notePlaceholder'), value: i.note ?? '', onkeydown: (e: KeyboardEvent) => { if (e.key === 'Enter') void resolve(i.id, note.value); if (e.key === 'Escape') { resolving = null; renderItems(); } } });
        const form = h('div', { class: 'resolve-form' }, note, h('button', { class: 'primary', 'data-resolve-save': String(i.id), onclick: () => void resolve(i.id, note.value) }, t('recon.save')));
        queueMicrotask(() => note.focus());
        return h('div', null, wrap, form);
      }
      wrap.append(h('button', { 'data-resolve': String(i.id), onclick: () => { resolving = i.id; renderItems(); } }, i.state === 'resolved' ? t('recon.editNote') : t('recon.resolve')));
    }
    return wrap;
  }

  async function requery(id: number) {
    try {
      const r = await ctx.backend.reconRequery(id);
      const last = (await ctx.backend.reconItemActions(id)).pop();
      ctx.toast(r.state === 'fixed' ? t('recon.fixed') : (last?.outcome ?? t('recon.unchanged')), 'ok');
    } catch (e) { err(e); }
    await load();
    void refreshAlert();
  }

  async function resolve(id: number, note: string) {
    try {
      await ctx.backend.reconResolve(id, note);
      resolving = null;
      ctx.toast(t('recon.resolved'));
    } catch (e) { err(e); return; }
    await load();
    void refreshAlert();
  }

  void (async () => {
    disposers.push(await ctx.backend.onReconProgress((p) => {
      if (!busy) return;
      const count = p.total !== null ? ` ${p.done.toLocaleString()} / ${p.total.toLocaleString()}` : p.done ? ` ${p.done.toLocaleString()}` : '';
      progress.textContent = `${p.account} · ${tk('phase', p.phase)}${count}`;
    }));
    disposers.push(await ctx.backend.onReconFinished(() => { if (!busy) void load(); }));
  })();
  void load();
  void refreshAlert();
  return { el: root, dispose: () => disposers.forEach((d) => d()) };
}
