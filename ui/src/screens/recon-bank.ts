// The reconciliation screen's second tab: a business day's chain book → channel → bank as a
// picture, each account's figures and payouts, reading the fund flows, importing a bank statement
// (preset or detected), the bank discrepancies with re-check / resolve-with-note, exports.

import '../recon-bank.css';
import { h, mount } from '../dom';
import { t, tk } from '../i18n';
import { formatFenGrouped } from '../money';
import { errorText } from '../error-text';
import type { BankItem, BankOverview, ChainAccount, ChainPayout, Link } from '../backend/bank';
import type { ExportFormat } from '../backend/types';
import type { Ctx } from '../context';
import { chainSvg, type ChainWords } from './chain';

const EXPORTS: ExportFormat[] = ['xlsx', 'csv_bom', 'csv_gbk', 'txt'];
const yuan = (fen: number) => `¥${formatFenGrouped(fen)}`;

function words(): ChainWords {
  return {
    book: t('bank.box.book'), channel: t('bank.box.channel'), bank: t('bank.box.bank'), sales: t('bank.sales'), refunds: t('bank.refunds'), fees: t('bank.fees'),
    expected: t('bank.expected'), deposited: t('bank.deposited'), noFunds: t('bank.noFunds'), noBank: t('bank.noBank'),
    link: { agree: t('bank.link.agree'), differ: t('bank.link.differ'), pending: t('bank.link.pending'), unknown: t('bank.link.unknown') },
  };
}

