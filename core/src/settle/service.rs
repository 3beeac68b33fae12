//! Reading a channel account's fund flow for a day: download it through the channel (or take a
//! file the accountant downloaded from the merchant portal), keep the original under
//! `<home>/funds/<account>/<day>/<sha256[..12]>-<name>`, derive the day's figures and payouts,
//! and store them.
//!
//! Each payout batch is checked against the days it pays out: a transfer on day P pays out the
//! net of the business days since the previous transfer (the channels' automatic T+1 withdrawal;
//! UnionPay settles each 清算日期 on its own), so `expected = Σ net` of those days when all of
//! them are known. A day read later completes the check of the batch that covers it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{Days, NaiveDate, Utc};

use super::{derive, DayFunds, FundParser, ParsedFunds};
use crate::auth::Session;
use crate::channel::ChannelError;
use crate::payments::Payments;
use crate::store::{FundStatement, NewPayout, Outcome as AuditOutcome, SettleDay, Store, StoreError};

/// The most days one batch is taken to cover (a long holiday).
pub const MAX_COVERED_DAYS: u64 = 31;

/// Where the fund-flow file comes from.
#[derive(Debug, Clone)]
pub enum FundInput {
    Download,
    File(PathBuf),
    Bytes { name: String, bytes: Vec<u8> },
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SettleError {
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    #[error("fund flow of {account} for {day}: {message}")]
    Statement { account: String, day: String, message: String },
    #[error("fund flow of {account} for {day} cannot be downloaded: {source}")]
    Download { account: String, day: String, #[source] source: Box<ChannelError> },
    #[error("account {account}: {channel} has no fund-flow statement Paydesk reads")]
    Unsupported { account: String, channel: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Io(String),
}

impl SettleError {
    /// A stable code for front ends (the same words as reconciliation's).
    pub fn code(&self) -> &'static str {
        match self {
            SettleError::Invalid { .. } | SettleError::Unsupported { .. } => "invalid",
            SettleError::Statement { .. } => "bad_statement",
            SettleError::Download { .. } => "channel",
            SettleError::Store(_) => "storage",
            SettleError::Io(_) => "io",
        }
    }
}

fn invalid(field: &'static str, message: impl Into<String>) -> SettleError {
    SettleError::Invalid { field, message: message.into() }
}

/// Reads fund flows and stores each day's settlement.
pub struct Settler {
    payments: Arc<Payments>,
    home: PathBuf,
    parser: Arc<dyn FundParser>,
}

impl std::fmt::Debug for Settler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settler").field("home", &self.home).finish_non_exhaustive()
    }
}

impl Settler {
    pub fn new(payments: Arc<Payments>, home: &Path, parser: Arc<dyn FundParser>) -> Settler {
        Settler { payments, home: home.to_path_buf(), parser }
    }

    pub fn store(&self) -> &Arc<Store> {
        self.payments.store()
    }

    pub fn payments(&self) -> &Arc<Payments> {
        &self.payments
    }

    /// The business-day zone (the statements' zone).
    pub fn tz(&self) -> chrono_tz::Tz {
        self.payments.settings().recon_tz().unwrap_or(chrono_tz::Asia::Shanghai)
    }

    pub fn today(&self) -> NaiveDate {
        Utc::now().with_timezone(&self.tz()).date_naive()
    }

    /// Whether an account's channel has a fund-flow statement Paydesk reads.
    pub fn supports(&self, channel: &str) -> bool {
        self.parser.supports(channel)
    }

