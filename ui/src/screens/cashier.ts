// The cashier's screen: amount keypad, always-focused scan field, method buttons, QR with
// countdown, live status from core's events, success / checking / failed states, customer display.
// The shift bar on top (开班 / X / 交班). Tenders in two keystrokes: the amount, then `+` (or F2)
// for cash — type what was handed over and Enter (or `+` again: exact) and the change shows;
// F3 card terminal, F4 voucher (Enter, with an optional reference). Cash short of the amount
// pays part of a split sale: the rest is due by any tender. Receipts print on completion.

import { h, mount, svgNode } from '../dom';
import { fmtTime, t, tk } from '../i18n';
import { applyKey, formatFen, formatFenGrouped, isPartialAmount, parseYuan } from '../money';
import { interpret } from '../scan';
import { busy, newSale, newSaleId, onChecking, onError, onOrder, type Sale } from '../sale';
import { toBackendError } from '../backend/errors';
import { errorText } from '../error-text';
import { limitMessage } from './routing';
import { shiftBar } from './shift-bar';
import type { CustomerView, LimitDetails, Method, MethodView, Order, PrintJob, SaleRef, Tender } from '../backend/types';
import type { Ctx } from '../context';

export function cashierScreen(ctx: Ctx): { el: HTMLElement; dispose: () => void } {
  let sale: Sale = newSale();
  let methods: MethodView[] = [];
  let selected: Method | null = null;
  let times: number[] = [];
  let announce: { order_no: string; text: string } | null = null;
  let qrSvg = '';
  const disposers: (() => void)[] = [];
  /** A panel of the shift bar (report, count) over the sale, or null. */
  let overlay: HTMLElement | null = null;
  /** The tender being keyed (cash: what was handed over; card/voucher: a reference). */
  let tender: Tender | null = null;
  /** A split sale: its id, total and what its tenders paid so far (fen). */
  let split: { id: string; total: number; paid: number } | null = null;
  let printed: PrintJob | null = null;
  /** Jobs lately finished (done or failed), by id. */
  const finished = new Map<number, PrintJob>();
  const bar = shiftBar(ctx, (panel) => { overlay = panel; render(); if (!panel) scan.focus(); }, () => render());
  const hasShift = () => bar.view()?.shift?.kind === 'cashier';

  const scan = h('input', { class: 'scan-field', 'data-test': 'scan', autocomplete: 'off', spellcheck: 'false', 'aria-label': t('cashier.scanLabel'), placeholder: t('cashier.scanPlaceholder') });
  const amountEl = h('div', { class: 'amount-display', 'data-test': 'amount' });
  const panel = h('div', { class: 'pay-panel', 'data-test': 'panel' });
  const methodsEl = h('div', { class: 'methods' });
  const voiceEl = h('div', { class: 'voice-caption', 'data-test': 'voice' });
  const root = h('section', { class: 'cashier', 'data-screen': 'cashier' },
    h('div', { class: 'left' }, bar.el, amountEl, scan, h('div', { class: 'keypad' }, ['7', '8', '9', '4', '5', '6', '1', '2', '3', '0', '00', '.', 'C', '⌫'].map((k) =>
      h('button', { class: `key${k === 'C' ? ' clear' : ''}`, 'data-key': k, onclick: () => keypad(k) }, k))),
    h('div', { class: 'tender-keys' }, (['cash', 'card', 'voucher'] as Tender[]).map((m) => h('button', { class: `tender t-${m}`, 'data-tender': m, onclick: () => startTender(m) }, h('strong', null, tk('method', m)), h('small', null, t(`cashier.key_${m}` as never))))),
    h('p', { class: 'hint' }, t('cashier.hint'))),
    h('div', { class: 'right' }, methodsEl, panel, voiceEl));

  const setField = (v: string) => { scan.value = v; times = Array.from(v, () => 0); };
  const amountText = () => (sale.phase.kind === 'entering' ? sale.amount : sale.amount);
  const fen = () => parseYuan(sale.amount.endsWith('.') ? sale.amount.slice(0, -1) : sale.amount) ?? 0;
  const methodName = (m: Method | null | undefined) => (m ? tk('method', m) : '');

  function keypad(k: string) {
    if (busy(sale)) return;
    if (sale.phase.kind !== 'entering') sale = newSale();
    setField(applyKey(scan.value, k));
    sale = { ...sale, amount: scan.value };
    render();
    scan.focus();
  }

  scan.addEventListener('input', () => {
    const now = performance.now();
    const v = scan.value;
    if (v.length > times.length) times = times.concat(Array.from({ length: v.length - times.length }, () => now));
    else times = times.slice(0, v.length);
    if (tender) { render(); return; }
    if (sale.phase.kind === 'entering' && isPartialAmount(v)) { sale = { ...sale, amount: v }; renderAmount(); }
  });
  scan.addEventListener('keydown', (e) => {
    const key = e.key === 'F2' || (e.key === '+' && !tender) ? 'cash' : e.key === 'F3' ? 'card' : e.key === 'F4' ? 'voucher' : null;
    if (key) { e.preventDefault(); startTender(key); return; }
    if (tender && e.key === '+') { e.preventDefault(); setField(''); void recordTender(); return; }
    if (e.key === 'Enter') { e.preventDefault(); if (tender) void recordTender(); else void enter(); }
    if (e.key === 'Escape') { e.preventDefault(); if (tender) { tender = null; setField(''); render(); } else void cancel(); }
  });

  /** What the sale still asks for (fen). */
  const due = () => (split ? split.total - split.paid : fen());

  function startTender(m: Tender) {
    if (busy(sale)) { ctx.toast(t('cashier.waitFirst'), 'error'); return; }
    if (sale.phase.kind !== 'entering') sale = newSale(split ? formatFen(due()) : '');
    if (tender === null && scan.value && isPartialAmount(scan.value)) sale = { ...sale, amount: scan.value };
    if (due() <= 0) { ctx.toast(t('cashier.enterAmount'), 'error'); return; }
    tender = m;
    setField('');
    render();
    scan.focus();
  }

  async function recordTender() {
    const m = tender;
    if (!m) return;
    const owed = due();
    const typed = scan.value.trim();
    let amount = owed;
    let tendered: string | null = null;
    if (m === 'cash' && typed) {
      const given = parseYuan(typed);
      if (given === null || given <= 0) { ctx.toast(t('cashier.badTendered'), 'error'); return; }
      tendered = typed;
      amount = Math.min(given, owed);
    }
    const partial = amount < owed;
    if (partial && !split) split = { id: newSaleId(), total: owed, paid: 0 };
    const saleRef: SaleRef | null = split ? { id: split.id, total: formatFen(split.total) } : null;
    setField('');
    tender = null;
    try {
      const o = await ctx.backend.recordTender({ method: m, amount: formatFen(amount), tendered, reference: m === 'cash' ? null : typed || null, sale_id: sale.id, sale: saleRef });
      if (split) split = { ...split, paid: split.paid + o.amount };
      if (split && split.paid < split.total) {
        ctx.toast(t('cashier.partPaid', { method: tk('method', m), paid: formatFen(split.paid), left: formatFen(split.total - split.paid) }));
        sale = newSale(formatFen(split.total - split.paid));
        render();
        return;
      }
      apply(o);
    } catch (e) { fail(e); }
  }

  /** The sale is paid: print its receipt when the till prints on its own. */
  function completed(o: Order) {
    split = null;
    if (bar.view()?.auto_print) void printReceipt(o.order_no);
  }
  async function printReceipt(no: string) {
    try {
      const job = await ctx.backend.printReceipt(no, false);
      // A quick printer may finish before the command's answer arrives: its event came first.
      printed = finished.get(job.id) ?? job;
    } catch (e) { printed = null; ctx.toast(errorText(e), 'error'); }
    render();
  }
  const refocus = (e: Event) => {
    const target = e.target as HTMLElement;
    if (!target.closest('input, select, textarea') && document.body.contains(scan)) setTimeout(() => scan.focus(), 0);
  };
  document.addEventListener('click', refocus);
  disposers.push(() => document.removeEventListener('click', refocus));

  async function enter() {
    const r = interpret(scan.value, times);
    setField('');
    const p = sale.phase.kind;
    if (p === 'creating' || p === 'checking') { ctx.toast(t('cashier.waitFirst'), 'error'); return; }
    if (p === 'success' || p === 'failed' || p === 'closed') {
      const keep = p === 'success' ? '' : sale.amount;
      sale = newSale(r.kind === 'amount' ? r.amount : keep);
      if (r.kind === 'empty') { render(); return; }
    }
    if (r.kind === 'garbage') { ctx.toast(t('cashier.notACode'), 'error'); render(); return; }
    if (r.kind === 'code') {
      if (r.amount) sale = { ...sale, amount: r.amount };
      if (sale.phase.kind === 'qr') await switchToCode(r.code);
      else await payByCode(r.code);
      return;
    }
    if (sale.phase.kind === 'qr') return;
    if (r.kind === 'amount') sale = { ...sale, amount: r.amount };
    await payByQr(selected);
  }

  async function payByQr(m: Method | null) {
    if (busy(sale)) { ctx.toast(t('cashier.waitFirst'), 'error'); return; }
    if (fen() <= 0) { ctx.toast(t('cashier.enterAmount'), 'error'); return; }
    const method = m ?? methods.find((x) => x.qr)?.method ?? null;
    // The amount now belongs to the sale: a method button must not leave it in the field, where
    // the next Enter would start another sale with it.
    setField('');
    sale = { ...sale, amount: sale.amount.replace(/\.$/, ''), phase: { kind: 'creating', method, viaCode: false } };
    render();
    try {
      const o = await ctx.backend.createQr(sale.amount, method, sale.id, saleRef());
      apply(o);
    } catch (e) { fail(e); }
  }

  async function payByCode(code: string) {
    if (busy(sale)) { ctx.toast(t('cashier.waitFirst'), 'error'); return; }
    if (fen() <= 0) { ctx.toast(t('cashier.enterAmountFirst'), 'error'); return; }
    sale = { ...sale, amount: sale.amount.replace(/\.$/, ''), phase: { kind: 'creating', method: null, viaCode: true } };
    render();
    try {
      apply(await ctx.backend.barcodePay(sale.amount, code, sale.id, saleRef()));
    } catch (e) { fail(e); }
  }

  /** The customer shows a payment code while the QR is up: close the QR order first. */
  async function switchToCode(code: string) {
    if (sale.phase.kind !== 'qr') return;
    const closed = await ctx.backend.cancelPayment(sale.phase.order.order_no).catch((e) => { fail(e); return null; });
    if (!closed) return;
    apply(closed);
    if (closed.status !== 'closed') return; // Paid meanwhile: never charge twice.
    sale = newSale(sale.amount);
    await payByCode(code);
  }

  async function cancel() {
    if (sale.phase.kind === 'qr') {
      try { apply(await ctx.backend.cancelPayment(sale.phase.order.order_no)); } catch (e) { fail(e); }
    } else if (sale.phase.kind === 'entering') { setField(''); sale = newSale(); render(); }
  }

  const saleRef = (): SaleRef | null => (split ? { id: split.id, total: formatFen(split.total) } : null);
  function apply(o: Order) {
    const before = sale.phase.kind;
    sale = onOrder(sale, o);
    if (sale.phase.kind === 'success' && before !== 'success') completed(o);
    render();
  }
  function fail(e: unknown) {
    const err = toBackendError(e);
    if (err.code === 'sale_in_progress') ctx.toast(t('cashier.waitFirst'), 'error');
    if (err.code === 'no_shift') void bar.refresh();
    const message = err.code === 'limit' && err.details ? limitMessage(err.details as LimitDetails) : errorText(err);
    sale = onError(sale, err.code, message);
    render();
  }

  function renderAmount() {
    const shown = amountText();
    mount(amountEl, h('span', { class: 'currency' }, '¥'), h('span', { class: 'value' }, shown === '' ? '0.00' : shown));
  }

  function countdown(o: Order): string {
    const left = Math.max(0, Math.round((new Date(o.expires_at).getTime() - Date.now()) / 1000));
    return t('cashier.expiresIn', { m: Math.floor(left / 60), s: String(left % 60).padStart(2, '0') });
  }

  function render() {
    renderAmount();
    if (overlay) { mount(panel, overlay); mount(methodsEl, null); return; }
    if (!hasShift()) {
      mount(methodsEl, null);
      mount(panel, h('div', { class: 'idle', 'data-state': 'no-shift' }, h('p', { class: 'big-hint' }, t('till.openFirst'))));
      return;
    }
    if (tender) {
      const owed = due();
      const typed = parseYuan(scan.value.trim());
      const change = tender === 'cash' && typed !== null && typed > owed ? typed - owed : null;
      mount(methodsEl, null);
      mount(panel, h('div', { class: 'tender-panel', 'data-state': 'tender', 'data-tender': tender },
        h('h2', null, tk('method', tender)),
        h('div', { class: 'paid-amount' }, `${t('cashier.due')} ¥ ${formatFenGrouped(owed)}`),
        h('p', { class: 'big-hint' }, tender === 'cash' ? t('cashier.tenderedHint') : t('cashier.referenceHint')),
        h('div', { class: 'typed', 'data-test': 'tender-typed' }, scan.value || (tender === 'cash' ? t('cashier.exact') : '')),
        change !== null ? h('div', { class: 'change', 'data-test': 'change-preview' }, `${t('cashier.change')} ¥ ${formatFenGrouped(change)}`) : null,
        h('button', { class: 'primary', 'data-test': 'tender-ok', onclick: () => void recordTender() }, t('cashier.record'))));
      return;
    }
    mount(methodsEl, methods.filter((m) => m.qr).map((m) => h('button', {
      class: `method m-${m.method}${selected === m.method ? ' selected' : ''}`, 'data-method': m.method, disabled: busy(sale),
      onclick: () => { selected = m.method; if (sale.phase.kind !== 'entering') sale = newSale(sale.phase.kind === 'success' ? '' : sale.amount); if (fen() > 0) void payByQr(m.method); else render(); },
    }, h('strong', null, methodName(m.method)), h('small', null, t('cashier.showQr')))));
    const p = sale.phase;
    const demo = ctx.info.demo && ctx.can('simulate');
    switch (p.kind) {
      case 'entering':
        mount(panel, h('div', { class: 'idle', 'data-state': 'entering' },
          split ? h('p', { class: 'split-note', 'data-test': 'split' }, t('cashier.splitNote', { paid: formatFen(split.paid), left: formatFen(split.total - split.paid), total: formatFen(split.total) })) : null,
          h('p', { class: 'big-hint' }, t('cashier.idleHint')),
          demo && h('div', { class: 'demo-panel' }, h('strong', null, t('demo.scannerTitle')),
            ctx.info.demo!.sample_codes.map(([code, what]) => h('button', { class: 'link', 'data-code': code, onclick: () => simulateScan(code) }, `${code} — ${tk('demo.code', what)}`)))));
        break;
      case 'creating':
        mount(panel, h('div', { class: 'status checking', 'data-state': 'creating' }, h('div', { class: 'spinner' }), h('p', null, p.viaCode ? t('cashier.charging') : t('cashier.creatingQr'))));
        break;
      case 'qr':
        mount(panel, h('div', { class: 'qr-box', 'data-state': 'qr', 'data-order': p.order.order_no },
          h('div', { class: 'qr-amount' }, `¥ ${formatFenGrouped(p.order.amount)}`),
          h('div', { class: 'qr', 'data-test': 'qr' }, qrSvg ? svgNode(qrSvg) : null),
          h('p', { class: 'qr-method' }, t('cashier.scanWith', { method: methodName(p.order.method) })),
          h('p', { class: 'countdown', 'data-test': 'countdown' }, countdown(p.order)),
          h('button', { class: 'danger', 'data-test': 'cancel', onclick: () => void cancel() }, t('cashier.cancel')),
          demo && h('div', { class: 'demo-panel' }, h('strong', null, t('demo.customerTitle')),
            h('button', { class: 'ok', 'data-test': 'sim-pay', onclick: () => simulate(p.order.order_no, 'pay') }, t('demo.pay')),
            h('button', { 'data-test': 'sim-decline', onclick: () => simulate(p.order.order_no, 'decline') }, t('demo.decline')))));
        if (!qrSvg && p.order.qr_code) void ctx.backend.qrSvg(p.order.qr_code).then((s) => { qrSvg = s; render(); });
        break;
      case 'checking':
        mount(panel, h('div', { class: 'status checking', 'data-state': 'checking' }, h('div', { class: 'spinner' }),
          h('h2', null, t('cashier.checking', { channel: methodName(p.order?.method) || t('cashier.theChannel') })),
          h('p', { class: 'status-detail', 'data-test': 'checking-detail' }, p.detail ? tk('checking', p.detail.replace(/ \(attempt \d+\)$/, '')) : t('cashier.checkingDefault')),
          h('p', { class: 'warn' }, t('cashier.noSecondCharge'))));
        break;
      case 'success':
        mount(panel, h('div', { class: 'status success', 'data-state': 'success', 'data-order': p.order.order_no },
          h('div', { class: 'check' }, '✓'),
          h('h2', null, t('cashier.paid')),
          h('div', { class: 'paid-amount', 'data-test': 'paid-amount' }, `¥ ${formatFenGrouped(p.order.amount)}`),
          p.order.tendered != null && p.order.tendered > p.order.amount ? h('div', { class: 'change', 'data-test': 'change' }, `${t('cashier.change')} ¥ ${formatFenGrouped(p.order.tendered - p.order.amount)}`) : null,
          h('dl', null, h('dt', null, t('order.method')), h('dd', null, methodName(p.order.method)),
            p.order.tendered != null ? [h('dt', null, t('cashier.tendered')), h('dd', null, formatFenGrouped(p.order.tendered))] : null,
            h('dt', null, t('order.paidAt')), h('dd', null, fmtTime(p.order.paid_at)),
            h('dt', null, t('order.orderNo')), h('dd', { class: 'mono' }, p.order.order_no)),
          h('p', { class: `print-status ${printed?.status === 'failed' ? 'error' : ''}`, 'data-test': 'print-status', 'data-status': printed?.status ?? '' },
            printed ? (printed.status === 'failed' ? `${t('print.failed')}: ${printed.message ?? ''}` : tk('print', printed.status)) : ''),
          printed?.status === 'failed' ? h('button', { 'data-test': 'print-retry', onclick: () => void ctx.backend.retryPrint(printed!.id).then((j) => { printed = j; render(); }) }, t('print.retry')) : null,
          h('button', { 'data-test': 'print-receipt', onclick: () => void printReceipt(p.order.order_no) }, t('print.receipt')),
          h('button', { class: 'primary', 'data-test': 'new-sale', onclick: () => { sale = newSale(); qrSvg = ''; printed = null; render(); } }, t('cashier.newSale')),
          h('button', { 'data-test': 'announce', onclick: () => void ctx.backend.announceAgain(p.order.order_no).then((text) => { announce = { order_no: p.order.order_no, text }; render(); }) }, t('cashier.announceAgain'))));
        qrSvg = '';
        break;
      case 'failed':
      case 'closed': {
        const message = p.kind === 'closed' ? t('cashier.closedHint') : p.message || t('cashier.failedHint');
        mount(panel, h('div', { class: `status ${p.kind}`, 'data-state': p.kind },
          h('div', { class: 'cross' }, '✕'),
          h('h2', null, p.kind === 'closed' ? t('cashier.closed') : p.code === 'limit' ? t('limit.title') : t('cashier.failed')),
          h('p', { class: 'status-detail', 'data-test': 'failure' }, message),
          h('button', { class: 'primary', 'data-test': 'retry', onclick: () => { sale = newSale(sale.amount); qrSvg = ''; render(); } }, t('cashier.retry'))));
        qrSvg = '';
        break;
      }
    }
    mount(voiceEl, announce ? [h('span', { class: 'speaker' }, '♪ '), h('span', { 'data-test': 'voice-text' }, announce.text)] : null);
    void ctx.backend.showCustomer(customerView());
  }

  function customerView(): CustomerView {
    const p = sale.phase;
    const order = 'order' in p ? p.order : null;
    const phase: CustomerView['phase'] = p.kind === 'qr' ? 'qr' : p.kind === 'success' ? 'success' : p.kind === 'checking' || p.kind === 'creating' ? 'checking' : fen() > 0 ? 'amount' : 'idle';
    return { phase, amount: order?.amount ?? fen(), method: order?.method ?? null, qr_svg: p.kind === 'qr' ? qrSvg || null : null, expires_at: p.kind === 'qr' ? p.order.expires_at : null };
  }

  function simulate(no: string, action: 'pay' | 'decline') {
    ctx.backend.demoSimulate(no, action).catch((e) => ctx.toast(errorText(e), 'error'));
  }
  function simulateScan(code: string) {
    // Plays a keyboard-wedge scanner: the code arrives in one burst, then Enter.
    const now = performance.now();
    scan.value += code;
    times = times.concat(Array.from(code, () => now));
    void enter();
  }

  const tick = setInterval(() => {
    if (sale.phase.kind === 'qr') {
      const el = panel.querySelector('[data-test=countdown]');
      if (el) el.textContent = countdown(sale.phase.order);
    }
  }, 1000);
  disposers.push(() => clearInterval(tick));

  void (async () => {
    disposers.push(await ctx.backend.onOrderChanged((o) => {
      // A tender is settled by its own command's answer (recordTender): the event of a split
      // sale's first part must not end the sale that still has an amount due.
      if (o.kind === 'tender') return;
      const before = sale;
      sale = onOrder(sale, o);
      if (sale.phase.kind === 'success' && before.phase.kind !== 'success') completed(o);
      if (sale !== before) render();
    }));
    disposers.push(await ctx.backend.onChecking((c) => { const before = sale; sale = onChecking(sale, c.order_no, c.detail); if (sale !== before) render(); }));
    disposers.push(await ctx.backend.onAnnounced((a) => { announce = a; render(); }));
    disposers.push(await ctx.backend.onPrintJob((j) => {
      finished.set(j.id, j);
      if (finished.size > 20) finished.delete(finished.keys().next().value as number);
      if (printed && j.id === printed.id) { printed = j; render(); }
      else if (j.status === 'failed') ctx.toast(`${t('print.failed')}: ${j.message ?? ''}`, 'error');
    }));
    await bar.refresh();
    try {
      methods = await ctx.backend.paymentMethods();
      selected = methods.find((m) => m.qr)?.method ?? null;
      const cur = await ctx.backend.currentSale();
      if (cur && (cur.status === 'pending' || cur.status === 'processing')) {
        sale = onOrder({ ...newSale(formatFen(cur.amount)), orderNo: cur.order_no }, cur);
      }
    } catch (e) { ctx.toast(errorText(e), 'error'); }
    render();
    scan.focus();
  })();
  render();
  setTimeout(() => scan.focus(), 0);
  return { el: root, dispose: () => disposers.forEach((d) => d()) };
}
