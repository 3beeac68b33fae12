// Orders: filter (status, method, dates, amounts, text), list, detail with the event timeline and
// the channel's ids, refund and same-day revoke (owner + PIN), close, re-query, CSV export, import of historical orders
// (owner). Updates live from events.

import { h, mount } from '../dom';
import { fmtShort, fmtTime, hasKey, t, tk } from '../i18n';
import { formatFen, formatFenGrouped } from '../money';
import { toBackendError } from '../backend/errors';
import { errorText } from '../error-text';
import { METHODS, ORDER_STATUSES, type Order, type OrderDetail, type OrderEvent, type OrderFilter, type Principal } from '../backend/types';
import type { Ctx } from '../context';
import { routeSection } from './routing';
import { importPanel } from './orders-import';
import { revocable } from '../revoke';
import { scopePicker } from '../shop';

/** An event in the screen's language when core gave its code, else core's sentence. */
export function eventText(e: OrderEvent): string {
  const r = e.reason;
  if (!r || !hasKey(`event.${r.code}`)) return e.detail;
  const args: Record<string, string> = { ...r.args };
  if (args.method) args.method = tk('method', args.method);
  if (args.kind) args.kind = tk('kind', args.kind);
  if (args.status) args.status = tk('refundStatus', args.status);
  if (args.error) args.error = ` (${args.error})`;
  if (args.by !== undefined) args.by = principalText(e.by);
  return t(`event.${r.code}` as never, args);
}

/** A badge for an order Paydesk did not take itself (imported, or external accepted from a statement). */
function origin(o: Order): HTMLElement | null {
  return o.origin && o.origin !== 'paydesk' ? h('span', { class: `badge origin-${o.origin}`, 'data-origin': o.origin }, ` ${tk('orderOrigin', o.origin)}`) : null;
}

/** Who did it, as authenticated, in the screen's language. */
export function principalText(p: Principal | null | undefined): string {
  if (!p) return t('principal.none');
  switch (p.kind) {
    case 'user': return t('principal.user', { name: p.name });
    case 'api_key': return t('principal.api_key', { name: p.name, id: p.id });
    case 'os': return t('principal.os', { user: p.user });
    case 'system': return t('principal.system');
  }
}

