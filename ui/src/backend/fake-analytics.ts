// The fake backend's analytics: a deterministic synthetic history (busier weekends, lunch and
// dinner peaks) plus the orders taken in this browser session, folded the way the Rust side
// defines the figures. Charts are plain SVG bars (the real ones come from plotters in Rust).

import { BackendError } from './errors';
import type * as A from './analytics';
import type { Order } from './types';

const DAY = 86_400_000;
const HOURS = [0, 0, 0, 0, 0, 0, 0, 3, 9, 6, 5, 10, 16, 9, 5, 5, 6, 10, 14, 11, 7, 4, 0, 0];
const WEEKDAY = [85, 80, 85, 92, 110, 140, 130];

const iso = (d: Date) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
const day0 = (d: Date) => new Date(d.getFullYear(), d.getMonth(), d.getDate());
const addDays = (d: Date, n: number) => new Date(d.getFullYear(), d.getMonth(), d.getDate() + n);
const parseDay = (s: string | null | undefined, field: string) => {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec((s ?? '').trim());
  const d = m ? new Date(+m[1], +m[2] - 1, +m[3]) : null;
  if (!d || iso(d) !== (s ?? '').trim()) throw new BackendError('invalid', `${field}: ${s ? `"${s}" is not a date like 2026-11-25` : 'pick a day'}`);
  return d;
};

/** [from, to] and the period compared with, as local days. */
export function resolve(range: A.RangeInput, now: Date): [Date, Date, Date, Date] {
  const today = day0(now);
  const monday = addDays(today, -((today.getDay() + 6) % 7));
  switch (range.period) {
    case 'today': return [today, today, addDays(today, -1), addDays(today, -1)];
    case 'yesterday': return [addDays(today, -1), addDays(today, -1), addDays(today, -2), addDays(today, -2)];
    case 'week': return [monday, today, addDays(monday, -7), addDays(today, -7)];
    case 'month': { const f = new Date(today.getFullYear(), today.getMonth(), 1); return [f, today, new Date(f.getFullYear(), f.getMonth() - 1, 1), new Date(f.getFullYear(), f.getMonth() - 1, today.getDate())]; }
    case 'year': { const f = new Date(today.getFullYear(), 0, 1); return [f, today, new Date(f.getFullYear() - 1, 0, 1), new Date(f.getFullYear() - 1, today.getMonth(), today.getDate())]; }
    case 'custom': {
      const from = parseDay(range.from, 'from');
      const to = parseDay(range.to, 'to');
      if (to < from) throw new BackendError('invalid', `to: ${iso(to)} is before ${iso(from)}`);
      const n = Math.round((to.getTime() - from.getTime()) / DAY) + 1;
      if (n > 1098) throw new BackendError('invalid', `to: the range has ${n} days; at most 1098 are allowed`);
      return [from, to, addDays(from, -n), addDays(from, -1)];
    }
  }
}

/** Synthetic paid orders of one day per hour, in fen: [orders, gross]. */
function synthetic(d: Date): [number, number][] {
  let seed = d.getFullYear() * 372 + d.getMonth() * 31 + d.getDate();
  const rnd = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
  const scale = WEEKDAY[(d.getDay() + 6) % 7] / 100;
  return HOURS.map((w) => { const n = Math.round(w * 1.6 * scale * (0.8 + rnd() * 0.4)); return [n, n * (3800 + Math.round(rnd() * 2400))]; });
}

interface Acc { gross: number; orders: number; attempts: number; failed: number; closed: number; refunds: number; refundCount: number; fees: number }
const zero = (): Acc => ({ gross: 0, orders: 0, attempts: 0, failed: 0, closed: 0, refunds: 0, refundCount: 0, fees: 0 });

