//! The recipe of a `template` channel: everything it does, read from the account's `params`
//! (optionally on top of a `template_file`), checked once when the account is built. Errors name
//! the parameter path (`params.query.reply.status_map`) and never print secrets.

use std::collections::BTreeMap;

use paydesk_core::Method;
use serde::Deserialize;

/// A whole recipe (docs/configuration.md, "Template channels").
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recipe {
    /// A recipe file this one builds on (merged underneath the account's params).
    #[serde(default)]
    pub template_file: Option<String>,
    /// The provider's name, for messages.
    #[serde(default)]
    pub provider: String,
    /// Payer methods this provider serves.
    pub methods: Vec<Method>,
    /// How amounts go over the wire: `yuan` ("12.30") or `fen` ("1230").
    #[serde(default)]
    pub amount_format: AmountFormat,
    /// `{method}` as the provider names each payer method (e.g. wechat → "wxpay").
    #[serde(default)]
    pub method_values: BTreeMap<String, String>,
    /// Account values for `{name}` placeholders (merchant id, client IP …). Not secrets.
    #[serde(default)]
    pub vars: BTreeMap<String, String>,
    /// The shared key (MD5 / HMAC) — a file, never inline. Available as `{secret}`.
    #[serde(default)]
    pub secret_file: Option<String>,
    /// Our RSA private key (RSA-SHA256).
    #[serde(default)]
    pub private_key_file: Option<String>,
    /// The provider's RSA public key (verifies its replies and callbacks).
    #[serde(default)]
    pub provider_public_key_file: Option<String>,
    pub sign: SignRecipe,
    /// QR order (the customer scans).
    #[serde(default)]
    pub create: Option<Op>,
    /// Payment code (the cashier scans).
    #[serde(default)]
    pub barcode: Option<Op>,
    pub query: Op,
    #[serde(default)]
    pub close: Option<Op>,
    #[serde(default)]
    pub refund: Option<Op>,
    #[serde(default)]
    pub refund_query: Option<Op>,
    #[serde(default)]
    pub callback: Option<CallbackRecipe>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AmountFormat {
    #[default]
    Yuan,
    Fen,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Algorithm {
    Md5,
    HmacSha256,
    RsaSha256,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HexCase {
    #[default]
    Lower,
    Upper,
}

/// Where the shared key goes in the signed string.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyMode {
    /// `k=v&k=v` + key (e.g. 易支付).
    #[default]
    AppendRaw,
    /// `k=v&k=v&key=<key>` (e.g. WeChat v2 style); the name is `key_param`.
    AppendParam,
    /// Not in the string (HMAC uses it as the MAC key; RSA has none).
    None,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignRecipe {
    pub algorithm: Algorithm,
    #[serde(default)]
    pub hex_case: HexCase,
    #[serde(default)]
    pub key_mode: KeyMode,
    #[serde(default = "default_key_param")]
    pub key_param: String,
    /// The field that carries the signature.
    #[serde(default = "default_sign_field")]
    pub sign_field: String,
    /// A field naming the algorithm (e.g. `sign_type`), sent with `sign_type_value`.
    #[serde(default)]
    pub sign_type_field: Option<String>,
    #[serde(default)]
    pub sign_type_value: Option<String>,
    /// Whether `sign_type_field` is itself signed (易支付: no).
    #[serde(default)]
    pub sign_type_signed: bool,
    /// More fields left out of the signed string.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Leave out fields with empty values (almost every provider does).
    #[serde(default = "yes")]
    pub skip_empty: bool,
}

fn default_key_param() -> String {
    "key".into()
}
fn default_sign_field() -> String {
    "sign".into()
}
fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum HttpMethod {
    Get,
    #[default]
    Post,
}

/// How a request carries its fields.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Body {
    /// `application/x-www-form-urlencoded` body (GET: the query string).
    #[default]
    Form,
    /// A flat JSON object of strings.
    Json,
}

/// One operation: where it goes, what it sends, how to read the answer.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Op {
    /// Path (with an optional query string) after `base_url`, e.g. `/api.php?act=order`.
    pub path: String,
    #[serde(default)]
    pub http_method: HttpMethod,
    #[serde(default)]
    pub body: Body,
    /// Whether the request is signed with `[sign]`.
    #[serde(default = "yes")]
    pub signed: bool,
    /// Their field → value; values may hold `{placeholders}`.
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    pub reply: ReplyRecipe,
}

/// A condition on a reply field: its value (as text) is one of `equals`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cond {
    pub field: String,
    pub equals: OneOrMany,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub fn contains(&self, v: &str) -> bool {
        match self {
            OneOrMany::One(s) => s == v,
            OneOrMany::Many(m) => m.iter().any(|s| s == v),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplyFormat {
    #[default]
    Json,
    Form,
    /// The body itself is the value (e.g. `success`), read with the path `body`.
    Text,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplyRecipe {
    #[serde(default)]
    pub format: ReplyFormat,
    /// When the request was carried out; otherwise it was refused (nothing happened).
    #[serde(default)]
    pub success: Option<Cond>,
    /// When the provider has no such order/refund.
    #[serde(default)]
    pub not_found: Option<Cond>,
    /// Verify the reply's own signature with `[sign]`.
    #[serde(default)]
    pub verify_sign: bool,
    /// Paths (dot-separated for JSON: `data.qrcode`) of the values we read.
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub qr_code: Option<String>,
    #[serde(default)]
    pub trade_no: Option<String>,
    #[serde(default)]
    pub amount: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    /// Status value → `paid`, `waiting`, `closed`, `failed`, `refunded`, `not_found` (payments) or
    /// `success`, `processing`, `failed`, `not_found` (refunds). Unlisted values stay unknown.
    #[serde(default)]
    pub status_map: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallbackRecipe {
    /// `GET` (fields in the query string, as 易支付 sends) or `POST`. The callback route accepts
    /// both (a GET's query string is read as a form body); this documents the provider.
    #[serde(default)]
    pub http_method: HttpMethod,
    /// `form` or `json` body.
    #[serde(default)]
    pub format: Body,
    #[serde(default = "yes")]
    pub signed: bool,
    pub order_no: String,
    pub amount: String,
    #[serde(default)]
    pub trade_no: Option<String>,
    pub status: String,
    pub status_map: BTreeMap<String, String>,
    /// Field → expected value (placeholders allowed), e.g. `pid = "{pid}"`.
    #[serde(default)]
    pub check: BTreeMap<String, String>,
    /// The exact body that acknowledges (e.g. `success`).
    pub success_reply: String,
    #[serde(default = "default_fail")]
    pub failure_reply: String,
}

fn default_fail() -> String {
    "fail".into()
}

/// Words a payment status may map to.
pub const TRADE_WORDS: [&str; 6] = ["paid", "waiting", "closed", "failed", "refunded", "not_found"];
/// Words a refund status may map to.
pub const REFUND_WORDS: [&str; 4] = ["success", "processing", "failed", "not_found"];

/// Placeholders every operation can use (besides `vars` and `{secret}`).
pub const COMMON: [&str; 5] = ["order_no", "amount", "timestamp", "timestamp_ms", "nonce"];

/// Extra placeholders by operation.
pub fn op_placeholders(op: &str) -> &'static [&'static str] {
    match op {
        "create" => &["subject", "notify_url", "method", "expires_at"],
        "barcode" => &["subject", "notify_url", "method", "auth_code"],
        "refund" | "refund_query" => &["refund_no", "refund_amount", "reason", "trade_no", "notify_url"],
        "query" | "close" => &["trade_no"],
        _ => &[],
    }
}
