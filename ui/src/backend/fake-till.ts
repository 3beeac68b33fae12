// The fake backend's till day: shifts with a blind count, X/handover/Z reports folded from the
// fake's orders, print jobs (failing with no_printer until a printer is set), like the Rust side.

import { BackendError } from './errors';
import type * as T from './types';

type Listener<P> = (p: P) => void;

const pad = (n: number) => String(n).padStart(2, '0');
const day = (d = new Date()) => `${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}`;

export class FakeTill {
  shift: T.Shift | null = null;
  history: T.Shift[] = [];
  private reports = new Map<string, T.ShiftReport>();
  zs: T.ZReport[] = [];
  jobs: T.PrintJob[] = [];
  private listeners: Listener<T.PrintJob>[] = [];
  printer: T.PrinterSettings = {
    connection: 'tcp', address: '127.0.0.1:9100', device: '/dev/usb/lp0', paper_mm: 80, shop_name: '演示小店', header: [], footer: ['谢谢惠顾 Thank you'],
    order_code: 'qr', drawer_kick: true, cut: true, auto_print: true, timeout_secs: 5,
  };

  /** `openFor`: a shift already open (a till mid-day), as most screens expect. */
  constructor(openFor: string | null) {
    if (openFor) this.open(openFor, 20000);
  }

  open(user: string, float: number): T.Opened {
    if (this.shift) throw new BackendError('conflict', `shift ${this.shift.shift_no} of ${this.shift.opened_by} is still open at till T1; close it (count the drawer) first`);
    const n = this.history.filter((s) => s.shift_no.startsWith(`T1-${day()}`)).length + 1;
    this.shift = { shift_no: `T1-${day()}-${n}`, till: 'T1', store: 'S1', kind: 'cashier', opened_by: user, opened_at: new Date().toISOString(), opening_float: float, status: 'open', closed_at: null, closed_by: null, handed_to: null, counted_cash: null, expected_cash: null, z_no: null };
    this.history.unshift(this.shift);
    return { shift: { ...this.shift }, closed_system: null };
  }

  require(): T.Shift {
    if (!this.shift) throw new BackendError('no_shift', 'open a shift first: count the float into the drawer (开班)');
    return this.shift;
  }

  figures(orders: T.Order[], refunds: T.Refund[], shifts: string[], float: number | null): T.Figures {
    const mine = orders.filter((o) => o.shift_no && shifts.includes(o.shift_no));
    const paid = mine.filter((o) => o.status === 'success' || o.status === 'refunded');
    const lines: T.ReportLine[] = [];
    const line = (o: T.Order) => {
      let l = lines.find((x) => x.method === o.method && x.channel === o.channel);
      if (!l) { l = { kind: o.kind, method: o.method, channel: o.channel, count: 0, amount: 0, refund_count: 0, refunded: 0 }; lines.push(l); }
      return l;
    };
    for (const o of paid) { const l = line(o); l.count += 1; l.amount += o.amount; }
    for (const r of refunds.filter((r) => r.status === 'success' && r.shift_no && shifts.includes(r.shift_no))) {
      const o = orders.find((x) => x.order_no === r.order_no);
      if (o) { const l = line(o); l.refund_count += 1; l.refunded += r.amount; }
    }
    const sum = (f: (l: T.ReportLine) => number, only?: string) => lines.filter((l) => !only || l.method === only).reduce((a, l) => a + f(l), 0);
    const gross = sum((l) => l.amount); const refunded = sum((l) => l.refunded);
    const cashSales = sum((l) => l.amount, 'cash'); const cashRefunds = sum((l) => l.refunded, 'cash');
    const voids = mine.filter((o) => o.status === 'closed');
    return {
      lines, sales: new Set(paid.map((o) => o.sale_id ?? o.order_no)).size, paid_count: paid.length, gross, refund_count: sum((l) => l.refund_count), refunded, net: gross - refunded,
      void_count: voids.length, voided: voids.reduce((a, o) => a + o.amount, 0),
      cash: { opening_float: float, sales: cashSales, refunds: cashRefunds, expected: float === null ? null : float + cashSales - cashRefunds, counted: null, over_short: null },
      open_orders: mine.filter((o) => o.status === 'pending' || o.status === 'processing').map((o) => ({ no: o.order_no, method: o.method, amount: o.amount, status: o.status })),
      open_refunds: [],
    };
  }

