//! `backup` and `restore`: copies of the book, and moving a shop to a new PC.

use std::path::{Path, PathBuf};

use clap::Args;
use paydesk_channels::keystore::{machine_key_path, MachineKey};
use paydesk_channels::transfer::{self, MoveError};
use paydesk_core::backup::restore::{self, RestoreError};
use paydesk_core::backup::{self as backups, Health};
use paydesk_core::config::Settings;
use paydesk_core::store::backup::BookFigures;
use paydesk_core::Store;
use serde_json::json;

use crate::out::{CliError, Out, EXIT_FAILURE, EXIT_INVALID, EXIT_OK};

#[derive(Args, Debug)]
pub(crate) struct BackupArgs {
    /// Write the copy to this file instead of the backup folder (not rotated).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Moving to a new PC: write one archive with the book, the settings, the statements and the
    /// key files (re-wrapped under a passphrase) to --out.
    #[arg(long = "move", requires = "out")]
    move_archive: bool,
    /// File holding the archive's passphrase (else $PAYDESK_PASSPHRASE); at least 8 characters.
    #[arg(long, value_name = "FILE")]
    passphrase_file: Option<PathBuf>,
    /// Show the backup folder, the last backup and whether backups are healthy; back up nothing.
    #[arg(long, conflicts_with_all = ["out", "move_archive"])]
    status: bool,
}

#[derive(Args, Debug)]
pub(crate) struct RestoreArgs {
    /// A backup (`paydesk-….db`, or any copy made by `paydesk backup --out`) or a move archive.
    file: PathBuf,
    /// Replace a book that has newer data than the backup (a copy of it is kept in
    /// backups/before-restore/).
    #[arg(long)]
    force: bool,
    /// Only compare the backup with the home's book; change nothing.
    #[arg(long)]
    dry_run: bool,
    /// File holding a move archive's passphrase (else $PAYDESK_PASSPHRASE).
    #[arg(long, value_name = "FILE")]
    passphrase_file: Option<PathBuf>,
}

fn passphrase(file: Option<&Path>) -> Result<String, CliError> {
    if let Some(f) = file {
        let text = std::fs::read_to_string(f).map_err(|e| CliError::invalid("passphrase-file", format!("cannot read {}: {}", f.display(), e.kind())))?;
        return Ok(text.trim_end_matches(['\r', '\n']).to_string());
    }
    std::env::var("PAYDESK_PASSPHRASE").map_err(|_| CliError::invalid("passphrase", "give --passphrase-file FILE or set PAYDESK_PASSPHRASE"))
}

fn machine_key() -> Result<MachineKey, CliError> {
    MachineKey::load_or_create(&machine_key_path()).map_err(CliError::other)
}

fn figures_line(f: &BookFigures) -> String {
    let latest = f.latest_at.map_or("—".to_string(), |t| t.to_rfc3339());
    format!(
        "{} orders ({} paid, {} yuan), {} refunds ({} yuan), {} events, {} reconciliation runs, schema {}, latest change {latest}",
        f.orders,
        f.paid_orders,
        paydesk_core::money::format_signed_fen(f.paid_fen),
        f.refunds,
        paydesk_core::money::format_signed_fen(f.refunded_fen),
        f.events,
        f.recon_runs,
        f.schema
    )
}

fn open_book(home: &Path) -> Result<(Settings, Store), CliError> {
    let db = Store::path_in(home);
    if !db.exists() {
        return Err(CliError::invalid("home", format!("{} has no Paydesk book", home.display())));
    }
    let settings = Settings::load(home).map_err(|e| CliError::invalid("settings", e))?;
    Ok((settings, Store::open(&db).map_err(CliError::other)?))
}

