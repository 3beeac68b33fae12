//! The one error type of every command, serialised as `{code, message}`; `ui/src/backend/errors.ts`
//! mirrors the codes the UI acts on. Internal details (database errors) are logged, not returned.

use paydesk_core::auth::AuthError;
use paydesk_core::channel::ChannelError;
use paydesk_core::payments::PayError;
use paydesk_core::sale::SaleBusy;
use paydesk_core::store::StoreError;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{code}: {message}")]
pub struct AppError {
    /// Stable code: `invalid`, `not_found`, `conflict`, `not_logged_in`, `session_expired`,
    /// `reauth_required`, `forbidden`, `bad_pin`, `locked`, `sale_in_progress`, `no_account`, `limit`, `storage`, `internal`, or a channel code
    /// (`rejected`, `timeout`, `unreachable`, …).
    pub code: String,
    pub message: String,
    /// Structured facts for codes the UI words itself (`limit`: scope, who, what, limit, used;
    /// `locked`: until).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
}

pub type CmdResult<T> = Result<T, AppError>;

impl AppError {
    pub fn new(code: &str, message: impl Into<String>) -> AppError {
        AppError { code: code.to_string(), message: message.into(), details: None }
    }

    pub fn invalid(field: &str, message: &str) -> AppError {
        AppError { details: Some(serde_json::json!({"field": field})), ..AppError::new("invalid", format!("{field}: {message}")) }
    }

    fn storage(detail: &dyn std::fmt::Display) -> AppError {
        tracing::error!("storage error: {detail}");
        AppError::new("storage", "the book could not be read or written; see the log")
    }
}

impl From<PayError> for AppError {
    fn from(e: PayError) -> Self {
        // The facts the screen words in its own language (the message stays for the log).
        let with = |details: serde_json::Value| AppError { details: Some(details), ..AppError::new(e.code(), e.to_string()) };
        match &e {
            PayError::Store(inner) => AppError::storage(inner),
            PayError::Limit(l) => AppError { details: serde_json::to_value(l).ok(), ..AppError::new(e.code(), e.to_string()) },
            PayError::Invalid { field, message } => AppError::invalid(field, message),
            PayError::NoAccount { method, kind, .. } => with(serde_json::json!({"method": method.as_str(), "kind": kind})),
            PayError::Unsettled { order_no, .. } => with(serde_json::json!({"order_no": order_no.as_str()})),
            // What the channel itself said (its own words, Chinese for China's channels).
            PayError::Channel(ChannelError::Rejected { channel, code, message } | ChannelError::Unavailable { channel, code, message }) => {
                with(serde_json::json!({"channel": channel, "channel_code": code, "channel_message": message}))
            }
            _ => AppError::new(e.code(), e.to_string()),
        }
    }
}

impl From<AuthError> for AppError {
    fn from(e: AuthError) -> Self {
        match &e {
            AuthError::Store(inner) => AppError::from_store(inner),
            AuthError::Locked { until } => AppError { code: e.code().into(), message: e.to_string(), details: Some(serde_json::json!({"until": until})) },
            _ => AppError::new(e.code(), e.to_string()),
        }
    }
}

