// The third leg inside the FakeBackend: the demo's settlement day (the same figures the Rust demo
// seeds: three store accounts, their fund flows, an ICBC statement with WeChat Pay's payout one
// yuan short and UnionPay's not yet in), a second statement bringing UnionPay's, resolve with a
// note, re-check, exports. Roles are checked by the caller.

import { BackendError } from './errors';
import type * as B from './bank';
import type { ExportFormat, ReconExported, ReconFile } from './recon-types';

function ymd(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

const dayPlus = (day: string, n: number) => ymd(new Date(new Date(`${day}T12:00:00`).getTime() + n * 86_400_000));

/** The demo's settlement day: the day before yesterday. */
export function chainDay(): string {
  return ymd(new Date(Date.now() - 2 * 86_400_000));
}

interface Seed { account: string; channel: string; name: string; sales: number[]; refunds: number[]; bp: number; deposit: number | null }

const SEEDS: Seed[] = [
  { account: 'alipay-store', channel: 'alipay', name: '支付宝 · 门店结算演示', sales: [1200, 2850, 3600, 990], refunds: [990], bp: 60, deposit: 0 },
  { account: 'wechat-store', channel: 'wechat', name: '微信支付 · 门店结算演示', sales: [1800, 4200, 1560], refunds: [500], bp: 60, deposit: -100 },
  { account: 'unionpay-store', channel: 'unionpay', name: '云闪付 · 门店结算演示', sales: [5600, 2380], refunds: [], bp: 38, deposit: null },
];

const fee = (fen: number, bp: number) => Math.floor((fen * bp + 5000) / 10000);
const sum = (v: number[]) => v.reduce((a, b) => a + b, 0);

export class FakeBank {
  private unionpayIn = false;
  private items: B.BankItem[] = [];
  private actions = new Map<number, B.BankAction[]>();
  private statements: B.BankStatement[] = [];
  private runs: B.BankRun[] = [];
  private seq = 0;

  constructor(private wait: (ms?: number) => Promise<unknown>, private actor: () => string | null) {
    this.addStatement('icbc', 'demo-bank-statement-icbc.csv', 6);
  }

  private addStatement(preset: string, file: string, rows: number): B.BankStatement {
    const d = chainDay();
    const s: B.BankStatement = { id: ++this.seq, bank_account: '1202021109900012345', preset, file: `bank/${file}`, sha256: '5e2c'.repeat(16), bytes: 900, rows, new_rows: rows, period_from: dayPlus(d, 1), period_to: dayPlus(d, 2), operator: this.actor(), stored_at: new Date().toISOString() };
    this.statements.unshift(s);
    this.run('import');
    return s;
  }

  private account(s: Seed): B.ChainAccount {
    const d = chainDay();
    const fees = sum(s.sales.map((x) => fee(x, s.bp))) - sum(s.refunds.map((x) => fee(x, s.bp)));
    const funds: B.DayFunds = { sales: sum(s.sales), sales_count: s.sales.length, refunds: sum(s.refunds), refund_count: s.refunds.length, fees, net: sum(s.sales) - sum(s.refunds) - fees, other: 0, declared_ok: true, balance_ok: s.channel === 'unionpay' ? null : true };
    const book: B.BookDay = { sales: funds.sales, sales_count: funds.sales_count, refunds: funds.refunds, refund_count: funds.refund_count, fees: sum(s.sales.map((x) => fee(x, s.bp))) };
    const left = s.channel === 'unionpay' ? d : dayPlus(d, 1);
    const arrived = s.deposit !== null || this.unionpayIn;
    const deposited = arrived ? funds.net + (s.deposit ?? 0) : null;
    const item = this.items.find((i) => i.account === s.account);
    const status: B.PayoutStatus = !arrived ? 'pending' : deposited === funds.net ? 'matched' : deposited! < funds.net ? 'short' : 'over';
    const payout: B.ChainPayout = {
      id: SEEDS.indexOf(s) + 1, account: s.account, channel: s.channel, reference: s.channel === 'unionpay' ? `777290058169999-${d.replaceAll('-', '')}` : `${left.replaceAll('-', '')}0008${String(funds.net).padStart(8, '0')}`,
      day: left, for_day: d, amount: funds.net, time: s.channel === 'unionpay' ? null : `${left} 08:00:00`, counterparty: s.channel === 'alipay' ? '工商银行(尾号8888)' : null, covers: [d], expected: funds.net,
      status, deposited, deposit_day: arrived ? dayPlus(d, 1) : null, batch_ok: true, resolved: item?.state === 'resolved',
    };
    const bc: B.Link = { state: 'agree', difference: 0 };
    const cb: B.Link = { state: status === 'pending' ? 'pending' : status === 'matched' || payout.resolved ? 'agree' : 'differ', difference: deposited === null ? 0 : deposited - funds.net };
    return { account: s.account, channel: s.channel, display_name: s.name, book, book_net: book.sales - book.refunds - book.fees, funds, statement_net: null, payouts: [payout], book_channel: bc, channel_bank: cb };
  }

  private worst(links: B.Link[]): B.Link {
    const order: B.LinkState[] = ['agree', 'pending', 'unknown', 'differ'];
    return links.reduce((a, l) => ({ state: order.indexOf(l.state) > order.indexOf(a.state) ? l.state : a.state, difference: a.difference + l.difference }), { state: 'agree', difference: 0 } as B.Link);
  }

  private chain(day: string): B.DayChain {
    const accounts = day === chainDay() ? SEEDS.map((s) => this.account(s)) : [];
    const f = (get: (a: B.ChainAccount) => number) => sum(accounts.map(get));
    const latest = this.runs.filter((r) => r.day === day).pop() ?? null;
    return {
      day, accounts,
      book: { sales: f((a) => a.book.sales), refunds: f((a) => a.book.refunds), fees: f((a) => a.book.fees), net: f((a) => a.book_net) },
      channel: { sales: f((a) => a.funds!.sales), refunds: f((a) => a.funds!.refunds), fees: f((a) => a.funds!.fees), net: f((a) => a.funds!.net) },
      expected: f((a) => a.payouts[0].amount), deposited: f((a) => a.payouts[0].deposited ?? 0),
      book_channel: accounts.length ? this.worst(accounts.map((a) => a.book_channel)) : { state: 'unknown', difference: 0 },
      channel_bank: accounts.length ? this.worst(accounts.map((a) => a.channel_bank)) : { state: 'unknown', difference: 0 },
      bank_run: latest, bank_covered_to: dayPlus(chainDay(), this.unionpayIn ? 3 : 2),
    };
  }

  private run(trigger: string): B.BankRun {
    const d = chainDay();
    const accounts = SEEDS.map((s) => this.account(s));
    const p = accounts.map((a) => a.payouts[0]);
    const short = p.find((x) => x.status === 'short');
    if (short && !this.items.some((i) => i.account === short.account)) {
      this.items.push({
        id: ++this.seq, day: d, kind: 'short_deposit', account: short.account, payout_id: short.id, payout_ref: short.reference, bank_row_id: 2, expected: short.amount, deposited: short.deposited,
        deposit_day: short.deposit_day, payer: '财付通支付科技有限公司', detail: `deposit of ${(short.deposited! / 100).toFixed(2)} on ${short.deposit_day} is 1.00 less than the payout of ${(short.amount / 100).toFixed(2)} (${short.reference})`,
        reason: { code: 'short_deposit', args: { expected: (short.amount / 100).toFixed(2), deposited: (short.deposited! / 100).toFixed(2), difference: '1.00', day: short.deposit_day! } }, state: 'open', note: null, updated_at: new Date().toISOString(),
      });
    }
    const summary: B.BankSummary = {
      payouts: 3, expected: sum(p.map((x) => x.amount)), matched: p.filter((x) => x.status === 'matched').length, deposited: sum(p.map((x) => x.deposited ?? 0)),
      pending: p.filter((x) => x.status === 'pending').length, missing: 0, short: p.filter((x) => x.status === 'short').length, over: 0, unexpected: 0, unexpected_amount: 0, covered_to: dayPlus(d, 2),
    };
    const r: B.BankRun = { id: ++this.seq, day: d, trigger, operator: this.actor(), status: 'done', error: null, summary, started_at: new Date().toISOString(), finished_at: new Date().toISOString(), open: this.items.filter((i) => i.state === 'open').length };
    this.runs.push(r);
    return r;
  }

  async overview(day: string | null): Promise<B.BankOverview> {
    const d = day || chainDay();
    return {
      day: d, default_day: chainDay(), chain: this.chain(d), run: this.runs.filter((r) => r.day === d).pop() ?? null,
      items: this.items.filter((i) => i.day === d), statements: this.statements.slice(0, 5),
      presets: [{ name: 'auto', label: 'auto' }, { name: 'icbc', label: '工商银行 ICBC' }, { name: 'ccb', label: '建设银行 CCB' }, { name: 'cmb', label: '招商银行 CMB' }, { name: 'boc', label: '中国银行 BOC' }, { name: 'abc', label: '农业银行 ABC' }],
    };
  }

  async settle(day: string): Promise<B.BankSettled> {
    await this.wait(300);
    if (day >= ymd(new Date())) throw new BackendError('invalid', 'day: the fund flow of a day exists once the day is over');
    return { read: day === chainDay() ? 5 : 0, errors: [], run: day === chainDay() ? this.run('manual') : null };
  }

  async import(file: ReconFile, preset: string | null): Promise<B.BankImported> {
    await this.wait(300);
    if (!/\.(csv|xlsx|xls|txt)$/i.test(file.name) || file.bytes.length < 20) throw new BackendError('bad_statement', `statement of bank for ${file.name}: line 1: no known bank export layout (icbc, ccb, cmb, boc, abc): choose a preset or add a mapping in config.toml`);
    this.unionpayIn = true;
    const s = this.addStatement(preset && preset !== 'auto' ? preset : 'ccb', file.name, 3);
    return { statement: s, runs: [this.runs[this.runs.length - 1]] };
  }

  async runDay(day: string): Promise<B.BankRun> {
    if (day !== chainDay()) throw new BackendError('invalid', 'day: nothing to run on this day in the demo');
    return this.run('manual');
  }

  private item(id: number): B.BankItem {
    const i = this.items.find((x) => x.id === id);
    if (!i) throw new BackendError('not_found', `bank discrepancy ${id} not found`);
    return i;
  }

  async itemActions(id: number): Promise<B.BankAction[]> { return this.actions.get(id) ?? []; }

  async recheck(id: number): Promise<B.BankItem> {
    await this.wait(200);
    const i = this.item(id);
    const run = this.run('recheck');
    this.actions.set(id, [...(this.actions.get(id) ?? []), { action: 'recheck', outcome: `run ${run.id} still finds it: ${i.detail}`, note: null, actor: this.actor(), at: new Date().toISOString() }]);
    return i;
  }

  async resolve(id: number, note: string): Promise<B.BankItem> {
    const n = note.trim();
    if (!n) throw new BackendError('invalid', 'note: write why this difference is fine or what was done');
    if (n.length > 500) throw new BackendError('invalid', 'note: at most 500 characters');
    const i = this.item(id);
    if (i.state === 'fixed') throw new BackendError('invalid', 'state: this discrepancy was already fixed by a later run');
    Object.assign(i, { state: 'resolved', note: n, updated_at: new Date().toISOString() });
    this.actions.set(id, [...(this.actions.get(id) ?? []), { action: 'resolve', outcome: 'resolved', note: n, actor: this.actor(), at: i.updated_at }]);
    return i;
  }

  async export(from: string, to: string, format: ExportFormat): Promise<ReconExported> {
    if (!this.runs.some((r) => r.day >= from && r.day <= to)) throw new BackendError('invalid', 'day: the bank leg has not run these days yet: import a bank statement first');
    const stem = from === to ? `bank-${from}` : `bank-${from}-${to}`;
    const paths = format === 'xlsx' || format === 'txt' ? [`/home/demo/exports/${stem}.${format}`] : ['summary', 'discrepancies', 'matched'].map((t) => `/home/demo/exports/${stem}-${t}${format === 'csv_gbk' ? '-gbk' : ''}.csv`);
    return { paths, runs: 1 };
  }
}
