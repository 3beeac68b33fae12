// An in-memory Backend for the browser (development and Playwright). It imitates the Rust side
// closely enough to drive every screen: roles, one sale at a time, QR + barcode flows with the
// simulator's payer rules (last digit of the code), refunds with the owner's PIN, events.

import type { Backend, Unsubscribe } from './backend';
import { BackendError } from './errors';
import { methodOfCode, parseYuan } from '../money';
import { FakeRouting } from './fake-routing';
import type * as T from './types';
import type * as A from './analytics';
import { fakeAnalytics } from './fake-analytics';
import { FakeRecon } from './fake-recon';
import { FakeBank } from './fake-bank';
import { fakeImport } from './fake-import';
import { revocable } from '../revoke';
import { FakeTill } from './fake-till';

/** The one shop key file the fake knows. */
export const FAKE_SHOP_KEY = '/media/usb/shop.key';

/** A one-pixel PNG: the fake renders no receipts. */
const PIXEL = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGP4DwABAQEAG7buVgAAAABJRU5ErkJggg==';
import { FakeBackups, checkShop, figuresOf } from './fake-backup';
import type * as B from './backup-types';

const ALL_ACTIONS: T.Action[] = [
  'take_payment', 'view_orders', 'requery_order', 'close_order', 'refund', 'export_orders',
  'view_settings', 'manage_settings', 'manage_accounts', 'manage_users', 'view_audit', 'simulate',
  'view_analytics', 'export_analytics',
  'reconcile', 'resolve_discrepancy', 'view_shifts', 'close_day',
];
const ALLOWED: Record<T.Role, T.Action[]> = {
  owner: ALL_ACTIONS,
  cashier: ['take_payment', 'view_orders', 'requery_order', 'close_order', 'simulate'],
  accountant: ['view_orders', 'requery_order', 'export_orders', 'view_audit', 'view_analytics', 'export_analytics', 'reconcile', 'resolve_discrepancy', 'view_shifts'],
};

type Listener<P> = (p: P) => void;

export interface FakeOptions {
  /** Milliseconds the fake "channel" takes to answer. */
  latency?: number;
  needsSetup?: boolean;
  /** Start with 王芳's shift open (default), as a till mid-day; false: nobody's. */
  shiftOpen?: boolean;
  /** A chain on a shared book: this till (T1) and T2 in store S1, T3 in store S2, with a sale each. */
  shop?: boolean;
}

const SHOP_TILLS: T.TillView[] = [{ till: 'T1', store: 'S1' }, { till: 'T2', store: 'S1' }, { till: 'T3', store: 'S2' }];

export class FakeBackend implements Backend {
  readonly kind = 'fake' as const;
  private users: { name: string; role: T.Role; pin: string; enabled: boolean; failed: number; lockedUntil: number }[] = [
    { name: '王芳', role: 'cashier', pin: '1111', enabled: true, failed: 0, lockedUntil: 0 },
    { name: '李老板', role: 'owner', pin: '999999', enabled: true, failed: 0, lockedUntil: 0 },
    { name: '陈会计', role: 'accountant', pin: '5555', enabled: true, failed: 0, lockedUntil: 0 },
  ];
  private session: T.Session | null = null;
  /** When the PIN was last given again (management needs it within 5 minutes), ms. */
  private confirmedAt = 0;
  private idleLogoutMins = 10;
  /** Owners' previous logins, for the lock notices (core/src/session.rs). */
  private lastLogin = new Map<string, number>();
  private locks: { user: string; at: number; failures: number; until: number }[] = [];
  private orders: T.Order[] = [];
  private events = new Map<string, T.OrderEvent[]>();
  private refunds: T.Refund[] = [];
  private audit: T.AuditEntry[] = [];
  private seq = 0;
  private current: string | null = null;
  private starting = false;
  private lang = 'zh-CN';
  private voice = true;
  private settings: T.Settings = {
    till_id: 'T1', timezone: 'Asia/Shanghai', max_order_amount: '50000.00', qr_lifetime_secs: 180,
    barcode_wait_secs: 20, barcode_poll_secs: 1, channel_timeout_secs: 3, callback: { mode: 'polling_only' }, listen: '127.0.0.1:8428',
  };
  private routing = new FakeRouting();
  private listeners = { order: [] as Listener<T.Order>[], checking: [] as Listener<T.Checking>[], voice: [] as Listener<T.Announced>[], customer: [] as Listener<T.CustomerView>[] };
  private channel: BroadcastChannel | null = typeof BroadcastChannel !== 'undefined' ? new BroadcastChannel('paydesk-customer') : null;
  private latency: number;
  private needsSetup: boolean;
  private recon = new FakeRecon((ms) => this.wait(ms), () => this.session?.user ?? null);
  private bank = new FakeBank((ms) => this.wait(ms), () => this.session?.user ?? null);
  private till: FakeTill;
  private shopName = '';
  /** Backups, restore and the move archive (tests reach in to plant files and failures). */
  readonly backups = new FakeBackups(() => this.bookFigures(), '0.1.0-fake');

  constructor(opts: FakeOptions = {}) {
    this.latency = opts.latency ?? 150;
    this.needsSetup = opts.needsSetup ?? false;
    this.till = new FakeTill(opts.shiftOpen === false ? null : '王芳');
    if (this.needsSetup) this.users = [];
    if (opts.shop) {
      this.shop = SHOP_TILLS;
      this.link = { ...this.link, state: 'synced', till: 'T1', store: 'S1', url: 'postgres://paydesk@192.168.1.10/shop', last_sync: new Date().toISOString(), tills: SHOP_TILLS.map((x) => ({ ...x, host: '', joined_at: null, pushed_at: new Date().toISOString() })) };
      for (const [till, fen] of [['T2', 1200], ['T3', 3400]] as [string, number][]) this.foreignSale(till, fen);
    }
    this.channel?.addEventListener('message', (e) => this.listeners.customer.forEach((l) => l(e.data as T.CustomerView)));
  }

