//! The bank leg as a service: import a bank statement (kept under `<home>/bank/`, its lines
//! stored once), run a business day (its payouts × the deposits of their windows), re-check a
//! discrepancy (read the payout's fund flow again, run the day again) or resolve it with a note.
//! Every import, run, re-check and resolution is audited.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{Days, NaiveDate, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::matcher::{match_deposits, Deposit, Expected, Rules};
use super::{mapping::BankMapping, read, BankKind, BankRow, BankSettings, BankSummary, ItemState};
use crate::auth::Session;
use crate::money::format_signed_fen as yuan;
use crate::reason::Reason;
use crate::reconcile::{invalid, ReconError};
use crate::settle::{FundInput, Settler};
use crate::store::{BankItem, BankMatch, BankRunRecord, BankStatementRecord, NewBankItem, Outcome as AuditOutcome, PayoutRecord, Store};

/// Longest resolution note.
pub const MAX_NOTE: usize = super::super::resolve::MAX_NOTE;

/// What an import did: the statement and the days it ran again.
#[derive(Debug, Clone, Serialize)]
pub struct BankImport {
    pub statement: BankStatementRecord,
    pub runs: Vec<BankRunRecord>,
}

/// The bank leg.
pub struct BankLeg {
    settler: Arc<Settler>,
    home: PathBuf,
}

impl std::fmt::Debug for BankLeg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BankLeg").field("home", &self.home).finish_non_exhaustive()
    }
}

/// A bank line's identity, so overlapping exports store it once: its content, and which
/// occurrence of that content in the file it is (two identical lines stay two).
pub fn row_keys(rows: &[BankRow], bank_account: &str) -> Vec<String> {
    let mut seen: std::collections::HashMap<String, u32> = std::collections::HashMap::new();
    rows.iter()
        .map(|r| {
            let content = format!(
                "{}|{}|{}|{}|{:?}|{}|{}|{}|{}",
                r.bank_account.as_deref().unwrap_or(bank_account),
                r.day,
                r.time.map(|t| t.to_string()).unwrap_or_default(),
                r.amount,
                r.balance,
                r.reference.as_deref().unwrap_or(""),
                r.counterparty.as_deref().unwrap_or(""),
                r.counterparty_account.as_deref().unwrap_or(""),
                r.memo
            );
            let n = seen.entry(content.clone()).or_insert(0);
            *n += 1;
            format!("{}#{n}", &hex::encode(Sha256::digest(content.as_bytes()))[..32])
        })
        .collect()
}

impl BankLeg {
    pub fn new(settler: Arc<Settler>, home: &Path) -> BankLeg {
        BankLeg { settler, home: home.to_path_buf() }
    }

    pub fn settler(&self) -> &Arc<Settler> {
        &self.settler
    }

    pub fn store(&self) -> &Arc<Store> {
        self.settler.store()
    }

    pub fn settings(&self) -> BankSettings {
        self.settler.payments().settings().bank.clone()
    }

    pub fn today(&self) -> NaiveDate {
        self.settler.today()
    }

    /// The mapping called `name` (None or `auto`: detect it from the file).
    pub fn mapping(&self, name: Option<&str>) -> Result<Option<BankMapping>, ReconError> {
        match name.map(str::trim) {
            None | Some("") | Some("auto") => Ok(None),
            Some(n) => {
                let all = self.settings().mappings();
                let names: Vec<String> = all.iter().map(|m| m.name.clone()).collect();
                all.into_iter().find(|m| m.name == n).map(Some).ok_or_else(|| invalid("preset", format!("no bank mapping {n:?} (known: auto, {})", names.join(", "))))
            }
        }
    }

    /// Imports a bank statement and runs again every business day it can change.
    pub async fn import(&self, name: &str, bytes: Vec<u8>, mapping: Option<&str>, bank_account: Option<&str>, actor: Option<&Session>) -> Result<BankImport, ReconError> {
        let result = self.import_inner(name, bytes, mapping, bank_account, actor).await;
        let (outcome, detail) = match &result {
            Ok(i) => (AuditOutcome::Ok, format!("{} ({}): {} lines, {} new, {} – {}", name, i.statement.preset, i.statement.rows, i.statement.new_rows, i.statement.period_from, i.statement.period_to)),
            Err(e) => (AuditOutcome::Failed, format!("{name}: {e}")),
        };
        let _ = crate::auth::audit(self.store(), actor, "bank_import", bank_account, outcome, &detail, Utc::now());
        result
    }

