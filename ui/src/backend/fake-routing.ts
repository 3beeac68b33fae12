// The fake backend's routing: two sandbox accounts (primary + backup) with health, routing
// decisions, inline routing settings with their audit text, daily limits and the demo fault
// switch — close enough to core's rules (core/src/routing) to drive the screens and tests.

import { BackendError } from './errors';
import { parseYuan } from '../money';
import type * as T from './types';

const yuan = (fen: number) => (fen / 100).toFixed(2);

function account(name: string, display: string, priority: number, fee: number): T.AccountView {
  return {
    account: { name, channel: 'sandbox', display_name: display, enabled: true, priority, weight: 1, fee_rate_bp: fee, daily_cap: null, methods: [], base_url: 'http://127.0.0.1:8429/sandbox', params: { merchant_id: 'M100001', private_key_file: `keys/${name}.private_key_file.sealed` } },
    capabilities: { methods: ['sandbox'], qr: true, barcode: true, refund: true, partial_refund: true },
    usable: true,
    health: null,
    degraded: false,
  };
}

interface Tally { calls: number; failures: number; streak: number }

export class FakeRouting {
  accounts: T.AccountView[] = [account('sandbox-demo', '演示收款 Demo', 10, 60), account('sandbox-backup', '备用收款 Backup', 20, 38)];
  limits: T.Limits = {};
  private tallies = new Map<string, Tally>();
  private faults = new Map<string, number>();
  readonly routes = new Map<string, T.RouteDecision>();

  snapshot(name: string): T.HealthSnapshot {
    const t = this.tallies.get(name) ?? { calls: 0, failures: 0, streak: 0 };
    return {
      state: t.streak >= 3 ? 'open' : 'closed', calls: t.calls, failures: t.failures, timeouts: 0,
      success_permille: t.calls ? Math.floor(((t.calls - t.failures) * 1000) / t.calls) : null, fail_streak: t.streak, timeout_streak: 0, trips: t.streak >= 3 ? 1 : 0,
    };
  }

  record(name: string, ok: boolean) {
    const t = this.tallies.get(name) ?? { calls: 0, failures: 0, streak: 0 };
    t.calls += 1;
    if (ok) t.streak = 0; else { t.failures += 1; t.streak += 1; }
    this.tallies.set(name, t);
  }

  views(): T.AccountView[] {
    return this.accounts.map((v) => ({ ...structuredClone(v), health: this.snapshot(v.account.name) }));
  }

  /** Enabled accounts by priority, with the disabled ones as skips. */
  plan(method: T.Method, kind: T.PayKind): T.RouteDecision {
    const on = this.accounts.filter((v) => v.account.enabled).sort((a, b) => a.account.priority - b.account.priority);
    if (!on.length) throw new BackendError('no_account', `no enabled account can take ${method} ${kind} payments`);
    return {
      at: new Date().toISOString(), method, kind, mode: 'auto', fallback: true,
      candidates: on.map((v) => ({ account: v.account.name, channel: v.account.channel, priority: v.account.priority, weight: v.account.weight, health: this.snapshot(v.account.name) })),
      skipped: this.accounts.filter((v) => !v.account.enabled).map((v) => ({ account: v.account.name, reason: 'disabled' as const })),
      attempts: [],
    };
  }

  /** Takes one armed fault of `op`, if any. */
  takeFault(op: string): boolean {
    const n = this.faults.get(op) ?? 0;
    if (n > 0) this.faults.set(op, n - 1);
    return n > 0;
  }

  arm(op: string, times: number) { this.faults.set(op, times); }

  fee(name: string, fen: number): number {
    const bp = this.accounts.find((v) => v.account.name === name)?.account.fee_rate_bp ?? 0;
    return Math.floor((fen * bp + 5000) / 10000);
  }