impl AppError {
    fn from_store(e: &StoreError) -> AppError {
        match e {
            StoreError::NotFound { .. } => AppError::new("not_found", e.to_string()),
            StoreError::Conflict(m) => AppError::new("conflict", m.clone()),
            _ => AppError::storage(e),
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        AppError::from_store(&e)
    }
}

impl From<SaleBusy> for AppError {
    fn from(e: SaleBusy) -> Self {
        AppError::new("sale_in_progress", e.to_string())
    }
}

impl From<paydesk_core::money::MoneyError> for AppError {
    /// The problem as a code too (`details.problem`, with `max` for a too large amount), so the
    /// screen words it in its language.
    fn from(e: paydesk_core::money::MoneyError) -> Self {
        let mut details = serde_json::json!({"field": "amount", "problem": format!("amount.{}", e.code())});
        if let paydesk_core::money::MoneyError::TooLarge { max, .. } = &e {
            details["max"] = serde_json::json!(max.to_string());
        }
        AppError { details: Some(details), ..AppError::new("invalid", format!("amount: {e}")) }
    }
}

impl From<paydesk_core::config::ConfigError> for AppError {
    fn from(e: paydesk_core::config::ConfigError) -> Self {
        AppError::new("invalid", e.to_string())
    }
}

impl From<paydesk_core::account::AccountError> for AppError {
    fn from(e: paydesk_core::account::AccountError) -> Self {
        AppError::new("invalid", e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use paydesk_core::auth::Role;

    #[test]
    fn serialises_as_code_and_message() {
        let e: AppError = AuthError::Forbidden { role: Role::Cashier, action: "refund" }.into();
        assert_eq!(serde_json::to_value(&e).unwrap(), serde_json::json!({"code": "forbidden", "message": "a cashier may not refund"}));
        let e: AppError = PayError::Channel(ChannelError::Timeout { channel: "alipay".into() }).into();
        assert_eq!((e.code.as_str(), e.message.as_str()), ("timeout", "alipay did not answer in time"));
        let e: AppError = SaleBusy::Starting.into();
        assert_eq!(e.code, "sale_in_progress");
        assert!(!serde_json::to_value(&e).unwrap().as_object().unwrap().contains_key("details"));
        let limit = paydesk_core::routing::limits::LimitExceeded {
            scope: paydesk_core::routing::limits::Scope::Cashier("王芳".into()),
            what: "amount",
            limit: 500_000,
            used: 499_000,
            amount: paydesk_core::Money::from_fen(2000).unwrap(),
        };
        let v = serde_json::to_value(AppError::from(PayError::Limit(limit))).unwrap();
        assert_eq!(v["code"], "limit");
        assert_eq!((v["details"]["scope"].as_str(), v["details"]["who"].as_str(), v["details"]["limit"].as_i64()), (Some("cashier"), Some("王芳"), Some(500_000)));
    }

    #[test]
    fn payment_errors_carry_what_the_screen_words() {
        let e: AppError = PayError::Invalid { field: "amount", message: "must be greater than zero".into() }.into();
        assert_eq!((e.code.as_str(), e.details), ("invalid", Some(serde_json::json!({"field": "amount"}))));
        let e: AppError = PayError::NoAccount { method: paydesk_core::Method::Alipay, kind: "qr", detail: String::new() }.into();
        assert_eq!(e.details, Some(serde_json::json!({"method": "alipay", "kind": "qr"})));
        let e: AppError = PayError::Channel(ChannelError::Rejected { channel: "alipay".into(), code: "ACQ.TRADE_HAS_CLOSE".into(), message: "交易已经关闭".into() }).into();
        assert_eq!((e.code.as_str(), e.details.as_ref().unwrap()["channel_message"].as_str()), ("rejected", Some("交易已经关闭")));
        let e: AppError = paydesk_core::Money::parse_payment("12.345", paydesk_core::Money::from_fen(100_000).unwrap()).unwrap_err().into();
        assert_eq!(e.details, Some(serde_json::json!({"field": "amount", "problem": "amount.too_precise"})));
        let e: AppError = paydesk_core::Money::parse_payment("5000", paydesk_core::Money::from_fen(100_000).unwrap()).unwrap_err().into();
        assert_eq!(e.details, Some(serde_json::json!({"field": "amount", "problem": "amount.too_large", "max": "1000.00"})));
    }

    #[test]
    fn storage_details_stay_in_the_log() {
        let e: AppError = StoreError::Migration("disk /secret/path full".into()).into();
        assert_eq!(e.code, "storage");
        assert!(!e.message.contains("/secret/path"));
        let e: AppError = StoreError::NotFound { what: "order", id: "P1".into() }.into();
        assert_eq!(e.code, "not_found");
    }
}