function dayFigures(d: Date, orders: Order[], now: Date): { acc: Acc; hours: [number, number][]; byChannel: Map<string, Acc> } {
  const past = d.getTime() <= day0(now).getTime();
  const hours = past ? synthetic(d) : HOURS.map((): [number, number] => [0, 0]);
  const acc = zero();
  const byChannel = new Map<string, Acc>();
  const ch = (c: string) => { if (!byChannel.has(c)) byChannel.set(c, zero()); return byChannel.get(c)!; };
  hours.forEach(([n, g], h) => {
    if (d.getTime() === day0(now).getTime() && h > now.getHours()) { hours[h] = [0, 0]; return; }
    for (const [c, share] of [['wechat', 0.55], ['alipay', 0.45]] as const) {
      const x = ch(c); x.orders += Math.round(n * share); x.attempts += Math.round(n * share * 1.03); x.gross += Math.round(g * share); x.fees += Math.round(g * share * 0.0038);
      x.failed += Math.round(n * share * 0.03);
    }
  });
  for (const o of orders) {
    if (day0(new Date(o.created_at)).getTime() !== d.getTime() || o.status === 'pending' || o.status === 'processing') continue;
    const x = ch(o.channel);
    const paid = o.status === 'success' || o.status === 'refunded';
    x.attempts++; if (paid) { x.orders++; x.gross += o.amount; x.fees += o.fee; x.refunds += o.refunded; x.refundCount += o.refunded ? 1 : 0; }
    if (o.status === 'failed') x.failed++; if (o.status === 'closed') x.closed++;
    if (paid) { const h = new Date(o.created_at).getHours(); hours[h] = [hours[h][0] + 1, hours[h][1] + o.amount]; }
  }
  for (const x of byChannel.values()) (Object.keys(acc) as (keyof Acc)[]).forEach((k) => { acc[k] += x[k]; });
  return { acc, hours, byChannel };
}

const totals = (a: Acc): A.Totals => ({
  gross: a.gross, refunds: a.refunds, net: a.gross - a.refunds, fees: a.fees, orders: a.orders, refund_count: a.refundCount, attempts: a.attempts,
  failed: a.failed, closed: a.closed, average_ticket: a.orders ? Math.round(a.gross / a.orders) : 0, success_rate_bp: a.attempts ? Math.round((a.orders * 10000) / a.attempts) : null,
});

function kpis(c: A.Totals, p: A.Totals): A.Kpi[] {
  const k = (key: A.KpiKey, unit: A.Kpi['unit'], value: number | null, previous: number | null, higher_is_better = true): A.Kpi => ({
    key, unit, value, previous, higher_is_better, diff: value !== null && previous !== null ? value - previous : null,
    change_bp: unit !== 'basis_points' && value !== null && previous ? Math.round(((value - previous) * 10000) / Math.abs(previous)) : null,
  });
  return [k('gross', 'fen', c.gross, p.gross), k('refunds', 'fen', c.refunds, p.refunds, false), k('net', 'fen', c.net, p.net), k('orders', 'count', c.orders, p.orders),
    k('average_ticket', 'fen', c.orders ? c.average_ticket : null, p.orders ? p.average_ticket : null), k('success_rate', 'basis_points', c.success_rate_bp, p.success_rate_bp), k('fees', 'fen', c.fees, p.fees, false)];
}

function svg(kind: A.ChartKind, values: number[], look: A.Look): string {
  const max = Math.max(1, ...values);
  const w = 600 / Math.max(1, values.length);
  const bars = values.map((v, i) => `<rect x="${20 + i * w}" y="${320 - (v / max) * 260}" width="${Math.max(1, w - 2)}" height="${(v / max) * 260}" fill="#1677FF"/>`).join('');
  const bg = look.theme === 'dark' ? '#1B1D22' : '#FFFFFF';
  return `<svg xmlns="http://www.w3.org/2000/svg" width="640" height="340" viewBox="0 0 640 340" data-fake-chart="${kind}"><rect width="640" height="340" fill="${bg}"/><text x="20" y="30" fill="#6B7280">${kind}</text>${bars}</svg>`;
}

