// The fake backend's backups, restore and move archive: a folder in memory with the Rust side's
// rules (verified copies, health after two days or a failure, restore refused when the home is
// newer unless forced, passphrases of at least 8 characters).

import { BackendError } from './errors';
import type * as B from './backup-types';
import type { Order, Refund } from './types';

const DAY = 86_400_000;

/** The setup step's checks, as `setup_shop` makes them. */
export function checkShop(input: B.ShopInput) {
  if (!input.shop_name.trim()) throw new BackendError('invalid', "shop_name: give the shop's name");
  if (input.callback.mode === 'public_url' && !input.callback.base_url.startsWith('https://')) throw new BackendError('invalid', 'base_url: must start with https://');
  if (input.callback.mode === 'tunnel' && !input.callback.server.trim()) throw new BackendError('invalid', "tunnel_server: give the tunnel server's host name");
  if (!input.owner.trim()) throw new BackendError('invalid', 'name: must not be empty');
}

/** A book's figures from the fake's rows. */
export function figuresOf(orders: Order[], refunds: Refund[], events: number, users: number): B.BookFigures {
  const paid = orders.filter((o) => o.status === 'success' || o.status === 'refunded');
  return {
    schema: 8, orders: orders.length, paid_orders: paid.length, paid_fen: paid.reduce((a, o) => a + o.amount, 0),
    refunds: refunds.length, refunded_fen: refunds.filter((r) => r.status === 'success').reduce((a, r) => a + r.amount, 0),
    events, recon_runs: 0, users, accounts: 1, latest_at: orders.map((o) => o.updated_at).sort().pop() ?? null,
  };
}

export class FakeBackups {
  private dir = '';
  private enabled = true;
  private list: B.BackupReport[] = [];
  private failure: { at: string; error: string } | null = null;
  /** Backups the fake "finds" on disk by path (restore, move import). */
  private files = new Map<string, B.BookFigures>();
  /** Set by tests: the next backup fails with this error. */
  failNext: string | null = null;
  /** What the app would do after a restore or for the demo (the real one starts again). */
  restarted: string[] = [];

  constructor(private figures: () => B.BookFigures, private version: string) {}

  /** Tests: a backup file at `path` holding `f`. */
  addFile(path: string, f: Partial<B.BookFigures>) {
    this.files.set(path, { ...this.figures(), ...f });
  }

  /** Tests: every backup (and failure) happened `days` earlier. */
  age(days: number) {
    const back = (iso: string) => new Date(Date.parse(iso) - days * DAY).toISOString();
    for (const b of this.list) b.at = back(b.at);
    if (this.failure) this.failure.at = back(this.failure.at);
  }

  private folder() { return this.dir || '/home/shop/.local/share/paydesk/backups'; }

  overview(): B.BackupView {
    const last = this.list[0] ?? null;
    const health: B.BackupHealth = this.failure && (!last || this.failure.at > last.at) ? 'failing' : !last ? 'never' : Date.now() - Date.parse(last.at) > 2 * DAY ? 'stale' : 'ok';
    return {
      health, folder: this.folder(), enabled: this.enabled, last_ok: last, last_failure: this.failure,
      backups: this.list.map((b) => ({ path: b.file, at: b.at, bytes: b.bytes })), dir_setting: this.dir, version: this.version,
    };
  }

  now(): B.BackupReport {
    const at = new Date().toISOString();
    if (this.failNext) {
      this.failure = { at, error: this.failNext };
      this.failNext = null;
      throw new BackendError('backup_failed', this.failure.error);
    }
    const stamp = at.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    const r: B.BackupReport = { file: `${this.folder()}/paydesk-${stamp}.db`, at, bytes: 245_760, figures: this.figures(), removed: [] };
    this.list.unshift(r);
    this.files.set(r.file, r.figures);
    return r;
  }

  save(dir: string, enabled: boolean) {
    if (dir.trim() && !dir.trim().startsWith('/')) throw new BackendError('invalid', 'dir: give a full path, like /media/usb/paydesk');
    this.dir = dir.trim();
    this.enabled = enabled;
  }

  private find(path: string): B.BookFigures {
    const f = this.files.get(path.trim());
    if (!f) throw new BackendError('invalid', `file: ${path.trim()}: no such file`);
    return f;
  }

  preview(path: string): B.RestorePreview {
    const backup = this.find(path);
    const home = this.figures();
    const newer: string[] = [];
    if (home.orders > backup.orders) newer.push(`orders: ${home.orders} in the home, ${backup.orders} in the backup`);
    if (home.refunds > backup.refunds) newer.push(`refunds: ${home.refunds} in the home, ${backup.refunds} in the backup`);
    return { backup, home, newer };
  }

  restore(path: string, force: boolean) {
    const p = this.preview(path);
    if (p.newer.length && !force) throw new BackendError('newer_data', p.newer.join('; '), p.newer);
    this.restarted.push(`restore ${path.trim()}`);
  }

  moveExport(path: string, passphrase: string): B.MoveManifest {
    if ([...passphrase].length < 8) throw new BackendError('bad_passphrase', 'passphrase: at least 8 characters (it protects the keys in the archive)');
    if (!path.trim()) throw new BackendError('invalid', 'path: where should the archive go?');
    this.files.set(path.trim(), this.figures());
    return { created_at: new Date().toISOString(), paydesk: this.version, shop_name: '', figures: this.figures(), keys: [{ name: 'sandbox-demo.private_key_file.sealed', sealed_for: ['sandbox-demo', 'private_key_file'] }], files: ['config.toml'], outside: [] };
  }

  moveImport(path: string, passphrase: string) {
    this.find(path);
    if (passphrase !== 'correct horse battery') throw new BackendError('bad_passphrase', 'passphrase: does not open this archive');
    this.restarted.push(`move ${path.trim()}`);
  }
}
