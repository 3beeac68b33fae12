//! The benchmark's data: a day of orders (the file `paydesk orders import` reads) and that day's
//! statement in each channel's real format — WeChat Pay's ALL trade bill (UTF-8 BOM, every cell
//! backtick-prefixed, the summary footer), Alipay's bill ZIP (the GBK 业务明细 CSV with its
//! comment lines and footer, beside the 汇总 summary) and UnionPay's ZIP of an `INN…ZM_…` file
//! (GBK fixed-width records).
//!
//! Planted in every 1,000 lines, one each: an amount that differs, a payment the book lacks
//! (numbered by a till of ours), an order the book closed, a fee that differs, a paid order the
//! statement lacks, and a payment taken outside Paydesk (a 收款码 sticker: no merchant number,
//! or — UnionPay — a number of another shape).

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{Duration, NaiveDate, NaiveDateTime, TimeZone};
use paydesk_core::money::format_signed_fen;

pub(crate) const DAY: &str = "2026-11-25";

/// One channel format of the benchmark.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Format {
    pub(crate) name: &'static str,
    pub(crate) account: &'static str,
    pub(crate) till: &'static str,
    /// The demo account's `fee_rate_bp` (the fee the statement charges on a clean line).
    pub(crate) fee_bp: i64,
}

pub(crate) const FORMATS: [Format; 3] = [
    Format { name: "wechat", account: "wechat-demo", till: "W1", fee_bp: 60 },
    Format { name: "alipay", account: "alipay-demo", till: "A1", fee_bp: 60 },
    Format { name: "unionpay", account: "unionpay-demo", till: "U1", fee_bp: 38 },
];

/// What a line is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Plant {
    Clean,
    Amount,
    NotInBook,
    Closed,
    Fee,
    NotOnStatement,
    External,
}

fn plant(i: u64) -> Plant {
    match i % 1000 {
        101 => Plant::Amount,
        202 => Plant::NotInBook,
        303 => Plant::Closed,
        404 => Plant::Fee,
        505 => Plant::NotOnStatement,
        606 => Plant::External,
        _ => Plant::Clean,
    }
}

/// The counts a correct reconciliation finds, per kind.
pub(crate) fn expected(rows: u64) -> [(&'static str, u64); 6] {
    let n = |k: u64| rows / 1000 + u64::from(rows % 1000 > k);
    [("amount_differs", n(101)), ("missing_in_book", n(202)), ("status_differs", n(303)), ("fee_differs", n(404)), ("missing_at_channel", n(505)), ("external", n(606))]
}

fn fee(amount: i64, bp: i64) -> i64 {
    (amount * bp + 5_000) / 10_000
}

struct Line {
    order_no: String,
    paid: NaiveDateTime,
    amount: i64,
    fee: i64,
    seq: u64,
}

/// The lines of the day for `f` (in order of payment) and writes the orders file.
fn day_lines(dir: &Path, f: Format, rows: u64) -> (PathBuf, Vec<Option<Line>>) {
    let tz = chrono_tz::Asia::Shanghai;
    let day: NaiveDate = DAY.parse().unwrap_or_default();
    let start = tz.from_local_datetime(&day.and_hms_opt(0, 0, 0).unwrap_or_default()).earliest().map(|t| t.naive_local()).unwrap_or_default();
    let step = 86_000_000 / rows.max(1) as i64;
    let path = dir.join(format!("orders-{}.csv", f.name));
    let mut out = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&path).expect("orders file"));
    writeln!(out, "order_no,account,amount,status,created_at,paid_at,channel_trade_no,operator").expect("write");
    let mut lines = Vec::with_capacity(rows as usize);
    for i in 0..rows {
        let created = start + Duration::milliseconds(i as i64 * step);
        let paid = created + Duration::seconds(5);
        let till = if plant(i) == Plant::NotInBook { "Z9" } else { f.till };
        let order_no = format!("P{}{till}{:03}", created.format("%Y%m%d%H%M%S%3f"), i % 1000);
        let amount = 100 + (i * 7919 % 100_000) as i64;
        let p = plant(i);
        if !matches!(p, Plant::NotInBook | Plant::External) {
            let (status, paid_at) = if p == Plant::Closed { ("closed", String::new()) } else { ("success", paid.format("%Y-%m-%d %H:%M:%S").to_string()) };
            writeln!(out, "{order_no},{},{},{status},{},{paid_at},,王芳", f.account, format_signed_fen(amount), created.format("%Y-%m-%d %H:%M:%S%.3f")).expect("write");
        }
        lines.push((p != Plant::NotOnStatement).then(|| Line {
            order_no: if p == Plant::External { String::new() } else { order_no },
            paid,
            amount: if p == Plant::Amount { amount + 1 } else { amount },
            fee: fee(amount, f.fee_bp) + i64::from(p == Plant::Fee),
            seq: i,
        }));
    }
    out.flush().expect("flush");
    (path, lines)
}

/// Writes the orders file and the statement of `f`; returns (orders, statement).
pub(crate) fn generate(dir: &Path, f: Format, rows: u64) -> (PathBuf, PathBuf) {
    let (orders, lines) = day_lines(dir, f, rows);
    let lines = lines.iter().flatten();
    let statement = match f.name {
        "wechat" => wechat(dir, lines),
        "alipay" => alipay(dir, lines),
        _ => unionpay(dir, lines),
    };
    (orders, statement)
}

