// The Backend over Tauri IPC: one `invoke` per command, events via `listen`.

import { invoke } from '@tauri-apps/api/core';
import { emitTo, listen } from '@tauri-apps/api/event';
import type { Backend, Unsubscribe } from './backend';
import { toBackendError } from './errors';
import type * as T from './types';
import type * as A from './analytics';
import type * as BK from './bank';
import type * as B from './backup-types';

async function call<R>(cmd: string, args: Record<string, unknown> = {}): Promise<R> {
  try {
    return await invoke<R>(cmd, args);
  } catch (e) {
    throw toBackendError(e);
  }
}

async function on<P>(event: string, cb: (p: P) => void): Promise<Unsubscribe> {
  return listen<P>(event, (e) => cb(e.payload));
}

export class TauriBackend implements Backend {
  readonly kind = 'tauri' as const;
  appInfo() { return call<T.AppInfo>('app_info'); }
  login(name: string, pin: string) { return call<T.Session>('login', { name, pin }); }
  logout() { return call<void>('logout'); }
  touchSession() { return call<void>('touch_session'); }
  confirmPin(pin: string) { return call<void>('confirm_pin', { pin }); }
  setupOwner(name: string, pin: string) { return call<T.Session>('setup_owner', { name, pin }); }
  setLanguage(lang: string) { return call<void>('set_language', { lang }); }
  setupShop(input: B.ShopInput) { return call<T.Session>('setup_shop', { input }); }
  launchDemo() { return call<void>('launch_demo'); }

  backupOverview() { return call<B.BackupView>('backup_overview'); }
  backupNow() { return call<B.BackupReport>('backup_now'); }
  saveBackupSettings(dir: string, enabled: boolean) { return call<void>('save_backup_settings', { dir, enabled }); }
  restorePreview(path: string) { return call<B.RestorePreview>('restore_preview', { path }); }
  restoreBackup(path: string, force: boolean) { return call<void>('restore_backup', { path, force }); }
  moveExport(path: string, passphrase: string) { return call<B.MoveManifest>('move_export', { path, passphrase }); }
  moveImport(path: string, passphrase: string, force: boolean) { return call<void>('move_import', { path, passphrase, force }); }

  paymentMethods() { return call<T.MethodView[]>('payment_methods'); }
  createQr(amount: string, method: T.Method | null, saleId: string, sale: T.SaleRef | null = null) { return call<T.Order>('create_qr', { req: { amount, method, sale_id: saleId, sale } }); }
  barcodePay(amount: string, authCode: string, saleId: string, sale: T.SaleRef | null = null) { return call<T.Order>('barcode_pay', { req: { amount, auth_code: authCode, sale_id: saleId, sale } }); }
  recordTender(req: T.TenderRequest) { return call<T.Order>('record_tender', { req }); }

  shiftStatus() { return call<T.ShiftView>('shift_status'); }
  openShift(float: string) { return call<T.Opened>('open_shift', { float }); }
  closeShift(counted: string, handedTo: string | null) { return call<T.ShiftReport>('close_shift', { counted, handedTo }); }
  shiftReport(shiftNo: string | null) { return call<T.ShiftReport>('shift_report', { shiftNo }); }
  shiftHistory(limit?: number) { return call<T.Shift[]>('shift_history', { limit: limit ?? null }); }
  closeDay() { return call<T.DayClosed>('close_day'); }
  zReports(store: boolean) { return call<T.ZReport[]>('z_reports', { store }); }
  exportTillReport(shiftNo: string | null, zNo: number | null, store: boolean, format: T.ExportFormat) { return call<{ paths: string[] }>('export_till_report', { shiftNo, zNo, store, format }); }

  printReceipt(orderNo: string, reprint: boolean) { return call<T.PrintJob>('print_receipt', { orderNo, reprint }); }
  printRefund(refundNo: string) { return call<T.PrintJob>('print_refund', { refundNo }); }
  printReport(shiftNo: string | null, zNo: number | null, store: boolean) { return call<T.PrintJob>('print_report', { shiftNo, zNo, store }); }
  retryPrint(id: number) { return call<T.PrintJob>('retry_print', { id }); }
  printJobs() { return call<T.PrintJob[]>('print_jobs'); }
  openDrawer() { return call<T.PrintJob>('open_drawer'); }
  testPrint() { return call<T.PrintJob>('test_print'); }
  printJobPreview(id: number) { return call<string>('print_job_preview', { id }); }
  receiptPreview(orderNo: string) { return call<string>('receipt_preview', { orderNo }); }
  getPrinter() { return call<T.PrinterSettings>('get_printer'); }
  savePrinter(printer: T.PrinterSettings) { return call<T.PrinterSettings>('save_printer', { printer }); }
  onPrintJob(cb: (j: T.PrintJob) => void) { return on('print-job', cb); }
  cancelPayment(orderNo: string) { return call<T.Order>('cancel_payment', { orderNo }); }
  currentSale() { return call<T.Order | null>('current_sale'); }
  qrSvg(text: string) { return call<string>('qr_svg', { text }); }
  announceAgain(orderNo: string) { return call<string>('announce_again', { orderNo }); }

