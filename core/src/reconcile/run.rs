//! One reconciliation run: an account and a business day, from statement to stored result.
//!
//! 1. The statement: downloaded through the channel, or a file the accountant imported. The
//!    original bytes are kept under `<home>/statements/<account>/<day>/<sha256[..12]>-<name>`
//!    and recorded with their SHA-256 (the same file twice is stored once), so a report can be
//!    reproduced from what the channel really sent.
//! 2. Parsing and reading the book run in parallel on two threads ([`prepare`]).
//! 3. The matcher; if it finds lines missing at the channel, the previous and next days'
//!    statements (stored, else downloaded) are consulted and it runs again.
//! 4. The run, its discrepancies and matched lines are stored in one transaction.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};
use sha2::{Digest, Sha256};

use super::matcher::{match_day, Adjacent, BookView, MatchInput, Outcome};
use super::{invalid, Matched, Phase, Progress, ReconError, StatementParser};
use crate::auth::Session;
use crate::channel::ChannelError;
use crate::payments::Payments;
use crate::statement::{ParsedStatement, StatementKind};
use crate::store::{Outcome as AuditOutcome, RunRecord, Store, StoredStatement};

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

/// Parses the statement and reads the book in parallel (two threads): the part of a run that
/// scales with the number of lines, shared by the product and the benchmark. The book window
/// is the orders created from the day before to the end of the day; orders the statement names
/// that are older are then looked up one by one.
#[allow(clippy::too_many_arguments)] // the bench calls it too: plain arguments keep it obvious
pub fn prepare(store: &Store, parser: &dyn StatementParser, channel: &str, account: &str, day: NaiveDate, tz: chrono_tz::Tz, bytes: Vec<u8>, progress: &dyn Progress) -> Result<Prepared, ReconError> {
    let (from, _) = day_bounds(day.checked_sub_days(Days::new(1)).unwrap_or(day), tz);
    let (_, to) = day_bounds(day, tz);
    let (parsed, book) = std::thread::scope(|s| {
        let parse = s.spawn(|| parser.parse(channel, bytes, &|n| progress.report(account, Phase::Parse, n, None)));
        let book = store.recon_book(account, from, to, tz, &|n| progress.report(account, Phase::Book, n, None));
        (parse.join(), book)
    });
    let (format, statement) = parsed.map_err(|_| ReconError::Io("the statement parser stopped unexpectedly".into()))?.map_err(|e| ReconError::Statement { account: account.into(), day: day.to_string(), message: e.to_string() })?;
    Ok(Prepared { format, statement, book: book? })
}

