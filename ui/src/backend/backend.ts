// The UI talks to Paydesk only through this interface: TauriBackend in the app, FakeBackend in
// the browser (development, Playwright). See tauri.ts and fake.ts.

import type {
  AccountConfig, AccountView, Announced, AppInfo, AuditEntry, CallbackStatus, Checking, CustomerView, Exported,
  ExportFormat, Limits, LimitsInput, Method, MethodView, Order, OrderDetail, OrderFilter, Probe, Refund, RefundInput, Role, RoutingInput,
  Session, SettingsInput, SettingsView, User,
  ReconAction, ReconAlert, ReconExported, ReconFile, ReconItem, ReconItemFilter, ReconOverview, ReconProgress, ReconRun, ReconScope,
} from './types';
import type { AnalyticsView, Look, RangeInput, ReportWritten } from './analytics';
import type { BankAction, BankImported, BankItem, BankOverview, BankRun, BankSettled } from './bank';

export type Unsubscribe = () => void;

export interface Backend {
  readonly kind: 'tauri' | 'fake';
  appInfo(): Promise<AppInfo>;
  login(name: string, pin: string): Promise<Session>;
  logout(): Promise<void>;
  setupOwner(name: string, pin: string): Promise<Session>;
  setLanguage(lang: string): Promise<void>;

  paymentMethods(): Promise<MethodView[]>;
  createQr(amount: string, method: Method | null, saleId: string): Promise<Order>;
  barcodePay(amount: string, authCode: string, saleId: string): Promise<Order>;
  cancelPayment(orderNo: string): Promise<Order>;
  currentSale(): Promise<Order | null>;
  qrSvg(text: string): Promise<string>;
  announceAgain(orderNo: string): Promise<string>;

  listOrders(filter: OrderFilter): Promise<Order[]>;
  orderDetail(orderNo: string): Promise<OrderDetail>;
  refund(input: RefundInput): Promise<Refund>;
  closeOrder(orderNo: string): Promise<Order>;
  requeryOrder(orderNo: string): Promise<Order>;
  exportOrders(filter: OrderFilter): Promise<Exported>;
  auditLog(limit?: number): Promise<AuditEntry[]>;

  getSettings(): Promise<SettingsView>;
  saveSettings(input: SettingsInput): Promise<boolean>;
  callbackStatus(): Promise<CallbackStatus>;
  listAccounts(): Promise<AccountView[]>;
  saveAccount(account: AccountConfig): Promise<void>;
  setAccountEnabled(name: string, enabled: boolean): Promise<void>;
  /** Changes routing settings at run time; returns what changed ("priority 10 → 1"). */
  updateAccountRouting(name: string, input: RoutingInput): Promise<string[]>;
  saveLimits(input: LimitsInput): Promise<Limits>;
  importKey(account: string, field: string, path: string): Promise<string>;
  testAccount(name: string): Promise<Probe>;
  listUsers(): Promise<User[]>;
  addUser(name: string, role: Role, pin: string): Promise<User>;
  setUserPin(name: string, pin: string): Promise<void>;
  setUserEnabled(name: string, enabled: boolean): Promise<void>;

  demoSimulate(orderNo: string, action: 'pay' | 'decline' | 'scan'): Promise<void>;
  /** Demo only: the simulated gateway fails the next `times` requests of `op` (e.g. precreate). */
  demoFault(op: string, times: number): Promise<void>;

  /** Dashboard figures with every chart as SVG (owner, accountant). */
  analytics(range: RangeInput, look: Look): Promise<AnalyticsView>;
  /** Writes the sales report (XLSX/CSV figures, PNG charts) into the home's exports folder. */
  exportAnalytics(range: RangeInput, look: Look): Promise<ReportWritten>;
  reconOverview(scope: ReconScope | null): Promise<ReconOverview>;
  reconRun(scope: ReconScope, file: ReconFile | null): Promise<ReconRun[]>;
  reconItems(runIds: number[], filter: ReconItemFilter): Promise<ReconItem[]>;
  reconItemActions(id: number): Promise<ReconAction[]>;
  reconRequery(id: number): Promise<ReconItem>;
  reconResolve(id: number, note: string): Promise<ReconItem>;
  reconExport(scope: ReconScope, format: ExportFormat): Promise<ReconExported>;
  reconAlert(): Promise<ReconAlert | null>;
  onReconProgress(cb: (p: ReconProgress) => void): Promise<Unsubscribe>;
  onReconFinished(cb: (r: ReconRun) => void): Promise<Unsubscribe>;

  /** The third leg of a business day (default: the day before yesterday): the chain picture, the bank run, its discrepancies. */
  bankOverview(day: string | null): Promise<BankOverview>;
  /** Reads the fund flows that settle `day` (and the bank leg of the day when a statement was imported). */
  bankSettle(day: string): Promise<BankSettled>;
  /** Imports a bank statement export; `preset` null or `auto` detects the layout. */
  bankImport(file: ReconFile, preset: string | null, bankAccount: string | null): Promise<BankImported>;
  bankRun(day: string): Promise<BankRun>;
  bankItemActions(id: number): Promise<BankAction[]>;
  bankRecheck(id: number): Promise<BankItem>;
  bankResolve(id: number, note: string): Promise<BankItem>;
  bankExport(from: string, to: string, format: ExportFormat): Promise<ReconExported>;

  onOrderChanged(cb: (o: Order) => void): Promise<Unsubscribe>;
  onChecking(cb: (c: Checking) => void): Promise<Unsubscribe>;
  onAnnounced(cb: (a: Announced) => void): Promise<Unsubscribe>;
  /** Cashier window → customer display. */
  showCustomer(view: CustomerView): Promise<void>;
  onCustomer(cb: (v: CustomerView) => void): Promise<Unsubscribe>;
}

/** The Tauri backend inside the app, the fake one elsewhere. */
export async function pickBackend(): Promise<Backend> {
  if ((window as unknown as { __TAURI_INTERNALS__?: unknown }).__TAURI_INTERNALS__) {
    const { TauriBackend } = await import('./tauri');
    return new TauriBackend();
  }
  const { FakeBackend } = await import('./fake');
  return new FakeBackend();
}
