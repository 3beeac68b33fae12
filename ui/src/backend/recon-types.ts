// Reconciliation types mirrored from paydesk-core (reconcile/, store/recon.rs) and
// src-tauri/src/commands/recon.rs. Money is integer fen.

export type ReconPhase = 'download' | 'parse' | 'book' | 'match' | 'save' | 'export';
export type DiscrepancyKind = 'missing_in_book' | 'missing_at_channel' | 'amount_differs' | 'status_differs' | 'fee_differs' | 'refund_differs' | 'duplicate' | 'external';
export const DISCREPANCY_KINDS: DiscrepancyKind[] = ['missing_in_book', 'missing_at_channel', 'amount_differs', 'status_differs', 'fee_differs', 'refund_differs', 'duplicate', 'external'];
export type ItemState = 'open' | 'fixed' | 'resolved';
export const ITEM_STATES: ItemState[] = ['open', 'fixed', 'resolved'];
export type ExportFormat = 'csv' | 'csv_bom' | 'csv_gbk' | 'xlsx' | 'txt';

export interface ReconSide {
  status: string | null;
  amount: number | null;
  refund_amount: number | null;
  fee: number | null;
  time: string | null;
  trade_no: string | null;
}

export interface ReconSummary {
  payments: number;
  payment_amount: number;
  refunds: number;
  refund_amount: number;
  fees: number;
  net: number;
  book_payments: number;
  book_payment_amount: number;
  book_refunds: number;
  book_refund_amount: number;
  matched: number;
  mismatched: number;
  crossed_day: number;
  adjacent_missing: string[];
  declared_ok: boolean | null;
  /** The discrepancies by kind: how many and their amount (fen). */
  kinds?: { kind: DiscrepancyKind; count: number; amount: number }[];
}

export interface StoredStatement {
  id: number;
  account: string;
  day: string;
  format: string;
  file: string;
  sha256: string;
  bytes: number;
  rows: number;
  origin: 'download' | 'import';
  stored_at: string;
}

export interface ReconRun {
  id: number;
  account: string;
  channel: string;
  day: string;
  statement: StoredStatement | null;
  trigger: string;
  operator: string | null;
  status: 'running' | 'done' | 'failed';
  error: string | null;
  summary: ReconSummary;
  started_at: string;
  finished_at: string | null;
  open: number;
  /** A newer run of the day that failed; it replaced nothing (this is the last good run). */
  failure?: { run_id: number; error: string; at: string } | null;
}

export interface ReconItem {
  id: number;
  run_id: number;
  account: string;
  day: string;
  kind: DiscrepancyKind;
  line: 'payment' | 'refund';
  order_no: string;
  refund_no: string | null;
  book: ReconSide | null;
  channel: ReconSide | null;
  /** English sentence (logs, CLI, exports); the screen words `reason` in the UI language. */
  detail: string;
  reason: ReconReason;
  state: ItemState;
  note: string | null;
  updated_at: string;
  /** The newer run of the day that no longer found this difference. */
  superseded_by?: number | null;
}

/** Why a line was flagged: a rule code and its values (amounts in yuan, statuses by name). */
export interface ReconReason { code: string; args: Record<string, string> }
export interface ReconAction { action: string; outcome: string; note: string | null; actor: string | null; at: string }
export interface ReconScope { from: string; to: string; accounts: string[] }
export interface ReconAccount { name: string; channel: string; display_name: string }
export interface ReconOverview { runs: ReconRun[]; accounts: ReconAccount[]; yesterday: string }
export interface ReconProgress { account: string; phase: ReconPhase; done: number; total: number | null }
export interface ReconExported { paths: string[]; runs: number }
export interface ReconAlert { day: string; runs: number; open: number; failed: number }
export interface ReconItemFilter { kind?: DiscrepancyKind | null; state?: ItemState | null }
export interface ReconFile { name: string; bytes: number[] }
