//! `orders` and `show`.

use std::path::Path;

use chrono::{NaiveDate, Utc};
use clap::Args;
use paydesk_core::order::OrderEvent;
use paydesk_core::store::OrderFilter;
use paydesk_core::{EventSource, Method, OrderStatus};

use crate::ctx;
use crate::i18n::{self, catalog as m, t, tr, Msg};
use crate::out::{order_line, refund_status_word, status_word, CliError, Out, EXIT_OK};

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct OrdersArgs {
    #[command(subcommand)]
    action: Option<crate::cmd::import::OrdersCmd>,
    /// Only orders in this state (pending, processing, success, failed, closed, refunded).
    #[arg(long)]
    status: Option<String>,
    /// Only this channel kind.
    #[arg(long)]
    channel: Option<String>,
    /// Only this payer method.
    #[arg(long)]
    method: Option<String>,
    /// From this day (YYYY-MM-DD, today or yesterday; shop time zone), inclusive.
    #[arg(long, value_name = "DATE")]
    from: Option<String>,
    /// To this day (YYYY-MM-DD, today or yesterday), inclusive.
    #[arg(long, value_name = "DATE")]
    to: Option<String>,
    /// Find a payment: a trade number from the customer's bill, an amount and a time
    /// (`12.50 14:05 ±10m`), the code's last digits (`*1234`), `cashier:NAME`, `shift:NO`.
    #[arg(long, value_name = "QUERY", allow_hyphen_values = true)]
    find: Option<String>,
    /// At most this many, newest first; 0 for all. Default: all with --csv/--json, else 200.
    #[arg(long)]
    limit: Option<u32>,
    /// Print CSV (UTF-8; the app's export columns; text that could run as a spreadsheet formula is
    /// defused) instead of a table.
    #[arg(long)]
    csv: bool,
    /// Only this store's orders (a shop with several tills).
    #[arg(long, value_name = "STORE")]
    store: Option<String>,
    /// Only this till's orders.
    #[arg(long, value_name = "TILL")]
    till: Option<String>,
}

/// How many orders the table shows when no `--limit` is given.
const TABLE_LIMIT: u32 = 200;

/// A shop-local day: `YYYY-MM-DD`, `today` or `yesterday`.
pub(crate) fn local_day(field: &str, s: &str, today: NaiveDate) -> Result<NaiveDate, CliError> {
    match s {
        "today" => Ok(today),
        "yesterday" => Ok(today.pred_opt().unwrap_or(today)),
        _ => NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| CliError::invalid(field, tr!(NOT_A_DATE, value = s))),
    }
}

fn day_start(field: &str, d: NaiveDate, tz: chrono_tz::Tz, plus_days: i64) -> Result<chrono::DateTime<Utc>, CliError> {
    let d = d + chrono::Duration::days(plus_days);
    d.and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(tz).earliest())
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| CliError::invalid(field, t(m::NOT_LOCAL_DAY)))
}

