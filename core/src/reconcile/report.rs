//! Reconciliation runs as export tables: **summary** (one line per account and day, with the
//! statement's SHA-256 so the report can be traced to the file), **discrepancies** (both sides'
//! values, state and note) and **matched** (every agreeing line, re-derived from the kept
//! statement: a run stores which lines had a discrepancy, not a row per matched line).

use super::{ItemState, Matched, ReconError, Reconciler};
use crate::export::{Cell, Column, ColumnKind as C, Table};
use crate::statement::StatementKind;
use crate::store::{ItemFilter, RunRecord};

impl Reconciler {
    /// The statement lines of `run` that agreed with the book: the kept statement read again,
    /// less the lines the run found a discrepancy on. (Runs stored before Paydesk kept those
    /// lines have their matched lines in the book.)
    pub fn matched_lines(&self, run: &RunRecord) -> Result<Vec<Matched>, ReconError> {
        let Some(flagged) = self.store().recon_flagged(run.id)? else { return Ok(self.store().recon_matches(run.id)?) };
        let Some(st) = &run.statement else { return Ok(Vec::new()) };
        let path = self.home().join(&st.file);
        let gone = |e: String| ReconError::Io(format!("the kept statement of {} {} ({}) cannot be read again: {e}", run.account, run.day, path.display()));
        let mut f = std::fs::File::open(&path).map_err(|e| gone(e.to_string()))?;
        let (_, parsed) = self.parser().read(&run.channel, &mut f, &|_| {}).map_err(|e| gone(e.to_string()))?;
        let mut skip = flagged.iter().copied().peekable();
        let mut out = Vec::with_capacity(parsed.rows.len().saturating_sub(flagged.len()));
        for (i, r) in parsed.rows.iter().enumerate() {
            if skip.peek() == Some(&(i as u32)) {
                skip.next();
                continue;
            }
            out.push(Matched {
                line: r.kind,
                order_no: r.order_no.to_string(),
                refund_no: r.refund_no.map(str::to_string),
                channel_trade_no: r.channel_trade_no.to_string(),
                amount: if r.kind == StatementKind::Payment { r.amount } else { r.refund_amount },
                fee: r.fee,
                time: r.time.map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string()),
            });
        }
        Ok(out)
    }
}

pub(crate) fn money(v: Option<i64>) -> Cell {
    v.map_or(Cell::Empty, Cell::Money)
}

pub(crate) fn text(v: Option<&str>) -> Cell {
    v.map_or(Cell::Empty, Cell::text)
}

pub(crate) fn date(s: &str) -> Cell {
    s.parse().map_or_else(|_| Cell::text(s), Cell::Date)
}