  private wait(ms = this.latency) { return new Promise((r) => setTimeout(r, ms)); }

  private shop: T.TillView[] = [{ till: 'T1', store: '' }];
  private link: T.LinkStatus = { state: 'off', till: null, store: null, url: null, pending: 0, last_sync: null, offline_since: null, last_error: null, tills: [] };

  /** A paid order another till of the shop made (as the shared book brings it). */
  foreignSale(till: string, fen: number) {
    const now = new Date();
    const no = `P${now.getFullYear()}0101120000000${till}${String(++this.seq).padStart(3, '0')}`;
    this.orders.unshift({
      order_no: no, kind: 'barcode', method: 'sandbox', channel: 'sandbox', account: 'sandbox-main', amount: fen, refunded: 0, fee: 0, status: 'success', subject: 'Paydesk',
      channel_trade_no: `T${no}`, qr_code: null, auth_code_masked: null, failure_code: null, failure_message: null, operator: null, principal: null, till, idempotency_key: null,
      created_at: now.toISOString(), updated_at: now.toISOString(), expires_at: now.toISOString(), paid_at: now.toISOString(),
    });
  }

  /** The orders of a store or till of the chain (all without either). */
  private inScope(f: { store?: string | null; till?: string | null }): T.Order[] {
    const tills = f.till ? [f.till] : f.store ? this.shop.filter((x) => x.store === f.store).map((x) => x.till) : null;
    return this.orders.filter((o) => !tills || tills.includes(o.till));
  }

  /** Tests: how the link stands. */
  setLink(l: Partial<T.LinkStatus>) { this.link = { ...this.link, ...l }; }