export function reconBankView(ctx: Ctx): { el: HTMLElement; load: () => Promise<void> } {
  let view: BankOverview | null = null;
  let resolving: number | null = null;
  let busy = false;
  const err = (e: unknown) => ctx.toast(errorText(e), 'error');
  const day = h('input', { type: 'date', 'data-test': 'bank-day', onchange: () => void load(day.value) });
  const settleBtn = h('button', { class: 'primary', 'data-test': 'bank-settle', title: t('bank.settleHint'), onclick: () => void settle() }, t('bank.settle'));
  const fileName = h('span', { class: 'file-name muted', 'data-test': 'bank-file-name' }, t('recon.noFile'));
  const fileInput = h('input', { type: 'file', class: 'hidden-file', 'data-test': 'bank-file', accept: '.csv,.xlsx,.xls,.txt', onchange: () => { fileName.textContent = fileInput.files?.[0]?.name ?? t('recon.noFile'); } });
  const preset = h('select', { 'data-test': 'bank-preset' });
  const importBtn = h('button', { 'data-test': 'bank-import', onclick: () => void importFile() }, t('bank.import'));
  const picture = h('div', { class: 'chain', 'data-test': 'bank-chain' });
  const accounts = h('div', { class: 'table-wrap chain-accounts', 'data-test': 'bank-accounts' });
  const items = h('div', { class: 'table-wrap recon-items', 'data-test': 'bank-items' });
  const footer = h('p', { class: 'muted bank-statements', 'data-test': 'bank-statements' });
  const el = h('section', { class: 'recon-bank', 'data-view': 'bank' },
    h('div', { class: 'filters' },
      h('label', null, t('bank.day'), day), settleBtn,
      h('span', { class: 'file-import' }, h('span', { class: 'muted' }, t('bank.importHint')), fileInput,
        h('button', { 'data-test': 'bank-pick', onclick: () => fileInput.click() }, t('recon.chooseFile')), fileName, preset, importBtn)),
    picture, accounts,
    h('div', { class: 'filters' }, h('strong', null, t('bank.discrepancies')),
      h('div', { class: 'export' }, h('span', { class: 'muted' }, t('recon.export')), EXPORTS.map((f) => h('button', { 'data-bank-export': f, onclick: () => void exportAs(f) }, t(`recon.fmt.${f}` as never))))),
    items, footer);

  async function load(d: string | null = day.value || null) {
    try {
      view = await ctx.backend.bankOverview(d);
      day.value = view.day;
      if (!preset.options.length) mount(preset, view.presets.map((p) => h('option', { value: p.name }, p.name === 'auto' ? t('bank.presetAuto') : p.label)));
    } catch (e) { err(e); }
    render();
  }

  async function settle() {
    if (busy || !day.value) return;
    busy = true;
    settleBtn.disabled = true;
    try {
      const r = await ctx.backend.bankSettle(day.value);
      ctx.toast(r.errors.length ? t('bank.settledSome', { n: r.read, errors: r.errors.join('; ') }) : t('bank.settled', { n: r.read }), r.errors.length ? 'error' : 'ok');
    } catch (e) { err(e); } finally { busy = false; settleBtn.disabled = false; }
    await load();
  }

  async function importFile() {
    const f = fileInput.files?.[0];
    if (!f) { ctx.toast(t('bank.pickFile'), 'error'); return; }
    importBtn.disabled = true;
    try {
      const bytes = Array.from(new Uint8Array(await f.arrayBuffer()));
      const r = await ctx.backend.bankImport({ name: f.name, bytes }, preset.value || null, null);
      const open = r.runs.reduce((n, x) => Math.max(n, x.open), 0);
      ctx.toast(t('bank.imported', { rows: r.statement.rows, fresh: r.statement.new_rows, days: r.runs.length, open }), open ? 'error' : 'ok');
    } catch (e) { err(e); } finally { importBtn.disabled = false; }
    await load();
  }

  async function exportAs(f: ExportFormat) {
    if (!view) return;
    try {
      const r = await ctx.backend.bankExport(view.day, view.day, f);
      ctx.toast(t('recon.exported', { n: r.paths.length, path: r.paths[0] ?? '' }));
    } catch (e) { err(e); }
  }

  function dot(l: Link) {
    return h('span', { class: `link-dot link-${l.state}`, title: t(`bank.link.${l.state}` as never) });
  }

  function payoutCell(p: ChainPayout) {
    const status = p.resolved ? `${tk('payoutStatus', p.status)} · ${t('itemState.resolved')}` : tk('payoutStatus', p.status);
    return h('div', { class: 'payout', 'data-payout': p.status },
      h('span', { class: 'mono' }, yuan(p.amount)), ` ${p.day}`,
      h('span', { class: `badge ps-${p.resolved ? 'resolved' : p.status}` }, status),
      p.deposited !== null ? h('div', { class: 'muted' }, t('bank.arrived', { amount: yuan(p.deposited), day: p.deposit_day ?? '' })) : null,
      p.batch_ok === false ? h('div', { class: 'warn' }, t('bank.batchDiffers', { expected: yuan(p.expected ?? 0) })) : null);
  }

  function accountRow(a: ChainAccount) {
    const f = a.funds;
    return h('tr', { 'data-chain-account': a.account },
      h('td', null, h('strong', null, a.display_name), h('div', { class: 'muted' }, a.account)),
      h('td', { class: 'num' }, yuan(a.book.sales - a.book.refunds), h('div', { class: 'muted' }, t('bank.counts', { sales: a.book.sales_count, refunds: a.book.refund_count }))),
      h('td', null, dot(a.book_channel)),
      h('td', { class: 'num' }, f ? yuan(f.net) : '—', f ? h('div', { class: 'muted' }, `${t('bank.fees')} ${yuan(f.fees)}`) : h('div', { class: 'muted' }, t('bank.noFunds'))),
      h('td', null, dot(a.channel_bank)),
      h('td', null, a.payouts.length ? a.payouts.map(payoutCell) : h('span', { class: 'muted' }, t('bank.noPayout'))));
  }

  function why(i: BankItem): string {
    const key = `bankReason.${i.reason.code}`;
    const s = t(key as never, i.reason.args);
    return s === key ? i.detail : s;
  }

  function itemRow(i: BankItem) {
    const wrap = h('div', { class: 'item-actions' });
    if (i.state !== 'fixed') {
      wrap.append(h('button', { 'data-recheck': String(i.id), title: t('bank.recheckHint'), onclick: () => void recheck(i.id) }, t('bank.recheck')));
      if (ctx.can('resolve_discrepancy')) wrap.append(h('button', { 'data-resolve': String(i.id), onclick: () => { resolving = i.id; render(); } }, i.state === 'resolved' ? t('recon.editNote') : t('recon.resolve')));
    }
    let form: HTMLElement | null = null;
    if (resolving === i.id) {
      const note = h('input', { 'data-note': String(i.id), placeholder: t('recon.notePlaceholder'), value: i.note ?? '', onkeydown: (e: KeyboardEvent) => { if (e.key === 'Enter') void resolve(i.id, note.value); if (e.key === 'Escape') { resolving = null; render(); } } });
      form = h('div', { class: 'resolve-form' }, note, h('button', { class: 'primary', 'data-resolve-save': String(i.id), onclick: () => void resolve(i.id, note.value) }, t('recon.save')));
      queueMicrotask(() => note.focus());
    }
    return h('tr', { 'data-bank-item': String(i.id), 'data-kind': i.kind, 'data-state': i.state },
      h('td', null, i.day),
      h('td', null, h('span', { class: `badge k-${i.kind}` }, tk('bankKind', i.kind))),
      h('td', { class: 'mono' }, i.account ?? '—', i.payout_ref ? h('div', { class: 'muted mono' }, i.payout_ref) : null),
      h('td', { class: 'num' }, i.expected !== null ? yuan(i.expected) : '—', h('div', { class: 'muted' }, i.deposited !== null ? `${t('bank.deposited')} ${yuan(i.deposited)}` : t('bank.nothingArrived'))),
      h('td', { class: 'detail-cell', 'data-test': 'item-why' }, why(i)),
      h('td', { class: 'note-cell' }, h('span', { class: `badge st-${i.state}`, 'data-test': 'item-state' }, tk('itemState', i.state)), i.note ? h('div', { class: 'muted', 'data-test': 'item-note' }, i.note) : null),
      h('td', null, wrap, form));
  }

  function render() {
    if (!view) return;
    const c = view.chain;
    picture.innerHTML = chainSvg(c, words());
    mount(accounts, c.accounts.length === 0 ? h('p', { class: 'empty', 'data-test': 'bank-empty' }, t('bank.nothingOnDay')) : h('table', null,
      h('thead', null, h('tr', null, ['bank.col.account', 'bank.col.book', null, 'bank.col.channel', null, 'bank.col.payouts'].map((k) => h('th', null, k ? t(k as never) : '')))),
      h('tbody', null, c.accounts.map(accountRow))));
    mount(items, view.items.length === 0
      ? h('p', { class: 'empty', 'data-test': 'bank-clean' }, c.bank_covered_to === null ? t('bank.importFirst') : t('bank.noDiscrepancies'))
      : h('table', null,
        h('thead', null, h('tr', null, ['recon.day', 'recon.kind', 'bank.col.account', 'bank.col.amounts', 'recon.detail', 'recon.state', 'recon.actions'].map((k) => h('th', null, t(k as never))))),
        h('tbody', null, view.items.map(itemRow))));
    const run = view.run;
    mount(footer,
      run ? t('bank.runLine', { id: run.id, trigger: tk('trigger', run.trigger), payouts: run.summary.payouts, matched: run.summary.matched, pending: run.summary.pending, open: run.open }) : t('bank.noRun'),
      view.statements.length ? ` · ${t('bank.statementsLine', { list: view.statements.map((s) => `${s.preset} ${s.period_from}–${s.period_to} (${s.rows})`).join(', ') })}` : '');
  }

  async function recheck(id: number) {
    try {
      const r = await ctx.backend.bankRecheck(id);
      const last = (await ctx.backend.bankItemActions(id)).pop();
      ctx.toast(r.state === 'fixed' ? t('bank.rechecked') : (last?.outcome ?? t('recon.unchanged')), 'ok');
    } catch (e) { err(e); }
    await load();
  }

  async function resolve(id: number, note: string) {
    try {
      await ctx.backend.bankResolve(id, note);
      resolving = null;
      ctx.toast(t('recon.resolved'));
    } catch (e) { err(e); return; }
    await load();
  }

  return { el, load: () => load(day.value || null) };
}

/** Puts the statement view and the bank view of the reconciliation screen under two tabs. */
export function withBankTab(ctx: Ctx, root: HTMLElement): void {
  const statement = h('div', { class: 'recon-pane', 'data-pane': 'statement' }, ...Array.from(root.childNodes));
  const bank = reconBankView(ctx);
  bank.el.hidden = true;
  const tab = (name: string, label: string) => h('button', { class: 'tab', 'data-tab': name, onclick: () => show(name) }, label);
  const tabs = h('nav', { class: 'recon-tabs', role: 'tablist' }, tab('statement', t('bank.tab.statement')), tab('bank', t('bank.tab.chain')));
  let loaded = false;
  function show(name: string) {
    statement.hidden = name !== 'statement';
    bank.el.hidden = name !== 'bank';
    tabs.querySelectorAll('[data-tab]').forEach((b) => b.classList.toggle('on', (b as HTMLElement).dataset.tab === name));
    if (name === 'bank' && !loaded) { loaded = true; void bank.load(); }
  }
  root.replaceChildren(tabs, statement, bank.el);
  show('statement');
}
