//! The receipts Paydesk prints, laid out for 58 mm (32 columns) or 80 mm (48 columns) paper:
//! a sale (every tender of it, cash handed over and change, the order number as a QR code or
//! CODE128 for lookup later), a refund, a shift's handover (or X) report, and a Z report.
//! Columns are counted as the printer does: a Chinese character takes two.

use chrono::{DateTime, Utc};
use paydesk_core::config::PrinterSettings;
use paydesk_core::money::format_signed_fen;
use paydesk_core::store::OpenItem;
use paydesk_core::till::{Figures, ShiftReport, ZReport};
use paydesk_core::{Money, Order, OrderStatus, Refund};
use unicode_width::UnicodeWidthStr;

use crate::code128;
use crate::escpos::{Align, Escpos, QrLevel};

/// The receipt's language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    pub fn from_tag(tag: &str) -> Lang {
        if tag.starts_with("en") {
            Lang::En
        } else {
            Lang::Zh
        }
    }
}

/// How the order number is printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderCode {
    Qr,
    Barcode,
    None,
}

/// What every receipt of a till shares: paper, the shop's lines, drawer and cutter.
#[derive(Clone, Debug)]
pub struct Layout {
    /// Characters per line (32 on 58 mm, 48 on 80 mm).
    pub cols: usize,
    pub shop_name: String,
    pub header: Vec<String>,
    pub footer: Vec<String>,
    pub order_code: OrderCode,
    pub drawer_kick: bool,
    pub cut: bool,
    pub lang: Lang,
    pub tz: chrono_tz::Tz,
}

impl Layout {
    pub fn new(s: &PrinterSettings, lang: Lang, tz: chrono_tz::Tz) -> Layout {
        Layout {
            cols: if s.paper_mm == 58 { 32 } else { 48 },
            shop_name: s.shop_name.clone(),
            header: s.header.clone(),
            footer: s.footer.clone(),
            order_code: match s.order_code.as_str() {
                "barcode" => OrderCode::Barcode,
                "none" => OrderCode::None,
                _ => OrderCode::Qr,
            },
            drawer_kick: s.drawer_kick,
            cut: s.cut,
            lang,
            tz,
        }
    }

    /// Paper width in dots (203 dpi: 384 on 58 mm, 576 on 80 mm).
    pub fn dots(&self) -> u32 {
        if self.cols <= 32 {
            384
        } else {
            576
        }
    }
}

/// The printed name of a method.
pub fn method_label(method: &str, lang: Lang) -> &'static str {
    match (lang, method) {
        (Lang::Zh, "alipay") => "支付宝",
        (Lang::Zh, "wechat") => "微信支付",
        (Lang::Zh, "unionpay") => "云闪付",
        (Lang::Zh, "ecny") => "数字人民币",
        (Lang::Zh, "sandbox") => "测试钱包",
        (Lang::Zh, "cash") => "现金",
        (Lang::Zh, "card") => "银行卡",
        (Lang::Zh, "voucher") => "代金券",
        (Lang::En, "alipay") => "Alipay",
        (Lang::En, "wechat") => "WeChat Pay",
        (Lang::En, "unionpay") => "UnionPay",
        (Lang::En, "ecny") => "e-CNY",
        (Lang::En, "sandbox") => "Sandbox",
        (Lang::En, "cash") => "Cash",
        (Lang::En, "card") => "Card",
        (Lang::En, "voucher") => "Voucher",
        (_, _) => "?",
    }
}

