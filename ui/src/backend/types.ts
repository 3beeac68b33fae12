// Types mirrored from the Rust side (paydesk-core and src-tauri/src/commands). Money is integer fen.

export type Role = 'cashier' | 'owner' | 'accountant';
export type Action =
  | 'take_payment' | 'view_orders' | 'requery_order' | 'close_order' | 'refund' | 'export_orders'
  | 'view_settings' | 'manage_settings' | 'manage_accounts' | 'manage_users' | 'view_audit' | 'simulate'
  | 'view_analytics' | 'export_analytics'
  | 'reconcile' | 'resolve_discrepancy'
  | 'view_shifts' | 'close_day';
export type OrderStatus = 'pending' | 'processing' | 'success' | 'failed' | 'closed' | 'refunded';
export const ORDER_STATUSES: OrderStatus[] = ['pending', 'processing', 'success', 'failed', 'closed', 'refunded'];
export type Tender = 'cash' | 'card' | 'voucher';
export type Method = 'alipay' | 'wechat' | 'unionpay' | 'ecny' | 'sandbox' | Tender;
/** Wallets (served by channel accounts). */
export const METHODS: Method[] = ['alipay', 'wechat', 'unionpay', 'ecny', 'sandbox'];
/** Tenders recorded at the till: never sent to a channel. */
export const TENDERS: Tender[] = ['cash', 'card', 'voucher'];
export const ALL_METHODS: Method[] = [...METHODS, ...TENDERS];
export type PayKind = 'qr' | 'barcode' | 'tender';

/** Who did it, as authenticated (core/src/principal.rs). `operator` fields are labels only. */
export type Principal =
  | { kind: 'user'; name: string; role: Role }
  | { kind: 'api_key'; id: string; name: string }
  | { kind: 'os'; user: string }
  | { kind: 'system' };

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
  /** Who took the payment (null for orders written before it was recorded). */
  principal: Principal | null;
  till: string;
  idempotency_key: string | null;
  created_at: string;
  updated_at: string;
  expires_at: string;
  paid_at: string | null;
  /** The till shift it was taken in. */
  shift_no?: string | null;
  /** Cash handed over (fen). */
  tendered?: number | null;
  /** A split sale: its id and total. */
  sale_id?: string | null;
  sale_total?: number | null;
  /** Taken through Paydesk, imported from another system, or an external payment accepted from a statement. */
  origin?: 'paydesk' | 'import' | 'external';
}

export interface OrderEvent {
  seq: number;
  order_no: string;
  from_status: OrderStatus | null;
  to_status: OrderStatus | null;
  source: string;
  at: string;
  /** Core's English sentence (logs, CLI, API). */
  detail: string;
  /** The common events as a code with its values, worded by the UI (`event.<code>`). */
  reason?: { code: string; args: Record<string, string> } | null;
  /** Who asked for what the event records (creation, close, refund request). */
  by?: Principal | null;
}

export interface Refund {
  shift_no?: string | null;
  refund_no: string;
  order_no: string;
  /** `revoke`: the same-day revoke (撤销) of the whole payment. */
  kind?: 'refund' | 'revoke';
  amount: number;
  reason: string | null;
  status: 'pending' | 'processing' | 'success' | 'failed';
  channel_refund_no: string | null;
  failure_message: string | null;
  operator: string | null;
  principal: Principal | null;
  created_at: string;
  updated_at: string;
}

export interface OrderDetail { order: Order; refunds: Refund[]; events: OrderEvent[]; route: RouteDecision | null }

/** An account's health (core/src/routing/health.rs). */
export type BreakerState = 'closed' | 'open' | 'half_open';
export interface HealthSnapshot {
  state: BreakerState;
  calls: number;
  failures: number;
  timeouts: number;
  /** Answered calls in per mille; null without calls. */
  success_permille: number | null;
  fail_streak: number;
  timeout_streak: number;
  open_until?: string | null;
  last_error?: string | null;
  last_error_at?: string | null;
  trips: number;
}

