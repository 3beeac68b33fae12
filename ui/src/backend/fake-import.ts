// The fake backend's orders import: CSV with a header (the columns of docs/orders-import.md that
// the screen needs), checked whole first like core does — every error names its line and field,
// nothing is added while any remains.

import { parseYuan } from '../money';
import type * as T from './types';

const FINAL = ['success', 'refunded', 'closed', 'failed'];
const ACCOUNTS: Record<string, { channel: string; method: T.Method }> = {
  'alipay-main': { channel: 'alipay', method: 'alipay' },
  'wechat-main': { channel: 'wechat', method: 'wechat' },
  'unionpay-main': { channel: 'unionpay', method: 'unionpay' },
};

function time(s: string | undefined): string | null {
  if (!s) return null;
  const d = new Date(s.includes('T') ? s : `${s.replace(' ', 'T')}+08:00`);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

export function fakeImport(file: T.ReconFile, dryRun: boolean, book: T.Order[], user: string): T.OrdersImported {
  const text = new TextDecoder().decode(new Uint8Array(file.bytes)).replace(/^\uFEFF/, '');
  const [head = '', ...rows] = text.split(/\r?\n/);
  const cols = head.split(',').map((c) => c.trim());
  const errors: T.ImportLineError[] = [];
  for (const need of ['order_no', 'account', 'amount', 'status', 'created_at']) {
    if (!cols.includes(need)) errors.push({ line: 1, field: need, message: 'the header has no such column (it is required)' });
  }
  const seen = new Set(book.map((o) => o.order_no));
  const out: T.Order[] = [];
  rows.forEach((row, i) => {
    if (!row.trim() || errors.length && errors[0].line === 1) return;
    const line = i + 2;
    const f: Record<string, string> = {};
    row.split(',').forEach((v, k) => { if (cols[k]) f[cols[k]] = v.trim(); });
    const bad = (field: string, message: string) => { errors.push({ line, field, message }); };
    const acct = ACCOUNTS[f.account ?? ''];
    const amount = parseYuan(f.amount ?? '');
    const created = time(f.created_at);
    const paid = time(f.paid_at);
    if (!/^[A-Za-z0-9_-]{6,32}$/.test(f.order_no ?? '')) return bad('order_no', 'required: 6 to 32 letters, digits, - or _');
    if (seen.has(f.order_no)) return bad('order_no', `order ${f.order_no} is in the book already`);
    if (!acct) return bad('account', `no account named "${f.account ?? ''}" in this book`);
    if (!amount) return bad('amount', `"${f.amount ?? ''}" is not an amount like 12.34`);
    if (!FINAL.includes(f.status ?? '')) return bad('status', 'only final orders can be imported (success, refunded, closed, failed)');
    if (!created) return bad('created_at', 'not a time like 2026-11-25 10:00:00');
    const isPaid = f.status === 'success' || f.status === 'refunded';
    if (isPaid && !paid) return bad('paid_at', `required for a ${f.status} order`);
    seen.add(f.order_no);
    out.push({
      order_no: f.order_no, kind: 'qr', method: acct.method, channel: acct.channel, account: f.account, amount, refunded: f.status === 'refunded' ? amount : 0,
      fee: Math.round(amount * 0.006), status: f.status as T.OrderStatus, subject: f.subject || '导入 imported', channel_trade_no: null, qr_code: null,
      auth_code_masked: null, failure_code: null, failure_message: null, operator: f.operator || null, principal: { kind: 'user', name: user, role: 'owner' },
      till: 'T1', idempotency_key: null, created_at: created, updated_at: paid ?? created, expires_at: created, paid_at: isPaid ? paid : null, origin: 'import',
    });
  });
  if (errors.length) return { report: null, errors: errors.slice(0, 20), total_errors: errors.length };
  const times = out.map((o) => o.created_at).sort();
  const paidOnes = out.filter((o) => o.paid_at);
  const report: T.ImportReport = {
    orders: out.length, refunds: out.filter((o) => o.refunded).length, paid: paidOnes.length, paid_amount: paidOnes.reduce((a, o) => a + o.amount, 0),
    refunded_amount: out.reduce((a, o) => a + o.refunded, 0), first_created: times[0] ?? null, last_created: times[times.length - 1] ?? null, dry_run: dryRun,
  };
  if (!dryRun) book.unshift(...out.reverse());
  return { report, errors: [], total_errors: 0 };
}