  /** Applies routing settings; returns the changes as core words them. */
  update(name: string, input: T.RoutingInput): string[] {
    const v = this.accounts.find((x) => x.account.name === name);
    if (!v) throw new BackendError('not_found', `account ${name} not found`);
    const a = v.account;
    if (input.weight !== undefined && input.weight < 1) throw new BackendError('invalid', 'weight: must be at least 1');
    if (input.fee_rate_bp !== undefined && (input.fee_rate_bp < 0 || input.fee_rate_bp > 10000)) throw new BackendError('invalid', 'fee_rate_bp: must be at most 10000 (100 %)');
    let cap = a.daily_cap;
    if (input.daily_cap !== undefined) {
      const text = input.daily_cap.trim();
      const fen = text === '' ? null : parseYuan(text);
      if (text !== '' && fen === null) throw new BackendError('invalid', `daily_cap: amount ${JSON.stringify(text)} is not a plain decimal number of yuan like 12.34`);
      cap = fen === null ? null : yuan(fen);
    }
    const changes: string[] = [];
    const diff = (field: string, from: unknown, to: unknown) => { if (String(from) !== String(to)) changes.push(`${field} ${from} → ${to}`); };
    diff('enabled', a.enabled, input.enabled ?? a.enabled);
    diff('priority', a.priority, input.priority ?? a.priority);
    diff('weight', a.weight, input.weight ?? a.weight);
    diff('fee_rate_bp', a.fee_rate_bp, input.fee_rate_bp ?? a.fee_rate_bp);
    diff('daily_cap', a.daily_cap ?? 'none', cap ?? 'none');
    Object.assign(a, { enabled: input.enabled ?? a.enabled, priority: input.priority ?? a.priority, weight: input.weight ?? a.weight, fee_rate_bp: input.fee_rate_bp ?? a.fee_rate_bp, daily_cap: cap });
    v.usable = a.enabled;
    return changes;
  }

  saveLimits(i: T.LimitsInput): T.Limits {
    const amount = (s: string | null, field: string) => {
      if (!s) return null;
      const fen = parseYuan(s);
      if (fen === null || fen <= 0) throw new BackendError('invalid', `${field}: amount must be greater than zero`);
      return yuan(fen);
    };
    for (const [c, field] of [[i.cashier_count, 'cashier_count'], [i.till_count, 'till_count']] as const) {
      if (c !== null && !(c >= 1)) throw new BackendError('invalid', `${field}: must be at least 1 (leave it empty for no limit)`);
    }
    this.limits = { cashier: { count: i.cashier_count, amount: amount(i.cashier_amount, 'cashier_amount') }, till: { count: i.till_count, amount: amount(i.till_amount, 'till_amount') } };
    return structuredClone(this.limits);
  }

  /** Refuses a payment over a daily limit, like core's `check_limits` (failed/closed do not count). */
  checkLimits(orders: T.Order[], operator: string, fen: number) {
    const today = new Date().toDateString();
    const taken = (o: T.Order) => new Date(o.created_at).toDateString() === today && ['pending', 'processing', 'success', 'refunded'].includes(o.status);
    const checks: [T.DailyLimit | undefined, 'cashier' | 'till', string, T.Order[]][] = [
      [this.limits.till, 'till', 'T1', orders.filter(taken)],
      [this.limits.cashiers?.[operator] ?? this.limits.cashier, 'cashier', operator, orders.filter((o) => taken(o) && o.operator === operator)],
    ];
    for (const [l, scope, who, mine] of checks) {
      if (!l) continue;
      const used = mine.reduce((s, o) => s + o.amount, 0);
      const max = l.amount ? parseYuan(l.amount) ?? 0 : null;
      let d: T.LimitDetails | null = null;
      if (l.count && mine.length >= l.count) d = { scope, who, what: 'count', limit: l.count, used: mine.length, amount: fen };
      else if (max !== null && used + fen > max) d = { scope, who, what: 'amount', limit: max, used, amount: fen };
      if (d) throw new BackendError('limit', `limits.${scope}.${d.what}: ${scope} ${who} is over the daily limit`, d);
    }
  }
}
