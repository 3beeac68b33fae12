//! What goes over the wire to UnionPay ACP 5.1.0 (protocols.md §4.1, §4.4): transaction codes,
//! the fixed request fields, and the reply format — a `k=v&k=v` string whose values are **not**
//! URL-encoded and may hold `{…&…}` groups, split with a brace-aware reader like the ACP SDK's
//! `parseQString`.

/// Field list as sent or received, in order.
pub type Fields = Vec<(String, String)>;

pub const VERSION: &str = "5.1.0";
pub const ENCODING: &str = "UTF-8";
/// RSA + SHA-256 with a certificate id.
pub const SIGN_METHOD: &str = "01";
/// The QR (Cloud QuickPass) product.
pub const BIZ_TYPE: &str = "000000";
/// Mobile.
pub const CHANNEL_TYPE: &str = "08";
/// A directly connected merchant.
pub const ACCESS_TYPE: &str = "0";
pub const CURRENCY_CNY: &str = "156";

/// Back-end transactions (apply QR, barcode, cancel, refund, reversal).
pub const BACK_PATH: &str = "/gateway/api/backTransReq.do";
/// Single-transaction query.
pub const QUERY_PATH: &str = "/gateway/api/queryTrans.do";

/// One kind of ACP transaction: (txnType, txnSubType).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Txn {
    pub txn_type: &'static str,
    pub txn_sub_type: &'static str,
    /// Short name for errors, logs and simulator faults.
    pub name: &'static str,
}

/// C-scans-B: apply for a QR code.
pub const APPLY_QR: Txn = Txn { txn_type: "01", txn_sub_type: "07", name: "apply_qr" };
/// B-scans-C: charge the payer's code (`qrNo`).
pub const BARCODE: Txn = Txn { txn_type: "01", txn_sub_type: "06", name: "barcode" };
pub const QUERY: Txn = Txn { txn_type: "00", txn_sub_type: "00", name: "query" };
/// Same-day revoke of a consumption (消费撤销).
pub const CANCEL: Txn = Txn { txn_type: "31", txn_sub_type: "00", name: "cancel" };
/// Refund (退货).
pub const REFUND: Txn = Txn { txn_type: "04", txn_sub_type: "00", name: "refund" };
/// Reversal of a barcode payment whose outcome is unknown (冲正).
pub const REVERSAL: Txn = Txn { txn_type: "99", txn_sub_type: "01", name: "reversal" };
/// Statement file download.
pub const FILE: Txn = Txn { txn_type: "76", txn_sub_type: "01", name: "file" };

pub const ALL: [Txn; 7] = [APPLY_QR, BARCODE, QUERY, CANCEL, REFUND, REVERSAL, FILE];

/// The transaction a request or reply is, by its codes.
pub fn txn_of(txn_type: &str, txn_sub_type: &str) -> Option<Txn> {
    ALL.into_iter().find(|t| t.txn_type == txn_type && t.txn_sub_type == txn_sub_type)
}

/// Splits a reply `k=v&k=v` where values may contain `{…}` groups holding `&` and `=`.
/// Errors on a field without `=`, unbalanced braces, or a repeated name.
pub fn parse_reply(text: &str) -> Result<Fields, String> {
    let text = text.trim_end_matches(['\r', '\n']);
    let mut out: Fields = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    let bytes = text.as_bytes();
    let mut push = |part: &str| -> Result<(), String> {
        if part.is_empty() {
            return Ok(());
        }
        let (k, v) = part.split_once('=').ok_or_else(|| format!("field {:?} has no '='", part.chars().take(20).collect::<String>()))?;
        if k.is_empty() {
            return Err("a field has an empty name".into());
        }
        if out.iter().any(|(e, _)| e == k) {
            return Err(format!("field {k:?} appears twice"));
        }
        out.push((k.to_string(), v.to_string()));
        Ok(())
    };
    for (i, b) in bytes.iter().enumerate() {
        match b {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth < 0 {
                    return Err("unbalanced '}'".into());
                }
            }
            b'&' if depth == 0 => {
                push(&text[start..i])?;
                start = i + 1;
            }
            _ => {}
        }
    }
    if depth != 0 {
        return Err("unbalanced '{'".into());
    }
    push(&text[start..])?;
    Ok(out)
}

/// A field's value (None when absent or blank).
pub fn get<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).filter(|v| !v.trim().is_empty())
}

/// Borrowed pairs, for signing and verification.
pub fn pairs(fields: &[(String, String)]) -> impl Iterator<Item = (&str, &str)> + Clone {
    fields.iter().map(|(k, v)| (k.as_str(), v.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_parser_keeps_braced_groups_whole() {
        let f = parse_reply("respCode=00&tokenPayData={token=abc&trId=62&x={a=1&b=2}}&respMsg=成功[0000000]&empty=\r\n").unwrap();
        assert_eq!(get(&f, "tokenPayData"), Some("{token=abc&trId=62&x={a=1&b=2}}"));
        assert_eq!(get(&f, "respMsg"), Some("成功[0000000]"));
        assert_eq!(get(&f, "empty"), None);
        assert_eq!(f.len(), 4);
        // Base64 values keep their '=' padding: only the first '=' separates.
        let f = parse_reply("signature=ab+/cd==&certId=1").unwrap();
        assert_eq!(get(&f, "signature"), Some("ab+/cd=="));
    }

    #[test]
    fn reply_parser_refuses_malformed_text() {
        assert!(parse_reply("a=1&b").unwrap_err().contains("no '='"));
        assert!(parse_reply("a={x=1&b=2").unwrap_err().contains("unbalanced"));
        assert!(parse_reply("a=}").unwrap_err().contains("unbalanced"));
        assert!(parse_reply("a=1&a=2").unwrap_err().contains("twice"));
        assert!(parse_reply("=1").unwrap_err().contains("empty name"));
        assert_eq!(parse_reply("").unwrap(), Vec::<(String, String)>::new());
    }

    #[test]
    fn txn_codes() {
        assert_eq!(txn_of("01", "07"), Some(APPLY_QR));
        assert_eq!(txn_of("99", "01").map(|t| t.name), Some("reversal"));
        assert_eq!(txn_of("01", "99"), None);
    }
}
