//! Alipay OpenAPI gateway v1.0 on the wire (protocols.md §1): method names, the `biz_content`
//! objects we send, the reply object we read, and the form fields of a trade notification.
//!
//! Every request is an `application/x-www-form-urlencoded` POST to the gateway with the public
//! parameters (`app_id`, `method`, `charset`, `sign_type`, `timestamp` in Beijing time,
//! `version`, optional `notify_url`, certificate SNs) and `biz_content` = one JSON string, signed
//! as [`super::sign::request_content`] describes. Amounts are yuan strings with two decimals.

use serde::{Deserialize, Serialize};

pub const PRECREATE: &str = "alipay.trade.precreate";
pub const PAY: &str = "alipay.trade.pay";
pub const QUERY: &str = "alipay.trade.query";
pub const CLOSE: &str = "alipay.trade.close";
pub const CANCEL: &str = "alipay.trade.cancel";
pub const REFUND: &str = "alipay.trade.refund";
pub const REFUND_QUERY: &str = "alipay.trade.fastpay.refund.query";
pub const BILL_URL: &str = "alipay.data.dataservice.bill.downloadurl.query";

/// The gateway's date-time format (`timestamp`, `time_expire`, `gmt_payment`, …), Beijing time.
pub const TIME_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// `alipay.trade.precreate`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Precreate {
    pub out_trade_no: String,
    pub total_amount: String,
    pub subject: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terminal_id: Option<String>,
    /// When the QR stops being payable, `yyyy-MM-dd HH:mm:ss` Beijing time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_expire: Option<String>,
}

/// `alipay.trade.pay` (barcode, `scene=bar_code`, `product_code=FACE_TO_FACE_PAYMENT`).
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Pay {
    pub out_trade_no: String,
    pub scene: String,
    pub auth_code: String,
    pub product_code: String,
    pub subject: String,
    pub total_amount: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terminal_id: Option<String>,
}

impl std::fmt::Debug for Pay {
    /// The payment code is the payer's bearer token: never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pay")
            .field("out_trade_no", &self.out_trade_no)
            .field("auth_code", &paydesk_core::order::mask_auth_code(&self.auth_code))
            .field("total_amount", &self.total_amount)
            .finish_non_exhaustive()
    }
}

/// `alipay.trade.query`, `.close`, `.cancel`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ByOrder {
    pub out_trade_no: String,
}

/// `alipay.trade.refund`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Refund {
    pub out_trade_no: String,
    pub refund_amount: String,
    /// Our refund number; the same value on every retry of the same refund.
    pub out_request_no: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_reason: Option<String>,
}

/// `alipay.trade.fastpay.refund.query`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RefundQuery {
    pub out_trade_no: String,
    pub out_request_no: String,
}

/// `alipay.data.dataservice.bill.downloadurl.query`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct BillUrl {
    /// `trade` (acquiring detail) or `signcustomer` (account ledger).
    pub bill_type: String,
    /// `yyyy-MM-dd` (or `yyyy-MM` for a month).
    pub bill_date: String,
}

/// The reply object of any method (the value of `<method>_response` or `error_response`).
/// Unknown fields are ignored; Alipay sends every value as a string.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Reply {
    pub code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub msg: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_msg: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_trade_no: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trade_no: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qr_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trade_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_amount: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_logon_id: Option<String>,
    /// Payment time (query replies of paid trades).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_pay_date: Option<String>,
    /// Payment time (pay replies).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gmt_payment: Option<String>,
    /// `Y`: call cancel again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_flag: Option<String>,
    /// Cancel: `close` (closed unpaid) or `refund` (money returned).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// Refund: `Y` when money moved with this call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fund_change: Option<String>,
    /// Refund: the trade's refunded total so far.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_fee: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_request_no: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_amount: Option<String>,
    /// Refund query: `REFUND_SUCCESS` (newer gateways); absent on older ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bill_download_url: Option<String>,
}

impl Reply {
    /// `code sub_code` for messages, e.g. `40004 ACQ.TRADE_NOT_EXIST`.
    pub fn code_text(&self) -> String {
        match self.sub_code.as_deref().filter(|s| !s.is_empty()) {
            Some(s) => format!("{} {s}", self.code),
            None => self.code.clone(),
        }
    }

    pub fn sub_code(&self) -> &str {
        self.sub_code.as_deref().unwrap_or("")
    }
}
