//! The language of every message the CLI prints: zh-CN first, English too.
//!
//! Invariant: no text meant for people is written inline in a command; each is a [`Msg`] in
//! [`catalog`], with its Chinese and English side by side and the same `{placeholders}` in both
//! (a test checks every one). The language is chosen once per run, as the app chooses it:
//! `--lang`, else the locale (`LC_ALL`, `LC_MESSAGES`, `LANG`, the first one set; `C`/`POSIX` say
//! nothing), else the home's language setting (the app's `lang` preference), else zh-CN.
//!
//! Adding a message: one line in the catalog file of its area,
//! `KEY: "中文 {value}" | "English {value}",` then `tr!(KEY, value = x)` (or `t(KEY)` when it
//! has no values).

pub(crate) mod catalog;
mod errors;

use std::sync::OnceLock;

pub(crate) use errors::{channel_error, kind_name, pay_error};
pub(crate) use paydesk_charts::Lang;

/// One message in both languages.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Msg {
    /// The message's name (the catalog's test reports problems by it).
    #[cfg_attr(not(test), allow(dead_code))]
    pub key: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
}

impl Msg {
    pub(crate) fn text(self, lang: Lang) -> &'static str {
        match lang {
            Lang::Zh => self.zh,
            Lang::En => self.en,
        }
    }
}

static LANG: OnceLock<Lang> = OnceLock::new();

/// Sets the language of this run (the first call wins).
pub(crate) fn set(lang: Lang) {
    let _ = LANG.set(lang);
}

/// The language of this run (zh-CN until chosen).
pub(crate) fn lang() -> Lang {
    LANG.get().copied().unwrap_or(Lang::Zh)
}

/// A message without values, in this run's language.
pub(crate) fn t(m: Msg) -> &'static str {
    m.text(lang())
}