/** How an order's account was chosen (core/src/routing/decision.rs). */
export type SkipReason =
  | { reason: 'disabled' } | { reason: 'unusable' } | { reason: 'method_not_served' } | { reason: 'kind_not_supported' }
  | { reason: 'over_daily_cap'; used: number; cap: number } | { reason: 'circuit_open'; until: string } | { reason: 'probe_busy' };
export type AttemptOutcome =
  | { outcome: 'in_progress' } | { outcome: 'accepted' }
  | { outcome: 'refused' | 'not_reached' | 'abandoned' | 'unresolved'; code: string; message: string }
  | { outcome: 'uncharged'; code: string; message: string; proof: string };
export interface RouteCandidate {
  account: string;
  channel: string;
  priority: number;
  weight: number;
  health: HealthSnapshot;
  note?: { note: 'demoted'; success_pct: number; calls: number } | { note: 'probe' } | null;
}
export interface RouteDecision {
  at: string;
  method: Method;
  kind: PayKind;
  mode: 'auto' | 'named';
  channel_filter?: string | null;
  fallback: boolean;
  candidates: RouteCandidate[];
  skipped: ({ account: string } & SkipReason)[];
  attempts: ({ order_no: string; account: string; at: string } & AttemptOutcome)[];
}

export interface User { name: string; role: Role; enabled: boolean }
/** Something an owner should know at login (core/src/session.rs). */
export type Notice =
  | { kind: 'locked'; user: string; at: string; failures: number; until: string }
  | { kind: 'short_pin' };
export interface Session {
  user: string; role: Role; allowed: Action[];
  /** Idle logout after this many seconds without input (null: never). */
  idle_logout_secs?: number | null;
  /** At login only: locks since the owner's last login, a PIN too short. */
  notices?: Notice[];
}
export interface DemoInfo { users: [string, Role, string][]; sample_codes: [string, string][] }
export interface AppInfo {
  version: string;
  /** The shop's name (empty until set up). */
  shop_name: string;
  needs_setup: boolean;
  users: User[];
  lang: string;
  session: Session | null;
  demo: DemoInfo | null;
}

export interface MethodView { method: Method; qr: boolean; barcode: boolean }

export interface OrderFilter {
  /** One store or one till of a chain (none: all). */
  store?: string | null;
  till?: string | null;
  status?: OrderStatus | null;
  method?: Method | null;
  from?: string | null;
  to?: string | null;
  min_amount?: string | null;
  max_amount?: string | null;
  text?: string | null;
  /** Find a payment: `4200001234`, `12.50 14:05 ±10m`, `*1234`, `cashier:NAME`, `shift:NO`. */
  find?: string | null;
  limit?: number | null;
}

export interface RefundInput { order_no: string; amount: string; reason: string | null; pin: string }
export interface RevokeInput { order_no: string; reason: string | null; pin: string }
export interface Exported { path: string; rows: number }
/** An orders import checked (dry run) or written: its figures, or the file's errors (nothing written). */
export interface ImportLineError { line: number; field: string; message: string }
export interface ImportReport { orders: number; refunds: number; paid: number; paid_amount: number; refunded_amount: number; first_created: string | null; last_created: string | null; dry_run: boolean }
export interface OrdersImported { report: ImportReport | null; errors: ImportLineError[]; total_errors: number }

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
  /** The local API and /status (loopback only). */
  listen: string;
  /** The channel callbacks alone (what a tunnel or proxy forwards to); unset = 127.0.0.1:8430. */
  callback_listen?: string | null;
}
/** A daily limit; null = none. Amounts are yuan strings ("5000.00"). */
export interface DailyLimit { count?: number | null; amount?: string | null }
export interface Limits { cashier?: DailyLimit; till?: DailyLimit; cashiers?: Record<string, DailyLimit> }
export interface LimitsInput { cashier_count: number | null; cashier_amount: string | null; till_count: number | null; till_amount: string | null }
/** Details of a `limit` refusal (core/src/routing/limits.rs). */
export interface LimitDetails { scope: 'cashier' | 'till'; who: string; what: 'count' | 'amount'; limit: number; used: number; amount: number }
export interface SettingsView { settings: Settings; limits: Limits; voice: boolean; customer_display: boolean; idle_logout_mins: number; home: string }
export interface SettingsInput { qr_lifetime_secs: number; callback: CallbackMode; voice: boolean; customer_display: boolean; idle_logout_mins?: number }
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
export interface AccountView { account: AccountConfig; capabilities: Capabilities; usable: boolean; health: HealthSnapshot | null; degraded: boolean }
/** Routing settings edited inline; absent fields stay. `daily_cap` "" removes the cap. */
export interface RoutingInput { enabled?: boolean; priority?: number; weight?: number; fee_rate_bp?: number; daily_cap?: string }
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

