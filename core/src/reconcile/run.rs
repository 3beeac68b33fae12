//! One reconciliation run: an account and a business day, from statement to stored result.
//!
//! 1. The statement: downloaded through the channel, or a file the accountant imported. It is
//!    read once: while the parser reads it, a keeper thread hashes it and writes the original
//!    bytes to `<home>/statements/<account>/<day>/<sha256[..12]>-<name>` ([`super::keep`]), and
//!    it is recorded with its SHA-256 (the same file twice is stored once), so a report can be
//!    reproduced from what the channel really sent.
//! 2. Parsing and reading the book run in parallel ([`prepare`]).
//! 3. The matcher; if it finds lines missing at the channel, the previous and next days'
//!    statements (stored, else downloaded) are consulted and it runs again.
//! 4. The run, its summary (counts and sums, per kind too), its discrepancies and which
//!    statement lines they are on are stored in one transaction — not a row per matched line:
//!    matched lines are re-derived from the kept statement when someone asks ([`Reconciler::matched_lines`]).
//!
//! Invariant: a run that fails (unreadable or wrong file, failed download) is recorded as
//! failed and changes nothing else: the day's discrepancies stay as the last good run left them.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};

use super::keep::{Kept, Tee};
use super::matcher::{match_day, Adjacent, BookView, MatchInput, Outcome};
use super::{invalid, Phase, Progress, ReconError, StatementParser};
use crate::auth::Session;
use crate::channel::ChannelError;
use crate::payments::Payments;
use crate::statement::{ParsedStatement, StatementKind};
use crate::store::shared::Lease;
use crate::store::{Outcome as AuditOutcome, RunRecord, Store, StoredStatement};

/// How long one reconciliation may hold its account and day; a holder that died frees it then.
pub const LEASE: std::time::Duration = std::time::Duration::from_secs(30 * 60);

/// Where the statement comes from.
#[derive(Debug, Clone)]
pub enum StatementInput {
    /// Download it through the account's channel.
    Download,
    /// A file on disk (downloaded by hand from the channel's merchant portal).
    File(PathBuf),
    /// File content handed over by a front end.
    Bytes { name: String, bytes: Vec<u8> },
}

#[derive(Debug, Clone)]
pub struct RunRequest {
    pub account: String,
    pub day: NaiveDate,
    pub input: StatementInput,
    /// `manual`, `schedule`, `catch_up`, `cli`.
    pub trigger: String,
}

/// Runs reconciliations, and the discrepancy workflow ([`super::resolve`]).
#[derive(Clone)]
pub struct Reconciler {
    pub(crate) payments: Arc<Payments>,
    pub(crate) home: PathBuf,
    pub(crate) parser: Arc<dyn StatementParser>,
}

impl std::fmt::Debug for Reconciler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reconciler").field("home", &self.home).finish_non_exhaustive()
    }
}

/// Everything [`prepare`] produced: the parsed statement, the book view and the first match.
#[derive(Debug)]
pub struct Prepared {
    pub format: String,
    pub statement: ParsedStatement,
    pub book: BookView,
}

/// The bounds in UTC of a local business day.
pub fn day_bounds(day: NaiveDate, tz: chrono_tz::Tz) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = |d: NaiveDate| tz.from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default()).earliest().map_or_else(|| d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc(), |t| t.with_timezone(&Utc));
    (start(day), start(day.checked_add_days(Days::new(1)).unwrap_or(day)))
}

/// Parses the statement read from `input` and reads the book in parallel: the part of a run
/// that scales with the number of lines. The book window is the orders created from the day
/// before to the end of the day; orders the statement names that are older are then looked up
/// one by one.
#[allow(clippy::too_many_arguments)] // the figures of one run, each plain
pub fn prepare(store: &Store, parser: &dyn StatementParser, channel: &str, account: &str, day: NaiveDate, tz: chrono_tz::Tz, input: &mut (dyn Read + Send), progress: &dyn Progress) -> Result<Prepared, ReconError> {
    let (from, _) = day_bounds(day.checked_sub_days(Days::new(1)).unwrap_or(day), tz);
    let (_, to) = day_bounds(day, tz);
    let (parsed, book) = std::thread::scope(|s| {
        let book = s.spawn(|| store.recon_book(account, from, to, tz, &|n| progress.report(account, Phase::Book, n, None)));
        let parsed = parser.read(channel, input, &|n| progress.report(account, Phase::Parse, n, None));
        (parsed, book.join())
    });
    let (format, statement) = parsed.map_err(|e| ReconError::Statement { account: account.into(), day: day.to_string(), message: e.to_string() })?;
    let book = book.map_err(|_| ReconError::Io("reading the book stopped unexpectedly".into()))??;
    Ok(Prepared { format, statement, book })
}

