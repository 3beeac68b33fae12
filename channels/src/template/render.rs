//! Placeholders in request values (`{order_no}`), and reading values out of replies and
//! callbacks by path (`data.qrcode` in JSON; a field name in a form; `body` for a text reply).

use std::collections::BTreeMap;

use paydesk_core::Money;

use super::recipe::{AmountFormat, ReplyFormat};

/// The `{name}` placeholders in a value (`name` = `[a-z0-9_]+`; other braces are literal).
pub fn placeholders(value: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = value;
    while let Some(i) = rest.find('{') {
        let after = &rest[i + 1..];
        match after.find('}') {
            Some(j) if j > 0 && after[..j].bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') => {
                out.push(&after[..j]);
                rest = &after[j + 1..];
            }
            _ => rest = after,
        }
    }
    out
}

/// Replaces placeholders with their values (unknown ones are left as they are: `load` refused
/// them already).
pub fn render(value: &str, vals: &BTreeMap<String, String>) -> String {
    let mut out = value.to_string();
    for p in placeholders(value) {
        if let Some(v) = vals.get(p) {
            out = out.replacen(&format!("{{{p}}}"), v, 1);
        }
    }
    out
}

pub fn format_amount(m: Money, f: AmountFormat) -> String {
    match f {
        AmountFormat::Yuan => m.to_string(),
        AmountFormat::Fen => m.fen().to_string(),
    }
}

pub fn parse_amount(s: &str, f: AmountFormat) -> Option<Money> {
    match f {
        AmountFormat::Yuan => Money::parse_yuan(s.trim()).ok(),
        AmountFormat::Fen => s.trim().parse::<i64>().ok().and_then(|v| Money::from_fen(v).ok()),
    }
}

/// A parsed reply or callback, read by path.
#[derive(Debug, Clone)]
pub enum Doc {
    Json(serde_json::Value),
    Form(Vec<(String, String)>),
    Text(String),
}

impl Doc {
    pub fn parse(body: &[u8], format: ReplyFormat) -> Result<Doc, String> {
        match format {
            ReplyFormat::Json => serde_json::from_slice(body).map(Doc::Json).map_err(|e| format!("the reply is not JSON: {e}")),
            ReplyFormat::Form => crate::alipay::notify::parse_form(body, None).map(Doc::Form),
            ReplyFormat::Text => String::from_utf8(body.to_vec()).map(|t| Doc::Text(t.trim().to_string())).map_err(|_| "the reply is not UTF-8 text".to_string()),
        }
    }

    /// The value at `path` as text (JSON numbers and booleans as written; objects are not values).
    /// `a|b` tries `a`, then `b`.
    pub fn get(&self, path: &str) -> Option<String> {
        if path.contains('|') {
            return path.split('|').find_map(|p| self.get(p.trim()).filter(|v| !v.is_empty()));
        }
        match self {
            Doc::Json(v) => {
                let mut cur = v;
                for part in path.split('.') {
                    cur = match cur {
                        serde_json::Value::Object(m) => m.get(part)?,
                        serde_json::Value::Array(a) => a.get(part.parse::<usize>().ok()?)?,
                        _ => return None,
                    };
                }
                match cur {
                    serde_json::Value::String(s) => Some(s.clone()),
                    serde_json::Value::Number(n) => Some(n.to_string()),
                    serde_json::Value::Bool(b) => Some(b.to_string()),
                    _ => None,
                }
            }
            Doc::Form(f) => f.iter().find(|(k, _)| k == path).map(|(_, v)| v.clone()),
            Doc::Text(t) => (path == "body").then(|| t.clone()),
        }
    }

    /// The top-level scalar fields (what a signature covers).
    pub fn flat(&self) -> Vec<(String, String)> {
        match self {
            Doc::Json(serde_json::Value::Object(m)) => m
                .iter()
                .filter_map(|(k, v)| match v {
                    serde_json::Value::String(s) => Some((k.clone(), s.clone())),
                    serde_json::Value::Number(n) => Some((k.clone(), n.to_string())),
                    serde_json::Value::Bool(b) => Some((k.clone(), b.to_string())),
                    _ => None,
                })
                .collect(),
            Doc::Form(f) => f.clone(),
            Doc::Json(_) | Doc::Text(_) => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_and_render() {
        assert_eq!(placeholders("{pid}-{order_no}{x-y}{}{A}"), vec!["pid", "order_no"]);
        let mut v = BTreeMap::new();
        v.insert("pid".to_string(), "1001".to_string());
        assert_eq!(render("pid={pid}&{other}", &v), "pid=1001&{other}");
        assert_eq!(render("{\"a\":1}", &v), "{\"a\":1}");
    }

    #[test]
    fn amounts() {
        let m = Money::from_fen(1230).unwrap();
        assert_eq!(format_amount(m, AmountFormat::Yuan), "12.30");
        assert_eq!(format_amount(m, AmountFormat::Fen), "1230");
        assert_eq!(parse_amount("12.30", AmountFormat::Yuan), Some(m));
        assert_eq!(parse_amount("12.301", AmountFormat::Yuan), None);
        assert_eq!(parse_amount("1230", AmountFormat::Fen), Some(m));
        assert_eq!(parse_amount("12.3", AmountFormat::Fen), None);
    }

    #[test]
    fn paths() {
        let d = Doc::parse(br#"{"code":1,"data":{"qrcode":"weixin://x","list":[{"n":"a"}]},"ok":true,"obj":{}}"#, ReplyFormat::Json).unwrap();
        assert_eq!(d.get("code").as_deref(), Some("1"));
        assert_eq!(d.get("data.qrcode").as_deref(), Some("weixin://x"));
        assert_eq!(d.get("data.list.0.n").as_deref(), Some("a"));
        assert_eq!(d.get("ok").as_deref(), Some("true"));
        assert_eq!(d.get("obj"), None);
        assert_eq!(d.get("missing.path"), None);
        assert_eq!(d.get("payurl|data.qrcode").as_deref(), Some("weixin://x"));
        assert_eq!(d.flat().len(), 2);
        let f = Doc::parse(b"a=1&b=%E4%B8%AD", ReplyFormat::Form).unwrap();
        assert_eq!(f.get("b").as_deref(), Some("中"));
        assert_eq!(Doc::parse(b" success\n", ReplyFormat::Text).unwrap().get("body").as_deref(), Some("success"));
        assert!(Doc::parse(b"<html>", ReplyFormat::Json).is_err());
    }
}