// ---- The till's day (core/src/till, src-tauri/src/commands/till.rs, print.rs) ----

export interface Shift {
  shift_no: string;
  till: string;
  store: string;
  kind: 'cashier' | 'system';
  opened_by: string | null;
  opened_at: string;
  opening_float: number;
  status: 'open' | 'closed';
  closed_at: string | null;
  closed_by: string | null;
  handed_to: string | null;
  counted_cash: number | null;
  /** Fen; may be negative. */
  expected_cash: number | null;
  z_no: number | null;
}
export interface ShiftView { shift: Shift | null; cashiers: string[]; last_counted: number | null; auto_print: boolean }
export interface ReportLine { kind: string; method: string; channel: string; count: number; amount: number; refund_count: number; refunded: number }
export interface OpenItem { no: string; method: string; amount: number; status: string }
export interface Figures {
  lines: ReportLine[];
  sales: number; paid_count: number; gross: number; refund_count: number; refunded: number; net: number; void_count: number; voided: number;
  cash: { opening_float: number | null; sales: number; refunds: number; expected: number | null; counted: number | null; over_short: number | null };
  open_orders: OpenItem[];
  open_refunds: OpenItem[];
}
export interface Adjustment { at: string; order_no: string; refund_no: string | null; method: string; amount: number; from_status: string | null; to_status: string; source: string }
export interface ShiftReport { shift: Shift; generated_at: string; figures: Figures; locked: boolean; adjustments: Adjustment[] }
export interface ShiftLine { shift_no: string; kind: string; opened_by: string | null; closed_by: string | null; handed_to: string | null; opened_at: string; closed_at: string | null; opening_float: number; expected: number | null; counted: number | null; over_short: number | null }
export interface ZReport {
  scope: 'till' | 'store'; store: string; till: string; z_no: number; business_date: string; taken_at: string; taken_by: string | null;
  shifts: ShiftLine[]; tills: [string, number][]; figures: Figures; over_short: number; adjustments: Adjustment[];
}
export interface DayClosed { till_z: ZReport; store_z: ZReport | null; waiting_for: string[] }
export interface Opened { shift: Shift; closed_system: ShiftReport | null }
export interface SaleRef { id: string; total: string }
export interface TenderRequest { method: Tender; amount: string; tendered: string | null; reference: string | null; sale_id: string; sale: SaleRef | null }
export interface PrintJob { id: number; title: string; status: 'queued' | 'printing' | 'done' | 'failed'; code: string | null; message: string | null; at: string }
export interface PrinterSettings {
  connection: 'none' | 'tcp' | 'usb' | 'virtual'; address: string; device: string; paper_mm: number; shop_name: string; header: string[]; footer: string[];
  order_code: 'qr' | 'barcode' | 'none'; drawer_kick: boolean; cut: boolean; auto_print: boolean; timeout_secs: number;
}
// The shared book of a shop with several tills (docs/multi-till.md).
export type LinkState = 'off' | 'synced' | 'behind' | 'offline';
export interface TillInfo { till: string; store: string; host: string; joined_at: string | null; pushed_at: string | null }
export interface LinkStatus {
  state: LinkState;
  till: string | null;
  store: string | null;
  url: string | null;
  pending: number;
  last_sync: string | null;
  offline_since: string | null;
  last_error: string | null;
  tills: TillInfo[];
}
export interface TillView { till: string; store: string }
export interface JoinInput { url: string; password: string | null; till: string; store: string; shop_key_file: string | null }
export interface JoinReport { till: string; store: string; pushed: number; pulled: number; days: number; verified: boolean }
