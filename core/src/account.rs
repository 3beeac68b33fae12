//! Channel accounts: which merchant account of which channel, with routing and fee settings.
//!
//! Accounts come from a TOML file (`paydesk accounts import FILE`, format in
//! docs/configuration.md). Key material is referenced by file path in `params`; the book stores
//! the reference, never the key.

use serde::{Deserialize, Serialize};

use crate::money::Money;
use crate::order::Method;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountConfig {
    /// Unique name, used on the command line and in callback URLs: `[a-z0-9-]`, 1–40 chars.
    pub name: String,
    /// Channel kind: `sandbox`, `alipay`, `wechat`, `unionpay`, …
    pub channel: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Lower is tried first (1 = first choice).
    #[serde(default = "default_priority")]
    pub priority: i32,
    /// Share among accounts of equal priority.
    #[serde(default = "default_weight")]
    pub weight: u32,
    /// Fee in basis points of the amount (38 = 0.38 %).
    #[serde(default)]
    pub fee_rate_bp: u32,
    /// Most this account may take per day, yuan, e.g. "50000.00".
    #[serde(default, with = "opt_money")]
    pub daily_cap: Option<Money>,
    /// Payer methods served; empty = the channel's own.
    #[serde(default)]
    pub methods: Vec<Method>,
    /// Overrides the channel's API base URL (production, sandbox, or the simulator).
    #[serde(default)]
    pub base_url: Option<String>,
    /// Channel-specific settings (ids, key file paths). See docs/configuration.md.
    #[serde(default)]
    pub params: toml::Table,
    /// If not empty, callbacks for this account are accepted only from these addresses
    /// (IPv4/IPv6 addresses or IPv4 CIDR blocks like `110.75.0.0/16`).
    #[serde(default)]
    pub callback_allow: Vec<String>,
    /// On a shop's shared book: the account's key files sealed under the shop key, per parameter,
    /// so that every till holding the shop key can use the account (written by Paydesk, see
    /// docs/multi-till.md; empty on a single till).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub carried_keys: std::collections::BTreeMap<String, String>,
}

/// Whether `ip` is allowed by an allowlist (empty = everyone).
pub fn ip_allowed(allow: &[String], ip: std::net::IpAddr) -> bool {
    if allow.is_empty() {
        return true;
    }
    allow.iter().any(|rule| match rule.split_once('/') {
        None => rule.parse::<std::net::IpAddr>().is_ok_and(|r| r == ip),
        Some((net, bits)) => match (net.parse::<std::net::Ipv4Addr>(), bits.parse::<u32>(), ip) {
            (Ok(net), Ok(bits), std::net::IpAddr::V4(ip)) if bits <= 32 => {
                let mask = if bits == 0 { 0 } else { u32::MAX << (32 - bits) };
                u32::from(net) & mask == u32::from(ip) & mask
            }
            _ => false,
        },
    })
}

fn yes() -> bool {
    true
}
fn default_priority() -> i32 {
    10
}
fn default_weight() -> u32 {
    1
}

pub(crate) mod opt_money {
    use super::Money;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(v: &Option<Money>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(m) => s.serialize_str(&m.to_string()),
            None => s.serialize_none(),
        }
    }
    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Money>, D::Error> {
        let s: Option<String> = Option::deserialize(d)?;
        s.map(|s| Money::parse_yuan(&s).map_err(serde::de::Error::custom)).transpose()
    }
}

