// Reconciliation inside the FakeBackend: yesterday's automatic run with the demo's planted
// differences (the same ones the Rust demo seeds, the 收款码 sticker payment among them), runs with
// progress events, re-query (fixes the closed-but-paid order), resolve with a note, accepting
// external payments, exports. As in the core: a re-run keeps the ids of the differences it finds
// again and supersedes the others; a failed run replaces nothing and is shown beside the last
// good one. Roles are checked by the caller.

import { BackendError } from './errors';
import type * as T from './types';

type Listener<P> = (p: P) => void;

function ymd(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

export function yesterday(): string {
  return ymd(new Date(Date.now() - 86_400_000));
}

const ACCOUNT: T.ReconAccount = { name: 'sandbox-demo', channel: 'sandbox', display_name: '演示收款 Demo' };
const DISCREPANCY_ORDER: T.DiscrepancyKind[] = ['missing_in_book', 'missing_at_channel', 'amount_differs', 'status_differs', 'fee_differs', 'refund_differs', 'duplicate', 'external'];
const EMPTY: T.ReconSummary = { payments: 0, payment_amount: 0, refunds: 0, refund_amount: 0, fees: 0, net: 0, book_payments: 0, book_payment_amount: 0, book_refunds: 0, book_refund_amount: 0, matched: 0, mismatched: 0, crossed_day: 0, adjacent_missing: [], declared_ok: null, kinds: [] };

export class FakeRecon {
  private runs: T.ReconRun[] = [];
  private items: T.ReconItem[] = [];
  private actions = new Map<number, T.ReconAction[]>();
  private seq = 0;
  private progress: Listener<T.ReconProgress>[] = [];
  private finished: Listener<T.ReconRun>[] = [];

  constructor(private wait: (ms?: number) => Promise<unknown>, private actor: () => string | null) {
    this.makeRun(yesterday(), 'schedule');
  }

  private side(status: string, amount: number | null, fee: number | null, time: string | null, trade: string | null): T.ReconSide {
    return { status, amount, refund_amount: null, fee, time, trade_no: trade };
  }

  private makeRun(day: string, trigger: string): T.ReconRun {
    const id = ++this.seq;
    const planted = day === yesterday();
    const no = (n: number) => `P${day.replaceAll('-', '')}${String(120000 + n * 7).padStart(6, '0')}000D1${String(n).padStart(3, '0')}`;
    const summary: T.ReconSummary = {
      payments: planted ? 23 : 15, payment_amount: planted ? 53880 : 31500, refunds: 2, refund_amount: 2250, fees: planted ? 310 : 176, net: 0,
      book_payments: planted ? 21 : 15, book_payment_amount: planted ? 50529 : 31500, book_refunds: 2, book_refund_amount: 2250,
      matched: planted ? 21 : 17, mismatched: planted ? 4 : 0, crossed_day: 0, adjacent_missing: [], declared_ok: null,
    };
    summary.net = summary.payment_amount - summary.refund_amount - summary.fees;
    const fixedBefore = this.items.some((i) => i.day === day && i.state === 'fixed' && i.kind === 'status_differs');
    const accepted = this.items.some((i) => i.day === day && i.kind === 'external' && i.state === 'fixed');
    const base = { run_id: id, account: ACCOUNT.name, day, refund_no: null, line: 'payment' as const, updated_at: new Date().toISOString() };
    const list: Omit<T.ReconItem, 'id' | 'state' | 'note'>[] = planted ? [
      { ...base, kind: 'status_differs', order_no: no(19), book: this.side('closed', 4600, 28, null, null), channel: this.side('PAID', 4600, 28, `${day} 12:32:50`, 'SD19'), detail: 'the channel was paid 46.00; the book says closed', reason: { code: 'paid_book_says', args: { amount: '46.00', status: 'closed' } } },
      { ...base, kind: 'missing_at_channel', order_no: no(20), book: this.side('success', 1999, 12, `${day} 13:05:15`, 'SD20'), channel: null, detail: "paid in our book; not on this day's statement nor the days around it", reason: { code: 'not_on_statement', args: {} } },
      { ...base, kind: 'missing_in_book', order_no: no(21), book: null, channel: this.side('PAID', 3500, 21, `${day} 17:45:30`, 'SD21'), detail: 'the channel has a payment our book does not know', reason: { code: 'unknown_payment', args: {} } },
      { ...base, kind: 'amount_differs', order_no: no(22), book: this.side('success', 1200, 7, `${day} 18:15:25`, 'SD22'), channel: this.side('PAID', 1250, 8, `${day} 18:15:25`, 'SD22'), detail: 'book 12.00 vs channel 12.50', reason: { code: 'amount', args: { book: '12.00', channel: '12.50' } } },
      { ...base, kind: 'external', order_no: '', book: null, channel: this.side('PAID', 1500, 9, `${day} 11:11:30`, 'SDQR1764040290'), detail: 'a payment taken outside Paydesk (no Paydesk order number): accept it as an external sale, or resolve it', reason: { code: 'external_payment', args: {} } },
    ].filter((i) => !(fixedBefore && i.kind === 'status_differs') && !(accepted && i.kind === 'external')) as Omit<T.ReconItem, 'id' | 'state' | 'note'>[] : [];
    // The same difference keeps its item (id, state, note); the others of the day are superseded.
    const key = (i: { kind: string; order_no: string; channel: T.ReconSide | null }) => `${i.kind}|${i.order_no}|${i.channel?.trade_no ?? ''}`;
    const found = new Set<number>();
    for (const i of list) {
      const prior = this.items.find((x) => x.day === day && key(x) === key(i));
      if (prior) {
        Object.assign(prior, { ...i, id: prior.id, state: prior.state === 'fixed' ? 'open' : prior.state, note: prior.note, superseded_by: null });
        found.add(prior.id);
      } else {
        const item: T.ReconItem = { ...i, id: ++this.seq, state: 'open', note: null, superseded_by: null };
        this.items.push(item);
        found.add(item.id);
      }
    }
    for (const i of this.items) if (i.day === day && !found.has(i.id) && !i.superseded_by) i.superseded_by = id;
    summary.mismatched = list.length;
    summary.matched = planted ? 21 + (fixedBefore ? 1 : 0) + (accepted ? 1 : 0) : summary.matched;
    summary.kinds = DISCREPANCY_ORDER.map((k) => ({ kind: k, count: list.filter((i) => i.kind === k).length, amount: list.filter((i) => i.kind === k).reduce((n, i) => n + ((i.channel ?? i.book)?.amount ?? 0), 0) })).filter((k) => k.count > 0);
    const open = this.items.filter((i) => i.day === day && !i.superseded_by && i.state === 'open').length;
    const run: T.ReconRun = {
      id, account: ACCOUNT.name, channel: ACCOUNT.channel, day, trigger, operator: this.actor(), status: 'done', error: null, summary,
      statement: { id, account: ACCOUNT.name, day, format: 'sandbox-csv', file: `statements/${ACCOUNT.name}/${day}/9f2c4e1ab3d0-sandbox-${day}.csv`, sha256: '9f2c4e1ab3d07c55e0a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5a6b', bytes: 2310, rows: summary.payments + summary.refunds, origin: 'download', stored_at: new Date().toISOString() },
      started_at: new Date().toISOString(), finished_at: new Date().toISOString(), open,
    };
    this.runs.push(run);
    return run;
  }

  private latest(scope: T.ReconScope | null): T.ReconRun[] {
    const from = scope?.from ?? yesterday();
    const to = scope?.to ?? yesterday();
    const byKey = new Map<string, T.ReconRun>();
    const failures = new Map<string, T.ReconRun>();
    for (const r of this.runs) {
      if (r.day < from || r.day > to || (scope?.accounts.length && !scope.accounts.includes(r.account))) continue;
      const k = `${r.account}/${r.day}`;
      if (r.status === 'done' || !byKey.has(k) || byKey.get(k)?.status !== 'done') byKey.set(k, r);
      if (r.status === 'failed') failures.set(k, r); else failures.delete(k);
    }
    for (const [k, f] of failures) {
      const r = byKey.get(k);
      if (r && r.status === 'done') byKey.set(k, { ...r, failure: { run_id: f.id, error: f.error ?? '', at: f.started_at } });
    }
    return [...byKey.values()].map((r) => ({ ...r, open: this.items.filter((i) => i.day === r.day && !i.superseded_by && i.state === 'open').length })).sort((a, b) => a.day.localeCompare(b.day));
  }

  private check(scope: T.ReconScope) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(scope.from)) throw new BackendError('invalid', 'from: use YYYY-MM-DD');
    if (!/^\d{4}-\d{2}-\d{2}$/.test(scope.to) || scope.to < scope.from) throw new BackendError('invalid', 'to: must be on or after the first day, at most 62 days later');
  }

  async overview(scope: T.ReconScope | null): Promise<T.ReconOverview> {
    if (scope) this.check(scope);
    return { runs: this.latest(scope), accounts: [ACCOUNT], yesterday: yesterday() };
  }

  async run(scope: T.ReconScope, file: T.ReconFile | null): Promise<T.ReconRun[]> {
    this.check(scope);
    if (scope.to >= ymd(new Date(Date.now() + 86_400_000))) throw new BackendError('invalid', `day: ${scope.to} is in the future`);
    if (file && !new TextDecoder().decode(new Uint8Array(file.bytes.slice(0, 40))).startsWith('trade_no,order_no,type,amount')) {
      // Recorded as a failed run; the day keeps showing its last good run, the failure beside it.
      const message = `statement of ${ACCOUNT.name} for ${scope.from}: line 1: not a statement format Paydesk knows (known: unionpay-zm-zip, alipay-trade-zip, alipay-trade-csv, wechat-tradebill, sandbox-csv, unionpay-zm)`;
      const now = new Date().toISOString();
      this.runs.push({ id: ++this.seq, account: ACCOUNT.name, channel: ACCOUNT.channel, day: scope.from, trigger: 'manual', operator: this.actor(), status: 'failed', error: message, summary: { ...EMPTY }, statement: null, started_at: now, finished_at: now, open: 0 });
      throw new BackendError('bad_statement', message);
    }
    const out: T.ReconRun[] = [];
    for (let d = new Date(`${scope.from}T12:00:00`); ymd(d) <= scope.to; d = new Date(d.getTime() + 86_400_000)) {
      for (const phase of ['download', 'parse', 'book', 'match', 'save'] as T.ReconPhase[]) {
        this.progress.forEach((l) => l({ account: ACCOUNT.name, phase, done: phase === 'parse' ? 24 : 0, total: null }));
        await this.wait(60);
      }
      const r = this.makeRun(ymd(d), 'manual');
      this.finished.forEach((l) => l(r));
      out.push(r);
    }
    return out;
  }

  async items_(runIds: number[], f: T.ReconItemFilter): Promise<T.ReconItem[]> {
    return this.items.filter((i) => runIds.includes(i.run_id) && (!f.kind || i.kind === f.kind) && (!f.state || i.state === f.state)).map((i) => ({ ...i }));
  }

  async itemActions(id: number): Promise<T.ReconAction[]> { return this.actions.get(id) ?? []; }

  private act(id: number, action: string, outcome: string, note: string | null) {
    const list = this.actions.get(id) ?? [];
    list.push({ action, outcome, note, actor: this.actor(), at: new Date().toISOString() });
    this.actions.set(id, list);
  }

  private item(id: number): T.ReconItem {
    const i = this.items.find((x) => x.id === id);
    if (!i) throw new BackendError('not_found', `discrepancy ${id} not found`);
    return i;
  }

  async requery(id: number): Promise<T.ReconItem> {
    const i = this.item(id);
    await this.wait(120);
    if (i.kind === 'status_differs') {
      i.state = 'fixed';
      this.act(id, 'requery', 'book corrected: order closed → success', null);
    } else this.act(id, 'requery', i.kind === 'missing_in_book' ? 'the order is not in the book: nothing to query' : 'the channel confirms the book: order success', null);
    return { ...i };
  }

  private settleable(id: number): T.ReconItem {
    const i = this.item(id);
    if (i.superseded_by) throw new BackendError('invalid', `id: discrepancy ${id} was superseded: run ${i.superseded_by} of ${i.day} no longer found this difference, so there is nothing to settle`);
    if (i.state === 'fixed') throw new BackendError('invalid', `state: discrepancy ${id} was already fixed`);
    return i;
  }

  async accept(ids: number[], note: string): Promise<T.ReconItem[]> {
    const n = note.trim();
    if (!n) throw new BackendError('invalid', 'note: write why this difference is fine or what was done');
    const list = ids.map((id) => this.settleable(id));
    const wrong = list.find((i) => i.kind !== 'external');
    if (wrong) throw new BackendError('invalid', `ids: discrepancy ${wrong.id} is ${wrong.kind}, not a payment taken outside Paydesk`);
    await this.wait(120);
    for (const i of list) {
      i.state = 'fixed';
      i.note = n;
      this.act(i.id, 'accept', `booked as external sale PX${i.channel?.trade_no ?? ''}`, n);
    }
    return list.map((i) => ({ ...i }));
  }

  async resolve(id: number, note: string): Promise<T.ReconItem> {
    const n = note.trim();
    if (!n) throw new BackendError('invalid', 'note: write why this difference is fine or what was done');
    const i = this.settleable(id);
    i.state = 'resolved';
    i.note = n;
    this.act(id, 'resolve', 'resolved', n);
    return { ...i };
  }

  async export(scope: T.ReconScope, format: T.ExportFormat): Promise<T.ReconExported> {
    this.check(scope);
    const runs = this.latest(scope);
    if (!runs.length) throw new BackendError('invalid', 'scope: no reconciliation for these days yet: run it first');
    const stem = scope.from === scope.to ? `reconciliation-${scope.from}` : `reconciliation-${scope.from}-${scope.to}`;
    const dir = '/home/demo/.local/share/paydesk/exports';
    const paths = format === 'xlsx' || format === 'txt' ? [`${dir}/${stem}.${format}`] : ['summary', 'discrepancies', 'matched'].map((t) => `${dir}/${stem}-${t}${format === 'csv_gbk' ? '-gbk' : ''}.csv`);
    return { paths, runs: runs.length };
  }

  async alert(): Promise<T.ReconAlert | null> {
    const runs = this.latest(null);
    const open = runs.reduce((n, r) => n + r.open, 0);
    const failed = runs.filter((r) => r.status === 'failed' || r.failure).length;
    return open > 0 || failed > 0 ? { day: yesterday(), runs: runs.length, open, failed } : null;
  }

  onProgress(cb: Listener<T.ReconProgress>) { this.progress.push(cb); return () => { this.progress = this.progress.filter((l) => l !== cb); }; }
  onFinished(cb: Listener<T.ReconRun>) { this.finished.push(cb); return () => { this.finished = this.finished.filter((l) => l !== cb); }; }
}