    async fn import_inner(&self, name: &str, bytes: Vec<u8>, mapping: Option<&str>, bank_account: Option<&str>, actor: Option<&Session>) -> Result<BankImport, ReconError> {
        let chosen = self.mapping(mapping)?;
        let all = self.settings().mappings();
        let keep = bytes.clone();
        let parsed = tokio::task::spawn_blocking(move || read::read(&bytes, chosen.as_ref(), &all))
            .await
            .map_err(|e| ReconError::Io(format!("bank statement task: {e}")))?
            .map_err(|e| ReconError::Statement { account: "bank".into(), day: name.into(), message: e.to_string() })?;
        let account = bank_account.map(str::to_string).filter(|s| !s.trim().is_empty()).or(parsed.bank_account.clone()).unwrap_or_else(|| "bank".into());
        let (Some(from), Some(to)) = (parsed.rows.iter().map(|r| r.day).min(), parsed.rows.iter().map(|r| r.day).max()) else {
            return Err(invalid("file", "the statement has no lines"));
        };
        let (rel, sha) = crate::kept::keep(&self.home, Path::new("bank"), name, "statement", &keep).map_err(ReconError::Io)?;
        let keys = row_keys(&parsed.rows, &account);
        let rows: Vec<(String, BankRow)> = keys.into_iter().zip(parsed.rows.iter().cloned()).collect();
        let rec = BankStatementRecord {
            id: 0,
            bank_account: account,
            preset: parsed.mapping.clone(),
            file: rel.to_string_lossy().into_owned(),
            sha256: sha,
            bytes: keep.len() as u64,
            rows: rows.len() as u64,
            new_rows: 0,
            period_from: from.to_string(),
            period_to: to.to_string(),
            operator: actor.map(|s| s.user.clone()),
            stored_at: Utc::now(),
        };
        let statement = self.store().insert_bank_statement(&rec, &rows)?;
        // The days whose payouts may arrive in this period, and the days its deposits belong to.
        let window = u64::from(self.settings().window_days);
        let first = from.checked_sub_days(Days::new(window + 1)).unwrap_or(from);
        let mut days: BTreeSet<NaiveDate> = self.store().payouts_for(&first.to_string(), &to.to_string())?.iter().filter_map(|p| p.for_day.parse().ok()).collect();
        days.extend(from.pred_opt().unwrap_or(from).iter_days().take_while(|d| *d < to));
        let yesterday = self.today().pred_opt().unwrap_or(to);
        let mut runs = Vec::new();
        for d in days.into_iter().filter(|d| *d <= yesterday) {
            runs.push(self.run_day(d, "import", actor)?);
        }
        Ok(BankImport { statement, runs })
    }

    /// Runs each day of `[from, to]`.
    pub fn run_days(&self, from: NaiveDate, to: NaiveDate, trigger: &str, actor: Option<&Session>) -> Result<Vec<BankRunRecord>, ReconError> {
        from.iter_days().take_while(|d| *d <= to).map(|d| self.run_day(d, trigger, actor)).collect()
    }

    /// Runs one business day: its payouts against the deposits of their windows.
    pub fn run_day(&self, day: NaiveDate, trigger: &str, actor: Option<&Session>) -> Result<BankRunRecord, ReconError> {
        if day >= self.today() {
            return Err(invalid("day", format!("{day}: the bank leg runs days that are over")));
        }
        let run_id = self.store().begin_bank_run(&day.to_string(), trigger, actor.map(|s| s.user.as_str()), Utc::now())?;
        let result = self.run_inner(run_id, day);
        let target = day.to_string();
        match &result {
            Ok(r) => {
                let s = &r.summary;
                let detail = format!("run {}: {} payout(s), {} matched, {} missing, {} short, {} over, {} unexpected", r.id, s.payouts, s.matched, s.missing, s.short, s.over, s.unexpected);
                let _ = crate::auth::audit(self.store(), actor, "bank_reconcile", Some(&target), AuditOutcome::Ok, &detail, Utc::now());
            }
            Err(e) => {
                self.store().fail_bank_run(run_id, &e.to_string(), Utc::now())?;
                let _ = crate::auth::audit(self.store(), actor, "bank_reconcile", Some(&target), AuditOutcome::Failed, &e.to_string(), Utc::now());
            }
        }
        result
    }