fn datetime(s: Option<&str>) -> Cell {
    s.and_then(|s| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").ok()).map_or_else(|| text(s), Cell::DateTime)
}

/// The summary table of `runs`.
pub fn summary_table(runs: &[RunRecord]) -> Table {
    let mut t = Table::new(
        "summary",
        "对账汇总 Reconciliation summary",
        vec![
            Column::new("day", "日期 Day", C::Date),
            Column::new("account", "账户 Account", C::Text),
            Column::new("channel", "渠道 Channel", C::Text),
            Column::new("status", "状态 Status", C::Text),
            Column::new("payments", "收款笔数 Payments", C::Count),
            Column::new("payment_amount", "收款金额 Payment amount", C::Money),
            Column::new("refunds", "退款笔数 Refunds", C::Count),
            Column::new("refund_amount", "退款金额 Refund amount", C::Money),
            Column::new("fees", "手续费 Fees", C::Money),
            Column::new("net", "净结算 Net", C::Money),
            Column::new("matched", "已匹配 Matched", C::Count),
            Column::new("mismatched", "差异 Discrepancies", C::Count),
            Column::new("open", "未处理 Open", C::Count),
            Column::new("sha256", "账单 SHA-256", C::Text),
        ],
    );
    for r in runs {
        let s = &r.summary;
        t.push(vec![
            date(&r.day),
            Cell::text(&r.account),
            Cell::text(&r.channel),
            Cell::text(match (r.status.as_str(), &r.failure) {
                ("failed", _) => format!("failed: {}", r.error.as_deref().unwrap_or("")),
                (s, Some(f)) => format!("{s}; a later run ({}) failed: {}", f.run_id, f.error),
                (s, None) => s.to_string(),
            }),
            Cell::Count(s.payments as i64),
            Cell::Money(s.payment_amount),
            Cell::Count(s.refunds as i64),
            Cell::Money(s.refund_amount),
            Cell::Money(s.fees),
            Cell::Money(s.net),
            Cell::Count(s.matched as i64),
            Cell::Count(s.mismatched as i64),
            Cell::Count(r.open as i64),
            text(r.statement.as_ref().map(|st| st.sha256.as_str())),
        ]);
    }
    if runs.len() > 1 {
        let sum = |f: fn(&RunRecord) -> i64| runs.iter().map(f).sum::<i64>();
        t.push(vec![
            Cell::Empty,
            Cell::text("合计 Total"),
            Cell::Empty,
            Cell::Empty,
            Cell::Count(sum(|r| r.summary.payments as i64)),
            Cell::Money(sum(|r| r.summary.payment_amount)),
            Cell::Count(sum(|r| r.summary.refunds as i64)),
            Cell::Money(sum(|r| r.summary.refund_amount)),
            Cell::Money(sum(|r| r.summary.fees)),
            Cell::Money(sum(|r| r.summary.net)),
            Cell::Count(sum(|r| r.summary.matched as i64)),
            Cell::Count(sum(|r| r.summary.mismatched as i64)),
            Cell::Count(sum(|r| r.open as i64)),
            Cell::Empty,
        ]);
    }
    t
}

/// Every table of a report on `runs`: summary, discrepancies, matched.
pub fn tables(rec: &Reconciler, runs: &[RunRecord]) -> Result<Vec<Table>, ReconError> {
    let store = rec.store();
    let ids: Vec<i64> = runs.iter().map(|r| r.id).collect();
    let mut d = Table::new(
        "discrepancies",
        "差异明细 Discrepancies",
        vec![
            Column::new("day", "日期 Day", C::Date),
            Column::new("account", "账户 Account", C::Text),
            Column::new("kind", "类型 Kind", C::Text),
            Column::new("order_no", "订单号 Order no", C::Text),
            Column::new("refund_no", "退款号 Refund no", C::Text),
            Column::new("trade_no", "渠道单号 Channel trade no", C::Text),
            Column::new("book_status", "账本状态 Book status", C::Text),
            Column::new("channel_status", "渠道状态 Channel status", C::Text),
            Column::new("book_amount", "账本金额 Book amount", C::Money),
            Column::new("channel_amount", "渠道金额 Channel amount", C::Money),
            Column::new("book_fee", "账本手续费 Book fee", C::Money),
            Column::new("channel_fee", "渠道手续费 Channel fee", C::Money),
            Column::new("channel_time", "渠道时间 Channel time", C::DateTime),
            Column::new("detail", "说明 Detail", C::Text),
            Column::new("state", "处理 State", C::Text),
            Column::new("note", "备注 Note", C::Text),
            Column::new("store", "门店 Store", C::Text),
            Column::new("till", "收银台 Till", C::Text),
        ],
    );
    for i in store.recon_items(&ids, &ItemFilter { limit: Some(1_000_000), ..Default::default() })? {
        let x = &i.discrepancy;
        let (b, c) = (x.book.clone().unwrap_or_default(), x.channel.clone().unwrap_or_default());
        let amount = |s: &super::Side| if x.line == StatementKind::Refund { s.refund_amount } else { s.amount };
        d.push(vec![
            date(&i.day),
            Cell::text(&i.account),
            Cell::text(x.kind.label()),
            Cell::text(&x.order_no),
            text(x.refund_no.as_deref()),
            text(c.trade_no.as_deref().or(b.trade_no.as_deref())),
            text(b.status.as_deref()),
            text(c.status.as_deref()),
            money(amount(&b)),
            money(amount(&c)),
            money(b.fee),
            money(c.fee),
            datetime(c.time.as_deref()),
            Cell::text(&x.detail),
            Cell::text(match i.state {
                ItemState::Open => "未处理 open",
                ItemState::Fixed => "已修正 fixed",
                ItemState::Resolved => "已解决 resolved",
            }),
            text(i.note.as_deref()),
            text(i.store.as_deref()),
            text(i.till.as_deref()),
        ]);
    }
    let mut m = Table::new(
        "matched",
        "已匹配 Matched",
        vec![
            Column::new("day", "日期 Day", C::Date),
            Column::new("account", "账户 Account", C::Text),
            Column::new("line", "类型 Line", C::Text),
            Column::new("order_no", "订单号 Order no", C::Text),
            Column::new("refund_no", "退款号 Refund no", C::Text),
            Column::new("trade_no", "渠道单号 Channel trade no", C::Text),
            Column::new("amount", "金额 Amount", C::Money),
            Column::new("fee", "手续费 Fee", C::Money),
            Column::new("time", "时间 Time", C::DateTime),
        ],
    );
    for r in runs.iter().filter(|r| r.status == "done") {
        for x in rec.matched_lines(r)? {
            m.push(vec![
                date(&r.day),
                Cell::text(&r.account),
                Cell::text(if x.line == StatementKind::Refund { "退款 refund" } else { "收款 payment" }),
                Cell::text(&x.order_no),
                text(x.refund_no.as_deref()),
                Cell::text(&x.channel_trade_no),
                Cell::Money(x.amount),
                Cell::Money(x.fee),
                datetime(x.time.as_deref()),
            ]);
        }
    }
    let mut s = summary_table(runs);
    if let (Some(first), Some(last)) = (runs.first(), runs.last()) {
        s.notes.push(format!("Paydesk 对账报告 reconciliation report · {} – {} · {} run(s)", first.day, last.day, runs.len()));
    }
    Ok(vec![s, d, m])
}