/// What changed between two versions of an account, for the audit log: `priority 10 → 1`.
/// Parameter values are not shown (they name key files); only which parameters changed.
pub fn describe_changes(old: &AccountConfig, new: &AccountConfig) -> Vec<String> {
    let mut out = Vec::new();
    let mut diff = |field: &str, a: String, b: String| {
        if a != b {
            out.push(format!("{field} {a} → {b}"));
        }
    };
    let cap = |c: Option<Money>| c.map_or_else(|| "none".to_string(), |m| m.to_string());
    let list = |v: &[Method]| if v.is_empty() { "channel's own".to_string() } else { v.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(",") };
    diff("enabled", old.enabled.to_string(), new.enabled.to_string());
    diff("priority", old.priority.to_string(), new.priority.to_string());
    diff("weight", old.weight.to_string(), new.weight.to_string());
    diff("fee_rate_bp", old.fee_rate_bp.to_string(), new.fee_rate_bp.to_string());
    diff("daily_cap", cap(old.daily_cap), cap(new.daily_cap));
    diff("channel", old.channel.clone(), new.channel.clone());
    diff("display_name", format!("{:?}", old.display_name), format!("{:?}", new.display_name));
    diff("methods", list(&old.methods), list(&new.methods));
    diff("base_url", old.base_url.clone().unwrap_or_else(|| "default".into()), new.base_url.clone().unwrap_or_else(|| "default".into()));
    diff("callback_allow", old.callback_allow.join(","), new.callback_allow.join(","));
    let mut keys: Vec<&String> = old.params.keys().chain(new.params.keys()).collect();
    keys.sort();
    keys.dedup();
    let changed: Vec<&str> = keys.into_iter().filter(|k| old.params.get(*k) != new.params.get(*k)).map(String::as_str).collect();
    if !changed.is_empty() {
        out.push(format!("params changed: {}", changed.join(", ")));
    }
    out
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountsFile {
    #[serde(default, rename = "account")]
    pub accounts: Vec<AccountConfig>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    #[error("accounts file: {0}")]
    Parse(String),
    #[error("account {name:?}: {field}: {problem}")]
    Invalid { name: String, field: &'static str, problem: String },
}

impl AccountConfig {
    /// Checks the fields every channel shares; channel factories check `params`.
    pub fn validate(&self) -> Result<(), AccountError> {
        let bad = |field, problem: &str| AccountError::Invalid { name: self.name.clone(), field, problem: problem.into() };
        let name_ok = (1..=40).contains(&self.name.len())
            && self.name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !name_ok {
            return Err(bad("name", "use 1 to 40 characters of a-z, 0-9 and -"));
        }
        if self.channel.is_empty() {
            return Err(bad("channel", "is required"));
        }
        if let Some(m) = self.methods.iter().find(|m| m.is_tender()) {
            return Err(bad("methods", &format!("{m} is recorded at the till, never through an account")));
        }
        // Shown on the cashier's screen, in lists and printouts: plain text on one line.
        crate::text::SafeText::parse("display_name", &self.display_name, 64).map_err(|e| bad("display_name", &e.problem))?;
        if self.fee_rate_bp > 10_000 {
            return Err(bad("fee_rate_bp", "must be at most 10000 (100 %)"));
        }
        if self.weight == 0 {
            return Err(bad("weight", "must be at least 1"));
        }
        for rule in &self.callback_allow {
            let ok = match rule.split_once('/') {
                None => rule.parse::<std::net::IpAddr>().is_ok(),
                Some((net, bits)) => net.parse::<std::net::Ipv4Addr>().is_ok() && bits.parse::<u32>().is_ok_and(|b| b <= 32),
            };
            if !ok {
                return Err(bad("callback_allow", "entries must be IP addresses or IPv4 CIDR blocks like 110.75.0.0/16"));
            }
        }
        if let Some(url) = &self.base_url {
            crate::url::https_or_loopback(url).map_err(|e| bad("base_url", e.0))?;
        }
        Ok(())
    }

    /// A string parameter, or an error naming it.
    pub fn param_str(&self, key: &'static str) -> Result<&str, AccountError> {
        match self.params.get(key) {
            Some(toml::Value::String(s)) if !s.trim().is_empty() => Ok(s),
            Some(_) => Err(AccountError::Invalid { name: self.name.clone(), field: key, problem: "must be a non-empty string".into() }),
            None => Err(AccountError::Invalid { name: self.name.clone(), field: key, problem: "is required".into() }),
        }
    }

    pub fn param_opt(&self, key: &str) -> Option<&str> {
        self.params.get(key).and_then(|v| v.as_str()).filter(|s| !s.trim().is_empty())
    }
}

impl AccountsFile {
    /// Parses and validates a whole file; nothing is accepted if any account is bad.
    pub fn parse(text: &str) -> Result<AccountsFile, AccountError> {
        let file: AccountsFile = toml::from_str(text).map_err(|e| AccountError::Parse(e.to_string()))?;
        let mut seen = std::collections::HashSet::new();
        for a in &file.accounts {
            a.validate()?;
            if !seen.insert(a.name.as_str()) {
                return Err(AccountError::Invalid { name: a.name.clone(), field: "name", problem: "appears twice".into() });
            }
        }
        Ok(file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_validates() {
        let f = AccountsFile::parse(
            r#"
            [[account]]
            name = "ali-main"
            channel = "alipay"
            fee_rate_bp = 38
            daily_cap = "50000.00"
            methods = ["alipay"]
            [account.params]
            app_id = "2021000122671080"
            "#,
        )
        .unwrap();
        let a = &f.accounts[0];
        assert_eq!(a.priority, 10);
        assert!(a.enabled);
        assert_eq!(a.daily_cap.unwrap().fen(), 5_000_000);
        assert_eq!(a.param_str("app_id").unwrap(), "2021000122671080");
        let e = a.param_str("private_key_file").unwrap_err();
        assert!(e.to_string().contains("private_key_file"), "{e}");
    }

    #[test]
    fn describes_changes_old_to_new_without_param_values() {
        let old: AccountConfig = toml::from_str("name = \"a\"\nchannel = \"alipay\"\n[params]\nprivate_key_file = \"k1.pem\"\napp_id = \"1\"").unwrap();
        let mut new = old.clone();
        assert!(describe_changes(&old, &new).is_empty());
        new.priority = 1;
        new.weight = 3;
        new.daily_cap = Some(Money::parse_yuan("5000").unwrap());
        new.enabled = false;
        new.params.insert("private_key_file".into(), toml::Value::String("k2.pem".into()));
        let c = describe_changes(&old, &new);
        assert_eq!(c, ["enabled true → false", "priority 10 → 1", "weight 1 → 3", "daily_cap none → 5000.00", "params changed: private_key_file"]);
        assert!(!c.join(" ").contains("k2.pem"));
    }

    #[test]
    fn allowlists() {
        let allow = vec!["110.75.0.0/16".to_string(), "127.0.0.1".to_string()];
        assert!(ip_allowed(&allow, "110.75.3.4".parse().unwrap()));
        assert!(ip_allowed(&allow, "127.0.0.1".parse().unwrap()));
        assert!(!ip_allowed(&allow, "110.76.0.1".parse().unwrap()));
        assert!(!ip_allowed(&allow, "::1".parse().unwrap()));
        assert!(ip_allowed(&[], "8.8.8.8".parse().unwrap()));
    }

    #[test]
    fn refuses_bad_accounts_naming_the_field() {
        let cases = [
            ("name = \"Bad Name\"\nchannel = \"x\"", "name"),
            ("name = \"a\"\nchannel = \"x\"\nfee_rate_bp = 20000", "fee_rate_bp"),
            ("name = \"a\"\nchannel = \"x\"\nbase_url = \"http://example.com\"", "base_url"),
            ("name = \"a\"\nchannel = \"x\"\ndaily_cap = \"1.234\"", "daily_cap"),
            ("name = \"a\"\nchannel = \"x\"\nsecret = \"s\"", "secret"),
            ("name = \"a\"\nchannel = \"x\"\ncallback_allow = [\"10.0.0.0/40\"]", "callback_allow"),
            ("name = \"a\"\nchannel = \"x\"\ndisplay_name = \"支付宝\\u202Etxt.exe\"", "display_name: contains a bidirectional"),
            ("name = \"a\"\nchannel = \"x\"\ndisplay_name = \"门店\\n=1+1\"", "display_name: contains a control character"),
        ];
        for (body, field) in cases {
            let err = AccountsFile::parse(&format!("[[account]]\n{body}\n")).unwrap_err().to_string();
            assert!(err.contains(field), "{body}: {err}");
        }
        let dup = "[[account]]\nname=\"a\"\nchannel=\"x\"\n[[account]]\nname=\"a\"\nchannel=\"y\"\n";
        assert!(AccountsFile::parse(dup).unwrap_err().to_string().contains("twice"));
    }
}
