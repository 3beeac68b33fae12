// Types of the first-start setup and of backups, mirrored from src-tauri/src/commands/{setup,backup}.rs
// and paydesk-core's backup module.

import type { CallbackMode } from './types';

export interface ShopInput {
  shop_name: string;
  owner: string;
  pin: string;
  callback: CallbackMode;
}

/** What a book holds (`paydesk_core::store::backup::BookFigures`). */
export interface BookFigures {
  schema: number;
  orders: number;
  paid_orders: number;
  paid_fen: number;
  refunds: number;
  refunded_fen: number;
  events: number;
  recon_runs: number;
  users: number;
  accounts: number;
  latest_at: string | null;
}

export interface BackupReport {
  file: string;
  at: string;
  bytes: number;
  figures: BookFigures;
  removed: string[];
}

export type BackupHealth = 'ok' | 'never' | 'failing' | 'stale';

export interface BackupView {
  health: BackupHealth;
  folder: string;
  enabled: boolean;
  last_ok: BackupReport | null;
  last_failure: { at: string; error: string } | null;
  backups: { path: string; at: string; bytes: number }[];
  /** The folder setting as written (empty: the home's backups folder). */
  dir_setting: string;
  version: string;
}

export interface RestorePreview {
  backup: BookFigures;
  home: BookFigures | null;
  /** Why the home is newer than the backup; empty when restoring loses nothing. */
  newer: string[];
}

export interface MoveManifest {
  created_at: string;
  paydesk: string;
  shop_name: string;
  figures: BookFigures;
  keys: { name: string; sealed_for: [string, string] | null }[];
  files: string[];
  outside: string[];
}