/// The words a receipt uses.
fn w(lang: Lang, key: &str) -> &'static str {
    let zh = lang == Lang::Zh;
    match key {
        "sale" => if zh { "销售小票" } else { "SALE RECEIPT" },
        "refund" => if zh { "退款小票" } else { "REFUND" },
        "revoke" => if zh { "撤销小票 (当日全额)" } else { "REVOKED (same day, in full)" },
        "reprint" => if zh { "(重印)" } else { "(REPRINT)" },
        "order" => if zh { "单号" } else { "Order" },
        "time" => if zh { "时间" } else { "Time" },
        "cashier" => if zh { "收银员" } else { "Cashier" },
        "till" => if zh { "收银台" } else { "Till" },
        "shift" => if zh { "班次" } else { "Shift" },
        "item" => if zh { "商品" } else { "Item" },
        "total" => if zh { "合计" } else { "TOTAL" },
        "tendered" => if zh { "  实收" } else { "  Tendered" },
        "change" => if zh { "  找零" } else { "  Change" },
        "trade" => if zh { "  交易号" } else { "  Trade no" },
        "ref" => if zh { "  参考号" } else { "  Ref" },
        "due" => if zh { "尚欠" } else { "Still due" },
        "refund_no" => if zh { "退款号" } else { "Refund no" },
        "amount" => if zh { "退款金额" } else { "Refunded" },
        "reason" => if zh { "原因" } else { "Reason" },
        "paid_by" => if zh { "原支付" } else { "Paid by" },
        "handover" => if zh { "交班报表" } else { "SHIFT HANDOVER" },
        "x" => if zh { "X 报表 (未交班)" } else { "X REPORT (shift open)" },
        "opened" => if zh { "开班" } else { "Opened" },
        "closed" => if zh { "交班" } else { "Closed" },
        "handed" => if zh { "交接给" } else { "Handed to" },
        "sales" => if zh { "销售笔数" } else { "Sales" },
        "gross" => if zh { "收款合计" } else { "Gross" },
        "refunds" => if zh { "退款" } else { "Refunds" },
        "net" => if zh { "净额" } else { "Net" },
        "voids" => if zh { "撤销" } else { "Voids" },
        "float" => if zh { "备用金" } else { "Opening float" },
        "cash_sales" => if zh { "现金收入" } else { "Cash sales" },
        "cash_refunds" => if zh { "现金退款" } else { "Cash refunds" },
        "expected" => if zh { "应有现金" } else { "Expected cash" },
        "counted" => if zh { "实点现金" } else { "Counted cash" },
        "over_short" => if zh { "长短款" } else { "Over/short" },
        "open" => if zh { "未完成" } else { "Unresolved" },
        "adjust" => if zh { "交班后调整" } else { "Later adjustments" },
        "sign_out" => if zh { "交班人签字" } else { "Handed over by" },
        "sign_in" => if zh { "接班人签字" } else { "Taken over by" },
        "z" => if zh { "Z 报表 日结" } else { "Z REPORT" },
        "business_day" => if zh { "营业日" } else { "Business day" },
        "store" => if zh { "门店" } else { "Store" },
        "by" => if zh { "操作人" } else { "By" },
        "shifts" => if zh { "班次" } else { "Shifts" },
        "tills" => if zh { "收银台" } else { "Tills" },
        "system" => if zh { "系统" } else { "system" },
        "test" => if zh { "打印测试" } else { "PRINTER TEST" },
        _ => "?",
    }
}

fn yuan(fen: i64) -> String {
    format_signed_fen(fen)
}

/// Cuts `s` to at most `cols` display columns.
fn fit(s: &str, cols: usize) -> String {
    let mut out = String::new();
    let mut used = 0;
    for ch in s.chars() {
        let cw = UnicodeWidthStr::width(ch.encode_utf8(&mut [0; 4]) as &str);
        if used + cw > cols {
            break;
        }
        used += cw;
        out.push(ch);
    }
    out
}

/// A receipt being written.
struct R<'a> {
    e: Escpos,
    l: &'a Layout,
}

