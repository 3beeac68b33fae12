//! The figures of a shift (X report, handover) and of a day (Z report): folded from the book's
//! raw rows, kept as JSON in the locked snapshot, and written as export tables.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::Shift;
use crate::export::{Cell, Column, ColumnKind, Table};
use crate::store::{AdjustmentRow, OpenItem, RawFigures};

/// One tender line: paid orders of a method through a channel, and the refunds made of them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportLine {
    /// `qr`, `barcode` or `tender`.
    pub kind: String,
    pub method: String,
    pub channel: String,
    pub count: i64,
    /// Fen.
    pub amount: i64,
    pub refund_count: i64,
    pub refunded: i64,
}

/// The drawer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CashFigures {
    /// The float counted at the opening (a shift; none for a day).
    pub opening_float: Option<i64>,
    pub sales: i64,
    pub refunds: i64,
    /// Float + cash sales − cash refunds (a shift).
    pub expected: Option<i64>,
    /// The blind count.
    pub counted: Option<i64>,
    /// Counted − expected: positive over, negative short.
    pub over_short: Option<i64>,
}

/// What a shift or a day adds up to. Amounts in fen.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Figures {
    pub lines: Vec<ReportLine>,
    /// Sales paid (a split sale counts once).
    pub sales: i64,
    /// Tenders paid (a split sale counts each).
    pub paid_count: i64,
    pub gross: i64,
    pub refund_count: i64,
    pub refunded: i64,
    /// Gross − refunds.
    pub net: i64,
    /// Orders cancelled by the cashier before payment.
    pub void_count: i64,
    pub voided: i64,
    pub cash: CashFigures,
    /// Orders and refunds still unresolved when the figures were taken (a later callback may
    /// settle them: they then show as adjustments).
    pub open_orders: Vec<OpenItem>,
    pub open_refunds: Vec<OpenItem>,
}

impl Figures {
    /// Folds the book's rows; `float` is the shift's opening float (none for a day).
    pub fn from_raw(raw: &RawFigures, float: Option<i64>) -> Figures {
        let lines: Vec<ReportLine> = raw
            .lines
            .iter()
            .map(|l| ReportLine { kind: l.kind.clone(), method: l.method.clone(), channel: l.channel.clone(), count: l.paid_count, amount: l.paid, refund_count: l.refund_count, refunded: l.refunded })
            .collect();
        Figures::from_lines(lines, raw.sales, raw.void_count, raw.voided, float, raw.open_orders.clone(), raw.open_refunds.clone())
    }

    fn from_lines(lines: Vec<ReportLine>, sales: i64, void_count: i64, voided: i64, float: Option<i64>, open_orders: Vec<OpenItem>, open_refunds: Vec<OpenItem>) -> Figures {
        let sum = |f: fn(&ReportLine) -> i64| lines.iter().map(f).sum::<i64>();
        let (gross, refunded) = (sum(|l| l.amount), sum(|l| l.refunded));
        let cash_line = |f: fn(&ReportLine) -> i64| lines.iter().filter(|l| l.method == "cash").map(f).sum::<i64>();
        let (cash_sales, cash_refunds) = (cash_line(|l| l.amount), cash_line(|l| l.refunded));
        Figures {
            paid_count: sum(|l| l.count),
            gross,
            refund_count: sum(|l| l.refund_count),
            refunded,
            net: gross - refunded,
            sales,
            void_count,
            voided,
            cash: CashFigures { opening_float: float, sales: cash_sales, refunds: cash_refunds, expected: float.map(|f| f + cash_sales - cash_refunds), counted: None, over_short: None },
            lines,
            open_orders,
            open_refunds,
        }
    }