/// Matches a prepared day. Lines the window of the book did not hold (an order paid today but
/// created long ago, a refund of an old order, another account's order) are looked up one by one
/// and the day matched again — so the common case costs one pass and no extra look-ups.
pub fn match_prepared(store: &Store, p: &mut Prepared, account: &str, fee_rate_bp: u32, day: NaiveDate, tz: chrono_tz::Tz, adjacent: &Adjacent) -> Result<Outcome, ReconError> {
    let input = MatchInput { day, fee_rate_bp, rows: &p.statement.rows, declared: &p.statement.totals, book: &p.book, adjacent };
    let outcome = match_day(&input);
    let (orders, refunds): (Vec<&str>, Vec<&str>) = {
        let missing = || outcome.discrepancies.iter().filter(|d| d.kind == super::DiscrepancyKind::MissingInBook);
        (missing().filter(|d| d.refund_no.is_none()).map(|d| d.order_no.as_str()).collect(), missing().filter_map(|d| d.refund_no.as_deref()).collect())
    };
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

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn safe_name(name: &str) -> String {
    crate::kept::safe_name(name, "statement")
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

    /// The business-day zone of statements.
    pub fn tz(&self) -> chrono_tz::Tz {
        self.payments.settings().recon_tz().unwrap_or(chrono_tz::Asia::Shanghai)
    }

    /// Today in the business-day zone.
    pub fn today(&self) -> NaiveDate {
        Utc::now().with_timezone(&self.tz()).date_naive()
    }

    /// Keeps the original file and records it (a file already stored for the day is reused).
    #[allow(clippy::too_many_arguments)]
    fn keep(&self, account: &str, day: NaiveDate, name: &str, bytes: &[u8], origin: &str, format: &str, rows: u64, totals: &crate::statement::StatementTotals) -> Result<StoredStatement, ReconError> {
        let sha = sha256_hex(bytes);
        let d = day.to_string();
        if let Some(s) = self.store().latest_statement(account, &d)? {
            if s.sha256 == sha && self.home.join(&s.file).exists() {
                return Ok(s);
            }
        }
        let rel = PathBuf::from("statements").join(account).join(&d).join(format!("{}-{}", &sha[..12], safe_name(name)));
        let path = self.home.join(&rel);
        let io = |e: std::io::Error| ReconError::Io(format!("cannot keep the statement in {}: {e}", path.display()));
        std::fs::create_dir_all(path.parent().unwrap_or(&self.home)).map_err(io)?;
        std::fs::write(&path, bytes).map_err(io)?;
        let mut s = StoredStatement {
            id: 0,
            account: account.into(),
            day: d,
            format: format.into(),
            file: rel.to_string_lossy().into_owned(),
            sha256: sha,
            bytes: bytes.len() as u64,
            rows,
            origin: origin.into(),
            totals: totals.clone(),
            stored_at: Utc::now(),
        };
        s.id = self.store().insert_statement(&s)?;
        Ok(s)
    }

    /// The statement bytes for a request: (file name, bytes, origin).
    async fn obtain(&self, account: &str, day: NaiveDate, input: &StatementInput) -> Result<(String, Vec<u8>, &'static str), ReconError> {
        match input {
            StatementInput::Download => {
                let ch = self.payments.channel(account)?;
                let f = ch.statement(day).await.map_err(|e| ReconError::Download { account: account.into(), day: day.to_string(), source: Box::new(e) })?;
                Ok((f.file_name, f.bytes, "download"))
            }
            StatementInput::File(p) => {
                let bytes = std::fs::read(p).map_err(|e| invalid("file", format!("cannot read {}: {e}", p.display())))?;
                let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "statement".into());
                Ok((name, bytes, "import"))
            }
            StatementInput::Bytes { name, bytes } => Ok((name.clone(), bytes.clone(), "import")),
        }
    }

    /// The order and refund numbers on an adjacent day's statement (stored, else downloaded
    /// and stored). None when it cannot be had (e.g. tomorrow's is not published yet).
    async fn adjacent_numbers(&self, account: &str, channel: &str, day: NaiveDate) -> Option<(Vec<String>, Vec<String>)> {
        if day > self.today() {
            return None;
        }
        let stored = self.store().latest_statement(account, &day.to_string()).ok().flatten().and_then(|s| std::fs::read(self.home.join(&s.file)).ok());
        let (bytes, fresh) = match stored {
            Some(b) => (b, None),
            None => {
                let f = self.payments.channel(account).ok()?.statement(day).await.ok()?;
                (f.bytes.clone(), Some(f))
            }
        };
        let (format, parsed) = self.parser.parse(channel, bytes, &|_| {}).ok()?;
        if let Some(f) = fresh {
            let _ = self.keep(account, day, &f.file_name, &f.bytes, "download", &format, parsed.rows.len() as u64, &parsed.totals);
        }
        let pays = parsed.rows.iter().filter(|r| r.kind == StatementKind::Payment).map(|r| r.order_no.clone()).collect();
        let refunds = parsed.rows.iter().filter_map(|r| r.refund_no.clone()).collect();
        Some((pays, refunds))
    }

    /// Runs one reconciliation. The run is recorded even when it fails (with the reason).
    pub async fn run(&self, req: RunRequest, actor: Option<&Session>, progress: Arc<dyn Progress>) -> Result<RunRecord, ReconError> {
        let account = self.store().account(&req.account).map_err(|_| invalid("account", format!("no account named {:?}", req.account)))?;
        if req.day > self.today() {
            return Err(invalid("day", format!("{} is in the future", req.day)));
        }
        let run_id = self.store().begin_run(&account.name, &account.channel, &req.day.to_string(), &req.trigger, actor.map(|s| s.user.as_str()), Utc::now())?;
        let result = self.run_inner(run_id, &account, &req, progress).await;
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
        let (file_name, bytes, origin) = match self.obtain(&name, day, &req.input).await {
            Ok(v) => v,
            // No statement for a day on which the book has nothing either: an empty day.
            Err(ReconError::Download { source, .. }) if matches!(*source, ChannelError::Rejected { .. }) && self.book_is_quiet(&name, day, tz).await? => {
                progress.report(&name, Phase::Save, 0, None);
                let summary = super::Summary::default();
                self.store().finish_run(run_id, None, &summary, &[], &mut std::iter::empty(), Utc::now())?;
                return Ok(self.store().recon_run(run_id)?);
            }
            Err(e) => return Err(e),
        };
        progress.report(&name, Phase::Download, bytes.len() as u64, Some(bytes.len() as u64));
        let keep_bytes = bytes.clone();
        let (store, parser, channel, p2, n2) = (self.store().clone(), self.parser.clone(), account.channel.clone(), progress.clone(), name.clone());
        let prepared = tokio::task::spawn_blocking(move || prepare(&store, parser.as_ref(), &channel, &n2, day, tz, bytes, p2.as_ref()))
            .await
            .map_err(|e| ReconError::Io(format!("reconciliation task: {e}")))??;
        let stored = self.keep(&name, day, &file_name, &keep_bytes, origin, &prepared.format, prepared.statement.rows.len() as u64, &prepared.statement.totals)?;
        drop(keep_bytes);
        progress.report(&name, Phase::Match, 0, Some(prepared.statement.rows.len() as u64));
        let mut prepared = prepared;
        let mut adjacent = Adjacent::default();
        let mut outcome = match_prepared(self.store(), &mut prepared, &name, account.fee_rate_bp, day, tz, &adjacent)?;
        if outcome.discrepancies.iter().any(|d| d.kind == super::DiscrepancyKind::MissingAtChannel) {
            for d in [day.pred_opt(), day.succ_opt()].into_iter().flatten() {
                match self.adjacent_numbers(&name, &account.channel, d).await {
                    Some((p, r)) => {
                        adjacent.payments.extend(p);
                        adjacent.refunds.extend(r);
                    }
                    None => adjacent.missing.push(d.to_string()),
                }
            }
            prepared.book.orders.values().for_each(|o| o.seen.set(false));
            prepared.book.refunds.values().for_each(|r| r.seen.set(false));
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
        progress.report(&name, Phase::Match, prepared.statement.rows.len() as u64, Some(prepared.statement.rows.len() as u64));
        progress.report(&name, Phase::Save, 0, Some(outcome.matched.len() as u64));
        let rows = &prepared.statement.rows;
        let mut matched = outcome.matched.iter().map(|&i| {
            let r = &rows[i];
            Matched {
                line: r.kind,
                order_no: r.order_no.clone(),
                refund_no: r.refund_no.clone(),
                channel_trade_no: r.channel_trade_no.clone(),
                amount: if r.kind == StatementKind::Payment { r.amount } else { r.refund_amount },
                fee: r.fee,
                time: r.time.map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string()),
            }
        });
        self.store().finish_run(run_id, Some(stored.id), &outcome.summary, &outcome.discrepancies, &mut matched, Utc::now())?;
        progress.report(&name, Phase::Save, outcome.matched.len() as u64, Some(outcome.matched.len() as u64));
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