export function fakeAnalytics(orders: Order[], range: A.RangeInput, look: A.Look, now = new Date()): A.AnalyticsView {
  const [from, to, pfrom, pto] = resolve(range, now);
  const span = (a: Date, b: Date) => { const v: Date[] = []; for (let d = a; d <= b; d = addDays(d, 1)) v.push(d); return v; };
  const cur = span(from, to).map((d) => ({ d, ...dayFigures(d, orders, now) }));
  const prev = span(pfrom, pto).map((d) => ({ d, ...dayFigures(d, orders, now) }));
  const sum = (xs: { acc: Acc }[]) => xs.reduce((a, x) => { (Object.keys(a) as (keyof Acc)[]).forEach((k) => { a[k] += x.acc[k]; }); return a; }, zero());
  const current = totals(sum(cur));
  const previous = totals(sum(prev));
  const channels = new Map<string, Acc>();
  cur.forEach((x) => x.byChannel.forEach((v, k) => { const a = channels.get(k) ?? zero(); (Object.keys(a) as (keyof Acc)[]).forEach((f) => { a[f] += v[f]; }); channels.set(k, a); }));
  const byHour = HOURS.map((_, h) => ({ hour: h, orders: cur.reduce((s, x) => s + x.hours[h][0], 0), gross: cur.reduce((s, x) => s + x.hours[h][1], 0), previous_gross: prev.reduce((s, x) => s + x.hours[h][1], 0) }));
  const heatmap = [0, 1, 2, 3, 4, 5, 6].map((wd) => HOURS.map((_, h) => cur.filter((x) => (x.d.getDay() + 6) % 7 === wd).reduce((s, x) => s + x.hours[h][0], 0)));
  const win = (a: Date, b: Date): A.Window => ({ from: iso(a), to: iso(b), start: a.toISOString(), end: addDays(b, 1).toISOString() });
  const chs: A.ChannelFigures[] = [...channels.entries()].map(([channel, a]) => ({ channel, attempts: a.attempts, orders: a.orders, failed: a.failed, closed: a.closed, success_rate_bp: a.attempts ? Math.round((a.orders * 10000) / a.attempts) : null, gross: a.gross, fees: a.fees, refunds: a.refunds, refund_count: a.refundCount })).sort((a, b) => b.gross - a.gross);
  const dashboard: A.Dashboard = {
    timezone: 'Asia/Shanghai', generated_at: now.toISOString(), window: win(from, to), previous_window: win(pfrom, pto), current, previous, kpis: kpis(current, previous),
    by_day: cur.map((x, i) => ({ date: iso(x.d), gross: x.acc.gross, refunds: x.acc.refunds, net: x.acc.gross - x.acc.refunds, orders: x.acc.orders, attempts: x.acc.attempts, previous_date: prev[i] ? iso(prev[i].d) : null, previous_gross: prev[i] ? prev[i].acc.gross : null })),
    by_hour: byHour, by_weekday: heatmap.map((row, i) => ({ weekday: i + 1, orders: row.reduce((a, b) => a + b, 0), gross: 0, days: cur.filter((x) => (x.d.getDay() + 6) % 7 === i).length })),
    heatmap, channels: chs, methods: chs.filter((c) => c.orders > 0).map((c) => ({ method: c.channel, orders: c.orders, gross: c.gross, share_bp: current.gross ? Math.round((c.gross * 10000) / current.gross) : 0 })),
    failures: current.failed ? [{ channel: 'wechat', code: 'NOTENOUGH', message: '余额不足', count: Math.ceil(current.failed / 2), share_bp: 5000 }, { channel: 'alipay', code: 'ACQ.BUYER_BALANCE_NOT_ENOUGH', message: '买家余额不足', count: Math.floor(current.failed / 2), share_bp: 5000 }] : [],
  };
  const charts: A.AnalyticsView['charts'] = [
    { kind: 'sales', svg: svg('sales', cur.length === 1 ? byHour.map((h) => h.gross) : cur.map((x) => x.acc.gross), look) },
    { kind: 'hours', svg: svg('hours', byHour.map((h) => h.gross), look) },
    { kind: 'heatmap', svg: svg('heatmap', heatmap.flat(), look) },
    { kind: 'methods', svg: svg('methods', dashboard.methods.map((m) => m.gross), look) },
    { kind: 'channels', svg: svg('channels', chs.map((c) => c.success_rate_bp ?? 0), look) },
  ];
  return { dashboard, charts };
}
