// The third leg's types, mirrored from paydesk-core (settle/, reconcile/bank/, store/bank.rs,
// store/settle.rs) and src-tauri/src/commands/bank.rs. Money is integer fen.

import type { ItemState, ReconAction } from './recon-types';

export type BankKind = 'missing_deposit' | 'short_deposit' | 'over_deposit' | 'unexpected_deposit';
export const BANK_KINDS: BankKind[] = ['missing_deposit', 'short_deposit', 'over_deposit', 'unexpected_deposit'];
export type LinkState = 'agree' | 'pending' | 'unknown' | 'differ';
export type PayoutStatus = 'matched' | 'short' | 'over' | 'missing' | 'pending' | 'unknown';

export interface Link { state: LinkState; difference: number }

export interface DayFunds {
  sales: number;
  sales_count: number;
  refunds: number;
  refund_count: number;
  fees: number;
  net: number;
  other: number;
  declared_ok: boolean | null;
  balance_ok: boolean | null;
}

export interface BookDay { sales: number; sales_count: number; refunds: number; refund_count: number; fees: number }

export interface ChainPayout {
  id: number;
  account: string;
  channel: string;
  reference: string;
  day: string;
  for_day: string;
  amount: number;
  time: string | null;
  counterparty: string | null;
  covers: string[];
  expected: number | null;
  status: PayoutStatus;
  deposited: number | null;
  deposit_day: string | null;
  batch_ok: boolean | null;
  resolved: boolean;
}

export interface ChainAccount {
  account: string;
  channel: string;
  display_name: string;
  book: BookDay;
  book_net: number;
  funds: DayFunds | null;
  statement_net: number | null;
  payouts: ChainPayout[];
  book_channel: Link;
  channel_bank: Link;
}

export interface Figures { sales: number; refunds: number; fees: number; net: number }

export interface DayChain {
  day: string;
  accounts: ChainAccount[];
  book: Figures;
  channel: Figures;
  expected: number;
  deposited: number;
  book_channel: Link;
  channel_bank: Link;
  bank_run: BankRun | null;
  bank_covered_to: string | null;
}

export interface BankSummary {
  payouts: number;
  expected: number;
  matched: number;
  deposited: number;
  pending: number;
  missing: number;
  short: number;
  over: number;
  unexpected: number;
  unexpected_amount: number;
  covered_to: string | null;
}

export interface BankRun {
  id: number;
  day: string;
  trigger: string;
  operator: string | null;
  status: 'running' | 'done' | 'failed';
  error: string | null;
  summary: BankSummary;
  started_at: string;
  finished_at: string | null;
  open: number;
}

export interface BankItem {
  id: number;
  day: string;
  kind: BankKind;
  account: string | null;
  payout_id: number | null;
  payout_ref: string | null;
  bank_row_id: number | null;
  expected: number | null;
  deposited: number | null;
  deposit_day: string | null;
  payer: string | null;
  detail: string;
  reason: { code: string; args: Record<string, string> };
  state: ItemState;
  note: string | null;
  updated_at: string;
}

export interface BankStatement {
  id: number;
  bank_account: string;
  preset: string;
  file: string;
  sha256: string;
  bytes: number;
  rows: number;
  new_rows: number;
  period_from: string;
  period_to: string;
  operator: string | null;
  stored_at: string;
}

export interface BankPreset { name: string; label: string }

export interface BankOverview {
  day: string;
  default_day: string;
  chain: DayChain;
  run: BankRun | null;
  items: BankItem[];
  statements: BankStatement[];
  presets: BankPreset[];
}

export interface BankImported { statement: BankStatement; runs: BankRun[] }
export interface BankSettled { read: number; errors: string[]; run: BankRun | null }

export type BankAction = ReconAction;