    fn run_inner(&self, run_id: i64, day: NaiveDate) -> Result<BankRunRecord, ReconError> {
        let s = self.settings();
        let window = u64::from(s.window_days);
        let d = day.to_string();
        // The day's payouts are matched together with their neighbours' (whose windows overlap), so
        // a payout whose own deposit is missing never takes the next day's deposit by its payer.
        let around = |n: u64, forward: bool| if forward { day.checked_add_days(Days::new(n)) } else { day.checked_sub_days(Days::new(n)) }.unwrap_or(day).to_string();
        let context = self.store().payouts_for(&around(window + 1, false), &around(window + 1, true))?;
        let payouts: Vec<PayoutRecord> = context.iter().filter(|p| p.for_day == d).cloned().collect();
        let next = day.succ_opt().unwrap_or(day);
        let days: Vec<NaiveDate> = context.iter().filter_map(|p| p.day.parse().ok()).collect();
        let from = days.iter().copied().min().unwrap_or(next).min(next);
        let to = days.iter().copied().max().unwrap_or(next).checked_add_days(Days::new(window)).unwrap_or(next).max(next);
        // A line paired by another day's latest run with a payout outside this context stays theirs.
        let ours: BTreeSet<i64> = context.iter().map(|p| p.id).collect();
        let theirs: BTreeSet<i64> = self.store().bank_matches_except(&d)?.into_iter().filter(|m| !ours.contains(&m.payout_id)).map(|m| m.bank_row_id).collect();
        let lines: Vec<_> = self.store().bank_deposits(&from.to_string(), &to.to_string())?.into_iter().filter(|l| !theirs.contains(&l.id)).collect();
        let expected: Vec<Expected> =
            context.iter().filter_map(|p| Some(Expected { id: p.id, channel: p.channel.clone(), reference: p.reference.clone(), amount: p.amount, day: p.day.parse().ok()? })).collect();
        let deposits: Vec<Deposit> = lines
            .iter()
            .map(|l| Deposit { id: l.id, day: l.day, amount: l.amount, counterparty: l.counterparty.clone(), memo: l.memo.clone(), reference: l.reference.clone() })
            .collect();
        let mut channels: BTreeSet<String> = self.settler.payments().accounts().into_iter().map(|(a, _)| a.channel).filter(|c| self.settler.supports(c)).collect();
        channels.extend(payouts.iter().map(|p| p.channel.clone()));
        let covered_to = self.store().bank_covered_to()?;
        let payers = |c: &str| s.payers(c);
        let rules = Rules { window_days: s.window_days, payers: &payers, channels: channels.into_iter().collect(), covered_to: covered_to.as_deref().and_then(|d| d.parse().ok()), review: (next, next) };
        let out = match_deposits(&expected, &deposits, &rules);
        let payout = |id: i64| payouts.iter().find(|p| p.id == id);
        let line = |id: i64| lines.iter().find(|l| l.id == id);
        let mut summary = BankSummary { payouts: payouts.len() as u64, expected: payouts.iter().map(|p| p.amount).sum(), covered_to, ..Default::default() };
        let (mut matches, mut items) = (Vec::new(), Vec::new());
        for pair in &out.pairs {
            // Pairs of the neighbours' payouts are theirs to report.
            let (Some(p), Some(l)) = (payout(pair.payout), line(pair.deposit)) else { continue };
            matches.push(BankMatch { payout_id: p.id, bank_row_id: l.id, how: pair.how.as_str().into() });
            summary.deposited += l.amount;
            if l.amount == p.amount {
                summary.matched += 1;
                continue;
            }
            let kind = if l.amount < p.amount { BankKind::ShortDeposit } else { BankKind::OverDeposit };
            if kind == BankKind::ShortDeposit { summary.short += 1 } else { summary.over += 1 }
            let diff = (l.amount - p.amount).abs();
            let reason = Reason { code: kind.as_str().into(), args: [("expected", yuan(p.amount)), ("deposited", yuan(l.amount)), ("difference", yuan(diff)), ("day", l.day.to_string())].map(|(k, v)| (k.to_string(), v)).into() };
            let word = if kind == BankKind::ShortDeposit { "less" } else { "more" };
            let detail = format!("deposit of {} on {} is {} {word} than the payout of {} ({})", yuan(l.amount), l.day, yuan(diff), yuan(p.amount), p.reference);
            items.push(payout_item(kind, p, Some(l.id), Some(l.amount), detail, reason));
        }
        for id in &out.missing {
            let Some(p) = payout(*id) else { continue };
            summary.missing += 1;
            let end = p.day.parse::<NaiveDate>().ok().and_then(|d| d.checked_add_days(Days::new(window))).map(|d| d.to_string()).unwrap_or_default();
            let reason = Reason { code: "missing_deposit".into(), args: [("amount", yuan(p.amount)), ("day", p.day.clone()), ("until", end.clone()), ("reference", p.reference.clone())].map(|(k, v)| (k.to_string(), v)).into() };
            let detail = format!("the payout of {} on {} ({}) has no deposit up to {end}", yuan(p.amount), p.day, p.reference);
            items.push(payout_item(BankKind::MissingDeposit, p, None, None, detail, reason));
        }
        summary.pending = out.pending.iter().filter(|id| payout(**id).is_some()).count() as u64;
        for id in &out.unexpected {
            let Some(l) = line(*id) else { continue };
            summary.unexpected += 1;
            summary.unexpected_amount += l.amount;
            let payer = l.counterparty.clone().unwrap_or_else(|| l.memo.clone());
            let reason = Reason { code: "unexpected_deposit".into(), args: [("amount", yuan(l.amount)), ("day", l.day.to_string()), ("payer", payer.clone())].map(|(k, v)| (k.to_string(), v)).into() };
            let detail = format!("a deposit of {} on {} from {payer} matches no payout", yuan(l.amount), l.day);
            items.push(NewBankItem { kind: BankKind::UnexpectedDeposit, key: format!("row-{}", l.id), account: None, payout_id: None, bank_row_id: Some(l.id), expected: None, deposited: Some(l.amount), detail, reason });
        }
        self.store().finish_bank_run(run_id, &summary, &matches, &items, Utc::now())?;
        Ok(self.store().bank_run(run_id)?)
    }