  report(orders: T.Order[], refunds: T.Refund[], shiftNo: string | null, blind: boolean): T.ShiftReport {
    const s = shiftNo ? this.history.find((x) => x.shift_no === shiftNo) : this.shift;
    if (!s) throw new BackendError(shiftNo ? 'not_found' : 'conflict', shiftNo ? `shift ${shiftNo} not found` : 'no shift is open at till T1');
    const locked = this.reports.get(s.shift_no);
    if (locked) return structuredClone(locked);
    const figures = this.figures(orders, refunds, [s.shift_no], s.opening_float);
    if (blind) figures.cash.expected = null;
    return { shift: { ...s }, generated_at: new Date().toISOString(), figures, locked: false, adjustments: [] };
  }

  close(orders: T.Order[], refunds: T.Refund[], by: string, counted: number, handedTo: string | null): T.ShiftReport {
    const s = this.require();
    const figures = this.figures(orders, refunds, [s.shift_no], s.opening_float);
    const expected = figures.cash.expected ?? 0;
    Object.assign(figures.cash, { counted, over_short: counted - expected });
    Object.assign(s, { status: 'closed', closed_at: new Date().toISOString(), closed_by: by, handed_to: handedTo, counted_cash: counted, expected_cash: expected });
    const r: T.ShiftReport = { shift: { ...s }, generated_at: s.closed_at!, figures, locked: true, adjustments: [] };
    this.reports.set(s.shift_no, structuredClone(r));
    this.shift = null;
    return r;
  }

  closeDay(orders: T.Order[], refunds: T.Refund[], by: string): T.DayClosed {
    if (this.shift) throw new BackendError('conflict', `shift ${this.shift.shift_no} of ${this.shift.opened_by} is still open; close it (count the drawer) before the day close`);
    const today = new Date().toISOString().slice(0, 10);
    if (this.zs.some((z) => z.scope === 'till' && z.business_date === today)) throw new BackendError('conflict', `Z of till T1 for ${today} was already taken; the next Z is the next business day's`);
    const shifts = this.history.filter((s) => s.status === 'closed' && s.z_no === null);
    const n = this.zs.filter((z) => z.scope === 'till').length + 1;
    shifts.forEach((s) => { s.z_no = n; });
    const lines: T.ShiftLine[] = shifts.map((s) => ({ shift_no: s.shift_no, kind: s.kind, opened_by: s.opened_by, closed_by: s.closed_by, handed_to: s.handed_to, opened_at: s.opened_at, closed_at: s.closed_at, opening_float: s.opening_float, expected: s.expected_cash, counted: s.counted_cash, over_short: s.counted_cash === null || s.expected_cash === null ? null : s.counted_cash - s.expected_cash }));
    const z: T.ZReport = { scope: 'till', store: 'S1', till: 'T1', z_no: n, business_date: today, taken_at: new Date().toISOString(), taken_by: by, shifts: lines, tills: [], figures: this.figures(orders, refunds, shifts.map((s) => s.shift_no), null), over_short: lines.reduce((a, l) => a + (l.over_short ?? 0), 0), adjustments: [] };
    const store: T.ZReport = { ...structuredClone(z), scope: 'store', till: '', tills: [['T1', n]] };
    this.zs.unshift(z, store);
    return { till_z: z, store_z: store, waiting_for: [] };
  }

  print(title: string): T.PrintJob {
    const id = this.jobs.length + 1;
    const none = this.printer.connection === 'none';
    const job: T.PrintJob = { id, title, status: none ? 'failed' : 'done', code: none ? 'no_printer' : null, message: none ? 'no receipt printer is set for this till (Settings → Printer)' : null, at: new Date().toISOString() };
    this.jobs.unshift(job);
    setTimeout(() => this.listeners.forEach((l) => l({ ...job })), 10);
    return { ...job, status: 'queued', code: null, message: null };
  }

  retry(id: number): T.PrintJob {
    const j = this.jobs.find((x) => x.id === id);
    if (!j) throw new BackendError('not_found', `print job ${id} is no longer kept`);
    this.jobs = this.jobs.filter((x) => x.id !== id);
    return this.print(j.title);
  }

  onJob(cb: Listener<T.PrintJob>): () => void { this.listeners.push(cb); return () => { this.listeners = this.listeners.filter((l) => l !== cb); }; }
}