/// Matches a prepared day. Lines the window of the book did not hold (an order paid today but
/// created long ago, a refund of an old order, another account's order) are looked up one by one
/// and the day matched again — so the common case costs one pass and no extra look-ups.
pub fn match_prepared(store: &Store, p: &mut Prepared, account: &str, fee_rate_bp: u32, day: NaiveDate, tz: chrono_tz::Tz, adjacent: &Adjacent) -> Result<Outcome, ReconError> {
    let input = MatchInput { day, fee_rate_bp, rows: &p.statement.rows, declared: &p.statement.totals, book: &p.book, adjacent };
    let outcome = match_day(&input);
    let unknown = |k: super::DiscrepancyKind| outcome.discrepancies.iter().filter(move |d| d.kind == k);
    let missing = || unknown(super::DiscrepancyKind::MissingInBook).chain(unknown(super::DiscrepancyKind::External));
    let orders: Vec<&str> = missing().filter(|d| d.refund_no.is_none() && !d.order_no.is_empty()).map(|d| d.order_no.as_str()).collect();
    let refunds: Vec<&str> = missing().filter_map(|d| d.refund_no.as_deref()).filter(|n| !n.is_empty()).collect();
    if orders.is_empty() && refunds.is_empty() {
        return Ok(outcome);
    }
    let mut book = std::mem::take(&mut p.book);
    let before = (book.orders.len(), book.refunds.len(), book.other_account.len());
    store.recon_lookup(account, &mut book, &orders, &refunds, tz)?;
    let found = (book.orders.len(), book.refunds.len(), book.other_account.len()) != before;
    p.book = book;
    if !found {
        return Ok(outcome);
    }
    p.book.orders.values().for_each(|o| o.seen.set(false));
    p.book.refunds.values().for_each(|r| r.seen.set(false));
    let input = MatchInput { day, fee_rate_bp, rows: &p.statement.rows, declared: &p.statement.totals, book: &p.book, adjacent };
    Ok(match_day(&input))
}

/// The statement lines that have a discrepancy: every line the matcher did not match
/// (`matched` is ascending).
pub fn flagged_lines(lines: usize, matched: &[u32]) -> Vec<u32> {
    let mut out = Vec::new();
    let mut next = matched.iter().copied().peekable();
    for i in 0..lines as u32 {
        if next.peek() == Some(&i) {
            next.next();
        } else {
            out.push(i);
        }
    }
    out
}

/// Where the statement comes from, once obtained.
enum Source {
    File(PathBuf),
    Bytes(Vec<u8>),
}

impl Reconciler {
    pub fn new(payments: Arc<Payments>, home: &Path, parser: Arc<dyn StatementParser>) -> Reconciler {
        Reconciler { payments, home: home.to_path_buf(), parser }
    }

    pub fn store(&self) -> &Arc<Store> {
        self.payments.store()
    }

    pub fn payments(&self) -> &Arc<Payments> {
        &self.payments
    }

    pub fn parser(&self) -> &Arc<dyn StatementParser> {
        &self.parser
    }

    pub fn home(&self) -> &Path {
        &self.home
    }

    /// The business-day zone of statements.
    pub fn tz(&self) -> chrono_tz::Tz {
        self.payments.settings().recon_tz().unwrap_or(chrono_tz::Asia::Shanghai)
    }

    /// Today in the business-day zone.
    pub fn today(&self) -> NaiveDate {
        Utc::now().with_timezone(&self.tz()).date_naive()
    }

    /// Where the statements of an account and day are kept.
    fn day_dir(&self, account: &str, day: NaiveDate) -> PathBuf {
        self.home.join("statements").join(account).join(day.to_string())
    }

    /// Places a kept file and records it (a file the day keeps already is reused).
    #[allow(clippy::too_many_arguments)]
    fn keep(&self, account: &str, day: NaiveDate, name: &str, kept: Kept, origin: &str, format: &str, rows: u64, totals: &crate::statement::StatementTotals) -> Result<StoredStatement, ReconError> {
        let d = day.to_string();
        let existing = self.store().latest_statement(account, &d)?.filter(|s| s.sha256 == kept.sha256);
        let dir = self.day_dir(account, day);
        let (sha256, bytes) = (kept.sha256.clone(), kept.bytes);
        let path = kept.place(&dir, name, existing.as_ref().map(|s| self.home.join(&s.file)).as_deref()).map_err(|e| ReconError::Io(format!("cannot keep the statement in {}: {e}", dir.display())))?;
        if let Some(s) = existing.filter(|s| self.home.join(&s.file) == path) {
            return Ok(s);
        }
        let rel = path.strip_prefix(&self.home).unwrap_or(&path).to_string_lossy().into_owned();
        let mut s = StoredStatement { id: 0, account: account.into(), day: d, format: format.into(), file: rel, sha256, bytes, rows, origin: origin.into(), totals: totals.clone(), stored_at: Utc::now() };
        s.id = self.store().insert_statement(&s)?;
        Ok(s)
    }