    /// The sum of several (a store's tills, a day's shifts); the drawer's float and count stay
    /// per shift.
    pub fn sum<'a>(parts: impl IntoIterator<Item = &'a Figures>) -> Figures {
        let mut lines: Vec<ReportLine> = Vec::new();
        let (mut sales, mut void_count, mut voided) = (0, 0, 0);
        let (mut open_orders, mut open_refunds) = (Vec::new(), Vec::new());
        for f in parts {
            for l in &f.lines {
                match lines.iter_mut().find(|x| x.kind == l.kind && x.method == l.method && x.channel == l.channel) {
                    Some(x) => {
                        x.count += l.count;
                        x.amount += l.amount;
                        x.refund_count += l.refund_count;
                        x.refunded += l.refunded;
                    }
                    None => lines.push(l.clone()),
                }
            }
            sales += f.sales;
            void_count += f.void_count;
            voided += f.voided;
            open_orders.extend(f.open_orders.iter().cloned());
            open_refunds.extend(f.open_refunds.iter().cloned());
        }
        lines.sort_by(|a, b| (&a.kind, &a.method, &a.channel).cmp(&(&b.kind, &b.method, &b.channel)));
        Figures::from_lines(lines, sales, void_count, voided, None, open_orders, open_refunds)
    }
}

/// The handover report of a shift: the X report while it is open, the locked snapshot once closed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShiftReport {
    pub shift: Shift,
    pub generated_at: DateTime<Utc>,
    pub figures: Figures,
    /// True for the snapshot written at the close (nothing later changes it).
    pub locked: bool,
    /// Changes after the lock (a late callback paying one of its orders): listed, never folded in.
    #[serde(default)]
    pub adjustments: Vec<AdjustmentRow>,
}

/// One shift as a Z report lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShiftLine {
    pub shift_no: String,
    pub kind: String,
    pub opened_by: Option<String>,
    pub closed_by: Option<String>,
    pub handed_to: Option<String>,
    pub opened_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub opening_float: i64,
    pub expected: Option<i64>,
    pub counted: Option<i64>,
    pub over_short: Option<i64>,
}

impl From<&Shift> for ShiftLine {
    fn from(s: &Shift) -> Self {
        ShiftLine {
            shift_no: s.shift_no.clone(),
            kind: s.kind.as_str().into(),
            opened_by: s.opened_by.clone(),
            closed_by: s.closed_by.clone(),
            handed_to: s.handed_to.clone(),
            opened_at: s.opened_at,
            closed_at: s.closed_at,
            opening_float: s.opening_float.fen(),
            expected: s.expected_cash,
            counted: s.counted_cash.map(|m| m.fen()),
            over_short: s.over_short(),
        }
    }
}

/// The end of a business day: per till (its shifts since the last Z) or per store (its tills' Zs).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZReport {
    /// `till` or `store`.
    pub scope: String,
    pub store: String,
    /// Empty for a store's Z.
    pub till: String,
    /// Numbered per till and per store: 1, 2, 3 …, never reused.
    pub z_no: i64,
    pub business_date: NaiveDate,
    pub taken_at: DateTime<Utc>,
    pub taken_by: Option<String>,
    pub shifts: Vec<ShiftLine>,
    /// A store's Z: the tills' Z numbers it adds up.
    pub tills: Vec<(String, i64)>,
    pub figures: Figures,
    /// Over (+) / short (−) of every counted drawer.
    pub over_short: i64,
    /// Changes to the shifts after their handover, known when the Z was taken.
    pub adjustments: Vec<AdjustmentRow>,
}

/// A method as the accountant's files name it: `现金 Cash`.
pub fn method_name(m: &str) -> String {
    let name = match m {
        "alipay" => "支付宝 Alipay",
        "wechat" => "微信支付 WeChat Pay",
        "unionpay" => "云闪付 UnionPay",
        "ecny" => "数字人民币 e-CNY",
        "sandbox" => "测试钱包 Sandbox",
        "cash" => "现金 Cash",
        "card" => "银行卡 Card",
        "voucher" => "代金券 Voucher",
        other => other,
    };
    name.to_string()
}

fn money(fen: i64) -> Cell {
    Cell::Money(fen)
}

fn opt_money(fen: Option<i64>) -> Cell {
    fen.map_or(Cell::Empty, Cell::Money)
}

fn local(t: DateTime<Utc>, tz: chrono_tz::Tz) -> Cell {
    Cell::DateTime(t.with_timezone(&tz).naive_local())
}