fn wechat<'a>(dir: &Path, lines: impl Iterator<Item = &'a Line>) -> PathBuf {
    const HEADER: &str = "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注";
    let path = dir.join(format!("wechat-{DAY}.csv"));
    let mut out = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&path).expect("bill"));
    write!(out, "\u{feff}{HEADER}\r\n").expect("write");
    let (mut n, mut sum, mut fees) = (0u64, 0i64, 0i64);
    for l in lines {
        let y = format_signed_fen(l.amount);
        write!(
            out,
            "`{},`wxd678efh567hg6787,`1900000109,`0,`,`4200000{:021},`{},`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,`NATIVE,`SUCCESS,`OTHERS,`CNY,`{y},`0.00,`0,`0,`0.00,`0.00,`,`,`商品{},`,`{}000,`0.60%,`{y},`0.00,`\r\n",
            l.paid.format("%Y-%m-%d %H:%M:%S"),
            l.seq,
            l.order_no,
            l.seq % 97,
            format_signed_fen(l.fee)
        )
        .expect("write");
        (n, sum, fees) = (n + 1, sum + l.amount, fees + l.fee);
    }
    write!(out, "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\r\n`{n}.0,`{},`0.00,`0.00,`{},`{},`0.00\r\n", format_signed_fen(sum), format_signed_fen(fees), format_signed_fen(sum)).expect("write");
    out.flush().expect("flush");
    path
}

fn gbk(s: &str) -> Vec<u8> {
    encoding_rs::GBK.encode(s).0.into_owned()
}

fn alipay<'a>(dir: &Path, lines: impl Iterator<Item = &'a Line>) -> PathBuf {
    const HEADER: &str = "支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注";
    let mut csv = Vec::with_capacity(1 << 20);
    csv.extend(gbk(&format!("#支付宝业务明细查询\r\n#账号：[20880001226710800156]\r\n#起始日期：[2026年11月25日 00:00:00]   终止日期：[2026年11月26日 00:00:00]\r\n#-----------------------------------------业务明细列表----------------------------------------\r\n{HEADER}\r\n")));
    let (mut n, mut sum) = (0u64, 0i64);
    for l in lines {
        let created = (l.paid - Duration::seconds(5)).format("%Y-%m-%d %H:%M:%S");
        let y = format_signed_fen(l.amount);
        let line = format!(
            "2026112522{:018}\t,{}\t,交易\t,商品{},{created},{},S01\t,一号店\t,王芳\t,T01\t,*明(138****0000)\t,{y},{y},0.00,0.00,0.00,0.00,0.00,,0.00\t,0.00,\t,{},0.00,\r\n",
            l.seq,
            l.order_no,
            l.seq % 97,
            l.paid.format("%Y-%m-%d %H:%M:%S"),
            format_signed_fen(-l.fee)
        );
        csv.extend(encoding_rs::GBK.encode(&line).0.iter());
        (n, sum) = (n + 1, sum + l.amount);
    }
    csv.extend(gbk(&format!(
        "#-----------------------------------------业务明细列表结束------------------------------------\r\n#交易合计：{n}笔，商家实收共{}元，商家优惠共0.00元\r\n#退款合计：0笔，商家实收退款共0.00元，商家优惠退款共0.00元\r\n#导出时间：[2026年11月26日 05:46:49]\r\n",
        format_signed_fen(sum)
    )));
    let path = dir.join(format!("20880001226710800156_{}.csv.zip", DAY.replace('-', "")));
    let mut z = zip::ZipWriter::new(std::fs::File::create(&path).expect("zip"));
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    z.start_file(format!("20880001226710800156_{}_业务明细.csv", DAY.replace('-', "")), opts).expect("entry");
    z.write_all(&csv).expect("write");
    z.start_file(format!("20880001226710800156_{}_业务明细(汇总).csv", DAY.replace('-', "")), opts).expect("entry");
    z.write_all(&gbk(&format!("#支付宝业务汇总查询\r\n门店编号,门店名称,交易订单总笔数\r\n,,{n}\r\n"))).expect("write");
    z.finish().expect("zip");
    path
}

fn unionpay<'a>(dir: &Path, lines: impl Iterator<Item = &'a Line>) -> PathBuf {
    use paydesk_channels::unionpay::bill::{field, zm_record};
    let mut text = Vec::with_capacity(1 << 20);
    for l in lines {
        let order = if l.order_no.is_empty() { format!("QR{:019}", l.seq) } else { l.order_no.clone() };
        let rec = zm_record(&[
            (field::TRADE_CODE, "S22"),
            (field::TRACE_NO, &format!("{:06}", l.seq % 1_000_000)),
            (field::TXN_TIME, &l.paid.format("%m%d%H%M%S").to_string()),
            (field::TXN_AMT, &format!("{:012}", l.amount)),
            (field::QUERY_ID, &format!("6{:020}", l.seq)),
            (field::ORDER_ID, &order),
            (field::MER_CHARGE, &format!("{:013}", l.fee)),
            (field::TXN_TYPE, "01"),
            (field::TXN_SUB_TYPE, "07"),
            (field::MER_ID, "777290058110097"),
        ]);
        text.extend_from_slice(&rec);
        text.extend_from_slice(b"\r\n");
    }
    let path = dir.join(format!("unionpay-{DAY}.zip"));
    let mut z = zip::ZipWriter::new(std::fs::File::create(&path).expect("zip"));
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    z.start_file(format!("INN{}01ZM_777290058110097", &DAY.replace('-', "")[2..]), opts).expect("entry");
    z.write_all(&text).expect("write");
    z.finish().expect("zip");
    path
}