pub(crate) fn backup(home: &Path, a: BackupArgs, o: &Out) -> Result<i32, CliError> {
    if a.status {
        let settings = Settings::load(home).map_err(|e| CliError::invalid("settings", e))?;
        let v = backups::overview(home, &settings.backup, chrono::Utc::now());
        o.print(&v, || {
            let mut s = format!("backup folder: {}\n", v.folder.display());
            s.push_str(&match v.health {
                Health::Ok => "backups: OK".to_string(),
                Health::Never => "backups: WARNING: no backup has been made yet".to_string(),
                Health::Stale => "backups: WARNING: the last backup is more than two days old".to_string(),
                Health::Failing => format!("backups: WARNING: the last backup failed: {}", v.last_failure.as_ref().map_or("", |f| f.error.as_str())),
            });
            if let Some(r) = &v.last_ok {
                s.push_str(&format!("\nlast backup: {} {}\n  {}", r.at.to_rfc3339(), r.file.display(), figures_line(&r.figures)));
            }
            for b in &v.backups {
                s.push_str(&format!("\n  {}  {:>10} bytes", b.path.display(), b.bytes));
            }
            s
        });
        return Ok(if matches!(v.health, Health::Ok) { EXIT_OK } else { EXIT_FAILURE });
    }
    if a.move_archive {
        let out = a.out.as_deref().unwrap_or(Path::new("paydesk.pdmove"));
        let pass = passphrase(a.passphrase_file.as_deref())?;
        let m = transfer::export(home, out, &pass, &machine_key()?).map_err(move_err)?;
        o.print(&json!({"archive": out, "manifest": m}), || {
            let mut s = format!("move archive written: {}\n  {}\n  {} key file(s) wrapped under the passphrase, {} other file(s)", out.display(), figures_line(&m.figures), m.keys.len(), m.files.len());
            for f in &m.outside {
                s.push_str(&format!("\n  NOT in the archive (outside the home, copy it yourself): {f}"));
            }
            s.push_str("\nOn the new PC: paydesk restore FILE --passphrase-file … (or the app's first-start screen).");
            s
        });
        return Ok(EXIT_OK);
    }
    let (settings, store) = open_book(home)?;
    match a.out {
        Some(out) => {
            let f = store.backup_to(&out).map_err(CliError::other)?;
            o.print(&json!({"file": out, "figures": f}), || format!("backup written and verified: {}\n  {}", out.display(), figures_line(&f)));
        }
        None => {
            let r = backups::run(&store, home, &settings.backup, chrono::Utc::now()).map_err(CliError::other)?;
            o.print(&r, || {
                let mut s = format!("backup written and verified: {}\n  {}", r.file.display(), figures_line(&r.figures));
                if !r.removed.is_empty() {
                    s.push_str(&format!("\n  rotation removed {} older backup(s)", r.removed.len()));
                }
                s
            });
        }
    }
    Ok(EXIT_OK)
}

fn move_err(e: MoveError) -> CliError {
    match e {
        MoveError::Passphrase(m) => CliError::invalid("passphrase", m),
        MoveError::Restore(r) => restore_err(r),
        MoveError::Archive(m) => CliError::invalid("file", m),
        other => CliError::other(other),
    }
}

fn restore_err(e: RestoreError) -> CliError {
    match e {
        RestoreError::Newer { differences } => CliError {
            order_no: None,
            code: "newer_data",
            message: format!("the home's book has newer data than the backup; nothing was changed. Differences:\n  {}\nUse --force to replace it anyway (a copy of it is kept in backups/before-restore/).", differences.join("\n  ")),
            exit: EXIT_INVALID,
        },
        other @ RestoreError::TooNew { .. } => CliError::invalid("file", other),
        other => CliError::other(other),
    }
}

pub(crate) fn restore(home: &Path, a: RestoreArgs, o: &Out) -> Result<i32, CliError> {
    if !a.file.is_file() {
        return Err(CliError::invalid("file", format!("{}: no such file", a.file.display())));
    }
    if transfer::is_archive(&a.file) {
        if a.dry_run {
            return Err(CliError::invalid("dry-run", "not available for move archives"));
        }
        let pass = passphrase(a.passphrase_file.as_deref())?;
        let m = transfer::import(home, &a.file, &pass, &machine_key()?, a.force).map_err(move_err)?;
        o.print(&m, || {
            let mut s = format!("restored the moved shop into {}\n  {}\n  {} key file(s) sealed with this PC's key, {} other file(s)", home.display(), figures_line(&m.restored.figures), m.keys, m.files);
            for f in &m.outside {
                s.push_str(&format!("\n  copy this file by hand (it was outside the old home): {f}"));
            }
            s
        });
        return Ok(EXIT_OK);
    }
    if a.dry_run {
        let p = restore::preview(home, &a.file).map_err(restore_err)?;
        o.print(&p, || {
            let mut s = format!("backup: {}", figures_line(&p.backup));
            if let Some(h) = &p.home {
                s.push_str(&format!("\nhome:   {}", figures_line(h)));
            }
            s.push_str(&if p.newer.is_empty() { "\nrestoring loses nothing".to_string() } else { format!("\nthe home is newer (restore needs --force):\n  {}", p.newer.join("\n  ")) });
            s
        });
        return Ok(if p.newer.is_empty() { EXIT_OK } else { EXIT_INVALID });
    }
    std::fs::create_dir_all(home).map_err(|e| CliError::other(format!("cannot create {}: {e}", home.display())))?;
    let r = restore::restore(home, &a.file, a.force).map_err(restore_err)?;
    if !Settings::file(home).exists() {
        Settings::default().save(home).map_err(CliError::other)?;
    }
    o.print(&r, || {
        let mut s = format!("restored {} into {}\n  {}", a.file.display(), home.display(), figures_line(&r.figures));
        if let Some(c) = &r.safety_copy {
            s.push_str(&format!("\n  the book it replaced is kept at {}", c.display()));
        }
        s
    });
    Ok(EXIT_OK)
}
