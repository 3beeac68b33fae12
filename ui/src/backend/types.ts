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
  refund_no: string;
  order_no: string;
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
/** A daily limit; null = none. Amounts are yuan strings ("5000.00"). */
export interface DailyLimit { count?: number | null; amount?: string | null }
export interface Limits { cashier?: DailyLimit; till?: DailyLimit; cashiers?: Record<string, DailyLimit> }
export interface LimitsInput { cashier_count: number | null; cashier_amount: string | null; till_count: number | null; till_amount: string | null }
/** Details of a `limit` refusal (core/src/routing/limits.rs). */
export interface LimitDetails { scope: 'cashier' | 'till'; who: string; what: 'count' | 'amount'; limit: number; used: number; amount: number }
export interface SettingsView { settings: Settings; limits: Limits; voice: boolean; customer_display: boolean; home: string }
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