  listOrders(filter: T.OrderFilter) { return call<T.Order[]>('list_orders', { filter }); }
  orderDetail(orderNo: string) { return call<T.OrderDetail>('order_detail', { orderNo }); }
  refund(req: T.RefundInput) { return call<T.Refund>('refund', { req }); }
  revoke(req: T.RevokeInput) { return call<T.Refund>('revoke', { req }); }
  closeOrder(orderNo: string) { return call<T.Order>('close_order', { orderNo }); }
  requeryOrder(orderNo: string) { return call<T.Order>('requery_order', { orderNo }); }
  exportOrders(filter: T.OrderFilter) { return call<T.Exported>('export_orders', { filter }); }
  importOrders(file: T.ReconFile, dryRun: boolean) { return call<T.OrdersImported>('import_orders_file', { file, dryRun }); }
  auditLog(limit?: number) { return call<T.AuditEntry[]>('audit_log', { limit: limit ?? null }); }

  getSettings() { return call<T.SettingsView>('get_settings'); }
  saveSettings(input: T.SettingsInput) { return call<boolean>('save_settings', { input }); }
  callbackStatus() { return call<T.CallbackStatus>('callback_status'); }
  listAccounts() { return call<T.AccountView[]>('list_accounts'); }
  saveAccount(account: T.AccountConfig) { return call<void>('save_account', { account }); }
  setAccountEnabled(name: string, enabled: boolean) { return call<void>('set_account_enabled', { name, enabled }); }
  updateAccountRouting(name: string, input: T.RoutingInput) { return call<string[]>('update_account_routing', { name, input }); }
  saveLimits(input: T.LimitsInput) { return call<T.Limits>('save_limits', { input }); }
  importKey(account: string, field: string, path: string) { return call<string>('import_key', { account, field, path }); }
  testAccount(name: string) { return call<T.Probe>('test_account', { name }); }
  listUsers() { return call<T.User[]>('list_users'); }
  addUser(name: string, role: T.Role, pin: string) { return call<T.User>('add_user', { name, role, pin }); }
  setUserPin(name: string, pin: string) { return call<void>('set_user_pin', { name, pin }); }
  setUserEnabled(name: string, enabled: boolean) { return call<void>('set_user_enabled', { name, enabled }); }

  demoSimulate(orderNo: string, action: 'pay' | 'decline' | 'scan') { return call<void>('demo_simulate', { orderNo, action }); }
  demoFault(op: string, times: number) { return call<void>('demo_fault', { op, times }); }

  analytics(range: A.RangeInput, look: A.Look) { return call<A.AnalyticsView>('analytics', { range, look }); }
  linkStatus() { return call<T.LinkStatus>('link_status'); }
  tillStores() { return call<T.TillView[]>('till_stores'); }
  joinShared(input: T.JoinInput) { return call<T.JoinReport>('join_shared', { input }); }
  exportAnalytics(range: A.RangeInput, look: A.Look) { return call<A.ReportWritten>('export_analytics', { range, look }); }
  reconOverview(scope: T.ReconScope | null) { return call<T.ReconOverview>('recon_overview', { scope }); }
  reconRun(scope: T.ReconScope, file: T.ReconFile | null) { return call<T.ReconRun[]>('recon_run', { scope, file }); }
  reconItems(runIds: number[], filter: T.ReconItemFilter) { return call<T.ReconItem[]>('recon_items', { runIds, filter }); }
  reconItemActions(id: number) { return call<T.ReconAction[]>('recon_item_actions', { id }); }
  reconRequery(id: number) { return call<T.ReconItem>('recon_requery', { id }); }
  reconResolve(id: number, note: string) { return call<T.ReconItem>('recon_resolve', { id, note }); }
  reconAccept(ids: number[], note: string) { return call<T.ReconItem[]>('recon_accept', { ids, note }); }
  reconExport(scope: T.ReconScope, format: T.ExportFormat) { return call<T.ReconExported>('recon_export', { scope, format }); }
  reconAlert() { return call<T.ReconAlert | null>('recon_alert'); }
  onReconProgress(cb: (p: T.ReconProgress) => void) { return on('recon-progress', cb); }
  onReconFinished(cb: (r: T.ReconRun) => void) { return on('recon-finished', cb); }
  bankOverview(day: string | null) { return call<BK.BankOverview>('bank_overview', { day }); }
  bankSettle(day: string) { return call<BK.BankSettled>('bank_settle', { day }); }
  bankImport(file: T.ReconFile, preset: string | null, bankAccount: string | null) { return call<BK.BankImported>('bank_import', { file, preset, bankAccount }); }
  bankRun(day: string) { return call<BK.BankRun>('bank_run', { day }); }
  bankItemActions(id: number) { return call<BK.BankAction[]>('bank_item_actions', { id }); }
  bankRecheck(id: number) { return call<BK.BankItem>('bank_recheck', { id }); }
  bankResolve(id: number, note: string) { return call<BK.BankItem>('bank_resolve', { id, note }); }
  bankExport(from: string, to: string, format: T.ExportFormat) { return call<T.ReconExported>('bank_export', { from, to, format }); }

  onOrderChanged(cb: (o: T.Order) => void) { return on('order-changed', cb); }
  onChecking(cb: (c: T.Checking) => void) { return on('payment-checking', cb); }
  onAnnounced(cb: (a: T.Announced) => void) { return on('voice-announced', cb); }
  async showCustomer(view: T.CustomerView) {
    try { await emitTo('customer', 'customer-view', view); } catch { /* no customer window */ }
  }
  onCustomer(cb: (v: T.CustomerView) => void) { return on('customer-view', cb); }
}