impl<'a> R<'a> {
    fn new(l: &'a Layout, kick: bool) -> R<'a> {
        let mut e = Escpos::new();
        if kick {
            e.kick();
        }
        let mut r = R { e, l };
        r.head();
        r
    }

    fn head(&mut self) {
        self.e.align(Align::Center);
        if !self.l.shop_name.trim().is_empty() {
            self.e.bold(true).size(2, 2);
            let name = fit(&self.l.shop_name, self.l.cols / 2);
            self.e.line(&name).size(1, 1).bold(false);
        }
        for h in &self.l.header {
            self.e.line(&fit(h, self.l.cols));
        }
        self.e.align(Align::Left);
    }

    fn title(&mut self, t: &str, sub: Option<&str>) {
        self.e.align(Align::Center).bold(true).line(&fit(t, self.l.cols)).bold(false);
        if let Some(s) = sub {
            self.e.line(&fit(s, self.l.cols));
        }
        self.e.align(Align::Left);
        self.rule();
    }

    fn rule(&mut self) {
        self.e.line(&"-".repeat(self.l.cols));
    }

    /// `left ........ right` on one line (the left side is cut to make room).
    fn row(&mut self, left: &str, right: &str) {
        let rw = UnicodeWidthStr::width(right);
        let left = fit(left, self.l.cols.saturating_sub(rw + 1));
        let pad = self.l.cols.saturating_sub(UnicodeWidthStr::width(left.as_str()) + rw);
        self.e.line(&format!("{left}{}{right}", " ".repeat(pad)));
    }

    /// `label value`, the value wrapped onto further lines when long.
    fn kv(&mut self, label: &str, value: &str) {
        let head = format!("{label} ");
        let first = self.l.cols.saturating_sub(UnicodeWidthStr::width(head.as_str()));
        if UnicodeWidthStr::width(value) <= first {
            self.e.line(&format!("{head}{value}"));
        } else {
            self.e.line(label);
            self.e.line(&format!("  {}", fit(value, self.l.cols - 2)));
        }
    }

    fn big_row(&mut self, left: &str, right: &str) {
        self.e.bold(true).size(1, 2);
        self.row(left, right);
        self.e.size(1, 1).bold(false);
    }

    fn when(&self, t: DateTime<Utc>) -> String {
        t.with_timezone(&self.l.tz).format("%Y-%m-%d %H:%M:%S").to_string()
    }

    fn code(&mut self, no: &str) {
        match self.l.order_code {
            OrderCode::Qr => {
                let module = if self.l.cols <= 32 { 5 } else { 6 };
                self.e.align(Align::Center).qr(no, module, QrLevel::M).line(no).align(Align::Left);
            }
            OrderCode::Barcode => {
                // Two dots a module where it fits (80 mm), one on 58 mm paper.
                let module = (self.l.dots() as usize / code128::width(&code128::encode(no)).max(1)).clamp(1, 2) as u8;
                self.e.align(Align::Center).code128(no, 60, module).align(Align::Left);
            }
            OrderCode::None => {}
        }
    }

    /// Ends the receipt: the shop's footer lines (customer receipts only), feed, cut.
    fn finish(self) -> Vec<u8> {
        self.finish_with(true)
    }

    fn finish_with(mut self, footer: bool) -> Vec<u8> {
        self.e.align(Align::Center);
        for f in self.l.footer.iter().filter(|_| footer) {
            self.e.line(&fit(f, self.l.cols));
        }
        self.e.align(Align::Left);
        if self.l.cut {
            self.e.feed(3).cut(0);
        } else {
            self.e.feed(4);
        }
        self.e.bytes()
    }
}

/// The receipt of a sale: its paid tenders (one order, or the parts of a split sale).
pub fn sale(l: &Layout, orders: &[Order], reprint: bool) -> Vec<u8> {
    let paid: Vec<&Order> = orders.iter().filter(|o| matches!(o.status, OrderStatus::Success | OrderStatus::Refunded)).collect();
    let cash = paid.iter().any(|o| o.method.as_str() == "cash");
    let mut r = R::new(l, cash && l.drawer_kick && !reprint);
    r.title(w(l.lang, "sale"), reprint.then(|| w(l.lang, "reprint")));
    let Some(first) = paid.first().or(orders.first().as_ref()).copied() else { return r.finish() };
    r.kv(w(l.lang, "order"), first.order_no.as_str());
    r.kv(w(l.lang, "time"), &r.when(first.paid_at.unwrap_or(first.created_at)));
    if let Some(op) = &first.operator {
        r.kv(w(l.lang, "cashier"), op);
    }
    let till = match &first.shift_no {
        Some(s) => format!("{}  {} {s}", first.till, w(l.lang, "shift")),
        None => first.till.clone(),
    };
    r.kv(w(l.lang, "till"), &till);
    if first.subject != "Paydesk" {
        r.kv(w(l.lang, "item"), &first.subject);
    }
    r.rule();
    let total: i64 = first.sale_total.map_or_else(|| paid.iter().map(|o| o.amount.fen()).sum(), Money::fen);
    r.big_row(w(l.lang, "total"), &format!("￥{}", yuan(total)));
    for o in &paid {
        r.row(method_label(o.method.as_str(), l.lang), &yuan(o.amount.fen()));
        if let Some(t) = o.tendered {
            r.row(w(l.lang, "tendered"), &yuan(t.fen()));
            r.row(w(l.lang, "change"), &yuan(o.change().fen()));
        }
        if let Some(n) = &o.channel_trade_no {
            let label = if o.kind == paydesk_core::PayKind::Tender { w(l.lang, "ref") } else { w(l.lang, "trade") };
            r.kv(label, n);
        }
        if !o.refunded.is_zero() {
            r.row(&format!("  {}", w(l.lang, "refunds")), &yuan(-o.refunded.fen()));
        }
    }
    let paid_sum: i64 = paid.iter().map(|o| o.amount.fen()).sum();
    if total > paid_sum {
        r.row(w(l.lang, "due"), &yuan(total - paid_sum));
    }
    r.rule();
    r.code(first.order_no.as_str());
    r.finish()
}

/// The receipt of a refund.
pub fn refund(l: &Layout, order: &Order, refund: &Refund, reprint: bool) -> Vec<u8> {
    let mut r = R::new(l, false);
    // A same-day revoke undid the whole payment: its slip says so.
    let title = if refund.kind == paydesk_core::RefundKind::Revoke { "revoke" } else { "refund" };
    r.title(w(l.lang, title), reprint.then(|| w(l.lang, "reprint")));
    r.kv(w(l.lang, "refund_no"), refund.refund_no.as_str());
    r.kv(w(l.lang, "order"), order.order_no.as_str());
    r.kv(w(l.lang, "time"), &r.when(refund.updated_at));
    if let Some(op) = &refund.operator {
        r.kv(w(l.lang, "cashier"), op);
    }
    if let Some(reason) = refund.reason.as_deref().filter(|s| !s.is_empty()) {
        r.kv(w(l.lang, "reason"), reason);
    }
    r.rule();
    r.row(w(l.lang, "paid_by"), method_label(order.method.as_str(), l.lang));
    r.big_row(w(l.lang, "amount"), &format!("￥{}", yuan(refund.amount.fen())));
    r.rule();
    r.code(order.order_no.as_str());
    r.finish()
}

fn figures(r: &mut R<'_>, f: &Figures) {
    let lang = r.l.lang;
    for line in &f.lines {
        r.row(&format!("{} ×{}", method_label(&line.method, lang), line.count), &yuan(line.amount));
        if line.refund_count > 0 {
            r.row(&format!("  {} ×{}", w(lang, "refunds"), line.refund_count), &yuan(-line.refunded));
        }
    }
    r.rule();
    r.row(&format!("{} {}", w(lang, "sales"), f.sales), "");
    r.row(w(lang, "gross"), &yuan(f.gross));
    r.row(&format!("{} ×{}", w(lang, "refunds"), f.refund_count), &yuan(-f.refunded));
    r.big_row(w(lang, "net"), &yuan(f.net));
    if f.void_count > 0 {
        r.row(&format!("{} ×{}", w(lang, "voids"), f.void_count), &yuan(f.voided));
    }
    r.rule();
    let c = &f.cash;
    if let Some(fl) = c.opening_float {
        r.row(w(lang, "float"), &yuan(fl));
    }
    r.row(w(lang, "cash_sales"), &yuan(c.sales));
    r.row(w(lang, "cash_refunds"), &yuan(-c.refunds));
    if let Some(e) = c.expected {
        r.row(w(lang, "expected"), &yuan(e));
    }
    if let Some(n) = c.counted {
        r.row(w(lang, "counted"), &yuan(n));
    }
    if let Some(os) = c.over_short {
        r.big_row(w(lang, "over_short"), &format!("{}{}", if os > 0 { "+" } else { "" }, yuan(os)));
    }
    let open: Vec<&OpenItem> = f.open_orders.iter().chain(&f.open_refunds).collect();
    if !open.is_empty() {
        r.rule();
        r.e.line(&format!("{} ({})", w(lang, "open"), open.len()));
        for o in open {
            r.row(&format!("  {}", o.no), &yuan(o.amount));
        }
    }
}

/// A shift's handover report (locked) or its X report (open).
pub fn shift_report(l: &Layout, rep: &ShiftReport) -> Vec<u8> {
    let mut r = R::new(l, false);
    let s = &rep.shift;
    r.title(w(l.lang, if rep.locked { "handover" } else { "x" }), None);
    r.kv(w(l.lang, "shift"), &s.shift_no);
    r.kv(w(l.lang, "till"), &format!("{} / {}", s.store, s.till));
    r.kv(w(l.lang, "cashier"), s.opened_by.as_deref().unwrap_or(w(l.lang, "system")));
    r.kv(w(l.lang, "opened"), &r.when(s.opened_at));
    r.kv(w(l.lang, "closed"), &r.when(s.closed_at.unwrap_or(rep.generated_at)));
    if let Some(h) = &s.handed_to {
        r.kv(w(l.lang, "handed"), h);
    }
    r.rule();
    figures(&mut r, &rep.figures);
    if !rep.adjustments.is_empty() {
        r.rule();
        r.e.line(w(l.lang, "adjust"));
        for a in &rep.adjustments {
            r.e.line(&format!("  {}", a.refund_no.as_deref().unwrap_or(&a.order_no)));
            r.row(&format!("    → {} ({})", a.to_status, a.source), &yuan(a.amount));
        }
    }
    if rep.locked && s.kind == paydesk_core::till::ShiftKind::Cashier {
        r.e.feed(1);
        r.e.line(&format!("{}: ____________", w(l.lang, "sign_out")));
        r.e.feed(1);
        r.e.line(&format!("{}: ____________", w(l.lang, "sign_in")));
    }
    r.finish_with(false)
}

/// A Z report (a till's or a store's day).
pub fn z_report(l: &Layout, z: &ZReport) -> Vec<u8> {
    let mut r = R::new(l, false);
    r.e.align(Align::Center).bold(true).size(2, 2).line(&format!("Z{:04}", z.z_no)).size(1, 1).bold(false);
    r.title(w(l.lang, "z"), None);
    let scope = if z.till.is_empty() { format!("{} {}", w(l.lang, "store"), z.store) } else { format!("{} / {}", z.store, z.till) };
    r.kv(w(l.lang, "till"), &scope);
    r.kv(w(l.lang, "business_day"), &z.business_date.format("%Y-%m-%d").to_string());
    r.kv(w(l.lang, "time"), &r.when(z.taken_at));
    if let Some(by) = &z.taken_by {
        r.kv(w(l.lang, "by"), by);
    }
    r.rule();
    if !z.tills.is_empty() {
        r.e.line(w(l.lang, "tills"));
        for (t, n) in &z.tills {
            r.row(&format!("  {t}"), &format!("Z{n:04}"));
        }
    }
    r.e.line(&format!("{} ({})", w(l.lang, "shifts"), z.shifts.len()));
    for s in &z.shifts {
        let who = s.opened_by.clone().unwrap_or_else(|| w(l.lang, "system").into());
        let os = s.over_short.map(|v| format!("{}{}", if v > 0 { "+" } else { "" }, yuan(v))).unwrap_or_else(|| "—".into());
        r.row(&format!("  {} {who}", s.shift_no), &os);
    }
    r.rule();
    figures(&mut r, &z.figures);
    r.big_row(w(l.lang, "over_short"), &format!("{}{}", if z.over_short > 0 { "+" } else { "" }, yuan(z.over_short)));
    if !z.adjustments.is_empty() {
        r.e.line(&format!("{} ({})", w(l.lang, "adjust"), z.adjustments.len()));
    }
    r.finish_with(false)
}

/// A test page: the shop's lines, a QR, a ruler of the paper's width.
pub fn test_page(l: &Layout) -> Vec<u8> {
    let mut r = R::new(l, false);
    r.title(w(l.lang, "test"), None);
    r.e.line(&"0123456789".repeat(l.cols / 10 + 1)[..l.cols]);
    r.row("中文 GBK 汉字", "￥1234.50");
    r.code("P20261125140000000T1001");
    r.finish()
}
