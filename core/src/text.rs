//! Short texts people type or clients send — subjects, refund reasons, notes, operator labels —
//! and how any text from the book is shown again.
//!
//! Invariant: a [`SafeText`] holds no control character (C0, DEL, C1) and no bidirectional
//! formatting character (embeddings, overrides, isolates, marks), so it cannot rewrite a
//! terminal line, hide a formula behind a line break, or show one thing while storing another
//! (`U+202E` turning `exe.txt` into `txt.exe`). It is checked once, at the core boundary, and the
//! error names the field. Text that reached the book before (or from a channel) is shown through
//! [`escape`], which makes those characters visible instead of obeying them.

use std::borrow::Cow;
use std::fmt;

/// A validated short text.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SafeText(String);

/// Why a text was refused; names the field.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct TextError {
    pub field: &'static str,
    pub problem: String,
}

/// True for the characters a [`SafeText`] may not hold.
pub fn is_forbidden(c: char) -> bool {
    c.is_control() || is_bidi(c)
}

/// Bidirectional formatting: LRE, RLE, PDF, LRO, RLO (U+202A–E), LRI, RLI, FSI, PDI
/// (U+2066–9), and the marks LRM, RLM (U+200E–F) and ALM (U+061C).
pub fn is_bidi(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

impl SafeText {
    /// Checks `s` (trimmed of surrounding spaces) for `field`: at most `max_chars` characters,
    /// none of them control or bidi formatting characters.
    pub fn parse(field: &'static str, s: &str, max_chars: usize) -> Result<SafeText, TextError> {
        let s = s.trim_matches(' ');
        if let Some(c) = s.chars().find(|c| is_forbidden(*c)) {
            let what = if is_bidi(c) { "a bidirectional formatting character" } else { "a control character" };
            return Err(TextError { field, problem: format!("contains {what} (U+{:04X}); use plain text on one line", u32::from(c)) });
        }
        if s.chars().count() > max_chars {
            return Err(TextError { field, problem: format!("must be at most {max_chars} characters") });
        }
        Ok(SafeText(s.to_string()))
    }

    /// An optional text: `None` and blank stay `None`.
    pub fn parse_opt(field: &'static str, s: Option<&str>, max_chars: usize) -> Result<Option<SafeText>, TextError> {
        match s.map(|s| s.trim_matches(' ')).filter(|s| !s.is_empty()) {
            Some(s) => SafeText::parse(field, s, max_chars).map(Some),
            None => Ok(None),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for SafeText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for SafeText {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// `s` for a terminal, a printout or a log line: control and bidi formatting characters are
/// written as `\u{202E}` instead of acting. Borrowed when there is nothing to escape.
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_forbidden) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(s.chars().map(|c| if is_forbidden(c) { format!("\\u{{{:04X}}}", u32::from(c)) } else { c.to_string() }).collect())
}

/// [`escape`] for multi-line output (a terminal report): line breaks stay, everything else that
/// would act is made visible.
pub fn escape_lines(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c != '\n' && is_forbidden(c)) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(s.split('\n').map(escape).collect::<Vec<_>>().join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_controls_and_bidi_naming_the_field() {
        assert_eq!(SafeText::parse("subject", " 拿铁 大杯 ", 10).unwrap().as_str(), "拿铁 大杯");
        for (bad, code) in [("a\u{202E}gpj.exe", "U+202E"), ("line\nbreak", "U+000A"), ("tab\there", "U+0009"), ("bell\u{7}", "U+0007"), ("c1\u{85}", "U+0085"), ("del\u{7F}", "U+007F"), ("iso\u{2067}x", "U+2067"), ("mark\u{200F}", "U+200F")] {
            let e = SafeText::parse("reason", bad, 100).unwrap_err();
            assert_eq!(e.field, "reason");
            assert!(e.to_string().starts_with("reason: contains") && e.to_string().contains(code), "{e}");
        }
        assert_eq!(SafeText::parse("subject", "长长长", 2).unwrap_err().to_string(), "subject: must be at most 2 characters");
        assert_eq!(SafeText::parse_opt("operator", Some("  "), 5).unwrap(), None);
        assert_eq!(SafeText::parse_opt("operator", None, 5).unwrap(), None);
        // Arabic and Hebrew text itself is fine: only the formatting characters are refused.
        assert!(SafeText::parse("subject", "قهوة קפה", 20).is_ok());
    }

    #[test]
    fn escapes_for_output() {
        assert!(matches!(escape("拿铁"), Cow::Borrowed("拿铁")));
        assert_eq!(escape("evil\u{202E}txt.exe\x1b[2J"), "evil\\u{202E}txt.exe\\u{001B}[2J");
        assert_eq!(escape_lines("a\u{7}\nb\u{2066}"), "a\\u{0007}\nb\\u{2066}");
        assert!(matches!(escape_lines("a\nb"), Cow::Borrowed(_)));
    }
}
