//! `orders` and `show`.

use std::path::Path;

use chrono::{NaiveDate, Utc};
use clap::Args;
use paydesk_core::store::OrderFilter;
use paydesk_core::{Method, OrderStatus};

use crate::ctx;
use crate::out::{order_line, CliError, Out, EXIT_OK};

#[derive(Args, Debug)]
pub(crate) struct OrdersArgs {
    /// Only orders in this state (pending, processing, success, failed, closed, refunded).
    #[arg(long)]
    status: Option<String>,
    /// Only this channel kind.
    #[arg(long)]
    channel: Option<String>,
    /// Only this payer method.
    #[arg(long)]
    method: Option<String>,
    /// From this day (YYYY-MM-DD, shop time zone), inclusive.
    #[arg(long, value_name = "DATE")]
    from: Option<String>,
    /// To this day (YYYY-MM-DD), inclusive.
    #[arg(long, value_name = "DATE")]
    to: Option<String>,
    /// At most this many (newest first).
    #[arg(long, default_value_t = 200)]
    limit: u32,
    /// Print CSV (UTF-8) instead of a table.
    #[arg(long)]
    csv: bool,
}

fn day_start(field: &str, s: &str, tz: chrono_tz::Tz, plus_days: i64) -> Result<chrono::DateTime<Utc>, CliError> {
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| CliError::invalid(field, format!("{s:?} is not a date like 2026-11-25")))?;
    let d = d + chrono::Duration::days(plus_days);
    d.and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(tz).earliest())
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| CliError::invalid(field, "not a valid local day"))
}

pub(crate) fn list(home: &Path, a: OrdersArgs, o: &Out) -> Result<i32, CliError> {
    if a.csv && o.json {
        return Err(CliError::invalid("csv", "choose either --csv or --json"));
    }
    let p = ctx::open(home)?;
    let tz = p.settings().tz().map_err(|e| CliError::invalid("timezone", e))?;
    let f = OrderFilter {
        status: a.status.as_deref().map(str::parse::<OrderStatus>).transpose().map_err(|e| CliError::invalid("status", e))?,
        channel: a.channel,
        method: a.method.as_deref().map(str::parse::<Method>).transpose().map_err(|e| CliError::invalid("method", e))?,
        from: a.from.as_deref().map(|s| day_start("from", s, tz, 0)).transpose()?,
        to: a.to.as_deref().map(|s| day_start("to", s, tz, 1)).transpose()?,
        limit: Some(a.limit),
        ..Default::default()
    };
    let orders = p.store().list_orders(&f)?;
    if a.csv {
        let mut w = csv::Writer::from_writer(std::io::stdout());
        w.write_record(["order_no", "created_at", "status", "method", "channel", "account", "amount", "refunded", "fee", "subject", "channel_trade_no"]).map_err(CliError::other)?;
        for x in &orders {
            let created = x.created_at.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S").to_string();
            w.write_record([x.order_no.as_str(), &created, x.status.as_str(), x.method.as_str(), &x.channel, &x.account, &x.amount.to_string(), &x.refunded.to_string(), &x.fee.to_string(), &x.subject, x.channel_trade_no.as_deref().unwrap_or("")])
                .map_err(CliError::other)?;
        }
        w.flush().map_err(CliError::other)?;
        return Ok(EXIT_OK);
    }
    o.print(&orders, || if orders.is_empty() { "no orders".into() } else { orders.iter().map(order_line).collect::<Vec<_>>().join("\n") });
    Ok(EXIT_OK)
}

pub(crate) fn show(home: &Path, order: &str, o: &Out) -> Result<i32, CliError> {
    let no = order.parse().map_err(|e| CliError::invalid("order", e))?;
    let p = ctx::open(home)?;
    let tz = p.settings().tz().map_err(|e| CliError::invalid("timezone", e))?;
    let d = p.store().order_detail(&no)?;
    o.print(&d, || {
        let t = |x: chrono::DateTime<Utc>| x.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S").to_string();
        let x = &d.order;
        let mut s = format!(
            "Order     {}\nStatus    {}\nAmount    {} yuan (refunded {}, fee {})\nMethod    {} via {} (account {})\nSubject   {}\nCreated   {}\nExpires   {}\n",
            x.order_no, x.status, x.amount, x.refunded, x.fee, x.method, x.channel, x.account, x.subject, t(x.created_at), t(x.expires_at)
        );
        if let Some(p) = x.paid_at {
            s.push_str(&format!("Paid      {}\n", t(p)));
        }
        s.push_str(&format!("Taken by  {}\n", x.principal.as_ref().map_or_else(|| "(not recorded)".to_string(), ToString::to_string)));
        if let Some(op) = &x.operator {
            s.push_str(&format!("Operator  {op} (label)\n"));
        }
        if let Some(n) = &x.channel_trade_no {
            s.push_str(&format!("Trade no  {n}\n"));
        }
        if let Some(c) = &x.auth_code_masked {
            s.push_str(&format!("Code      {c}\n"));
        }
        if let Some(m) = &x.failure_message {
            s.push_str(&format!("Failure   {m}\n"));
        }
        if !d.refunds.is_empty() {
            s.push_str("\nRefunds\n");
            for r in &d.refunds {
                let by = r.principal.as_ref().map_or_else(String::new, |p| format!("by {p}"));
                s.push_str(&format!("  {}  {:>10}  {:<10}  {:<20}  {}\n", r.refund_no, r.amount.to_string(), r.status.as_str(), by, r.reason.as_deref().unwrap_or("")));
            }
        }
        if let Some(r) = &d.route {
            s.push_str(&crate::cmd::routing::describe(r));
        }
        s.push_str("\nHistory\n");
        for e in &d.events {
            let change = match (e.from_status, e.to_status) {
                (Some(a), Some(b)) => format!("{a} → {b}"),
                (None, Some(b)) => format!("→ {b}"),
                _ => "·".into(),
            };
            let by = e.by.as_ref().map_or_else(String::new, |p| format!(" [{p}]"));
            s.push_str(&format!("  {}  {:<22} {:<13} {}{by}\n", t(e.at), change, e.source.as_str(), e.detail));
        }
        s.trim_end().to_string()
    });
    Ok(EXIT_OK)
}