pub(crate) fn list(home: &Path, a: OrdersArgs, o: &Out) -> Result<i32, CliError> {
    if let Some(cmd) = a.action {
        return crate::cmd::import::run(home, cmd, o);
    }
    if a.csv && o.json {
        return Err(CliError::invalid("csv", t(m::CHOOSE_CSV_OR_JSON)));
    }
    let p = ctx::open(home)?;
    let tz = p.settings().tz().map_err(|e| CliError::invalid("timezone", e))?;
    let today = Utc::now().with_timezone(&tz).date_naive();
    // Files and JSON get every matching order unless a limit is asked for; the table stops at
    // TABLE_LIMIT and says so.
    let limit = match a.limit {
        Some(0) => None,
        Some(n) => Some(n),
        None if a.csv || o.json => None,
        None => Some(TABLE_LIMIT),
    };
    let base = match &a.find {
        Some(q) => paydesk_core::till::find::parse(q, tz, Utc::now(), limit.unwrap_or(u32::MAX))?,
        None => OrderFilter::default(),
    };
    let stores = paydesk_core::shop::till_stores(p.store(), p.settings())?;
    let scope = paydesk_core::analytics::Scope { store: a.store, till: a.till };
    let tills = scope.tills(&stores).map_err(|e| match e {
        paydesk_core::analytics::AnalyticsError::Invalid { field, problem } => CliError::invalid(field, problem),
        other => CliError::other(other),
    })?;
    let f = OrderFilter {
        tills,
        status: a.status.as_deref().map(str::parse::<OrderStatus>).transpose().map_err(|e| CliError::invalid("status", e))?,
        channel: a.channel.or(base.channel.clone()),
        method: a.method.as_deref().map(str::parse::<Method>).transpose().map_err(|e| CliError::invalid("method", e))?.or(base.method),
        from: a.from.as_deref().map(|s| local_day("from", s, today).and_then(|d| day_start("from", d, tz, 0))).transpose()?.or(base.from),
        to: a.to.as_deref().map(|s| local_day("to", s, today).and_then(|d| day_start("to", d, tz, 1))).transpose()?.or(base.to),
        // One more than shown tells whether the list was cut.
        limit: limit.map(|l| l.saturating_add(1)),
        ..base
    };
    let mut orders = p.store().list_orders(&f)?;
    let cut = limit.is_some_and(|l| orders.len() > l as usize);
    if let Some(l) = limit {
        orders.truncate(l as usize);
    }
    if cut {
        // On stderr: the CSV or JSON on stdout stays whole.
        crate::out::note(&tr!(ORDERS_LIMITED, shown = orders.len()));
    }
    if a.csv {
        // The app's export: the same columns, and formulas defused the same way.
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        out.write_all(paydesk_core::export::orders_csv(&orders, tz, &stores).as_bytes()).and_then(|_| out.flush()).map_err(CliError::write)?;
        return Ok(EXIT_OK);
    }
    let json: Vec<_> = orders.iter().map(paydesk_server::api::payment_json).collect();
    o.print(&json, || if orders.is_empty() { t(m::NO_ORDERS).into() } else { orders.iter().map(order_line).collect::<Vec<_>>().join("\n") });
    Ok(EXIT_OK)
}

fn source_word(s: EventSource) -> &'static str {
    t(match s {
        EventSource::User => m::SOURCE_USER,
        EventSource::ChannelReply => m::SOURCE_CHANNEL_REPLY,
        EventSource::Callback => m::SOURCE_CALLBACK,
        EventSource::Poll => m::SOURCE_POLL,
        EventSource::Timeout => m::SOURCE_TIMEOUT,
        EventSource::Recovery => m::SOURCE_RECOVERY,
        EventSource::Reconcile => m::SOURCE_RECONCILE,
        EventSource::Import => m::SOURCE_IMPORT,
    })
}

/// The message of an event's reason code, if the catalog words it.
fn event_msg(code: &str) -> Option<Msg> {
    Some(match code {
        "created" => m::EV_CREATED,
        "qr_issued" => m::EV_QR_ISSUED,
        "waiting_payer" => m::EV_WAITING_PAYER,
        "waiting" => m::EV_WAITING,
        "paid" => m::EV_PAID,
        "paid_refunds_reported" => m::EV_PAID_REFUNDS_REPORTED,
        "closed_at_channel" => m::EV_CLOSED_AT_CHANNEL,
        "failed" => m::EV_FAILED,
        "closed_no_trade" => m::EV_CLOSED_NO_TRADE,
        "cancelled_unpaid" => m::EV_CANCELLED_UNPAID,
        "cancelled_returned" => m::EV_CANCELLED_RETURNED,
        "not_reached" => m::EV_NOT_REACHED,
        "refused" => m::EV_REFUSED,
        "refund_requested" => m::EV_REFUND_REQUESTED,
        "refund_status" => m::EV_REFUND_STATUS,
        "refunded_in_full" => m::EV_REFUNDED_IN_FULL,
        "revoked" => m::EV_REVOKED,
        "revoke_requested" => m::EV_REVOKE_REQUESTED,
        "revoke_status" => m::EV_REVOKE_STATUS,
        "revoke_returned" => m::EV_REVOKE_RETURNED,
        "revoke_closed" => m::EV_REVOKE_CLOSED,
        "revoke_queried" => m::EV_REVOKE_QUERIED,
        "revoke_resent" => m::EV_REVOKE_RESENT,
        "revoke_unknown" => m::EV_REVOKE_UNKNOWN,
        _ => return None,
    })
}

/// Who did it, in words (a till user by name, an API key, the OS user of a CLI command).
fn principal_text(p: &paydesk_core::Principal) -> String {
    use paydesk_core::Principal;
    match p {
        Principal::User { name, .. } => name.clone(),
        Principal::ApiKey { id, name } => tr!(WHO_API_KEY, name = name, id = id),
        Principal::Os { user } => tr!(WHO_OS_USER, user = user),
        Principal::System => t(m::WHO_SYSTEM).to_string(),
    }
}

