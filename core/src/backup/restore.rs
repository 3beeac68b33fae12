//! Restoring a backup into a home's book.
//!
//! Invariant: a restore never silently throws away newer data. The backup is verified first; a
//! home whose book holds anything the backup lacks (more orders, refunds, events, runs, users or
//! accounts, or a later change) is refused unless forced, with the differences in words; and
//! whatever is replaced is first copied to `backups/before-restore/` in the home, so even a
//! forced restore can be undone. The restored book is then upgraded to this version's schema
//! like any book at open.

use std::path::{Path, PathBuf};

use chrono::Utc;
use serde::Serialize;

use crate::store::backup::{self, BookFigures};
use crate::store::{schema, Store, StoreError};

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RestoreError {
    /// The home's book holds data the backup does not: nothing was changed.
    #[error("the home's book has newer data than the backup (use --force to replace it anyway; a copy of it is kept): {}", .differences.join("; "))]
    Newer { differences: Vec<String> },
    /// The backup was written by a newer Paydesk.
    #[error("the backup has book schema {found}, this Paydesk knows up to {known}: restore it with that version or newer")]
    TooNew { found: u32, known: usize },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a restore would do (shown before the owner confirms) or did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Preview {
    pub backup: BookFigures,
    /// The home's book now (none when the home has no book yet).
    pub home: Option<BookFigures>,
    /// Why the home counts as newer; empty when restoring loses nothing.
    pub newer: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Restored {
    pub preview: Preview,
    /// The replaced book, kept here.
    pub safety_copy: Option<PathBuf>,
    /// The book as restored and upgraded.
    pub figures: BookFigures,
}

/// Verifies `file` and compares it with the home's book.
pub fn preview(home: &Path, file: &Path) -> Result<Preview, RestoreError> {
    let b = backup::verify(file)?;
    if b.schema as usize > schema::latest() {
        return Err(RestoreError::TooNew { found: b.schema, known: schema::latest() });
    }
    let book = Store::path_in(home);
    let current = if book.exists() { Some(backup::figures_of(&book)?) } else { None };
    let newer = current.as_ref().map(|c| c.newer_than(&b)).unwrap_or_default();
    // An upgraded schema alone does not make the home newer.
    let newer = newer.into_iter().filter(|d| !d.starts_with("schema version")).collect();
    Ok(Preview { backup: b, home: current, newer })
}

/// `dir/stem.db`, or `dir/stem-2.db`, … : never a file that exists (it may be the backup being
/// restored).
fn unique(dir: &Path, stem: &str) -> PathBuf {
    (1..).map(|n| dir.join(if n == 1 { format!("{stem}.db") } else { format!("{stem}-{n}.db") })).find(|p| !p.exists()).unwrap_or_else(|| dir.join(format!("{stem}.db")))
}

/// Restores `file` into the home's book (see the module's invariant).
pub fn restore(home: &Path, file: &Path, force: bool) -> Result<Restored, RestoreError> {
    let preview = preview(home, file)?;
    if !preview.newer.is_empty() && !force {
        return Err(RestoreError::Newer { differences: preview.newer });
    }
    let book = Store::path_in(home);
    let safety_copy = match &preview.home {
        Some(f) if !f.is_empty() => {
            let copy = unique(&home.join("backups").join("before-restore"), &format!("paydesk-{}", Utc::now().format("%Y%m%dT%H%M%S%.3fZ")));
            backup::snapshot(&book, &copy)?;
            backup::verify(&copy)?;
            Some(copy)
        }
        _ => None,
    };
    backup::restore_file(file, &book)?;
    let figures = Store::open(&book)?.figures()?;
    Ok(Restored { preview, safety_copy, figures })
}