  async linkStatus() { return structuredClone(this.link); }
  async tillStores() { return this.shop.map((x) => ({ ...x })); }
  async joinShared(input: T.JoinInput): Promise<T.JoinReport> {
    if (this.users.length) throw new BackendError('conflict', 'this till is set up already; join from a terminal with `paydesk shared join`');
    if (!/^postgres(ql)?:\/\//.test(input.url)) throw new BackendError('invalid', 'setting shared.url: must be a postgres:// URL');
    if (!/^[A-Z0-9]{1,6}$/.test(input.till)) throw new BackendError('invalid', `till: till id ${JSON.stringify(input.till)} is invalid: 1 to 6 characters of A-Z and 0-9`);
    if (!input.store.trim()) throw new BackendError('invalid', 'store: name the store (门店) of this till');
    if (input.till === 'T2') throw new BackendError('invalid', 'till: T2 is already a till of store S1 in the shared book; choose another till id');
    if (input.shop_key_file && input.shop_key_file !== FAKE_SHOP_KEY) throw new BackendError('invalid', 'shop_key_file: no such file: give the shop key file the shop\'s first till wrote');
    await this.wait();
    // The shop's users come with the shared book.
    this.users = [{ name: '李老板', role: 'owner', pin: '999999', enabled: true, failed: 0, lockedUntil: 0 }, { name: '王芳', role: 'cashier', pin: '1111', enabled: true, failed: 0, lockedUntil: 0 }];
    this.shop = [...SHOP_TILLS, { till: input.till, store: input.store }];
    this.link = { ...this.link, state: 'synced', till: input.till, store: input.store, url: input.url, last_sync: new Date().toISOString() };
    return { till: input.till, store: input.store, pushed: 0, pulled: 42, days: 0, verified: true };
  }

  private require(a: T.Action, fresh = true): T.Session {
    if (!this.session) throw new BackendError('not_logged_in', 'not logged in');
    if (!this.session.allowed.includes(a)) {
      if (['refund', 'export_orders', 'manage_settings', 'manage_accounts', 'manage_users'].includes(a)) this.log(a, null, 'denied', '');
      throw new BackendError('forbidden', `a ${this.session.role} may not ${a}`);
    }
    if (fresh && (a === 'manage_users' || a === 'manage_accounts') && Date.now() - this.confirmedAt > 5 * 60_000) {
      throw new BackendError('reauth_required', 'give your PIN again to go on');
    }
    return this.session;
  }

  /** Checks a PIN as core does: wrong ones count across locks, which double from one minute. */
  private checkPin(name: string, pin: string): (typeof this.users)[number] {
    const u = this.users.find((x) => x.name === name);
    const now = Date.now();
    if (u && u.lockedUntil > now) throw new BackendError('locked', 'too many wrong PINs', { until: new Date(u.lockedUntil).toISOString() });
    if (!u || !u.enabled || u.pin !== pin) {
      if (!u) throw new BackendError('bad_pin', 'wrong user or PIN');
      u.failed += 1;
      if (u.failed < 5) throw new BackendError('bad_pin', 'wrong user or PIN');
      u.lockedUntil = now + Math.min(60_000 * 2 ** (u.failed - 5), 86_400_000);
      this.locks.push({ user: u.name, at: now, failures: u.failed, until: u.lockedUntil });
      this.log('login_locked', u.name, 'denied', `${u.failed} wrong PINs in a row`);
      throw new BackendError('locked', 'too many wrong PINs', { until: new Date(u.lockedUntil).toISOString() });
    }
    u.failed = 0;
    u.lockedUntil = 0;
    return u;
  }

  private log(action: string, target: string | null, outcome: T.AuditEntry['outcome'], detail: string) {
    this.audit.unshift({ at: new Date().toISOString(), actor: this.session?.user ?? null, role: this.session?.role ?? null, action, target, outcome, detail });
  }

  private emit(o: T.Order) { const copy = { ...o }; this.listeners.order.forEach((l) => l(copy)); }

  private setStatus(o: T.Order, to: T.OrderStatus, source: string, detail: string) {
    const ev = { seq: ++this.seq, order_no: o.order_no, from_status: o.status, to_status: to, source, at: new Date().toISOString(), detail };
    o.status = to;
    o.updated_at = ev.at;
    if (to === 'success') {
      o.paid_at = ev.at;
      o.channel_trade_no = `SB${Date.now()}`;
      if (this.voice) {
        const text = this.lang === 'en' ? `Payment received ${(o.amount / 100).toFixed(2)} yuan` : `收款到账 ${(o.amount / 100).toFixed(2)} 元`;
        this.listeners.voice.forEach((l) => l({ order_no: o.order_no, text }));
      }
    }
    this.events.get(o.order_no)!.push(ev);
    this.emit(o);
  }

  /** The logged-in user as the principal of what they do (as core records it). */
  private principal(): T.Principal | null {
    return this.session ? { kind: 'user', name: this.session.user, role: this.session.role } : null;
  }

  private newOrder(kind: T.PayKind, method: T.Method, fen: number, saleId: string | null, masked: string | null, account = 'sandbox-demo'): T.Order {
    const now = new Date();
    const pad = (n: number, w = 2) => String(n).padStart(w, '0');
    const no = `P${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}${pad(now.getHours())}${pad(now.getMinutes())}${pad(now.getSeconds())}${pad(now.getMilliseconds(), 3)}T1${pad(this.orders.length % 1000, 3)}`;
    const o: T.Order = {
      order_no: no, kind, method, channel: 'sandbox', account, amount: fen, refunded: 0, fee: this.routing.fee(account, fen),
      status: 'pending', subject: 'Paydesk', channel_trade_no: null, qr_code: null, auth_code_masked: masked, failure_code: null, failure_message: null,
      operator: this.session?.user ?? null, principal: this.principal(), till: 'T1', idempotency_key: saleId, created_at: now.toISOString(), updated_at: now.toISOString(),
      expires_at: new Date(now.getTime() + (kind === 'qr' ? this.settings.qr_lifetime_secs : this.settings.barcode_wait_secs) * 1000).toISOString(), paid_at: null,
      shift_no: this.till.shift?.shift_no ?? null, tendered: null, sale_id: null, sale_total: null,
    };
    this.orders.unshift(o);
    this.events.set(no, [{ seq: ++this.seq, order_no: no, from_status: null, to_status: 'pending', source: 'user', at: o.created_at, detail: `created ${method} ${kind} order of ${(fen / 100).toFixed(2)} yuan on account ${account}`, by: o.principal }]);
    this.emit(o);
    return o;
  }

  private reserve() {
    if (this.starting) throw new BackendError('sale_in_progress', 'a payment is being made; wait for its result');
    const cur = this.orders.find((o) => o.order_no === this.current);
    if (cur && (cur.status === 'pending' || cur.status === 'processing')) throw new BackendError('sale_in_progress', `order ${cur.order_no} is not resolved yet; wait for its result or cancel it`);
    this.starting = true;
  }

  private amount(yuan: string): number {
    const fen = parseYuan(yuan);
    if (fen === null || fen <= 0) throw new BackendError('invalid', `amount: amount ${JSON.stringify(yuan)} is not a plain decimal number of yuan like 12.34`);
    if (fen > 5_000_000) throw new BackendError('invalid', 'amount: exceeds the maximum of 50000.00 yuan');
    return fen;
  }

  async appInfo(): Promise<T.AppInfo> {
    return {
      version: '0.1.0-fake', shop_name: this.shopName, needs_setup: this.users.length === 0, users: this.users.filter((u) => u.enabled).map(({ name, role, enabled }) => ({ name, role, enabled })),
      lang: this.lang, session: this.session,
      demo: { users: this.users.map((u) => [u.name, u.role, u.pin] as [string, T.Role, string]), sample_codes: [['990000000000000001', 'pays'], ['990000000000000005', 'password, then pays'], ['990000000000000007', 'declined'], ['990000000000000009', 'gateway too slow: checked, then paid']] },
    };
  }
  async login(name: string, pin: string) {
    let u: (typeof this.users)[number];
    try { u = this.checkPin(name, pin); } catch (e) { this.log('login', name, 'denied', (e as Error).message); throw e; }
    const now = Date.now();
    const since = this.lastLogin.get(u.name) ?? 0;
    this.lastLogin.set(u.name, now);
    const notices: T.Notice[] = u.role !== 'owner' ? [] : [
      ...(pin.length < 6 ? [{ kind: 'short_pin' as const }] : []),
      ...this.locks.filter((l) => l.at > since).map((l) => ({ kind: 'locked' as const, user: l.user, at: new Date(l.at).toISOString(), failures: l.failures, until: new Date(l.until).toISOString() })),
    ];
    this.session = { user: u.name, role: u.role, allowed: ALLOWED[u.role], idle_logout_secs: this.idleLogoutMins ? this.idleLogoutMins * 60 : null };
    this.confirmedAt = 0;
    this.log('login', name, 'ok', '');
    return { ...this.session, notices };
  }
  async logout() { if (this.session) this.log('logout', null, 'ok', ''); this.session = null; }
  async touchSession() { /* the fake has no clock of its own: the UI's idle timer logs out */ }
  async confirmPin(pin: string) {
    const s = this.require('view_orders', false);
    this.checkPin(s.user, pin);
    this.confirmedAt = Date.now();
  }
  async setupOwner(name: string, pin: string) {
    if (this.users.length) throw new BackendError('conflict', 'already set up; log in instead');
    if (!/^\d{6,8}$/.test(pin)) throw new BackendError('invalid', "pin: an owner's PIN must be 6 to 8 digits");
    this.users.push({ name, role: 'owner', pin, enabled: true, failed: 0, lockedUntil: 0 });
    return this.login(name, pin);
  }
  async setupShop(input: B.ShopInput) {
    if (this.users.length) throw new BackendError('conflict', 'already set up; log in instead');
    checkShop(input);
    const s = await this.setupOwner(input.owner.trim(), input.pin);
    // The PIN was just chosen: the first account needs no second confirmation.
    this.confirmedAt = Date.now();
    this.shopName = input.shop_name.trim();
    this.settings.callback = input.callback;
    return s;
  }
  async launchDemo() {
    if (this.users.length) throw new BackendError('conflict', 'this shop is set up');
    this.backups.restarted.push('demo');
  }
  private bookFigures() { return figuresOf(this.orders, this.refunds, [...this.events.values()].reduce((a, e) => a + e.length, 0), this.users.length); }
  async backupOverview() { this.require('view_settings'); await this.wait(); return this.backups.overview(); }
  async backupNow() { this.require('manage_settings'); await this.wait(); return this.backups.now(); }
  async saveBackupSettings(dir: string, enabled: boolean) { this.require('manage_settings'); this.backups.save(dir, enabled); }
  async restorePreview(path: string) { this.require('manage_settings'); await this.wait(); return this.backups.preview(path); }
  async restoreBackup(path: string, force: boolean) { this.require('manage_settings'); await this.wait(); this.backups.restore(path, force); }
  async moveExport(path: string, passphrase: string) { this.require('manage_settings'); await this.wait(); return this.backups.moveExport(path, passphrase); }
  async moveImport(path: string, passphrase: string) {
    if (this.users.length) this.require('manage_settings');
    await this.wait();
    this.backups.moveImport(path, passphrase);
  }
  async setLanguage(lang: string) {
    if (lang !== 'zh-CN' && lang !== 'en') throw new BackendError('invalid', 'lang: must be zh-CN or en');
    this.lang = lang;
  }

  async paymentMethods() { this.require('take_payment'); return [{ method: 'sandbox' as T.Method, qr: true, barcode: true }]; }

  async createQr(amount: string, method: T.Method | null, saleId: string) {
    const s = this.require('take_payment');
    this.till.require();
    const fen = this.amount(amount);
    const existing = this.orders.find((o) => o.idempotency_key === saleId);
    if (existing) return existing;
    this.routing.checkLimits(this.orders, s.user, fen);
    const plan = this.routing.plan(method ?? 'sandbox', 'qr');
    this.reserve();
    try {
      let prev: T.Order | null = null;
      for (const c of plan.candidates) {
        const o = this.newOrder('qr', method ?? 'sandbox', fen, saleId, null, c.account);
        if (prev) prev.idempotency_key = null;
        plan.attempts.push({ order_no: o.order_no, account: c.account, at: o.created_at, outcome: 'in_progress' });
        for (const a of plan.attempts) this.routes.set(a.order_no, plan);
        await this.wait();
        const last = plan.attempts[plan.attempts.length - 1];
        if (this.routing.takeFault('precreate')) {
          this.routing.record(c.account, false);
          Object.assign(last, { outcome: 'abandoned', code: 'unavailable', message: 'sandbox is temporarily unavailable (SYSTEM_ERROR: simulated system error)' });
          this.setStatus(o, 'closed', 'recovery', 'closed (the channel holds no such trade)');
          prev = o;
          continue;
        }
        this.routing.record(c.account, true);
        Object.assign(last, { outcome: 'accepted' });
        o.qr_code = `https://qr.sandbox.paydesk.invalid/${o.order_no}`;
        this.setStatus(o, 'processing', 'channel_reply', 'QR code issued');
        this.current = o.order_no;
        return { ...o };
      }
      throw new BackendError('unavailable', 'sandbox is temporarily unavailable');
    } finally { this.starting = false; }
  }

  private get routes() { return this.routing.routes; }

  async barcodePay(amount: string, authCode: string, saleId: string) {
    this.require('take_payment');
    this.till.require();
    const fen = this.amount(amount);
    const code = authCode.trim();
    const method = methodOfCode(code);
    if (!method) throw new BackendError('invalid', 'auth_code: not a payment code Paydesk recognises (Alipay, WeChat Pay, UnionPay, e-CNY)');
    this.routing.checkLimits(this.orders, this.session!.user, fen);
    const plan = this.routing.plan(method, 'barcode');
    this.reserve();
    try {
      const first = plan.candidates[0].account;
      const o = this.newOrder('barcode', method, fen, saleId, `${code.slice(0, 4)}${'*'.repeat(code.length - 8)}${code.slice(-4)}`, first);
      plan.attempts.push({ order_no: o.order_no, account: first, at: o.created_at, outcome: 'accepted' });
      this.routes.set(o.order_no, plan);
      this.routing.record(first, true);
      this.current = o.order_no;
      await this.wait();
      const last = Number(code[code.length - 1]);
      if (last <= 4) this.setStatus(o, 'success', 'channel_reply', 'paid (PAID)');
      else if (last === 7) { o.failure_code = 'FAILED'; o.failure_message = 'insufficient balance'; this.setStatus(o, 'failed', 'channel_reply', 'payment refused'); }
      else {
        this.setStatus(o, 'processing', 'channel_reply', 'waiting for the payer to confirm');
        for (let i = 0; i < 3; i++) {
          this.listeners.checking.forEach((l) => l({ order_no: o.order_no, detail: 'checking with the channel' }));
          await this.wait(this.latency * 4);
        }
        if (last === 6) this.setStatus(o, 'closed', 'timeout', 'cancelled at channel: not paid');
        else this.setStatus(o, 'success', 'poll', 'paid (PAID)');
      }
      return { ...o };
    } finally { this.starting = false; }
  }

  async cancelPayment(orderNo: string) {
    this.require('take_payment');
    const o = this.find(orderNo);
    if (o.status === 'pending' || o.status === 'processing') { await this.wait(); this.setStatus(o, 'closed', 'user', 'closed (the channel holds no such trade)'); }
    return { ...o };
  }
  async currentSale() { this.require('take_payment'); const o = this.orders.find((x) => x.order_no === this.current); return o ? { ...o } : null; }
  async qrSvg(text: string) {
    // A stand-in pattern (the real app renders a real QR code in Rust).
    let h = 0;
    for (const c of text) h = (h * 31 + c.charCodeAt(0)) >>> 0;
    const cells: string[] = [];
    for (let y = 0; y < 21; y++) for (let x = 0; x < 21; x++) {
      const finder = (x < 7 && y < 7) || (x > 13 && y < 7) || (x < 7 && y > 13);
      const on = finder ? (x % 6 === 0 || y % 6 === 0 || (x % 7 > 1 && x % 7 < 5 && y % 7 > 1 && y % 7 < 5)) : ((h >> ((x * 7 + y * 3) % 31)) & 1) === 1;
      if (on) cells.push(`M${x + 2} ${y + 2}h1v1h-1z`);
    }
    return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 25 25" width="240" height="240"><rect width="25" height="25" fill="#fff"/><path d="${cells.join('')}" fill="#000"/></svg>`;
  }
  async announceAgain(orderNo: string) {
    this.require('take_payment');
    const o = this.find(orderNo);
    return this.lang === 'en' ? `Payment received ${(o.amount / 100).toFixed(2)} yuan` : `收款到账 ${(o.amount / 100).toFixed(2)} 元`;
  }

  private find(no: string): T.Order {
    const o = this.orders.find((x) => x.order_no === no);
    if (!o) throw new BackendError('not_found', `order ${no} not found`);
    return o;
  }

  async listOrders(f: T.OrderFilter) {
    this.require('view_orders');
    const min = f.min_amount ? parseYuan(f.min_amount) : null;
    const max = f.max_amount ? parseYuan(f.max_amount) : null;
    // `find`: the trade/order number or the amount of its tokens (the Rust side reads the whole language).
    const tokens = (f.find ?? '').trim().split(/\s+/).filter(Boolean);
    const found = (o: T.Order) => tokens.every((tok) => {
      if (tok.startsWith('*')) return (o.auth_code_masked ?? '').endsWith(tok.slice(1));
      if (tok.startsWith('shift:')) return o.shift_no === tok.slice(6);
      if (tok.startsWith('cashier:')) return o.operator === tok.slice(8);
      const fen = /^[¥￥]?\d{1,6}(\.\d{1,2})?$/.test(tok) ? parseYuan(tok.replace(/^[¥￥]/, '')) : null;
      return fen !== null ? o.amount === fen : o.order_no.includes(tok) || (o.channel_trade_no ?? '').includes(tok);
    });
    return this.inScope(f).filter((o) => found(o) && (!f.status || o.status === f.status) && (!f.method || o.method === f.method)
      && (min === null || o.amount >= min) && (max === null || o.amount <= max) && (!f.text || o.order_no.includes(f.text) || (o.channel_trade_no ?? '').includes(f.text))
      && (!f.from || o.created_at.slice(0, 10) >= f.from) && (!f.to || o.created_at.slice(0, 10) <= f.to)).map((o) => ({ ...o }));
  }
  async orderDetail(no: string) {
    this.require('view_orders');
    return { order: { ...this.find(no) }, refunds: this.refunds.filter((r) => r.order_no === no), events: [...(this.events.get(no) ?? [])], route: structuredClone(this.routes.get(no) ?? null) };
  }
  async refund(req: T.RefundInput) {
    const user = this.ownerWithPin('refund', req.order_no, req.pin);
    const o = this.find(req.order_no);
    const fen = this.amount(req.amount);
    if (o.status !== 'success') throw new BackendError('conflict', `order ${o.order_no} is ${o.status}, only paid orders can be refunded`);
    if (fen > o.amount - o.refunded) throw new BackendError('conflict', `amount: refund exceeds the ${((o.amount - o.refunded) / 100).toFixed(2)} yuan that can still be refunded`);
    await this.wait();
    return this.giveBack(o, 'refund', fen, req.reason, user);
  }
  async revoke(req: T.RevokeInput) {
    const user = this.ownerWithPin('revoke', req.order_no, req.pin);
    const o = this.find(req.order_no);
    if (o.status !== 'success') throw new BackendError('conflict', `order ${o.order_no} is ${o.status}: only a paid payment can be revoked`);
    if (o.refunded > 0) throw new BackendError('conflict', `order ${o.order_no} has refunds already: a revoke undoes the whole payment, refund what is left instead`);
    if (!revocable(o)) throw new BackendError('invalid', `order: ${o.order_no} cannot be revoked: refund it instead`, { field: 'order' });
    await this.wait();
    return this.giveBack(o, 'revoke', o.amount, req.reason, user);
  }
  /** The owner, with the PIN given again (a wrong one refused and audited under `action`). */
  private ownerWithPin(action: string, orderNo: string, pin: string): string {
    const s = this.require('refund');
    try { this.checkPin(s.user, pin); } catch (e) { this.log(action, orderNo, 'denied', (e as Error).message); throw e; }
    return s.user;
  }
  /** A refund or revoke the sandbox accepts at once: recorded, the order updated, audited. */
  private giveBack(o: T.Order, kind: 'refund' | 'revoke', fen: number, reason: string | null, user: string): T.Refund {
    const now = new Date().toISOString();
    const r: T.Refund = { shift_no: this.till.shift?.shift_no ?? null, refund_no: `R${o.order_no.slice(1)}`, order_no: o.order_no, kind, amount: fen, reason, status: 'success', channel_refund_no: kind === 'refund' ? `SBR${Date.now()}` : null, failure_message: null, operator: user, principal: this.principal(), created_at: now, updated_at: now };
    this.refunds.push(r);
    o.refunded += fen;
    this.events.get(o.order_no)!.push({ seq: ++this.seq, order_no: o.order_no, from_status: null, to_status: null, source: 'channel_reply', at: now, detail: `${kind} ${r.refund_no} of ${(fen / 100).toFixed(2)} yuan: success` });
    if (o.refunded === o.amount) this.setStatus(o, 'refunded', 'channel_reply', kind === 'revoke' ? 'revoked the same day' : 'refunded in full'); else this.emit(o);
    this.log(kind, o.order_no, 'ok', `${r.refund_no} ${(fen / 100).toFixed(2)} yuan: success`);
    return r;
  }
  async closeOrder(no: string) { this.require('close_order'); const o = this.find(no); if (o.status === 'pending' || o.status === 'processing') this.setStatus(o, 'closed', 'user', 'closed'); this.log('close_order', no, 'ok', o.status); return { ...o }; }
  async requeryOrder(no: string) { this.require('requery_order'); await this.wait(); return { ...this.find(no) }; }
  async exportOrders(f: T.OrderFilter) { this.require('export_orders'); const rows = (await this.listOrders(f)).length; const path = `/home/paydesk/exports/orders-${Date.now()}.csv`; this.log('export', path, 'ok', `${rows} orders`); return { path, rows }; }
  async auditLog() { this.require('view_audit'); return [...this.audit]; }
  async importOrders(file: T.ReconFile, dryRun: boolean) {
    const s = this.require('manage_settings');
    await this.wait();
    const r = fakeImport(file, dryRun, this.orders, s.user);
    if (r.report && !dryRun) this.log('orders_import', file.name, 'ok', `${r.report.orders} orders`);
    return r;
  }

  async getSettings() { this.require('view_settings'); return { settings: { ...this.settings }, limits: structuredClone(this.routing.limits), voice: this.voice, customer_display: true, idle_logout_mins: this.idleLogoutMins, home: '/home/paydesk/.local/share/paydesk' }; }
  async saveSettings(i: T.SettingsInput) {
    this.require('manage_settings');
    if (i.qr_lifetime_secs < 30 || i.qr_lifetime_secs > 3600) throw new BackendError('invalid', 'qr_lifetime_secs: must be between 30 and 3600 seconds');
    if (i.idle_logout_mins !== undefined && (i.idle_logout_mins < 0 || i.idle_logout_mins > 240)) throw new BackendError('invalid', 'idle_logout_mins: must be 0 (never) to 240 minutes');
    if (i.idle_logout_mins !== undefined) this.idleLogoutMins = i.idle_logout_mins;
    const restart = i.qr_lifetime_secs !== this.settings.qr_lifetime_secs || JSON.stringify(i.callback) !== JSON.stringify(this.settings.callback);
    this.settings.qr_lifetime_secs = i.qr_lifetime_secs; this.settings.callback = i.callback; this.voice = i.voice;
    this.log('settings', null, 'ok', '');
    return restart;
  }
  async callbackStatus(): Promise<T.CallbackStatus> {
    this.require('view_settings');
    const m = this.settings.callback;
    if (m.mode === 'tunnel') return { mode: 'tunnel', state: 'connecting', detail: m.server };
    return { mode: 'polling_only', state: 'on', detail: 'http://127.0.0.1:38211' };
  }
  async listAccounts() { this.require('view_settings'); return this.routing.views(); }
  async saveAccount(a: T.AccountConfig) {
    this.require('manage_accounts');
    if (!/^[a-z0-9-]{1,40}$/.test(a.name)) throw new BackendError('invalid', `account ${JSON.stringify(a.name)}: name: use 1 to 40 characters of a-z, 0-9 and -`);
    const accounts = this.routing.accounts;
    const i = accounts.findIndex((x) => x.account.name === a.name);
    const v = { account: a, capabilities: { methods: [a.channel as T.Method], qr: true, barcode: true, refund: true, partial_refund: true }, usable: a.enabled, health: null, degraded: false };
    if (i >= 0) accounts[i] = v; else accounts.push(v);
    this.log('account_settings', a.name, 'ok', i >= 0 ? 'saved' : `added (${a.channel}, ${a.enabled ? 'enabled' : 'disabled'})`);
  }
  async setAccountEnabled(name: string, enabled: boolean) { await this.updateAccountRouting(name, { enabled }); }
  async updateAccountRouting(name: string, input: T.RoutingInput) {
    this.require('manage_accounts');
    const changes = this.routing.update(name, input);
    if (changes.length) this.log('account_settings', name, 'ok', changes.join('; '));
    return changes;
  }
  async saveLimits(input: T.LimitsInput) {
    this.require('manage_settings');
    const l = this.routing.saveLimits(input);
    this.log('settings', null, 'ok', 'limits');
    return l;
  }
  async importKey(account: string, field: string) { this.require('manage_accounts'); return `keys/${account}.${field}.sealed`; }
  async testAccount() { this.require('manage_accounts', false); await this.wait(); return { ok: true, code: 'ok', detail: 'connected: the gateway accepted our signed request' }; }
  async listUsers() { this.require('manage_users', false); return this.users.map(({ name, role, enabled }) => ({ name, role, enabled })); }
  async addUser(name: string, role: T.Role, pin: string) {
    this.require('manage_users');
    if (!/^\d{4,8}$/.test(pin)) throw new BackendError('invalid', 'pin: must be 4 to 8 digits');
    if (role === 'owner' && pin.length < 6) throw new BackendError('invalid', "pin: an owner's PIN must be 6 to 8 digits");
    if (this.users.some((u) => u.name === name)) throw new BackendError('conflict', `a user named ${JSON.stringify(name)} already exists`);
    this.users.push({ name, role, pin, enabled: true, failed: 0, lockedUntil: 0 });
    this.log('user', name, 'ok', `added as ${role}`);
    return { name, role, enabled: true };
  }
  async setUserPin(name: string, pin: string) {
    this.require('manage_users');
    const u = this.users.find((x) => x.name === name);
    if (!/^\d{4,8}$/.test(pin) || (u?.role === 'owner' && pin.length < 6)) throw new BackendError('invalid', u?.role === 'owner' ? "pin: an owner's PIN must be 6 to 8 digits" : 'pin: must be 4 to 8 digits');
    if (u) { u.pin = pin; u.failed = 0; u.lockedUntil = 0; this.log('user', name, 'ok', 'PIN changed'); }
  }
  async setUserEnabled(name: string, enabled: boolean) { this.require('manage_users'); const u = this.users.find((x) => x.name === name); if (u) u.enabled = enabled; }

  async demoSimulate(no: string, action: 'pay' | 'decline' | 'scan') {
    this.require('simulate');
    const o = this.find(no);
    await this.wait();
    if (action === 'pay') this.setStatus(o, 'success', 'callback', 'paid (PAID)');
    else if (action === 'decline') { o.failure_code = 'FAILED'; o.failure_message = 'declined by payer'; this.setStatus(o, 'failed', 'poll', 'failed'); }
  }

  async demoFault(op: string, times: number) { this.require('simulate'); this.routing.arm(op, times); }
  async analytics(range: A.RangeInput, look: A.Look) {
    this.require('view_analytics');
    await this.wait(this.latency / 3);
    return fakeAnalytics(this.inScope(range), range, look);
  }
  async exportAnalytics(range: A.RangeInput, look: A.Look) {
    this.require('export_analytics');
    const w = fakeAnalytics(this.inScope(range), range, look).dashboard.window;
    const stem = `sales-${w.from.replace(/-/g, '')}-${w.to.replace(/-/g, '')}`;
    const files = [`${stem}.xlsx`, ...['summary', 'days', 'hours', 'heatmap', 'channels', 'methods', 'failures'].map((t) => `${stem}-${t}.csv`), ...['sales', 'hours', 'heatmap', 'methods', 'channels'].map((c) => `${stem}-${c}.png`)];
    this.log('export_analytics', '/home/paydesk/exports', 'ok', `sales ${w.from} – ${w.to}: ${files.length} files`);
    return { dir: '/home/paydesk/exports', files };
  }
  async reconOverview(scope: T.ReconScope | null) { this.require('reconcile'); return this.recon.overview(scope); }
  async reconRun(scope: T.ReconScope, file: T.ReconFile | null) {
    this.require('reconcile');
    const runs = await this.recon.run(scope, file);
    runs.forEach((r) => this.log('reconcile', `${r.account}/${r.day}`, 'ok', `run ${r.id}: ${r.summary.matched} matched, ${r.summary.mismatched} discrepancies`));
    return runs;
  }
  async reconItems(runIds: number[], filter: T.ReconItemFilter) { this.require('reconcile'); return this.recon.items_(runIds, filter); }
  async reconItemActions(id: number) { this.require('reconcile'); return this.recon.itemActions(id); }
  async reconRequery(id: number) { this.require('reconcile'); const i = await this.recon.requery(id); this.log('reconcile_requery', i.order_no, 'ok', i.state); return i; }
  async reconResolve(id: number, note: string) { this.require('resolve_discrepancy'); const i = await this.recon.resolve(id, note); this.log('reconcile_resolve', i.order_no, 'ok', note); return i; }
  async reconAccept(ids: number[], note: string) { this.require('resolve_discrepancy'); const done = await this.recon.accept(ids, note); this.log('reconcile_accept', null, 'ok', `${ids.length} discrepancies: ${note.trim()}`); return done; }
  async reconExport(scope: T.ReconScope, format: T.ExportFormat) { this.require('reconcile'); await this.wait(); return this.recon.export(scope, format); }
  async reconAlert() { return this.session?.allowed.includes('reconcile') ? this.recon.alert() : null; }
  async onReconProgress(cb: Listener<T.ReconProgress>): Promise<Unsubscribe> { return this.recon.onProgress(cb); }
  async onReconFinished(cb: Listener<T.ReconRun>): Promise<Unsubscribe> { return this.recon.onFinished(cb); }
  async bankOverview(day: string | null) { this.require('reconcile'); await this.wait(); return this.bank.overview(day); }
  async bankSettle(day: string) { this.require('reconcile'); const r = await this.bank.settle(day); this.log('settle', day, 'ok', `${r.read} fund flow(s) read`); return r; }
  async bankImport(file: T.ReconFile, preset: string | null, _bankAccount: string | null) {
    this.require('reconcile');
    const r = await this.bank.import(file, preset);
    this.log('bank_import', r.statement.bank_account, 'ok', `${file.name} (${r.statement.preset}): ${r.statement.rows} lines`);
    return r;
  }
  async bankRun(day: string) { this.require('reconcile'); return this.bank.runDay(day); }
  async bankItemActions(id: number) { this.require('reconcile'); return this.bank.itemActions(id); }
  async bankRecheck(id: number) { this.require('reconcile'); const i = await this.bank.recheck(id); this.log('bank_recheck', i.day, 'ok', i.kind); return i; }
  async bankResolve(id: number, note: string) { this.require('resolve_discrepancy'); const i = await this.bank.resolve(id, note); this.log('bank_resolve', i.day, 'ok', note); return i; }
  async bankExport(from: string, to: string, format: T.ExportFormat) { this.require('reconcile'); await this.wait(); return this.bank.export(from, to, format); }

  async recordTender(req: T.TenderRequest) {
    const s = this.require('take_payment');
    this.till.require();
    const fen = this.amount(req.amount);
    const existing = this.orders.find((o) => o.idempotency_key === req.sale_id);
    if (existing) return { ...existing };
    const tendered = req.method === 'cash' ? parseYuan(req.tendered?.trim() || req.amount) : null;
    if (tendered !== null && tendered < fen) throw new BackendError('invalid', `tendered: ${req.tendered} yuan handed over is less than ${req.amount} yuan; take the rest with another tender`);
    const o = this.newOrder('tender', req.method, fen, req.sale_id, null, '');
    Object.assign(o, { channel: req.method, fee: 0, tendered, operator: s.user, channel_trade_no: req.reference || null, sale_id: req.sale?.id ?? null, sale_total: req.sale ? this.amount(req.sale.total) : null });
    this.setStatus(o, 'success', 'user', `paid by ${req.method} at the till`);
    o.channel_trade_no = req.reference || null;
    return { ...o };
  }
  async shiftStatus() { this.require('take_payment'); return { shift: this.till.shift ? { ...this.till.shift } : null, cashiers: this.users.filter((u) => u.enabled && u.role !== 'accountant').map((u) => u.name), last_counted: null, auto_print: this.till.printer.auto_print }; }
  async openShift(float: string) {
    const s = this.require('take_payment');
    const f = parseYuan(float.trim() || '0');
    if (f === null) throw new BackendError('invalid', `float: ${JSON.stringify(float)} is not an amount like 200.00`);
    return this.till.open(s.user, f);
  }
  async closeShift(counted: string, handedTo: string | null) { const s = this.require('take_payment'); await this.wait(); return this.till.close(this.orders, this.refunds, s.user, parseYuan(counted) ?? 0, handedTo); }
  async shiftReport(no: string | null) { const s = this.require(no ? 'view_shifts' : 'take_payment'); return this.till.report(this.orders, this.refunds, no, s.role === 'cashier'); }
  async shiftHistory() { this.require('view_shifts'); return this.till.history.map((s) => ({ ...s })); }
  async closeDay() { const s = this.require('close_day'); await this.wait(); return this.till.closeDay(this.orders, this.refunds, s.user); }
  async zReports(store: boolean) { this.require('view_shifts'); return this.till.zs.filter((z) => z.scope === (store ? 'store' : 'till')); }
  async exportTillReport(no: string | null, z: number | null, _store: boolean, format: T.ExportFormat) { this.require('view_shifts'); return { paths: [`/home/paydesk/exports/${no ? `shift-${no}` : `z-T1-${String(z).padStart(4, '0')}`}.${format === 'xlsx' ? 'xlsx' : 'csv'}`] }; }
  async printReceipt(no: string, reprint: boolean) { this.require(reprint ? 'view_orders' : 'take_payment'); this.find(no); return this.till.print(`sale ${no}`); }
  async printRefund(no: string) { this.require('view_orders'); return this.till.print(`refund ${no}`); }
  async printReport(no: string | null, z: number | null) { this.require(z ? 'view_shifts' : 'take_payment'); return this.till.print(z ? `Z${z}` : `shift ${no ?? this.till.shift?.shift_no}`); }
  async retryPrint(id: number) { this.require('view_orders'); return this.till.retry(id); }
  async printJobs() { this.require('view_orders'); return this.till.jobs.map((j) => ({ ...j })); }
  async openDrawer() { this.require('take_payment'); this.till.require(); return this.till.print('drawer'); }
  async testPrint() { this.require('view_settings'); return this.till.print('test page'); }
  async receiptPreview(no: string) { this.require('view_orders'); this.find(no); return PIXEL; }
  async printJobPreview(id: number) { this.require('view_orders'); if (!this.till.jobs.some((j) => j.id === id)) throw new BackendError('not_found', `print job ${id} is no longer kept`); return PIXEL; }
  async getPrinter() { this.require('view_settings'); return { ...this.till.printer }; }
  async savePrinter(p: T.PrinterSettings) {
    this.require('manage_settings');
    if (p.paper_mm !== 58 && p.paper_mm !== 80) throw new BackendError('invalid', 'setting printer.paper_mm: must be 58 or 80');
    if (p.connection === 'tcp' && !p.address.trim()) throw new BackendError('invalid', 'setting printer.address: is required for a network printer (host:9100)');
    if (p.connection === 'usb' && !p.device.trim()) throw new BackendError('invalid', 'setting printer.device: is required for a USB printer (/dev/usb/lp0)'); this.till.printer = { ...p }; return { ...p }; }
  async onPrintJob(cb: Listener<T.PrintJob>): Promise<Unsubscribe> { return this.till.onJob(cb); }

  async onOrderChanged(cb: Listener<T.Order>): Promise<Unsubscribe> { this.listeners.order.push(cb); return () => { this.listeners.order = this.listeners.order.filter((l) => l !== cb); }; }
  async onChecking(cb: Listener<T.Checking>): Promise<Unsubscribe> { this.listeners.checking.push(cb); return () => { this.listeners.checking = this.listeners.checking.filter((l) => l !== cb); }; }
  async onAnnounced(cb: Listener<T.Announced>): Promise<Unsubscribe> { this.listeners.voice.push(cb); return () => { this.listeners.voice = this.listeners.voice.filter((l) => l !== cb); }; }
  async showCustomer(v: T.CustomerView) { this.channel?.postMessage(v); }
  async onCustomer(cb: Listener<T.CustomerView>): Promise<Unsubscribe> { this.listeners.customer.push(cb); return () => { this.listeners.customer = this.listeners.customer.filter((l) => l !== cb); }; }
}
