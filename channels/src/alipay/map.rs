//! Alipay answers in Paydesk's terms (protocols.md §1.6, §0.3).
//!
//! First [`classify`] sorts a verified reply by its public `code`: `10000` success, `10003`
//! waiting for the payer, `40004` a business answer (read per operation from its `sub_code`);
//! `20000`, `40001`, `40002`, `40006`, `20001` and unknown codes become errors at once. Then one
//! function per operation maps the answer. The rules: a definitive refusal is
//! `Rejected`/`Failed`; `ACQ.SYSTEM_ERROR`, `20000`, unrecognised sub_codes and anything unsigned
//! that would be definitive are "outcome unknown" (the core queries); nothing unknown is ever
//! mapped to paid or failed.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use paydesk_core::channel::{CancelOutcome, ChannelError, RefundResult, RefundState, TradeState, TradeStatus};
use paydesk_core::Money;

use super::wire::{Reply, TIME_FORMAT};
use super::KIND;

/// Who is asking, for error messages (account name and app id; never keys).
#[derive(Debug, Clone, Copy)]
pub struct Ctx<'a> {
    pub account: &'a str,
    pub app_id: &'a str,
    pub method: &'a str,
}

/// A verified reply that got past the gateway-level codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// `10000`.
    Success(Reply),
    /// `10003`: the payer still has to confirm (barcode pay).
    Waiting(Reply),
    /// `40004` (signed): see `sub_code`.
    Business(Reply),
}

pub const TRADE_NOT_EXIST: &str = "ACQ.TRADE_NOT_EXIST";
pub const SYSTEM_ERROR: &str = "ACQ.SYSTEM_ERROR";

/// Barcode-pay sub_codes that definitively mean "not charged" (the payer or the request was
/// refused). Anything else under `40004` is treated as unknown and settled by query.
pub const PAY_DEFINITIVE: &[&str] = &[
    "ACQ.PAYMENT_AUTH_CODE_INVALID",
    "ACQ.BUYER_BALANCE_NOT_ENOUGH",
    "ACQ.BUYER_BANKCARD_BALANCE_NOT_ENOUGH",
    "ACQ.ERROR_BALANCE_PAYMENT_DISABLE",
    "ACQ.BUYER_SELLER_EQUAL",
    "ACQ.TRADE_BUYER_NOT_MATCH",
    "ACQ.BUYER_ENABLE_STATUS_FORBID",
    "ACQ.PULL_MOBILE_CASHIER_FAIL",
    "ACQ.MOBILE_PAYMENT_SWITCH_OFF",
    "ACQ.PAYMENT_FAIL",
    "ACQ.BUYER_PAYMENT_AMOUNT_DAY_LIMIT_ERROR",
    "ACQ.BUYER_PAYMENT_AMOUNT_MONTH_LIMIT_ERROR",
    "ACQ.BEYOND_PAY_RESTRICTION",
    "ACQ.BEYOND_PER_RECEIPT_RESTRICTION",
    "ACQ.ERROR_BUYER_CERTIFY_LEVEL_LIMIT",
    "ACQ.PAYMENT_REQUEST_HAS_RISK",
    "ACQ.NO_PAYMENT_INSTRUMENTS_AVAILABLE",
    "ACQ.USER_FACE_PAYMENT_SWITCH_OFF",
    "ACQ.SELLER_BEEN_BLOCKED",
    "ACQ.INVALID_PARAMETER",
    "ACQ.ACCESS_FORBIDDEN",
    "ACQ.EXIST_FORBIDDEN_WORD",
    "ACQ.PARTNER_ERROR",
    "ACQ.TOTAL_FEE_EXCEED",
    "ACQ.CONTEXT_INCONSISTENT",
    "ACQ.TRADE_HAS_CLOSE",
];

/// Refund sub_codes that definitively mean "no refund was made".
pub const REFUND_DEFINITIVE: &[&str] = &[
    TRADE_NOT_EXIST,
    "ACQ.TRADE_STATUS_ERROR",
    "ACQ.TRADE_HAS_FINISHED",
    "ACQ.TRADE_HAS_CLOSE",
    "ACQ.SELLER_BALANCE_NOT_ENOUGH",
    "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL",
    "ACQ.REASON_TRADE_BEEN_FREEZEN",
    "ACQ.DISCORDANT_REPEAT_REQUEST",
    "ACQ.REASON_TRADE_REFUND_FEE_ERR",
    "ACQ.TRADE_NOT_ALLOW_REFUND",
    "ACQ.REFUND_FEE_ERROR",
    "ACQ.INVALID_PARAMETER",
    "ACQ.ACCESS_FORBIDDEN",
    "ACQ.REFUND_CHARGE_ERROR",
    "ACQ.ONLINE_TRADE_VOUCHER_NOT_ALLOW_REFUND",
];

