//! Automatic backups of the book: into a folder the owner chooses (a USB stick, a synced
//! folder), daily and when the app or `paydesk serve` stops, verified, rotated; their health for
//! the settings screen; restoring one into a home ([`restore`]).
//!
//! Invariant: a backup in the folder under a backup's name has been verified (opened,
//! integrity-checked, counted against the snapshot it was copied from — see
//! `store::backup`); a failed attempt leaves no file under that name and is recorded in the
//! home's `backup-status.json`, so the owner is warned instead of trusting a copy that is not
//! there.

pub mod restore;
pub mod rotate;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::config::ConfigError;
use crate::store::backup::BookFigures;
use crate::store::{Store, StoreError};

/// `[backup]` in config.toml.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BackupSettings {
    /// Back up the book once a day while the app or `paydesk serve` runs, and when it stops.
    pub enabled: bool,
    /// The folder backups go to (absolute, or relative to the home). Default: `backups` in the
    /// home — which dies with the PC: point it at a USB stick or a synced folder.
    pub dir: Option<String>,
    /// How many daily, weekly and monthly backups the folder keeps.
    pub keep_daily: u32,
    pub keep_weekly: u32,
    pub keep_monthly: u32,
}

impl Default for BackupSettings {
    fn default() -> Self {
        BackupSettings { enabled: true, dir: None, keep_daily: 7, keep_weekly: 4, keep_monthly: 12 }
    }
}

impl BackupSettings {
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.keep_daily == 0 {
            return Err(ConfigError::Invalid { field: "backup.keep_daily", problem: "must be at least 1".into() });
        }
        if [self.keep_daily, self.keep_weekly, self.keep_monthly].iter().any(|n| *n > 400) {
            return Err(ConfigError::Invalid { field: "backup.keep_daily", problem: "keep at most 400 of each period".into() });
        }
        if self.dir.as_deref().is_some_and(|d| d.trim().is_empty()) {
            return Err(ConfigError::Invalid { field: "backup.dir", problem: "is empty (leave it out for the home's backups folder)".into() });
        }
        Ok(())
    }

    /// The backup folder for `home`.
    pub fn folder(&self, home: &Path) -> PathBuf {
        match self.dir.as_deref() {
            Some(d) if Path::new(d).is_absolute() => PathBuf::from(d),
            Some(d) => home.join(d),
            None => home.join("backups"),
        }
    }

    fn keep(&self) -> rotate::Keep {
        rotate::Keep { daily: self.keep_daily, weekly: self.keep_weekly, monthly: self.keep_monthly }
    }
}

/// Backups in the folder are named `paydesk-YYYYMMDDTHHMMSSZ.db` (UTC).
const PREFIX: &str = "paydesk-";
const SUFFIX: &str = ".db";
const STAMP: &str = "%Y%m%dT%H%M%SZ";

pub fn file_name(at: DateTime<Utc>) -> String {
    format!("{PREFIX}{}{SUFFIX}", at.format(STAMP))
}

fn parse_name(name: &str) -> Option<DateTime<Utc>> {
    let stamp = name.strip_prefix(PREFIX)?.strip_suffix(SUFFIX)?;
    NaiveDateTime::parse_from_str(stamp, STAMP).ok().map(|t| t.and_utc())
}

/// One backup found in the folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Found {
    pub path: PathBuf,
    pub at: DateTime<Utc>,
    pub bytes: u64,
}

/// The backups in `dir`, newest first (files of other names are ignored).
pub fn list(dir: &Path) -> Vec<Found> {
    let mut out: Vec<Found> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let at = parse_name(&e.file_name().to_string_lossy())?;
            Some(Found { path: e.path(), at, bytes: e.metadata().ok()?.len() })
        })
        .collect();
    out.sort_by_key(|b| std::cmp::Reverse(b.at));
    out
}

/// What one backup run did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupReport {
    pub file: PathBuf,
    pub at: DateTime<Utc>,
    pub bytes: u64,
    /// What the verified copy holds.
    pub figures: BookFigures,
    /// Older backups removed by the rotation.
    #[serde(default)]
    pub removed: Vec<PathBuf>,
}

/// The last attempts, kept in the home's `backup-status.json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    pub last_ok: Option<BackupReport>,
    pub last_failure: Option<Failure>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    pub at: DateTime<Utc>,
    pub error: String,
}

fn status_file(home: &Path) -> PathBuf {
    home.join("backup-status.json")
}

pub fn load_status(home: &Path) -> Status {
    std::fs::read(status_file(home)).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default()
}