/// Fills `{name}` placeholders of `text` with `args`; unknown ones stay as they are.
pub(crate) fn fill(text: &str, args: &[(&str, &dyn std::fmt::Display)]) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}').map(|close| (&after[..close], close)) {
            Some((name, close)) if args.iter().any(|(n, _)| *n == name) => {
                if let Some((_, v)) = args.iter().find(|(n, _)| *n == name) {
                    out.push_str(&v.to_string());
                }
                rest = &after[close + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `tr!(KEY, name = value, …)`: the message `KEY` of the catalog in this run's language, filled.
macro_rules! tr {
    ($key:ident $(, $name:ident = $value:expr)* $(,)?) => {
        $crate::i18n::fill($crate::i18n::t($crate::i18n::catalog::$key), &[$((stringify!($name), &$value as &dyn std::fmt::Display)),*])
    };
}
pub(crate) use tr;

/// A language tag: `zh-CN`/`zh…` or `en…` (any case); anything else is not one we speak.
pub(crate) fn parse_tag(tag: &str) -> Option<Lang> {
    let t = tag.trim().to_ascii_lowercase();
    if t.starts_with("zh") {
        Some(Lang::Zh)
    } else if t.starts_with("en") {
        Some(Lang::En)
    } else {
        None
    }
}

/// What the locale says: the first of `LC_ALL`, `LC_MESSAGES`, `LANG` that is set decides;
/// Chinese → zh-CN, `C`/`POSIX` → no preference, any other language → English.
pub(crate) fn from_locale(var: impl Fn(&str) -> Option<String>) -> Option<Lang> {
    let value = ["LC_ALL", "LC_MESSAGES", "LANG"].iter().find_map(|k| var(k).filter(|v| !v.trim().is_empty()))?;
    let base = value.split(['.', '@']).next().unwrap_or_default();
    match base {
        "C" | "POSIX" => None,
        _ => Some(parse_tag(base).unwrap_or(Lang::En)),
    }
}

/// The language of a run: `--lang`, the locale, the home's setting, else zh-CN.
pub(crate) fn choose(flag: Option<&str>, var: impl Fn(&str) -> Option<String>, home_setting: impl FnOnce() -> Option<String>) -> Result<Lang, String> {
    if let Some(f) = flag {
        return parse_tag(f).ok_or_else(|| format!("lang: {f:?} is not zh-CN or en / {f:?} 不是 zh-CN 或 en"));
    }
    Ok(from_locale(var).or_else(|| home_setting().as_deref().and_then(parse_tag)).unwrap_or(Lang::Zh))
}

/// `s` padded with spaces to `width` terminal columns (Chinese characters take two).
pub(crate) fn pad(s: &str, width: usize) -> String {
    let w = unicode_width::UnicodeWidthStr::width(s);
    format!("{s}{}", " ".repeat(width.saturating_sub(w)))
}

/// `s` right-aligned in `width` terminal columns.
pub(crate) fn pad_left(s: &str, width: usize) -> String {
    let w = unicode_width::UnicodeWidthStr::width(s);
    format!("{}{s}", " ".repeat(width.saturating_sub(w)))
}

/// A reason code's message filled with its values, with statuses, methods and kinds as words
/// (the refund-status event's `error`, when there is one, follows a dash).
pub(crate) fn reason(m: Msg, r: &paydesk_core::reason::Reason) -> String {
    let refund = r.code.starts_with("refund") || r.code.starts_with("revoke");
    let word = |k: &str, v: &str| -> String {
        match k {
            "status" if refund => v.parse().map(crate::out::refund_status_word).map_or_else(|_| v.to_string(), str::to_string),
            "status" => v.parse().map(crate::out::status_word).map_or_else(|_| v.to_string(), str::to_string),
            "method" => method_name(v),
            "kind" => errors::kind_name(v).to_string(),
            "error" if matches!(r.code.as_str(), "refund_status" | "revoke_status") && !v.is_empty() => format!(" — {v}"),
            _ => v.to_string(),
        }
    };
    let args: Vec<(&str, String)> = r.args.iter().map(|(k, v)| (k.as_str(), word(k, v))).collect();
    let refs: Vec<(&str, &dyn std::fmt::Display)> = args.iter().map(|(k, v)| (*k, v as &dyn std::fmt::Display)).collect();
    fill(m.text(lang()), &refs)
}

/// A channel or payment method by name, in this run's language (支付宝, WeChat Pay, …).
pub(crate) fn method_name(name: &str) -> String {
    lang().method(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placeholders(s: &str) -> std::collections::BTreeSet<&str> {
        s.match_indices('{').filter_map(|(i, _)| s[i + 1..].find('}').map(|j| &s[i + 1..i + 1 + j])).collect()
    }

    #[test]
    fn every_message_has_both_languages_with_the_same_values() {
        let mut keys = std::collections::HashSet::new();
        for m in catalog::all() {
            assert!(keys.insert(m.key), "{} is defined twice", m.key);
            assert!(!m.zh.trim().is_empty() && !m.en.trim().is_empty(), "{}: both languages", m.key);
            assert_eq!(placeholders(m.zh), placeholders(m.en), "{}: the same values in both languages", m.key);
            assert!(m.zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "{}: the Chinese text is Chinese: {:?}", m.key, m.zh);
        }
        assert!(keys.len() > 50, "the catalog holds the CLI's messages ({})", keys.len());
    }

    #[test]
    fn fill_replaces_named_values_only() {
        assert_eq!(fill("pay {amount} yuan for {order}", &[("amount", &"12.34"), ("order", &"P1")]), "pay 12.34 yuan for P1");
        assert_eq!(fill("{a} {b} {{x}", &[("a", &1)]), "1 {b} {{x}");
        assert_eq!(fill("请扫码支付 {amount} 元", &[("amount", &"5.00")]), "请扫码支付 5.00 元");
    }

    #[test]
    fn the_language_is_the_flag_then_the_locale_then_the_home() {
        let env = |pairs: &'static [(&'static str, &'static str)]| move |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string());
        let none = || None;
        assert_eq!(choose(Some("en"), env(&[("LANG", "zh_CN.UTF-8")]), none), Ok(Lang::En));
        assert_eq!(choose(Some("zh-CN"), env(&[]), none), Ok(Lang::Zh));
        assert!(choose(Some("fr"), env(&[]), none).is_err());
        assert_eq!(choose(None, env(&[("LANG", "zh_CN.UTF-8")]), || Some("en".into())), Ok(Lang::Zh));
        assert_eq!(choose(None, env(&[("LANG", "en_US.UTF-8")]), none), Ok(Lang::En));
        // LC_ALL before LC_MESSAGES before LANG.
        assert_eq!(choose(None, env(&[("LC_ALL", "en_GB.UTF-8"), ("LANG", "zh_CN.UTF-8")]), none), Ok(Lang::En));
        assert_eq!(choose(None, env(&[("LC_MESSAGES", "zh_TW"), ("LANG", "en_US")]), none), Ok(Lang::Zh));
        // Another language: English, the one we speak that is likelier understood.
        assert_eq!(choose(None, env(&[("LANG", "de_DE.UTF-8")]), || Some("zh-CN".into())), Ok(Lang::En));
        // The C locale says nothing: the home's setting decides, else zh-CN.
        assert_eq!(choose(None, env(&[("LANG", "C.UTF-8")]), || Some("en".into())), Ok(Lang::En));
        assert_eq!(choose(None, env(&[("LANG", "C.UTF-8")]), none), Ok(Lang::Zh));
        assert_eq!(choose(None, env(&[]), none), Ok(Lang::Zh));
    }

    #[test]
    fn padding_counts_terminal_columns() {
        assert_eq!(pad("支付宝", 8), "支付宝  ");
        assert_eq!(pad_left("ok", 4), "  ok");
        assert_eq!(pad("toolong", 3), "toolong");
    }
}