    async fn obtain(&self, account: &str, day: NaiveDate, input: &FundInput) -> Result<(String, Vec<u8>, &'static str), SettleError> {
        match input {
            FundInput::Download => {
                let ch = self.payments.channel(account).map_err(|e| SettleError::Io(e.to_string()))?;
                let f = ch.fund_flow(day).await.map_err(|e| SettleError::Download { account: account.into(), day: day.to_string(), source: Box::new(e) })?;
                Ok((f.file_name, f.bytes, "download"))
            }
            FundInput::File(p) => {
                let bytes = std::fs::read(p).map_err(|e| invalid("file", format!("cannot read {}: {e}", p.display())))?;
                let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "funds".into());
                Ok((name, bytes, "import"))
            }
            FundInput::Bytes { name, bytes } => Ok((name.clone(), bytes.clone(), "import")),
        }
    }

    /// Keeps the original file (the same file of the day twice is stored once).
    #[allow(clippy::too_many_arguments)]
    fn keep(&self, account: &str, day: NaiveDate, name: &str, bytes: &[u8], origin: &str, format: &str, rows: u64) -> Result<FundStatement, SettleError> {
        let d = day.to_string();
        if let Some(s) = self.store().latest_fund_statement(account, &d)? {
            if s.sha256 == crate::kept::sha256_hex(bytes) && self.home.join(&s.file).exists() {
                return Ok(s);
            }
        }
        let (rel, sha) = crate::kept::keep(&self.home, &PathBuf::from("funds").join(account).join(&d), name, "funds", bytes).map_err(SettleError::Io)?;
        let mut s = FundStatement { id: 0, account: account.into(), day: d, format: format.into(), file: rel.to_string_lossy().into_owned(), sha256: sha, bytes: bytes.len() as u64, rows, origin: origin.into(), stored_at: Utc::now() };
        s.id = self.store().insert_fund_statement(&s)?;
        Ok(s)
    }

    /// The payouts of a derived day, each with the business days it pays out and — when all of
    /// them are known — the sum of their nets.
    fn batches(&self, account: &str, day: NaiveDate, funds: &DayFunds, parsed: &ParsedFunds) -> Result<Vec<NewPayout>, SettleError> {
        let mut out = Vec::new();
        for p in &funds.payouts {
            if p.amount <= 0 {
                continue;
            }
            let covers: Vec<NaiveDate> = if parsed.settle_date.is_some() {
                vec![day]
            } else {
                let floor = p.day.checked_sub_days(Days::new(MAX_COVERED_DAYS)).unwrap_or(p.day);
                let start = match self.store().payout_before(account, &p.day.to_string())? {
                    Some(prev) => prev.day.parse::<NaiveDate>().unwrap_or(floor).max(floor),
                    None => p.day.pred_opt().unwrap_or(p.day),
                };
                start.iter_days().take_while(|d| *d < p.day).collect()
            };
            let known = self.nets(account, &covers, Some((day, funds.net)))?;
            let for_day = covers.last().copied().unwrap_or(day);
            out.push(NewPayout {
                reference: p.reference.clone(),
                day: p.day.to_string(),
                for_day: for_day.to_string(),
                amount: p.amount,
                time: p.time.clone(),
                counterparty: p.counterparty.clone(),
                memo: p.memo.clone(),
                covers: covers.iter().map(NaiveDate::to_string).collect(),
                expected: known,
            });
        }
        Ok(out)
    }

    /// Σ net of `days` when every one is known (`this`: a day being derived right now, not yet
    /// stored).
    fn nets(&self, account: &str, days: &[NaiveDate], this: Option<(NaiveDate, i64)>) -> Result<Option<i64>, SettleError> {
        let (Some(first), Some(last)) = (days.first(), days.last()) else { return Ok(None) };
        let stored = self.store().settle_days_between(account, &first.to_string(), &last.to_string())?;
        let mut sum = 0;
        for d in days {
            let net = match this {
                Some((t, n)) if t == *d => Some(n),
                _ => stored.iter().find(|(s, _)| *s == d.to_string()).map(|(_, f)| f.net),
            };
            match net {
                Some(n) => sum += n,
                None => return Ok(None),
            }
        }
        Ok(Some(sum))
    }

    /// Completes the check of stored batches of `account` that cover `day` (read just now).
    fn complete_batches(&self, account: &str, channel: &str, day: NaiveDate) -> Result<(), SettleError> {
        let to = day.checked_add_days(Days::new(MAX_COVERED_DAYS)).unwrap_or(day);
        for p in self.store().payouts_for(&day.to_string(), &to.to_string())?.into_iter().filter(|p| p.account == account && p.covers.contains(&day.to_string())) {
            let covers: Vec<NaiveDate> = p.covers.iter().filter_map(|d| d.parse().ok()).collect();
            let expected = self.nets(account, &covers, None)?;
            if expected != p.expected {
                let Some(owner) = self.store().settle_day(account, &p.day)? else { continue };
                let np = NewPayout { reference: p.reference, day: p.day, for_day: p.for_day, amount: p.amount, time: p.time, counterparty: p.counterparty, memo: p.memo, covers: p.covers, expected };
                self.store().save_settle_day(account, channel, &owner.day, owner.statement.id, &owner.funds, &[np], Utc::now())?;
            }
        }
        Ok(())
    }

    /// Reads one account's fund flow of `day` and stores the day. Audited.
    pub async fn fetch(&self, account: &str, day: NaiveDate, input: FundInput, actor: Option<&Session>) -> Result<SettleDay, SettleError> {
        let result = self.fetch_inner(account, day, &input).await;
        let target = format!("{account}/{day}");
        let (outcome, detail) = match &result {
            Ok(d) => (AuditOutcome::Ok, format!("net {} in {} sales, {} refunds; {} payout(s)", crate::money::format_signed_fen(d.funds.net), d.funds.sales_count, d.funds.refund_count, d.funds.payouts.len())),
            Err(e) => (AuditOutcome::Failed, e.to_string()),
        };
        let _ = crate::auth::audit(self.store(), actor, "settle", Some(&target), outcome, &detail, Utc::now());
        result
    }

    async fn fetch_inner(&self, account: &str, day: NaiveDate, input: &FundInput) -> Result<SettleDay, SettleError> {
        let a = self.store().account(account).map_err(|_| invalid("account", format!("no account named {account:?}")))?;
        if !self.parser.supports(&a.channel) {
            return Err(SettleError::Unsupported { account: a.name, channel: a.channel });
        }
        if day > self.today() {
            return Err(invalid("day", format!("{day} is in the future")));
        }
        let (name, bytes, origin) = self.obtain(account, day, input).await?;
        let (parser, channel, keep_bytes) = (self.parser.clone(), a.channel.clone(), bytes.clone());
        let (format, parsed) = tokio::task::spawn_blocking(move || parser.parse(&channel, bytes))
            .await
            .map_err(|e| SettleError::Io(format!("fund-flow task: {e}")))?
            .map_err(|e| SettleError::Statement { account: account.into(), day: day.to_string(), message: e.to_string() })?;
        let stored = self.keep(account, day, &name, &keep_bytes, origin, &format, parsed.rows.len() as u64)?;
        let funds = derive(&parsed, day);
        let payouts = self.batches(account, day, &funds, &parsed)?;
        self.store().save_settle_day(account, &a.channel, &day.to_string(), stored.id, &funds, &payouts, Utc::now())?;
        self.complete_batches(account, &a.channel, day)?;
        self.store().settle_day(account, &day.to_string())?.ok_or_else(|| SettleError::Io("the settled day was not stored".into()))
    }

    /// Reads `day` for every enabled account whose channel has a fund flow, one after another.
    pub async fn fetch_all(&self, day: NaiveDate, actor: Option<&Session>) -> Vec<Result<SettleDay, (String, SettleError)>> {
        let mut out = Vec::new();
        for (a, caps) in self.payments.accounts() {
            if !a.enabled || !caps.statement || !self.parser.supports(&a.channel) {
                continue;
            }
            out.push(self.fetch(&a.name, day, FundInput::Download, actor).await.map_err(|e| (a.name.clone(), e)));
        }
        out
    }
}
