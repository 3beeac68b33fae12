// The UI talks to Paydesk only through this interface: TauriBackend in the app, FakeBackend in
// the browser (development, Playwright). See tauri.ts and fake.ts.

import type {
  AccountConfig, AccountView, Announced, AppInfo, AuditEntry, CallbackStatus, Checking, CustomerView, Exported,
  ExportFormat, Limits, LimitsInput, Method, MethodView, Order, OrderDetail, OrderFilter, OrdersImported, Probe, Refund, RefundInput, RevokeInput, Role, RoutingInput,
  Session, SettingsInput, SettingsView, User,
  DayClosed, Opened, PrinterSettings, PrintJob, SaleRef, Shift, ShiftReport, ShiftView, TenderRequest, ZReport,
  JoinInput, JoinReport, LinkStatus, TillView,
  ReconAction, ReconAlert, ReconExported, ReconFile, ReconItem, ReconItemFilter, ReconOverview, ReconProgress, ReconRun, ReconScope,
} from './types';
import type { AnalyticsView, Look, RangeInput, ReportWritten } from './analytics';
import type { BankAction, BankImported, BankItem, BankOverview, BankRun, BankSettled } from './bank';
import type { BackupReport, BackupView, MoveManifest, RestorePreview, ShopInput } from './backup-types';

export type Unsubscribe = () => void;

export interface Backend {
  readonly kind: 'tauri' | 'fake';
  appInfo(): Promise<AppInfo>;
  login(name: string, pin: string): Promise<Session>;
  logout(): Promise<void>;
  /** Someone is at the till (input): pushes the idle logout back. */
  touchSession(): Promise<void>;
  /** The PIN given again: user, account and key management for the next few minutes. */
  confirmPin(pin: string): Promise<void>;
  setupOwner(name: string, pin: string): Promise<Session>;
  setLanguage(lang: string): Promise<void>;
  /** First start: the shop, its owner and callbacks in one step; logs the owner in. */
  setupShop(input: ShopInput): Promise<Session>;
  /** First start: closes this window and starts the app in demo mode instead. */
  launchDemo(): Promise<void>;

  backupOverview(): Promise<BackupView>;
  backupNow(): Promise<BackupReport>;
  saveBackupSettings(dir: string, enabled: boolean): Promise<void>;
  /** Compares a backup with the home's book (changes nothing). */
  restorePreview(path: string): Promise<RestorePreview>;
  /** Restores, then the app starts again on the restored book (`newer_data` unless forced). */
  restoreBackup(path: string, force: boolean): Promise<void>;
  /** The move archive for a new PC: book, settings, keys re-wrapped under the passphrase. */
  moveExport(path: string, passphrase: string): Promise<MoveManifest>;
  /** On the new PC: unpacks a move archive, then the app starts again. */
  moveImport(path: string, passphrase: string, force: boolean): Promise<void>;

  paymentMethods(): Promise<MethodView[]>;
  createQr(amount: string, method: Method | null, saleId: string, sale?: SaleRef | null): Promise<Order>;
  barcodePay(amount: string, authCode: string, saleId: string, sale?: SaleRef | null): Promise<Order>;
  /** Cash (with what was handed over), the card terminal, a voucher: recorded in the open shift. */
  recordTender(req: TenderRequest): Promise<Order>;

  shiftStatus(): Promise<ShiftView>;
  openShift(float: string): Promise<Opened>;
  /** The blind count: `counted` is entered before the expected cash is shown. */
  closeShift(counted: string, handedTo: string | null): Promise<ShiftReport>;
  /** The open shift's X report (blind for a cashier), or any shift's report. */
  shiftReport(shiftNo: string | null): Promise<ShiftReport>;
  shiftHistory(limit?: number): Promise<Shift[]>;
  closeDay(): Promise<DayClosed>;
  zReports(store: boolean): Promise<ZReport[]>;
  exportTillReport(shiftNo: string | null, zNo: number | null, store: boolean, format: ExportFormat): Promise<{ paths: string[] }>;

  printReceipt(orderNo: string, reprint: boolean): Promise<PrintJob>;
  printRefund(refundNo: string): Promise<PrintJob>;
  printReport(shiftNo: string | null, zNo: number | null, store: boolean): Promise<PrintJob>;
  retryPrint(id: number): Promise<PrintJob>;
  printJobs(): Promise<PrintJob[]>;
  openDrawer(): Promise<PrintJob>;
  testPrint(): Promise<PrintJob>;
  /** A kept print job as the printer received it (PNG data URL). */
  printJobPreview(id: number): Promise<string>;
  /** A sale's receipt as it prints, as a PNG data URL. */
  receiptPreview(orderNo: string): Promise<string>;
  getPrinter(): Promise<PrinterSettings>;
  savePrinter(p: PrinterSettings): Promise<PrinterSettings>;
  onPrintJob(cb: (j: PrintJob) => void): Promise<Unsubscribe>;
  cancelPayment(orderNo: string): Promise<Order>;
  currentSale(): Promise<Order | null>;
  qrSvg(text: string): Promise<string>;
  announceAgain(orderNo: string): Promise<string>;

  listOrders(filter: OrderFilter): Promise<Order[]>;
  orderDetail(orderNo: string): Promise<OrderDetail>;
  refund(input: RefundInput): Promise<Refund>;
  /** The owner's same-day revoke (撤销) of a whole payment. */
  revoke(input: RevokeInput): Promise<Refund>;
  closeOrder(orderNo: string): Promise<Order>;
  requeryOrder(orderNo: string): Promise<Order>;
  exportOrders(filter: OrderFilter): Promise<Exported>;
  /** Owner: checks (`dryRun`) or imports historical orders from a CSV/JSON file (docs/orders-import.md). */
  importOrders(file: ReconFile, dryRun: boolean): Promise<OrdersImported>;
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
  /** Books external discrepancies (payments taken outside Paydesk) as external sales, with a note. */
  reconAccept(ids: number[], note: string): Promise<ReconItem[]>;
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
  /** The link to the shop's shared book (`off` for a single till). */
  linkStatus(): Promise<LinkStatus>;
  /** The shop's tills and their stores (this till alone on a single book). */
  tillStores(): Promise<TillView[]>;
  /** First run: join a shop's shared book as this till (the app then restarts as that till). */
  joinShared(input: JoinInput): Promise<JoinReport>;

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
  // Development and browser tests: `?shop` plays a till of a chain, `?setup` a first run.
  const q = new URLSearchParams(window.location.search);
  return new FakeBackend({ shop: q.has('shop'), needsSetup: q.has('setup') });
}