export function ordersScreen(ctx: Ctx): { el: HTMLElement; dispose: () => void } {
  const filter: OrderFilter = {};
  let orders: Order[] = [];
  let detail: OrderDetail | null = null;
  const disposers: (() => void)[] = [];

  const sel = (name: keyof OrderFilter, options: string[], prefix: string) => h('select', { 'data-filter': name, onchange: (e: Event) => { (filter as Record<string, unknown>)[name] = (e.target as HTMLSelectElement).value || null; void load(); } },
    h('option', { value: '' }, t('orders.all')), options.map((o) => h('option', { value: o }, tk(prefix, o))));
  const inp = (name: keyof OrderFilter, type: string, ph: string) => h('input', { type, placeholder: ph, 'data-filter': name, onchange: (e: Event) => { (filter as Record<string, unknown>)[name] = (e.target as HTMLInputElement).value || null; void load(); } });

  // A chain: which store or till (all by default).
  const scope = h('span', { class: 'scope-slot' });
  void ctx.backend.tillStores().then((tills) => mount(scope, scopePicker(tills, (s) => { filter.store = s.store; filter.till = s.till; void load(); }))).catch(() => {});
  const table = h('div', { class: 'table-wrap' });
  const side = h('aside', { class: 'detail', 'data-test': 'detail' });
  const count = h('span', { class: 'muted', 'data-test': 'count' });
  const root = h('section', { class: 'orders', 'data-screen': 'orders' },
    h('div', { class: 'filters' },
      h('input', { type: 'search', class: 'find', 'data-filter': 'find', placeholder: t('orders.findPh'), title: t('orders.findHelp'),
        onchange: (e: Event) => { filter.find = (e.target as HTMLInputElement).value.trim() || null; void load(); } }),
      scope, inp('text', 'search', t('orders.search')), sel('status', ORDER_STATUSES, 'status'), sel('method', METHODS, 'method'),
      h('label', null, t('orders.from'), inp('from', 'date', '')), h('label', null, t('orders.to'), inp('to', 'date', '')),
      inp('min_amount', 'text', t('orders.minAmount')), inp('max_amount', 'text', t('orders.maxAmount')),
      count,
      ctx.can('export_orders') && h('button', { 'data-test': 'export', onclick: () => void exportCsv() }, t('orders.export'))),
    ctx.can('manage_settings') ? importPanel(ctx, () => void load()) : null,
    h('div', { class: 'split' }, table, side));

  async function load() {
    try { orders = await ctx.backend.listOrders(filter); } catch (e) { ctx.toast(errorText(e), 'error'); }
    renderTable();
  }
  async function exportCsv() {
    try { const r = await ctx.backend.exportOrders(filter); ctx.toast(t('orders.exported', { rows: r.rows, path: r.path })); } catch (e) { ctx.toast(errorText(e), 'error'); }
  }
  async function open(no: string) {
    try { detail = await ctx.backend.orderDetail(no); } catch (e) { ctx.toast(errorText(e), 'error'); }
    renderDetail();
    renderTable();
  }

  function renderTable() {
    count.textContent = t('orders.count', { n: orders.length });
    mount(table, h('table', null,
      h('thead', null, h('tr', null, ['orders.time', 'order.orderNo', 'order.method', 'order.amount', 'order.refunded', 'order.status', 'order.operator'].map((k) => h('th', null, t(k as never))))),
      h('tbody', null, orders.map((o) => h('tr', { class: detail?.order.order_no === o.order_no ? 'selected' : '', 'data-order': o.order_no, onclick: () => void open(o.order_no) },
        h('td', null, fmtShort(o.created_at)), h('td', null, h('button', { class: 'link mono', 'data-open': o.order_no }, o.order_no)), h('td', null, `${tk('method', o.method)} · ${tk('kind', o.kind)}`),
        h('td', { class: 'num' }, formatFenGrouped(o.amount)), h('td', { class: 'num' }, o.refunded ? formatFen(o.refunded) : ''),
        h('td', null, h('span', { class: `badge s-${o.status}`, 'data-status': o.status }, tk('status', o.status)), origin(o)), h('td', null, o.operator ?? ''))))),
      orders.length === 0 ? h('p', { class: 'empty' }, t('orders.none')) : null);
  }

  function renderDetail() {
    if (!detail) { mount(side, h('p', { class: 'muted' }, t('orders.pick'))); return; }
    const o = detail.order;
    const isOpen = o.status === 'pending' || o.status === 'processing';
    const row = (k: string, v: string | null | undefined, cls = '') => v ? [h('dt', null, t(k as never)), h('dd', { class: cls }, v)] : null;
    mount(side,
      h('h2', null, `¥ ${formatFenGrouped(o.amount)} `, h('span', { class: `badge s-${o.status}`, 'data-test': 'detail-status' }, tk('status', o.status)), origin(o)),
      h('dl', null,
        row('order.orderNo', o.order_no, 'mono'), row('order.method', `${tk('method', o.method)} · ${tk('kind', o.kind)}`), row('order.account', o.account),
        row('order.channelTradeNo', o.channel_trade_no, 'mono'), row('order.authCode', o.auth_code_masked, 'mono'), row('order.createdAt', fmtTime(o.created_at)),
        row('order.paidAt', fmtTime(o.paid_at)), row('order.fee', formatFen(o.fee)), row('order.refunded', o.refunded ? formatFen(o.refunded) : null),
        row('order.failure', o.failure_message ? `${o.failure_message} (${o.failure_code})` : null), row('order.takenBy', principalText(o.principal)), row('order.operator', o.operator),
        row('order.tendered', o.tendered != null ? `${formatFen(o.tendered)} (${t('cashier.change')} ${formatFen(o.tendered - o.amount)})` : null),
        row('order.shift', o.shift_no, 'mono'), row('order.sale', o.sale_id && o.sale_total != null ? `${o.sale_id} · ${formatFen(o.sale_total)}` : null, 'mono')),
      h('div', { class: 'actions' },
        ctx.can('requery_order') && o.kind !== 'tender' && h('button', { 'data-test': 'requery', onclick: () => void act(() => ctx.backend.requeryOrder(o.order_no)) }, t('orders.requery')),
        (o.status === 'success' || o.status === 'refunded') && h('button', { 'data-test': 'reprint', onclick: () => void ctx.backend.printReceipt(o.order_no, true).then(() => ctx.toast(t('print.sent'))).catch((e) => ctx.toast(errorText(e), 'error')) }, t('print.reprint')),
        (o.status === 'success' || o.status === 'refunded') && h('button', { 'data-test': 'preview', onclick: () => void preview(o.order_no) }, t('print.preview'))),
      h('div', { class: 'receipt-preview', 'data-test': 'receipt-preview' }),
      h('div', { class: 'actions' },
        isOpen && ctx.can('close_order') && h('button', { 'data-test': 'close', onclick: () => void act(() => ctx.backend.closeOrder(o.order_no)) }, t('orders.close'))),
      o.status === 'success' && ctx.can('refund') ? refundForm(o) : null,
      detail.refunds.length > 0 && h('div', null, h('h3', null, t('orders.refunds')), h('ul', { class: 'refunds' }, detail.refunds.map((r) =>
        h('li', { 'data-refund': r.refund_no, 'data-kind': r.kind ?? 'refund' }, `${r.kind === 'revoke' ? `${t('orders.revokeKind')} · ` : ''}${r.refund_no} · ¥ ${formatFen(r.amount)} · ${tk('refundStatus', r.status)} · ${t('orders.by', { who: principalText(r.principal) })}${r.reason ? ` · ${r.reason}` : ''} `,
          r.status === 'success' ? h('button', { class: 'link', 'data-test': 'print-refund', onclick: () => void ctx.backend.printRefund(r.refund_no).then(() => ctx.toast(t('print.sent'))).catch((e) => ctx.toast(errorText(e), 'error')) }, t('print.print')) : null)))),
      detail.route ? routeSection(detail.route, o.order_no, (no) => void open(no)) : null,
      h('h3', null, t('orders.timeline')),
      h('ol', { class: 'timeline', 'data-test': 'timeline' }, detail.events.map((e) => h('li', null,
        h('time', null, fmtTime(e.at)), h('span', { class: 'src' }, tk('source', e.source)),
        e.to_status && h('span', { class: `badge s-${e.to_status}` }, tk('status', e.to_status)), h('span', { class: 'what', title: e.detail }, eventText(e)),
        e.by && h('span', { class: 'by muted', 'data-test': 'event-by' }, principalText(e.by))))));
  }

  function refundForm(o: Order): HTMLElement {
    const amount = h('input', { 'data-test': 'refund-amount', value: formatFen(o.amount - o.refunded), inputmode: 'decimal' });
    const reason = h('input', { 'data-test': 'refund-reason', placeholder: t('orders.refundReason') });
    const pin = h('input', { type: 'password', inputmode: 'numeric', 'data-test': 'refund-pin', placeholder: t('orders.ownerPin') });
    const msg = h('p', { class: 'error', 'data-test': 'refund-error' });
    const go = async (revoke: boolean) => {
      try {
        const why = reason.value.trim() || null;
        const r = revoke
          ? await ctx.backend.revoke({ order_no: o.order_no, reason: why, pin: pin.value })
          : await ctx.backend.refund({ order_no: o.order_no, amount: amount.value.trim(), reason: why, pin: pin.value });
        ctx.toast(t(revoke ? 'orders.revoked' : 'orders.refunded', { amount: formatFen(r.amount), status: tk('refundStatus', r.status) }));
        await open(o.order_no);
        void load();
      } catch (e) {
        const err = toBackendError(e);
        msg.textContent = err.code === 'bad_pin' ? t('login.badPin') : err.code === 'forbidden' ? t('orders.refundForbidden') : errorText(err);
      }
    };
    // Paid today at a channel: the whole payment can be revoked instead, without a fee.
    const revoke = revocable(o) && h('div', { class: 'revoke', 'data-test': 'revoke' },
      h('p', { class: 'muted' }, t('orders.revokeHint')),
      h('button', { class: 'danger', 'data-test': 'revoke-submit', onclick: () => void go(true) }, t('orders.revokeSubmit', { amount: formatFen(o.amount) })));
    return h('div', { class: 'refund-form', 'data-test': 'refund-form' }, h('h3', null, t('orders.refund')),
      h('label', null, t('order.amount'), amount), h('label', null, t('orders.refundReason'), reason), h('label', null, t('orders.ownerPin'), pin),
      h('button', { class: 'danger', 'data-test': 'refund-submit', onclick: () => void go(false) }, t('orders.refundSubmit')), revoke || null, msg);
  }

  async function preview(no: string) {
    try {
      const url = await ctx.backend.receiptPreview(no);
      const box = side.querySelector('[data-test=receipt-preview]');
      if (box) mount(box as HTMLElement, h('img', { src: url, alt: t('print.preview') }));
    } catch (e) { ctx.toast(errorText(e), 'error'); }
  }

  async function act(f: () => Promise<Order>) {
    try { await f(); if (detail) await open(detail.order.order_no); void load(); } catch (e) { ctx.toast(errorText(e), 'error'); }
  }

  void (async () => {
    disposers.push(await ctx.backend.onOrderChanged((o) => {
      const i = orders.findIndex((x) => x.order_no === o.order_no);
      if (i >= 0) { orders[i] = o; renderTable(); } else void load();
      if (detail?.order.order_no === o.order_no) void open(o.order_no);
    }));
  })();
  renderDetail();
  void load();
  return { el: root, dispose: () => disposers.forEach((d) => d()) };
}
