// The Backend over Tauri IPC: one `invoke` per command, events via `listen`.

import { invoke } from '@tauri-apps/api/core';
import { emitTo, listen } from '@tauri-apps/api/event';
import type { Backend, Unsubscribe } from './backend';
import { toBackendError } from './errors';
import type * as T from './types';
import type * as A from './analytics';
import type * as B from './bank';

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
  setupOwner(name: string, pin: string) { return call<T.Session>('setup_owner', { name, pin }); }
  setLanguage(lang: string) { return call<void>('set_language', { lang }); }

  paymentMethods() { return call<T.MethodView[]>('payment_methods'); }
  createQr(amount: string, method: T.Method | null, saleId: string) { return call<T.Order>('create_qr', { req: { amount, method, sale_id: saleId } }); }
  barcodePay(amount: string, authCode: string, saleId: string) { return call<T.Order>('barcode_pay', { req: { amount, auth_code: authCode, sale_id: saleId } }); }
  cancelPayment(orderNo: string) { return call<T.Order>('cancel_payment', { orderNo }); }
  currentSale() { return call<T.Order | null>('current_sale'); }
  qrSvg(text: string) { return call<string>('qr_svg', { text }); }
  announceAgain(orderNo: string) { return call<string>('announce_again', { orderNo }); }

  listOrders(filter: T.OrderFilter) { return call<T.Order[]>('list_orders', { filter }); }
  orderDetail(orderNo: string) { return call<T.OrderDetail>('order_detail', { orderNo }); }
  refund(req: T.RefundInput) { return call<T.Refund>('refund', { req }); }
  closeOrder(orderNo: string) { return call<T.Order>('close_order', { orderNo }); }
  requeryOrder(orderNo: string) { return call<T.Order>('requery_order', { orderNo }); }
  exportOrders(filter: T.OrderFilter) { return call<T.Exported>('export_orders', { filter }); }
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
  exportAnalytics(range: A.RangeInput, look: A.Look) { return call<A.ReportWritten>('export_analytics', { range, look }); }
  reconOverview(scope: T.ReconScope | null) { return call<T.ReconOverview>('recon_overview', { scope }); }
  reconRun(scope: T.ReconScope, file: T.ReconFile | null) { return call<T.ReconRun[]>('recon_run', { scope, file }); }
  reconItems(runIds: number[], filter: T.ReconItemFilter) { return call<T.ReconItem[]>('recon_items', { runIds, filter }); }
  reconItemActions(id: number) { return call<T.ReconAction[]>('recon_item_actions', { id }); }
  reconRequery(id: number) { return call<T.ReconItem>('recon_requery', { id }); }
  reconResolve(id: number, note: string) { return call<T.ReconItem>('recon_resolve', { id, note }); }
  reconExport(scope: T.ReconScope, format: T.ExportFormat) { return call<T.ReconExported>('recon_export', { scope, format }); }
  reconAlert() { return call<T.ReconAlert | null>('recon_alert'); }
  onReconProgress(cb: (p: T.ReconProgress) => void) { return on('recon-progress', cb); }
  onReconFinished(cb: (r: T.ReconRun) => void) { return on('recon-finished', cb); }
  bankOverview(day: string | null) { return call<B.BankOverview>('bank_overview', { day }); }
  bankSettle(day: string) { return call<B.BankSettled>('bank_settle', { day }); }
  bankImport(file: T.ReconFile, preset: string | null, bankAccount: string | null) { return call<B.BankImported>('bank_import', { file, preset, bankAccount }); }
  bankRun(day: string) { return call<B.BankRun>('bank_run', { day }); }
  bankItemActions(id: number) { return call<B.BankAction[]>('bank_item_actions', { id }); }
  bankRecheck(id: number) { return call<B.BankItem>('bank_recheck', { id }); }
  bankResolve(id: number, note: string) { return call<B.BankItem>('bank_resolve', { id, note }); }
  bankExport(from: string, to: string, format: T.ExportFormat) { return call<T.ReconExported>('bank_export', { from, to, format }); }

  onOrderChanged(cb: (o: T.Order) => void) { return on('order-changed', cb); }
  onChecking(cb: (c: T.Checking) => void) { return on('payment-checking', cb); }
  onAnnounced(cb: (a: T.Announced) => void) { return on('voice-announced', cb); }
  async showCustomer(view: T.CustomerView) {
    try { await emitTo('customer', 'customer-view', view); } catch { /* no customer window */ }
  }
  onCustomer(cb: (v: T.CustomerView) => void) { return on('customer-view', cb); }
}