fn channel() -> String {
    KIND.to_string()
}

/// The human message of a reply, with anything that looks like a payment code (16–24 digits)
/// masked: some gateway messages echo request parameters.
pub fn message(r: &Reply) -> String {
    let m = r.sub_msg.as_deref().filter(|s| !s.is_empty()).or(r.msg.as_deref()).unwrap_or("");
    scrub(m)
}

/// Masks digit runs of 16–24 digits (payment codes) in a text.
pub fn scrub(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if (16..=24).contains(&run.len()) {
            out.push_str(&paydesk_core::order::mask_auth_code(run));
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in s.chars() {
        if c.is_ascii_digit() {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

pub fn unavailable(r: &Reply) -> ChannelError {
    ChannelError::Unavailable { channel: channel(), code: r.code_text(), message: message(r) }
}

pub fn rejected(r: &Reply) -> ChannelError {
    ChannelError::Rejected { channel: channel(), code: r.code_text(), message: message(r) }
}

pub fn protocol(detail: impl Into<String>) -> ChannelError {
    ChannelError::Protocol { channel: channel(), detail: detail.into() }
}

/// An answer whose meaning we do not know: the outcome is settled by query.
fn unrecognised(ctx: &Ctx<'_>, r: &Reply) -> ChannelError {
    protocol(format!("unrecognised answer to {} ({}: {}); the outcome will be checked", ctx.method, r.code_text(), message(r)))
}

/// Sorts a reply by its public code. `signed` is whether a valid signature covered it;
/// unsigned success is refused by the caller before this point.
pub fn classify(ctx: &Ctx<'_>, r: Reply, signed: bool) -> Result<Answer, ChannelError> {
    match r.code.as_str() {
        "10000" | "10003" if !signed => Err(ChannelError::SignatureInvalid { channel: channel(), detail: format!("unsigned {} reply to {} is not trusted", r.code, ctx.method) }),
        "10000" => Ok(Answer::Success(r)),
        "10003" => Ok(Answer::Waiting(r)),
        "20000" => Err(unavailable(&r)),
        "20001" => Err(ChannelError::Config(format!(
            "account {:?}: Alipay refused the authorisation ({}): check app_id {} and the app's authorisation",
            ctx.account,
            r.code_text(),
            ctx.app_id
        ))),
        "40001" => Err(rejected(&r)),
        "40002" => Err(invalid_arguments(ctx, &r)),
        "40004" if !signed => Err(protocol(format!("unsigned business answer to {} ({}) is not trusted; the outcome will be checked", ctx.method, r.code_text()))),
        "40004" => Ok(Answer::Business(r)),
        "40006" => Err(ChannelError::Config(format!(
            "account {:?}: app_id {} may not call {} ({}): sign the face-to-face payment product for this app",
            ctx.account,
            ctx.app_id,
            ctx.method,
            r.code_text()
        ))),
        _ => Err(unrecognised(ctx, &r)),
    }
}

/// `40002`: the gateway refused the request itself. Key/app-id/clock/certificate problems are
/// configuration errors that say which; the gateway's `sub_msg` is left out of them because it
/// can echo the whole signed request (payment code included).
fn invalid_arguments(ctx: &Ctx<'_>, r: &Reply) -> ChannelError {
    let sub = r.sub_code();
    let acct = ctx.account;
    let code = r.code_text();
    match sub {
        "isv.invalid-signature" | "isv.invalid-signature-type" | "isv.missing-signature" => ChannelError::Config(format!(
            "account {acct:?}: Alipay could not verify our request signature ({code}): the key in private_key_file is not the app key registered for app_id {} (did you configure the Alipay public key, or another app's key?)",
            ctx.app_id
        )),
        "isv.invalid-app-id" | "isv.app-unonline" | "isv.invalid-app-status" | "isv.app-not-exist" => ChannelError::Config(format!(
            "account {acct:?}: Alipay does not accept app_id {} ({code}): check app_id, and that base_url is the gateway the app lives on (sandbox apps only work on the sandbox gateway)",
            ctx.app_id
        )),
        "isv.invalid-timestamp" => ChannelError::Config(format!("account {acct:?}: Alipay refused the request time ({code}): this computer's clock is wrong")),
        s if s.contains("cert") => ChannelError::Config(format!(
            "account {acct:?}: Alipay refused our certificate serial numbers ({code}): app_cert_file / alipay_root_cert_file are not the certificates issued for app_id {}",
            ctx.app_id
        )),
        _ => rejected(r),
    }
}

/// A Beijing-time `yyyy-MM-dd HH:mm:ss` as UTC (None when absent or malformed).
pub fn beijing_time(s: Option<&str>) -> Option<DateTime<Utc>> {
    let s = s?.trim();
    let naive = NaiveDateTime::parse_from_str(s, TIME_FORMAT).ok()?;
    chrono_tz::Asia::Shanghai.from_local_datetime(&naive).earliest().map(|t| t.with_timezone(&Utc))
}

/// A UTC time as Alipay writes it (Beijing time).
pub fn format_beijing(t: DateTime<Utc>) -> String {
    t.with_timezone(&chrono_tz::Asia::Shanghai).format(TIME_FORMAT).to_string()
}

/// A yuan amount field (strict; absent or empty → None).
pub fn amount(field: &str, v: Option<&str>) -> Result<Option<Money>, ChannelError> {
    match v.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => Money::parse_yuan(s).map(Some).map_err(|e| protocol(format!("{field}: {e}"))),
    }
}

fn some(v: &Option<String>) -> Option<&str> {
    v.as_deref().filter(|s| !s.is_empty())
}

/// Maps a `trade_status` (query replies and notifications). `TRADE_CLOSED` is `Closed` even when
/// the trade had been paid (fully refunded, or reversed by cancel): "refunded" would make the
/// core book an open order as paid, and a reversed charge is not a payment. For an order the book
/// already holds as paid, the core keeps it and records the claim.
pub fn trade_state(status: &str) -> TradeState {
    match status {
        "WAIT_BUYER_PAY" => TradeState::Waiting,
        "TRADE_SUCCESS" | "TRADE_FINISHED" => TradeState::Paid,
        "TRADE_CLOSED" => TradeState::Closed,
        other => TradeState::Unknown { raw: other.to_string() },
    }
}

/// `alipay.trade.precreate` → the QR text.
pub fn precreate(ctx: &Ctx<'_>, a: Answer) -> Result<String, ChannelError> {
    match a {
        Answer::Success(r) => some(&r.qr_code).map(str::to_string).ok_or_else(|| protocol("precreate reply has no qr_code")),
        Answer::Business(r) if r.sub_code() == SYSTEM_ERROR => Err(unavailable(&r)),
        Answer::Business(r) => Err(rejected(&r)),
        Answer::Waiting(r) => Err(unrecognised(ctx, &r)),
    }
}

/// `alipay.trade.pay`.
pub fn pay(ctx: &Ctx<'_>, a: Answer) -> Result<TradeStatus, ChannelError> {
    match a {
        Answer::Success(r) => Ok(TradeStatus {
            state: TradeState::Paid,
            amount: amount("total_amount", some(&r.total_amount))?,
            paid_at: beijing_time(some(&r.gmt_payment)),
            channel_trade_no: r.trade_no,
            raw_status: "10000".into(),
        }),
        Answer::Waiting(r) => Ok(TradeStatus {
            state: TradeState::Waiting,
            amount: None,
            paid_at: None,
            channel_trade_no: r.trade_no,
            raw_status: "10003 WAIT_BUYER_PAY".into(),
        }),
        Answer::Business(r) => {
            let sub = r.sub_code();
            if PAY_DEFINITIVE.contains(&sub) {
                Ok(TradeStatus::new(TradeState::Failed { code: sub.to_string(), message: message(&r) }, r.code_text()))
            } else if sub == "ACQ.TRADE_HAS_SUCCESS" {
                // Paid before (same out_trade_no): a query confirms it with the amount.
                Ok(TradeStatus::new(TradeState::Unknown { raw: sub.to_string() }, r.code_text()))
            } else if sub == SYSTEM_ERROR {
                Err(unavailable(&r))
            } else {
                Err(unrecognised(ctx, &r))
            }
        }
    }
}

/// `alipay.trade.query`. A QR that was never scanned is `ACQ.TRADE_NOT_EXIST` → `NotFound`.
pub fn query(ctx: &Ctx<'_>, a: Answer) -> Result<TradeStatus, ChannelError> {
    match a {
        Answer::Success(r) => {
            let raw = some(&r.trade_status).unwrap_or("").to_string();
            let paid_at = beijing_time(some(&r.send_pay_date));
            Ok(TradeStatus {
                state: trade_state(&raw),
                amount: amount("total_amount", some(&r.total_amount))?,
                paid_at,
                channel_trade_no: r.trade_no,
                raw_status: raw,
            })
        }
        Answer::Business(r) if r.sub_code() == TRADE_NOT_EXIST => Ok(TradeStatus::new(TradeState::NotFound, TRADE_NOT_EXIST)),
        Answer::Business(r) if r.sub_code() == SYSTEM_ERROR => Err(unavailable(&r)),
        Answer::Business(r) => Err(rejected(&r)),
        Answer::Waiting(r) => Err(unrecognised(ctx, &r)),
    }
}

/// `alipay.trade.close`: closing a QR nobody scanned (`ACQ.TRADE_NOT_EXIST`) is done too.
pub fn close(ctx: &Ctx<'_>, a: Answer) -> Result<(), ChannelError> {
    match a {
        Answer::Success(_) => Ok(()),
        Answer::Business(r) if r.sub_code() == TRADE_NOT_EXIST => Ok(()),
        Answer::Business(r) if r.sub_code() == SYSTEM_ERROR => Err(unavailable(&r)),
        Answer::Business(r) => Err(rejected(&r)),
        Answer::Waiting(r) => Err(unrecognised(ctx, &r)),
    }
}

/// One `alipay.trade.cancel` answer: done, or call again (`retry_flag=Y`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CancelStep {
    Done(CancelOutcome),
    Retry(String),
}

pub fn cancel(ctx: &Ctx<'_>, a: Answer) -> Result<CancelStep, ChannelError> {
    let retry = |r: &Reply| r.retry_flag.as_deref() == Some("Y");
    match a {
        Answer::Success(r) if retry(&r) => Ok(CancelStep::Retry(r.code_text())),
        Answer::Success(r) => Ok(CancelStep::Done(if r.action.as_deref() == Some("refund") { CancelOutcome::Refunded } else { CancelOutcome::Closed })),
        Answer::Business(r) if retry(&r) => Ok(CancelStep::Retry(format!("{}: {}", r.code_text(), message(&r)))),
        Answer::Business(r) if r.sub_code() == TRADE_NOT_EXIST => Ok(CancelStep::Done(CancelOutcome::Closed)),
        Answer::Business(r) if r.sub_code() == SYSTEM_ERROR => Err(unavailable(&r)),
        Answer::Business(r) => Err(rejected(&r)),
        Answer::Waiting(r) => Err(unrecognised(ctx, &r)),
    }
}

/// One `alipay.trade.refund` answer: a result, or "ask the refund query" (`fund_change` ≠ `Y`,
/// e.g. a resend of a refund that was already made).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundStep {
    Done(RefundResult),
    Confirm,
}

pub fn refund(ctx: &Ctx<'_>, a: Answer) -> Result<RefundStep, ChannelError> {
    match a {
        Answer::Success(r) if r.fund_change.as_deref() == Some("Y") => Ok(RefundStep::Done(RefundResult { state: RefundState::Success, channel_refund_no: None })),
        Answer::Success(_) => Ok(RefundStep::Confirm),
        Answer::Business(r) if REFUND_DEFINITIVE.contains(&r.sub_code()) => Err(rejected(&r)),
        Answer::Business(r) if r.sub_code() == SYSTEM_ERROR => Err(unavailable(&r)),
        Answer::Business(r) | Answer::Waiting(r) => Err(unrecognised(ctx, &r)),
    }
}

/// `alipay.trade.fastpay.refund.query`: `10000` without refund data = the refund was never
/// received (`NotFound`: send it again with the same number).
pub fn refund_query(ctx: &Ctx<'_>, a: Answer, expected: Money) -> Result<RefundResult, ChannelError> {
    match a {
        Answer::Success(r) => {
            if some(&r.out_request_no).is_none() && some(&r.refund_amount).is_none() {
                return Ok(RefundResult { state: RefundState::NotFound, channel_refund_no: None });
            }
            if let Some(got) = amount("refund_amount", some(&r.refund_amount))? {
                if got != expected {
                    return Err(ChannelError::Mismatch { channel: channel(), detail: format!("Alipay reports a refund of {got} yuan for this number, we asked for {expected}") });
                }
            }
            let state = match some(&r.refund_status) {
                None | Some("REFUND_SUCCESS") => RefundState::Success,
                Some(_) => RefundState::Processing,
            };
            Ok(RefundResult { state, channel_refund_no: None })
        }
        Answer::Business(r) if r.sub_code() == TRADE_NOT_EXIST => Ok(RefundResult { state: RefundState::NotFound, channel_refund_no: None }),
        Answer::Business(r) if r.sub_code() == SYSTEM_ERROR => Err(unavailable(&r)),
        Answer::Business(r) => Err(rejected(&r)),
        Answer::Waiting(r) => Err(unrecognised(ctx, &r)),
    }
}

/// `alipay.data.dataservice.bill.downloadurl.query` → the download URL.
pub fn bill_url(ctx: &Ctx<'_>, a: Answer) -> Result<String, ChannelError> {
    match a {
        Answer::Success(r) => some(&r.bill_download_url).map(str::to_string).ok_or_else(|| protocol("bill reply has no bill_download_url")),
        Answer::Business(r) if r.sub_code() == SYSTEM_ERROR => Err(unavailable(&r)),
        Answer::Business(r) => Err(rejected(&r)),
        Answer::Waiting(r) => Err(unrecognised(ctx, &r)),
    }
}
