//! The sandbox protocol on the wire: Paydesk's own simple signed-JSON gateway protocol, spoken by
//! the `sandbox` channel and the simulator. Not a real provider; it exists so the whole payment
//! path (sign → send → verify → map → callback) can run with nothing configured.
//!
//! * `POST {base}/v1/{op}` with a JSON body, `op` one of `precreate`, `pay`, `query`, `close`,
//!   `cancel`, `refund`, `refund_query`, `statement`.
//! * Headers `Pd-Merchant`, `Pd-Timestamp` (Unix seconds), `Pd-Nonce`, `Pd-Signature` =
//!   Base64 RSA-SHA256 over `"{timestamp}\n{nonce}\n{body}\n"` with the merchant key.
//! * Replies and callbacks carry `Pd-Timestamp`, `Pd-Nonce`, `Pd-Signature` signed the same way
//!   with the gateway key. Success is HTTP 200 with `"code":"OK"`; a refusal is 4xx and a
//!   system error 5xx, each with `{"code","message"}`. Amounts are integer fen.
//! * Callbacks: `POST notify_url` with a [`Notification`]; the receiver answers 200 `OK`.

use serde::{Deserialize, Serialize};

pub const H_MERCHANT: &str = "pd-merchant";
pub const H_TIMESTAMP: &str = "pd-timestamp";
pub const H_NONCE: &str = "pd-nonce";
pub const H_SIGNATURE: &str = "pd-signature";

/// The signed message.
pub fn message(timestamp: &str, nonce: &str, body: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(body.len() + 40);
    m.extend_from_slice(timestamp.as_bytes());
    m.push(b'\n');
    m.extend_from_slice(nonce.as_bytes());
    m.push(b'\n');
    m.extend_from_slice(body);
    m.push(b'\n');
    m
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Precreate {
    pub order_no: String,
    pub amount: i64,
    pub subject: String,
    #[serde(default)]
    pub notify_url: Option<String>,
    pub expire_at: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Pay {
    pub order_no: String,
    pub amount: i64,
    pub subject: String,
    pub auth_code: String,
    #[serde(default)]
    pub notify_url: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ByOrder {
    pub order_no: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Refund {
    pub order_no: String,
    pub refund_no: String,
    pub amount: i64,
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ByRefund {
    pub refund_no: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Statement {
    /// `YYYY-MM-DD`, Asia/Shanghai.
    pub date: String,
}

/// Every reply: `code` plus the fields of the operation.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
pub struct Reply {
    pub code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qr_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trade_no: Option<String>,
    /// `CREATED`, `WAITING`, `PAID`, `CLOSED`, `FAILED`, `REVERSED` (trades);
    /// `SUCCESS`, `PROCESSING` (refunds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refunded: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paid_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csv: Option<String>,
}

/// An asynchronous notification.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Notification {
    /// `payment` or `refund`.
    #[serde(rename = "type")]
    pub kind: String,
    pub merchant: String,
    pub order_no: String,
    pub trade_no: String,
    pub amount: i64,
    pub status: String,
    #[serde(default)]
    pub paid_at: Option<i64>,
    #[serde(default)]
    pub refund_no: Option<String>,
    #[serde(default)]
    pub refund_amount: Option<i64>,
}