fn save_status(home: &Path, s: &Status) {
    let path = status_file(home);
    let write = serde_json::to_vec_pretty(s).map_err(std::io::Error::other).and_then(|b| std::fs::write(&path, b));
    if let Err(e) = write {
        tracing::error!("backup status not written to {}: {e}", path.display());
    }
}

/// Backs the book up into the folder now: snapshot, verify, rotate; the outcome is recorded in
/// the home's status file either way.
pub fn run(store: &Store, home: &Path, settings: &BackupSettings, now: DateTime<Utc>) -> Result<BackupReport, StoreError> {
    let mut status = load_status(home);
    let result = run_inner(store, settings.folder(home), settings.keep(), now);
    match &result {
        Ok(r) => {
            tracing::info!("book backed up to {} ({} orders)", r.file.display(), r.figures.orders);
            status.last_ok = Some(r.clone());
        }
        Err(e) => {
            tracing::error!("backup failed: {e}");
            status.last_failure = Some(Failure { at: now, error: e.to_string() });
        }
    }
    save_status(home, &status);
    result
}

fn run_inner(store: &Store, dir: PathBuf, keep: rotate::Keep, now: DateTime<Utc>) -> Result<BackupReport, StoreError> {
    let mut file = dir.join(file_name(now));
    if file.exists() {
        // Two in the same second (a manual one right after the daily one): the next second's name.
        file = dir.join(file_name(now + Duration::seconds(1)));
    }
    let figures = store.backup_to(&file)?;
    let bytes = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
    let found = list(&dir);
    let times: Vec<DateTime<Utc>> = found.iter().map(|f| f.at).collect();
    let kept = rotate::keep(&times, keep);
    let mut removed = Vec::new();
    for (i, f) in found.iter().enumerate() {
        if !kept.contains(&i) && f.path != file {
            match std::fs::remove_file(&f.path) {
                Ok(()) => removed.push(f.path.clone()),
                Err(e) => tracing::warn!("old backup {} not removed: {e}", f.path.display()),
            }
        }
    }
    Ok(BackupReport { file, at: now, bytes, figures, removed })
}

/// Backups are "stale" when the newest good one is older than this.
pub const STALE_AFTER: Duration = Duration::hours(48);

/// How backups are doing, for the settings screen and `paydesk backup --status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Health {
    /// The last attempt succeeded within two days.
    Ok,
    /// No backup has ever been made.
    Never,
    /// The last attempt failed.
    Failing,
    /// The newest good backup is older than two days.
    Stale,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Overview {
    pub health: Health,
    pub folder: PathBuf,
    pub enabled: bool,
    pub last_ok: Option<BackupReport>,
    pub last_failure: Option<Failure>,
    /// What the folder holds now, newest first.
    pub backups: Vec<Found>,
}

pub fn overview(home: &Path, settings: &BackupSettings, now: DateTime<Utc>) -> Overview {
    let status = load_status(home);
    let folder = settings.folder(home);
    let backups = list(&folder);
    let ok_at = status.last_ok.as_ref().map(|r| r.at);
    let health = match (&status.last_failure, ok_at) {
        (Some(f), ok) if ok.is_none_or(|ok| f.at > ok) => Health::Failing,
        (_, None) => Health::Never,
        (_, Some(ok)) if now - ok > STALE_AFTER => Health::Stale,
        _ => Health::Ok,
    };
    Overview { health, folder, enabled: settings.enabled, last_ok: status.last_ok, last_failure: status.last_failure, backups }
}

/// How often the daily loop looks whether a backup is due.
pub const CHECK_EVERY: std::time::Duration = std::time::Duration::from_secs(600);

/// True when the last good backup is a day old (or there is none).
pub fn due(home: &Path, now: DateTime<Utc>) -> bool {
    load_status(home).last_ok.is_none_or(|r| now - r.at >= Duration::hours(24))
}

/// The daily backup while a service runs: a backup soon after start when one is due, then
/// whenever a day has passed since the last good one. Ends when `stop` turns true.
pub async fn run_daily(store: Arc<Store>, home: PathBuf, settings: BackupSettings, mut stop: tokio::sync::watch::Receiver<bool>) {
    if !settings.enabled {
        return;
    }
    let mut wait = std::time::Duration::from_secs(30);
    loop {
        if !crate::clock::wait_or_stop(wait, &mut stop).await {
            return;
        }
        wait = CHECK_EVERY;
        if due(&home, Utc::now()) {
            let (s, h, b) = (store.clone(), home.clone(), settings.clone());
            let _ = tokio::task::spawn_blocking(move || run(&s, &h, &b, Utc::now())).await;
        }
    }
}

#[cfg(test)]
mod tests;