    /// Reads the payout's fund flow again (where it was downloaded) and runs its day again; the
    /// discrepancy is fixed when the run no longer finds it.
    pub async fn recheck(&self, id: i64, actor: Option<&Session>) -> Result<BankItem, ReconError> {
        let item = self.store().bank_item(id)?;
        let day: NaiveDate = item.day.parse().map_err(|_| ReconError::Io(format!("bank discrepancy {id} has no valid day")))?;
        let mut notes = Vec::new();
        if let Some(p) = item.payout_id.map(|p| self.store().payout_by_id(p)).transpose()? {
            for d in p.covers.iter().chain(std::iter::once(&p.day)).filter_map(|d| d.parse::<NaiveDate>().ok()) {
                let downloaded = self.store().latest_fund_statement(&p.account, &d.to_string())?.is_none_or(|s| s.origin == "download");
                if downloaded {
                    if let Err(e) = self.settler.fetch(&p.account, d, FundInput::Download, actor).await {
                        notes.push(format!("fund flow of {d} not read again: {e}"));
                    }
                }
            }
        }
        let who = actor.map(|s| s.user.as_str());
        let run = match self.run_day(day, "recheck", actor) {
            Ok(r) => r,
            Err(e) => {
                self.store().bank_act(id, "recheck", &format!("failed: {e}"), None, None, who, Utc::now())?;
                return Err(e);
            }
        };
        let now = self.store().bank_item(id)?;
        let mut outcome = if now.state == ItemState::Fixed { format!("run {} no longer finds it", run.id) } else { format!("run {} still finds it: {}", run.id, now.detail) };
        if !notes.is_empty() {
            outcome = format!("{outcome} ({})", notes.join("; "));
        }
        let rec = self.store().bank_act(id, "recheck", &outcome, None, None, who, Utc::now())?;
        let _ = crate::auth::audit(self.store(), actor, "bank_recheck", Some(&item.day), AuditOutcome::Ok, &format!("bank discrepancy {id} ({}): {outcome}", item.kind), Utc::now());
        Ok(rec)
    }

    /// Marks a bank discrepancy resolved with a note (required, at most [`MAX_NOTE`] characters).
    pub fn resolve(&self, id: i64, note: &str, actor: Option<&Session>) -> Result<BankItem, ReconError> {
        let note = note.trim();
        if note.is_empty() {
            return Err(invalid("note", "write why this difference is fine or what was done"));
        }
        if note.chars().count() > MAX_NOTE {
            return Err(invalid("note", format!("at most {MAX_NOTE} characters")));
        }
        let item = self.store().bank_item(id)?;
        if item.state == ItemState::Fixed {
            return Err(invalid("state", "this discrepancy was already fixed by a later run"));
        }
        let rec = self.store().bank_act(id, "resolve", "resolved", Some(ItemState::Resolved), Some(note), actor.map(|s| s.user.as_str()), Utc::now())?;
        let _ = crate::auth::audit(self.store(), actor, "bank_resolve", Some(&item.day), AuditOutcome::Ok, &format!("bank discrepancy {id} ({}): {note}", item.kind), Utc::now());
        Ok(rec)
    }
}

fn payout_item(kind: BankKind, p: &PayoutRecord, row: Option<i64>, deposited: Option<i64>, detail: String, reason: Reason) -> NewBankItem {
    NewBankItem { kind, key: format!("{}:{}", p.account, p.reference), account: Some(p.account.clone()), payout_id: Some(p.id), bank_row_id: row, expected: Some(p.amount), deposited, detail, reason }
}