fn event_text(e: &OrderEvent) -> String {
    e.reason.as_ref().and_then(|r| Some(i18n::reason(event_msg(&r.code)?, r))).unwrap_or_else(|| e.detail.clone())
}

pub(crate) fn show(home: &Path, order: &str, o: &Out) -> Result<i32, CliError> {
    let no = order.parse().map_err(|e| CliError::invalid("order", e))?;
    let p = ctx::open(home)?;
    let tz = p.settings().tz().map_err(|e| CliError::invalid("timezone", e))?;
    let d = p.store().order_detail(&no)?;
    o.print(&paydesk_server::api::payment_detail_json(&d), || {
        let time = |x: chrono::DateTime<Utc>| x.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S").to_string();
        let x = &d.order;
        let mut s = String::new();
        let mut line = |label: Msg, value: String| s.push_str(&format!("{}{value}\n", i18n::pad(t(label), 10)));
        line(m::SHOW_ORDER, x.order_no.to_string());
        line(m::SHOW_STATUS, status_word(x.status).to_string());
        line(m::SHOW_AMOUNT, tr!(SHOW_AMOUNT_VALUE, amount = x.amount, refunded = x.refunded, fee = x.fee));
        line(m::SHOW_METHOD, tr!(SHOW_METHOD_VALUE, method = i18n::method_name(x.method.as_str()), channel = x.channel, account = x.account));
        line(m::SHOW_SUBJECT, x.subject.clone());
        line(m::SHOW_CREATED, time(x.created_at));
        line(m::SHOW_EXPIRES, time(x.expires_at));
        if let Some(paid) = x.paid_at {
            line(m::SHOW_PAID, time(paid));
        }
        line(m::SHOW_TAKEN_BY, x.principal.as_ref().map_or_else(|| t(m::SHOW_NOT_RECORDED).to_string(), principal_text));
        if let Some(op) = &x.operator {
            line(m::SHOW_OPERATOR, tr!(SHOW_OPERATOR_LABEL, name = op));
        }
        if let Some(n) = &x.channel_trade_no {
            line(m::SHOW_TRADE_NO, n.clone());
        }
        if let Some(c) = &x.auth_code_masked {
            line(m::SHOW_CODE, c.clone());
        }
        if let Some(f) = &x.failure_message {
            line(m::SHOW_FAILURE, f.clone());
        }
        if let Some(cash) = x.tendered {
            s.push_str(&format!("{}{}\n", i18n::pad(t(m::SHOW_TENDERED), 10), tr!(SHOW_TENDERED_VALUE, cash = cash, change = x.change())));
        }
        if let Some(sh) = &x.shift_no {
            s.push_str(&format!("{}{sh}\n", i18n::pad(t(m::SHOW_SHIFT), 10)));
        }
        if let (Some(id), Some(total)) = (&x.sale_id, x.sale_total) {
            s.push_str(&format!("{}{id} ({total})\n", i18n::pad(t(m::SHOW_SALE), 10)));
        }
        if !d.refunds.is_empty() {
            s.push_str(&format!("\n{}\n", t(m::SHOW_REFUNDS)));
            for r in &d.refunds {
                let by = r.principal.as_ref().map_or_else(String::new, |p| tr!(SHOW_BY, who = principal_text(p)));
                s.push_str(&format!("  {}  {}  {}  {}  {}\n", r.refund_no, i18n::pad_left(&r.amount.to_string(), 10), i18n::pad(refund_status_word(r.status), 10), i18n::pad(&by, 20), r.reason.as_deref().unwrap_or("")));
            }
        }
        if let Some(r) = &d.route {
            s.push_str(&crate::cmd::routing::describe(r));
        }
        s.push_str(&format!("\n{}\n", t(m::SHOW_HISTORY)));
        for e in &d.events {
            let change = match (e.from_status, e.to_status) {
                (Some(a), Some(b)) => format!("{} → {}", status_word(a), status_word(b)),
                (None, Some(b)) => format!("→ {}", status_word(b)),
                _ => "·".into(),
            };
            let by = e.by.as_ref().map_or_else(String::new, |p| format!(" [{}]", principal_text(p)));
            s.push_str(&format!("  {}  {} {} {}{by}\n", time(e.at), i18n::pad(&change, 22), i18n::pad(source_word(e.source), 13), event_text(e)));
        }
        s.trim_end().to_string()
    });
    Ok(EXIT_OK)
}