    /// The statement of a request: (file name, where it is, origin).
    async fn obtain(&self, account: &str, day: NaiveDate, input: &StatementInput) -> Result<(String, Source, &'static str), ReconError> {
        match input {
            StatementInput::Download => {
                let ch = self.payments.channel(account)?;
                let f = ch.statement(day).await.map_err(|e| ReconError::Download { account: account.into(), day: day.to_string(), source: Box::new(e) })?;
                Ok((f.file_name, Source::Bytes(f.bytes), "download"))
            }
            StatementInput::File(p) => {
                std::fs::File::open(p).map_err(|e| invalid("file", format!("cannot read {}: {e}", p.display())))?;
                let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "statement".into());
                Ok((name, Source::File(p.clone()), "import"))
            }
            StatementInput::Bytes { name, bytes } => Ok((name.clone(), Source::Bytes(bytes.clone()), "import")),
        }
    }

    /// Reads a statement through the parser while keeping it (see [`super::keep`]).
    fn read_and_keep(&self, account: &str, day: NaiveDate, source: Source, mut read: impl FnMut(&mut (dyn Read + Send)) -> Result<Prepared, ReconError>) -> Result<(Prepared, Kept), ReconError> {
        let reader: Box<dyn Read + Send> = match source {
            Source::File(p) => Box::new(std::fs::File::open(&p).map_err(|e| invalid("file", format!("cannot read {}: {e}", p.display())))?),
            Source::Bytes(b) => Box::new(std::io::Cursor::new(b)),
        };
        let dir = self.day_dir(account, day);
        let io = |e: std::io::Error| ReconError::Io(format!("cannot keep the statement in {}: {e}", dir.display()));
        let mut tee = Tee::new(reader, &dir).map_err(io)?;
        let prepared = read(&mut tee)?;
        let kept = tee.finish().map_err(io)?;
        Ok((prepared, kept))
    }

    /// The numbers among `wanted` that an adjacent day's statement (stored, else downloaded and
    /// stored) holds. None when it cannot be had (e.g. tomorrow's is not published yet).
    async fn adjacent_numbers(&self, account: &str, channel: &str, day: NaiveDate, wanted: &(Vec<String>, Vec<String>)) -> Option<(Vec<String>, Vec<String>)> {
        if day > self.today() {
            return None;
        }
        let stored = self.store().latest_statement(account, &day.to_string()).ok().flatten().map(|s| self.home.join(&s.file)).filter(|p| p.exists());
        let parsed = match stored {
            Some(path) => {
                let mut f = std::fs::File::open(path).ok()?;
                self.parser.read(channel, &mut f, &|_| {}).ok()?.1
            }
            None => {
                let f = self.payments.channel(account).ok()?.statement(day).await.ok()?;
                let parse = |input: &mut (dyn Read + Send)| {
                    let (format, statement) = self.parser.read(channel, input, &|_| {}).map_err(|e| ReconError::Io(e.to_string()))?;
                    Ok(Prepared { format, statement, book: BookView::default() })
                };
                let (p, kept) = self.read_and_keep(account, day, Source::Bytes(f.bytes), parse).ok()?;
                let _ = self.keep(account, day, &f.file_name, kept, "download", &p.format, p.statement.rows.len() as u64, &p.statement.totals);
                p.statement
            }
        };
        let (pays, refunds): (rustc_hash::FxHashSet<&str>, rustc_hash::FxHashSet<&str>) = (wanted.0.iter().map(String::as_str).collect(), wanted.1.iter().map(String::as_str).collect());
        let mut out = (Vec::new(), Vec::new());
        for r in parsed.rows.iter() {
            match (r.kind, r.refund_no) {
                (StatementKind::Payment, _) if pays.contains(r.order_no) => out.0.push(r.order_no.to_string()),
                (StatementKind::Refund, Some(no)) if refunds.contains(no) => out.1.push(no.to_string()),
                _ => {}
            }
        }
        Some(out)
    }

    /// Takes the account-day's lease, after one sync round so that a till of a shared book
    /// reconciles every till's orders. Another holder: [`ReconError::Busy`] naming it.
    async fn lease(&self, account: &str, day: NaiveDate) -> Result<Lease, ReconError> {
        let store = self.store().clone();
        let name = format!("{account}/{day}");
        let holder = format!("till {} (pid {})", self.payments.settings().till_id, std::process::id());
        let taken = tokio::task::spawn_blocking(move || {
            if let Err(e) = store.sync_once() {
                tracing::warn!("before reconciling: {e}");
            }
            store.acquire_lease(&format!("reconcile {name}"), &holder, LEASE)
        })
        .await
        .map_err(|e| ReconError::Io(format!("reconciliation task: {e}")))??;
        taken.map_err(|mut held| {
            held.name = format!("{account}/{day}");
            ReconError::Busy(held)
        })
    }

    /// Sends the results to the shared book, then gives the lease back: whoever takes it next
    /// (after a sync) sees this run.
    async fn unlease(&self, lease: Lease) {
        let store = self.store().clone();
        let _ = tokio::task::spawn_blocking(move || {
            let _ = store.sync_once();
            if let Err(e) = store.release_lease(&lease) {
                tracing::warn!("reconciliation lease {}: {e}", lease.name);
            }
        })
        .await;
    }

    /// Runs one reconciliation. The run is recorded even when it fails (with the reason); a
    /// failed run changes nothing else. One run per account and day at a time, across processes
    /// and tills (a lease).
    pub async fn run(&self, req: RunRequest, actor: Option<&Session>, progress: Arc<dyn Progress>) -> Result<RunRecord, ReconError> {
        let account = self.store().account(&req.account).map_err(|_| invalid("account", format!("no account named {:?}", req.account)))?;
        if req.day > self.today() {
            return Err(invalid("day", format!("{} is in the future", req.day)));
        }
        let lease = self.lease(&account.name, req.day).await?;
        // The schedule of another till of the shop may have done the day meanwhile.
        if matches!(req.trigger.as_str(), "schedule" | "catch_up") {
            if let Some(done) = self.store().runs_of(&account.name, &req.day.to_string())?.into_iter().next().filter(|r| r.status == "done") {
                self.unlease(lease).await;
                return Ok(done);
            }
        }
        let result = self.run_leased(&account, req, actor, progress).await;
        self.unlease(lease).await;
        result
    }

    async fn run_leased(&self, account: &crate::AccountConfig, req: RunRequest, actor: Option<&Session>, progress: Arc<dyn Progress>) -> Result<RunRecord, ReconError> {
        let run_id = self.store().begin_run(&account.name, &account.channel, &req.day.to_string(), &req.trigger, actor.map(|s| s.user.as_str()), Utc::now())?;
        let result = self.run_inner(run_id, account, &req, progress).await;
        let target = format!("{}/{}", account.name, req.day);
        match &result {
            Ok(r) => {
                let s = &r.summary;
                let _ = crate::auth::audit(self.store(), actor, "reconcile", Some(&target), AuditOutcome::Ok, &format!("run {}: {} matched, {} discrepancies", r.id, s.matched, s.mismatched), Utc::now());
            }
            Err(e) => {
                self.store().fail_run(run_id, &e.to_string(), Utc::now())?;
                let _ = crate::auth::audit(self.store(), actor, "reconcile", Some(&target), AuditOutcome::Failed, &e.to_string(), Utc::now());
            }
        }
        result
    }

    async fn run_inner(&self, run_id: i64, account: &crate::AccountConfig, req: &RunRequest, progress: Arc<dyn Progress>) -> Result<RunRecord, ReconError> {
        let (name, day, tz) = (account.name.clone(), req.day, self.tz());
        progress.report(&name, Phase::Download, 0, None);
        let (file_name, source, origin) = match self.obtain(&name, day, &req.input).await {
            Ok(v) => v,
            // No statement for a day on which the book has nothing either: an empty day.
            Err(ReconError::Download { source, .. }) if matches!(*source, ChannelError::Rejected { .. }) && self.book_is_quiet(&name, day, tz).await? => {
                progress.report(&name, Phase::Save, 0, None);
                let summary = super::Summary::default();
                self.store().finish_run(run_id, None, &summary, &[], &[], Utc::now())?;
                return Ok(self.store().recon_run(run_id)?);
            }
            Err(e) => return Err(e),
        };
        let (store, parser, channel, p2, n2) = (self.store().clone(), self.parser.clone(), account.channel.clone(), progress.clone(), name.clone());
        let me = self.clone();
        let (prepared, kept) = tokio::task::spawn_blocking(move || me.read_and_keep(&n2, day, source, |input| prepare(&store, parser.as_ref(), &channel, &n2, day, tz, input, p2.as_ref())))
            .await
            .map_err(|e| ReconError::Io(format!("reconciliation task: {e}")))??;
        progress.report(&name, Phase::Download, kept.bytes, Some(kept.bytes));
        let stored = self.keep(&name, day, &file_name, kept, origin, &prepared.format, prepared.statement.rows.len() as u64, &prepared.statement.totals)?;
        let lines = prepared.statement.rows.len() as u64;
        progress.report(&name, Phase::Match, 0, Some(lines));
        let mut prepared = prepared;
        let mut adjacent = Adjacent::default();
        let mut outcome = match_prepared(self.store(), &mut prepared, &name, account.fee_rate_bp, day, tz, &adjacent)?;
        if outcome.discrepancies.iter().any(|d| d.kind == super::DiscrepancyKind::MissingAtChannel) {
            let at_channel = || outcome.discrepancies.iter().filter(|d| d.kind == super::DiscrepancyKind::MissingAtChannel);
            let wanted = (at_channel().filter(|d| d.refund_no.is_none()).map(|d| d.order_no.clone()).collect(), at_channel().filter_map(|d| d.refund_no.clone()).collect());
            for d in [day.pred_opt(), day.succ_opt()].into_iter().flatten() {
                match self.adjacent_numbers(&name, &account.channel, d, &wanted).await {
                    Some((p, r)) => {
                        adjacent.payments.extend(p);
                        adjacent.refunds.extend(r);
                    }
                    None => adjacent.missing.push(d.to_string()),
                }
            }
            prepared.book.orders.values().for_each(|o| o.seen.set(false));
            prepared.book.refunds.values().for_each(|r| r.seen.set(false));
            // The first outcome goes before the second is built (a million matched lines each).
            drop(std::mem::take(&mut outcome));
            outcome = match_prepared(self.store(), &mut prepared, &name, account.fee_rate_bp, day, tz, &adjacent)?;
        }
        // Lines only the book has: show the channel trade number the book knows.
        let book_only: Vec<usize> = outcome.discrepancies.iter().enumerate().filter(|(_, d)| d.channel.is_none() && d.book.is_some()).map(|(i, _)| i).collect();
        if !book_only.is_empty() {
            let nos: Vec<&str> = book_only.iter().map(|&i| outcome.discrepancies[i].order_no.as_str()).collect();
            let trade_nos = self.store().trade_nos(&nos)?;
            for (&i, t) in book_only.iter().zip(trade_nos) {
                if let Some(b) = outcome.discrepancies[i].book.as_mut() {
                    b.trade_no = t;
                }
            }
        }
        progress.report(&name, Phase::Match, lines, Some(lines));
        progress.report(&name, Phase::Save, 0, Some(outcome.discrepancies.len() as u64));
        let flagged = flagged_lines(prepared.statement.rows.len(), &outcome.matched);
        self.store().finish_run(run_id, Some(stored.id), &outcome.summary, &outcome.discrepancies, &flagged, Utc::now())?;
        progress.report(&name, Phase::Save, outcome.discrepancies.len() as u64, Some(outcome.discrepancies.len() as u64));
        Ok(self.store().recon_run(run_id)?)
    }

    /// True when the book holds no paid or refunded line of the account on `day`.
    async fn book_is_quiet(&self, account: &str, day: NaiveDate, tz: chrono_tz::Tz) -> Result<bool, ReconError> {
        let (from, to) = day_bounds(day, tz);
        let (store, account) = (self.store().clone(), account.to_string());
        let view = tokio::task::spawn_blocking(move || store.recon_book(&account, from - chrono::Duration::days(1), to, tz, &|_| {}))
            .await
            .map_err(|e| ReconError::Io(e.to_string()))??;
        let on_day = |t: Option<chrono::NaiveDateTime>| t.is_some_and(|t| t.date() == day);
        Ok(!view.orders.values().any(|o| on_day(o.paid_at)) && !view.refunds.values().any(|r| on_day(Some(r.at)) && r.status == crate::order::RefundStatus::Success))
    }

    /// Runs every enabled account that can download statements, one after another.
    pub async fn run_all(&self, day: NaiveDate, trigger: &str, actor: Option<&Session>, progress: Arc<dyn Progress>) -> Vec<Result<RunRecord, (String, ReconError)>> {
        let mut out = Vec::new();
        for (a, caps) in self.payments.accounts() {
            if !a.enabled || !caps.statement {
                continue;
            }
            let req = RunRequest { account: a.name.clone(), day, input: StatementInput::Download, trigger: trigger.into() };
            out.push(self.run(req, actor, progress.clone()).await.map_err(|e| (a.name.clone(), e)));
        }
        out
    }
}
