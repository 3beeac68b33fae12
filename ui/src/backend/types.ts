// Types mirrored from the Rust side (paydesk-core and src-tauri/src/commands). Money is integer fen.

export type Role = 'cashier' | 'owner' | 'accountant';
export type Action =
  | 'take_payment' | 'view_orders' | 'requery_order' | 'close_order' | 'refund' | 'export_orders'
  | 'view_settings' | 'manage_settings' | 'manage_accounts' | 'manage_users' | 'view_audit' | 'simulate'
  | 'view_analytics' | 'export_analytics'
  | 'reconcile' | 'resolve_discrepancy';
export type OrderStatus = 'pending' | 'processing' | 'success' | 'failed' | 'closed' | 'refunded';
export const ORDER_STATUSES: OrderStatus[] = ['pending', 'processing', 'success', 'failed', 'closed', 'refunded'];
export type Method = 'alipay' | 'wechat' | 'unionpay' | 'ecny' | 'sandbox';
export const METHODS: Method[] = ['alipay', 'wechat', 'unionpay', 'ecny', 'sandbox'];
export type PayKind = 'qr' | 'barcode';

export interface Order {
  order_no: string;
  kind: PayKind;
  method: Method;
  channel: string;
  account: string;
  amount: number;
  refunded: number;
  fee: number;
  status: OrderStatus;
  subject: string;
  channel_trade_no: string | null;
  qr_code: string | null;
  auth_code_masked: string | null;
  failure_code: string | null;
  failure_message: string | null;
  operator: string | null;
  till: string;
  idempotency_key: string | null;
  created_at: string;
  updated_at: string;
  expires_at: string;
  paid_at: string | null;
}

export interface OrderEvent {
  seq: number;
  order_no: string;
  from_status: OrderStatus | null;
  to_status: OrderStatus | null;
  source: string;
  at: string;
  detail: string;
}

export interface Refund {
  refund_no: string;
  order_no: string;
  amount: number;
  reason: string | null;
  status: 'pending' | 'processing' | 'success' | 'failed';
  channel_refund_no: string | null;
  failure_message: string | null;
  operator: string | null;
  created_at: string;
  updated_at: string;
}

export interface OrderDetail { order: Order; refunds: Refund[]; events: OrderEvent[] }

export interface User { name: string; role: Role; enabled: boolean }
export interface Session { user: string; role: Role; allowed: Action[] }
export interface DemoInfo { users: [string, Role, string][]; sample_codes: [string, string][] }
export interface AppInfo {
  version: string;
  needs_setup: boolean;
  users: User[];
  lang: string;
  session: Session | null;
  demo: DemoInfo | null;
}

export interface MethodView { method: Method; qr: boolean; barcode: boolean }

export interface OrderFilter {
  status?: OrderStatus | null;
  method?: Method | null;
  from?: string | null;
  to?: string | null;
  min_amount?: string | null;
  max_amount?: string | null;
  text?: string | null;
  limit?: number | null;
}

export interface RefundInput { order_no: string; amount: string; reason: string | null; pin: string }
export interface Exported { path: string; rows: number }

export interface AuditEntry {
  at: string;
  actor: string | null;
  role: Role | null;
  action: string;
  target: string | null;
  outcome: 'ok' | 'denied' | 'failed';
  detail: string;
}

export type CallbackMode =
  | { mode: 'polling_only' }
  | { mode: 'public_url'; base_url: string }
  | { mode: 'tunnel'; server: string; secret_file?: string | null };

export interface Settings {
  till_id: string;
  timezone: string;
  max_order_amount: string;
  qr_lifetime_secs: number;
  barcode_wait_secs: number;
  barcode_poll_secs: number;
  channel_timeout_secs: number;
  callback: CallbackMode;
  listen: string;
}
export interface SettingsView { settings: Settings; voice: boolean; customer_display: boolean; home: string }
export interface SettingsInput { qr_lifetime_secs: number; callback: CallbackMode; voice: boolean; customer_display: boolean }
export interface CallbackStatus { mode: string; state: 'on' | 'off' | 'connecting' | 'polling'; detail: string }

export interface AccountConfig {
  name: string;
  channel: string;
  display_name: string;
  enabled: boolean;
  priority: number;
  weight: number;
  fee_rate_bp: number;
  daily_cap: string | null;
  methods: Method[];
  base_url: string | null;
  params: Record<string, unknown>;
}
export interface Capabilities { methods: Method[]; qr: boolean; barcode: boolean; refund: boolean; partial_refund: boolean; [k: string]: unknown }
export interface AccountView { account: AccountConfig; capabilities: Capabilities; usable: boolean }
export interface Probe { ok: boolean; code: string; detail: string }

export interface Checking { order_no: string; detail: string }
export interface Announced { order_no: string; text: string }

/** What the customer display shows (sent by the cashier's window). */
export interface CustomerView {
  phase: 'idle' | 'amount' | 'qr' | 'checking' | 'success';
  amount: number;
  method: Method | null;
  qr_svg: string | null;
  expires_at: string | null;
}

export * from './recon-types';