/// The summary, tender, open-order and adjustment tables shared by both reports.
fn figure_tables(f: &Figures, head: Vec<(&str, Cell)>, adjustments: &[AdjustmentRow], tz: chrono_tz::Tz) -> Vec<Table> {
    let mut summary = Table::new(
        "summary",
        "汇总 Summary",
        vec![Column::new("item", "项目 Item", ColumnKind::Text), Column::new("value", "值 Value", ColumnKind::Text), Column::new("amount", "金额 Amount", ColumnKind::Money)],
    );
    let mut rows: Vec<(&str, Cell)> = head;
    rows.extend([
        ("销售笔数 Sales", Cell::Count(f.sales)),
        ("收款笔数 Payments", Cell::Count(f.paid_count)),
        ("收款 Gross", money(f.gross)),
        ("退款笔数 Refunds", Cell::Count(f.refund_count)),
        ("退款 Refunded", money(f.refunded)),
        ("净额 Net", money(f.net)),
        ("撤销笔数 Voids", Cell::Count(f.void_count)),
        ("撤销金额 Voided", money(f.voided)),
        ("备用金 Opening float", opt_money(f.cash.opening_float)),
        ("现金收入 Cash sales", money(f.cash.sales)),
        ("现金退款 Cash refunds", money(f.cash.refunds)),
        ("应有现金 Expected cash", opt_money(f.cash.expected)),
        ("实点现金 Counted cash", opt_money(f.cash.counted)),
        ("长短款 Over/short", opt_money(f.cash.over_short)),
    ]);
    for (k, v) in rows {
        let (value, amount) = match v {
            Cell::Money(m) => (Cell::Empty, Cell::Money(m)),
            Cell::Count(n) => (Cell::text(n.to_string()), Cell::Empty),
            other => (Cell::text(other.plain()), Cell::Empty),
        };
        summary.push(vec![Cell::text(k), value, amount]);
    }
    let mut tenders = Table::new(
        "tenders",
        "按支付方式 By tender",
        vec![
            Column::new("method", "方式 Method", ColumnKind::Text),
            Column::new("channel", "渠道 Channel", ColumnKind::Text),
            Column::new("count", "笔数 Count", ColumnKind::Count),
            Column::new("amount", "金额 Amount", ColumnKind::Money),
            Column::new("refund_count", "退款笔数 Refunds", ColumnKind::Count),
            Column::new("refunded", "退款 Refunded", ColumnKind::Money),
            Column::new("net", "净额 Net", ColumnKind::Money),
        ],
    );
    for l in &f.lines {
        tenders.push(vec![Cell::text(method_name(&l.method)), Cell::text(&l.channel), Cell::Count(l.count), money(l.amount), Cell::Count(l.refund_count), money(l.refunded), money(l.amount - l.refunded)]);
    }
    tenders.push(vec![Cell::text("合计 Total"), Cell::Empty, Cell::Count(f.paid_count), money(f.gross), Cell::Count(f.refund_count), money(f.refunded), money(f.net)]);
    let mut tables = vec![summary, tenders];
    if !f.open_orders.is_empty() || !f.open_refunds.is_empty() {
        let mut open = Table::new("open", "未完成 Unresolved", vec![Column::new("no", "单号 No", ColumnKind::Text), Column::new("method", "方式 Method", ColumnKind::Text), Column::new("amount", "金额 Amount", ColumnKind::Money), Column::new("status", "状态 Status", ColumnKind::Text)]);
        for o in f.open_orders.iter().chain(&f.open_refunds) {
            open.push(vec![Cell::text(&o.no), Cell::text(method_name(&o.method)), money(o.amount), Cell::text(&o.status)]);
        }
        tables.push(open);
    }
    if !adjustments.is_empty() {
        let mut adj = Table::new(
            "adjustments",
            "交班后调整 Later adjustments",
            vec![
                Column::new("at", "时间 At", ColumnKind::DateTime),
                Column::new("order_no", "订单号 Order", ColumnKind::Text),
                Column::new("refund_no", "退款号 Refund", ColumnKind::Text),
                Column::new("method", "方式 Method", ColumnKind::Text),
                Column::new("amount", "金额 Amount", ColumnKind::Money),
                Column::new("change", "变化 Change", ColumnKind::Text),
                Column::new("source", "来源 Source", ColumnKind::Text),
            ],
        );
        for a in adjustments {
            let change = format!("{} → {}", a.from_status.as_deref().unwrap_or(""), a.to_status);
            adj.push(vec![local(a.at, tz), Cell::text(&a.order_no), Cell::text(a.refund_no.clone().unwrap_or_default()), Cell::text(method_name(&a.method)), money(a.amount), Cell::text(change), Cell::text(&a.source)]);
        }
        tables.push(adj);
    }
    tables
}

