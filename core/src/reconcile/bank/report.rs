//! Bank-leg runs as export tables (written by `core::export`): **summary** (one line per business
//! day: payouts, deposits, differences), **discrepancies** (both amounts, state, note) and
//! **matched** (each payout with its deposit and how it was found).

use super::ItemState;
use crate::export::{Cell, Column, ColumnKind as C, Table};
use crate::reconcile::report::{date, money, text};
use crate::store::{BankRunRecord, Result, Store};

fn state(s: ItemState) -> &'static str {
    match s {
        ItemState::Open => "未处理 open",
        ItemState::Fixed => "已修正 fixed",
        ItemState::Resolved => "已解决 resolved",
    }
}

/// The summary table of `runs`.
pub fn summary_table(runs: &[BankRunRecord]) -> Table {
    let mut t = Table::new(
        "summary",
        "银行到账汇总 Bank deposits summary",
        vec![
            Column::new("day", "营业日 Business day", C::Date),
            Column::new("status", "状态 Status", C::Text),
            Column::new("payouts", "结算笔数 Payouts", C::Count),
            Column::new("expected", "应到账 Expected", C::Money),
            Column::new("matched", "已到账 Matched", C::Count),
            Column::new("deposited", "到账金额 Deposited", C::Money),
            Column::new("pending", "待到账 Pending", C::Count),
            Column::new("missing", "未到账 Missing", C::Count),
            Column::new("short", "不足 Short", C::Count),
            Column::new("over", "超额 Over", C::Count),
            Column::new("unexpected", "意外入账 Unexpected", C::Count),
            Column::new("open", "未处理 Open", C::Count),
        ],
    );
    for r in runs {
        let s = &r.summary;
        t.push(vec![
            date(&r.day),
            Cell::text(if r.status == "failed" { format!("failed: {}", r.error.as_deref().unwrap_or("")) } else { r.status.clone() }),
            Cell::Count(s.payouts as i64),
            Cell::Money(s.expected),
            Cell::Count(s.matched as i64),
            Cell::Money(s.deposited),
            Cell::Count(s.pending as i64),
            Cell::Count(s.missing as i64),
            Cell::Count(s.short as i64),
            Cell::Count(s.over as i64),
            Cell::Count(s.unexpected as i64),
            Cell::Count(r.open as i64),
        ]);
    }
    if runs.len() > 1 {
        let sum = |f: fn(&BankRunRecord) -> i64| runs.iter().map(f).sum::<i64>();
        t.push(vec![
            Cell::Empty,
            Cell::text("合计 Total"),
            Cell::Count(sum(|r| r.summary.payouts as i64)),
            Cell::Money(sum(|r| r.summary.expected)),
            Cell::Count(sum(|r| r.summary.matched as i64)),
            Cell::Money(sum(|r| r.summary.deposited)),
            Cell::Count(sum(|r| r.summary.pending as i64)),
            Cell::Count(sum(|r| r.summary.missing as i64)),
            Cell::Count(sum(|r| r.summary.short as i64)),
            Cell::Count(sum(|r| r.summary.over as i64)),
            Cell::Count(sum(|r| r.summary.unexpected as i64)),
            Cell::Count(sum(|r| r.open as i64)),
        ]);
    }
    t
}

/// Every table of a report on `runs`: summary, discrepancies, matched.
pub fn tables(store: &Store, runs: &[BankRunRecord]) -> Result<Vec<Table>> {
    let mut d = Table::new(
        "discrepancies",
        "到账差异 Bank discrepancies",
        vec![
            Column::new("day", "营业日 Business day", C::Date),
            Column::new("kind", "类型 Kind", C::Text),
            Column::new("account", "收款账户 Account", C::Text),
            Column::new("reference", "结算单号 Payout reference", C::Text),
            Column::new("expected", "应到账 Expected", C::Money),
            Column::new("deposited", "到账 Deposited", C::Money),
            Column::new("deposit_day", "到账日 Deposit day", C::Date),
            Column::new("payer", "付款方 Payer", C::Text),
            Column::new("detail", "说明 Detail", C::Text),
            Column::new("state", "处理 State", C::Text),
            Column::new("note", "备注 Note", C::Text),
        ],
    );
    let mut m = Table::new(
        "matched",
        "已到账 Matched deposits",
        vec![
            Column::new("day", "营业日 Business day", C::Date),
            Column::new("account", "收款账户 Account", C::Text),
            Column::new("reference", "结算单号 Payout reference", C::Text),
            Column::new("payout_day", "结算日 Paid out", C::Date),
            Column::new("amount", "结算金额 Payout", C::Money),
            Column::new("deposit_day", "到账日 Deposit day", C::Date),
            Column::new("deposited", "到账金额 Deposited", C::Money),
            Column::new("payer", "付款方 Payer", C::Text),
            Column::new("memo", "摘要 Bank note", C::Text),
            Column::new("how", "匹配依据 Matched by", C::Text),
        ],
    );
    if let (Some(first), Some(last)) = (runs.first(), runs.last()) {
        for i in store.bank_items(&first.day, &last.day, None, None)?.into_iter().filter(|i| runs.iter().any(|r| r.day == i.day)) {
            d.push(vec![
                date(&i.day),
                Cell::text(i.kind.label()),
                text(i.account.as_deref()),
                text(i.payout_ref.as_deref()),
                money(i.expected),
                money(i.deposited),
                i.deposit_day.as_deref().map_or(Cell::Empty, date),
                text(i.payer.as_deref()),
                Cell::text(&i.detail),
                Cell::text(state(i.state)),
                text(i.note.as_deref()),
            ]);
        }
    }
    for r in runs {
        for x in store.bank_matches(r.id)? {
            let (p, l) = (store.payout_by_id(x.payout_id)?, store.bank_line(x.bank_row_id)?);
            m.push(vec![
                date(&r.day),
                Cell::text(&p.account),
                Cell::text(&p.reference),
                date(&p.day),
                Cell::Money(p.amount),
                Cell::Date(l.day),
                Cell::Money(l.amount),
                text(l.counterparty.as_deref()),
                Cell::text(&l.memo),
                Cell::text(&x.how),
            ]);
        }
    }
    let mut s = summary_table(runs);
    if let (Some(first), Some(last)) = (runs.first(), runs.last()) {
        s.notes.push(format!("Paydesk 银行到账对账 bank reconciliation · {} – {} · {} day(s)", first.day, last.day, runs.len()));
    }
    Ok(vec![s, d, m])
}