impl ShiftReport {
    /// The report as a cashier may see it before the count: an open shift's expected cash is
    /// left out (the blind count is counted first, compared after).
    pub fn blind(mut self) -> ShiftReport {
        if !self.locked {
            self.figures.cash.expected = None;
        }
        self
    }

    /// The report as export tables (summary, by tender, unresolved, later adjustments).
    pub fn tables(&self, tz: chrono_tz::Tz) -> Vec<Table> {
        let s = &self.shift;
        let head = vec![
            ("班次 Shift", Cell::text(&s.shift_no)),
            ("收银台 Till", Cell::text(format!("{} / {}", s.store, s.till))),
            ("收银员 Cashier", Cell::text(s.opened_by.clone().unwrap_or_else(|| "system".into()))),
            ("开班 Opened", local(s.opened_at, tz)),
            ("交班 Closed", s.closed_at.map_or(Cell::Empty, |t| local(t, tz))),
            ("交接给 Handed to", Cell::text(s.handed_to.clone().unwrap_or_default())),
            ("报表 Report", Cell::text(if self.locked { "交班 Handover (locked)" } else { "X" })),
        ];
        figure_tables(&self.figures, head, &self.adjustments, tz)
    }
}

impl ZReport {
    /// The report as export tables (summary, by tender, shifts, unresolved, adjustments).
    pub fn tables(&self, tz: chrono_tz::Tz) -> Vec<Table> {
        let head = vec![
            ("Z", Cell::text(format!("Z{:04}", self.z_no))),
            ("范围 Scope", Cell::text(if self.till.is_empty() { format!("门店 store {}", self.store) } else { format!("{} / {}", self.store, self.till) })),
            ("营业日 Business day", Cell::Date(self.business_date)),
            ("生成 Taken", local(self.taken_at, tz)),
            ("操作人 By", Cell::text(self.taken_by.clone().unwrap_or_default())),
            ("长短款合计 Over/short", Cell::Money(self.over_short)),
        ];
        let mut tables = figure_tables(&self.figures, head, &self.adjustments, tz);
        let mut shifts = Table::new(
            "shifts",
            "班次 Shifts",
            vec![
                Column::new("shift_no", "班次 Shift", ColumnKind::Text),
                Column::new("cashier", "收银员 Cashier", ColumnKind::Text),
                Column::new("handed_to", "交接给 Handed to", ColumnKind::Text),
                Column::new("opened_at", "开班 Opened", ColumnKind::DateTime),
                Column::new("closed_at", "交班 Closed", ColumnKind::DateTime),
                Column::new("float", "备用金 Float", ColumnKind::Money),
                Column::new("expected", "应有 Expected", ColumnKind::Money),
                Column::new("counted", "实点 Counted", ColumnKind::Money),
                Column::new("over_short", "长短款 Over/short", ColumnKind::Money),
            ],
        );
        for s in &self.shifts {
            shifts.push(vec![
                Cell::text(&s.shift_no),
                Cell::text(s.opened_by.clone().unwrap_or_else(|| "system".into())),
                Cell::text(s.handed_to.clone().unwrap_or_default()),
                local(s.opened_at, tz),
                s.closed_at.map_or(Cell::Empty, |t| local(t, tz)),
                money(s.opening_float),
                opt_money(s.expected),
                opt_money(s.counted),
                opt_money(s.over_short),
            ]);
        }
        for (till, z) in &self.tills {
            shifts.push(vec![Cell::text(format!("{till} Z{z:04}")), Cell::Empty, Cell::Empty, Cell::Empty, Cell::Empty, Cell::Empty, Cell::Empty, Cell::Empty, Cell::Empty]);
        }
        tables.insert(2, shifts);
        tables
    }
}
