//! WeChat Pay v2 (XML) for barcode payments (protocols.md §3): MD5 / HMAC-SHA256 signing with
//! the API v2 key, the flat `<xml>` envelope, how micropay and reverse replies are classified
//! (the §3.4 state machine), and the AES-256-ECB `req_info` of v2 refund notifications (T8).

use std::collections::BTreeMap;
use std::fmt;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use quick_xml::events::Event;
use quick_xml::Reader;

use crate::sign::{canonical_query, ct_eq, hmac_sha256_hex, md5_hex};

/// v2 fields by name (sorted, as the signature needs them).
pub type Fields = BTreeMap<String, String>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignType {
    Md5,
    HmacSha256,
}

impl SignType {
    /// The `sign_type` value sent (MD5 is the default and may be omitted).
    pub fn as_str(self) -> &'static str {
        match self {
            SignType::Md5 => "MD5",
            SignType::HmacSha256 => "HMAC-SHA256",
        }
    }

    pub fn parse(s: &str) -> Option<SignType> {
        match s.trim() {
            "MD5" => Some(SignType::Md5),
            "HMAC-SHA256" => Some(SignType::HmacSha256),
            _ => None,
        }
    }
}

/// The API v2 key (32 characters set in the merchant platform; not the APIv3 key).
#[derive(Clone)]
pub struct V2Key(String);

impl fmt::Debug for V2Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("V2Key(<redacted>)")
    }
}

impl V2Key {
    pub fn new(text: &str) -> Result<V2Key, String> {
        let t = text.trim();
        if t.len() != 32 || !t.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(format!("must be 32 letters or digits (found {} bytes)", t.len()));
        }
        Ok(V2Key(t.to_string()))
    }
}

/// `k=v&…` over all fields but `sign`, empty values dropped, keys ASCII-ascending (§3.1).
pub fn canonical(fields: &Fields) -> String {
    canonical_query(fields.iter().filter(|(k, _)| k.as_str() != "sign").map(|(k, v)| (k.as_str(), v.as_str())))
}

/// The `sign` of `fields` (uppercase hex).
pub fn sign(fields: &Fields, key: &V2Key, t: SignType) -> String {
    let s = format!("{}&key={}", canonical(fields), key.0);
    match t {
        SignType::Md5 => md5_hex(s.as_bytes()),
        SignType::HmacSha256 => hmac_sha256_hex(key.0.as_bytes(), s.as_bytes()),
    }
    .to_ascii_uppercase()
}

/// Checks the `sign` field (constant time).
pub fn verify(fields: &Fields, key: &V2Key, t: SignType) -> bool {
    match fields.get("sign") {
        Some(s) => ct_eq(s.trim().to_ascii_uppercase().as_bytes(), sign(fields, key, t).as_bytes()),
        None => false,
    }
}

/// Adds `nonce_str`, `sign_type` (unless MD5) and `sign`.
pub fn signed(mut fields: Fields, key: &V2Key, t: SignType) -> Fields {
    fields.entry("nonce_str".into()).or_insert_with(|| crate::sign::nonce(32));
    if t == SignType::HmacSha256 {
        fields.insert("sign_type".into(), t.as_str().into());
    }
    fields.remove("sign");
    let s = sign(&fields, key, t);
    fields.insert("sign".into(), s);
    fields
}

/// `<xml><k><![CDATA[v]]></k>…</xml>`.
pub fn to_xml(fields: &Fields) -> String {
    let mut out = String::from("<xml>");
    for (k, v) in fields {
        // "]]>" cannot appear inside one CDATA section: split it across two.
        out.push_str(&format!("<{k}><![CDATA[{}]]></{k}>", v.replace("]]>", "]]]]><![CDATA[>")));
    }
    out.push_str("</xml>");
    out
}

/// Parses a flat `<xml>` (or `<root>`) document into fields. Nested elements, duplicate fields
/// and DOCTYPEs are refused.
pub fn parse_xml(body: &[u8]) -> Result<Fields, String> {
    let mut r = Reader::from_reader(body);
    r.config_mut().trim_text(true);
    let (mut depth, mut saw_root) = (0u32, false);
    let mut current: Option<String> = None;
    let mut value = String::new();
    let mut out = Fields::new();
    loop {
        match r.read_event().map_err(|e| format!("not well-formed XML: {e}"))? {
            Event::Start(e) => {
                depth += 1;
                let name = String::from_utf8(e.name().as_ref().to_vec()).map_err(|_| "element name is not UTF-8")?;
                match depth {
                    1 if !saw_root => saw_root = true,
                    2 => {
                        current = Some(name);
                        value.clear();
                    }
                    _ => return Err(format!("unexpected element <{name}>")),
                }
            }
            Event::Empty(e) => {
                let name = String::from_utf8(e.name().as_ref().to_vec()).map_err(|_| "element name is not UTF-8")?;
                if depth != 1 || out.insert(name.clone(), String::new()).is_some() {
                    return Err(format!("unexpected element <{name}/>"));
                }
            }
            Event::Text(t) => {
                let t = t.unescape().map_err(|e| format!("bad XML text: {e}"))?;
                if depth == 2 {
                    value.push_str(&t);
                } else if !t.trim().is_empty() {
                    return Err("text outside a field".into());
                }
            }
            Event::CData(c) => {
                if depth != 2 {
                    return Err("CDATA outside a field".into());
                }
                value.push_str(std::str::from_utf8(&c).map_err(|_| "CDATA is not UTF-8")?);
            }
            Event::End(_) => {
                if depth == 2 {
                    let k = current.take().unwrap_or_default();
                    if out.insert(k.clone(), std::mem::take(&mut value)).is_some() {
                        return Err(format!("field {k} appears twice"));
                    }
                }
                depth = depth.saturating_sub(1);
            }
            Event::DocType(_) => return Err("DOCTYPE is not allowed".into()),
            Event::Eof => break,
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) => {}
        }
    }
    if !saw_root || depth != 0 {
        return Err("not a complete <xml> document".into());
    }
    Ok(out)
}

/// Decrypts the `req_info` of a v2 refund notification: Base64 → AES-256-ECB (PKCS#7) with the
/// lowercase hex MD5 of the API v2 key as the 32-byte key → `<root>…</root>` XML text.
pub fn decrypt_req_info(req_info_b64: &str, key: &V2Key) -> Result<String, String> {
    use aes::cipher::generic_array::GenericArray;
    use aes::cipher::{BlockDecrypt, KeyInit};
    let data = B64.decode(req_info_b64.split_whitespace().collect::<String>()).map_err(|_| "req_info is not Base64")?;
    if data.is_empty() || data.len() % 16 != 0 {
        return Err("req_info is not a whole number of AES blocks".into());
    }
    let k = md5_hex(key.0.as_bytes());
    let cipher = aes::Aes256::new_from_slice(k.as_bytes()).map_err(|_| "bad key length")?;
    let mut plain = data;
    for block in plain.chunks_exact_mut(16) {
        cipher.decrypt_block(GenericArray::from_mut_slice(block));
    }
    let pad = usize::from(*plain.last().unwrap_or(&0));
    if pad == 0 || pad > 16 || plain[plain.len() - pad..].iter().any(|&b| usize::from(b) != pad) {
        return Err("req_info padding is wrong (wrong API v2 key?)".into());
    }
    plain.truncate(plain.len() - pad);
    String::from_utf8(plain).map_err(|_| "req_info is not UTF-8 text".into())
}

/// What a micropay reply means (§3.4), after its signature was checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayReply {
    Paid,
    /// `USERPAYING`: the payer must enter the password; poll the order.
    UserPaying,
    /// `ORDERPAID`: already paid under this order number; query it.
    OrderPaid,
    /// The outcome is unknown (system/bank error, transport-level failure, codes we do not know).
    Unknown { code: String, message: String },
    /// Definitively refused: nothing was charged.
    Refused { code: String, message: String },
}

/// err_codes after which nothing was charged and the order number is spent.
pub const DEFINITIVE_PAY_ERRORS: &[&str] = &[
    "AUTHCODEEXPIRE",
    "AUTH_CODE_INVALID",
    "AUTH_CODE_ERROR",
    "NOTENOUGH",
    "NOTSUPORTCARD",
    "ORDERCLOSED",
    "ORDERREVERSED",
    "PARAM_ERROR",
    "SIGNERROR",
    "XML_FORMAT_ERROR",
    "BUYER_MISMATCH",
    "TRADE_ERROR",
    "NOAUTH",
    "APPID_NOT_EXIST",
    "MCHID_NOT_EXIST",
    "APPID_MCHID_NOT_MATCH",
    "LACK_PARAMS",
    "REQUIRE_POST_METHOD",
];

fn get<'a>(f: &'a Fields, k: &str) -> &'a str {
    f.get(k).map(|s| s.trim()).unwrap_or("")
}

fn err_of(f: &Fields) -> (String, String) {
    let code = get(f, "err_code");
    let msg = [get(f, "err_code_des"), get(f, "return_msg")].into_iter().find(|s| !s.is_empty()).unwrap_or("");
    (if code.is_empty() { "UNKNOWN".into() } else { code.into() }, msg.into())
}

/// Classifies a micropay reply. `return_code=FAIL` is a transport-level answer that is not a
/// transaction result, so — as in WeChat's own micropay demo — it counts as unknown.
pub fn classify_micropay(f: &Fields) -> PayReply {
    if get(f, "return_code") != "SUCCESS" {
        return PayReply::Unknown { code: "RETURN_FAIL".into(), message: get(f, "return_msg").into() };
    }
    if get(f, "result_code") == "SUCCESS" {
        return PayReply::Paid;
    }
    let (code, message) = err_of(f);
    match code.as_str() {
        "USERPAYING" => PayReply::UserPaying,
        "ORDERPAID" => PayReply::OrderPaid,
        c if DEFINITIVE_PAY_ERRORS.contains(&c) => PayReply::Refused { code, message },
        // SYSTEMERROR, BANKERROR, OUT_TRADE_NO_USED and anything new: query, never assume.
        _ => PayReply::Unknown { code, message },
    }
}

/// What a reverse reply means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReverseReply {
    Done,
    /// `recall=Y`: call reverse again.
    Recall { code: String, message: String },
    /// No such order at WeChat: nothing to reverse.
    NotFound,
    Unknown { code: String, message: String },
    Refused { code: String, message: String },
}

pub fn classify_reverse(f: &Fields) -> ReverseReply {
    if get(f, "return_code") != "SUCCESS" {
        return ReverseReply::Unknown { code: "RETURN_FAIL".into(), message: get(f, "return_msg").into() };
    }
    let (code, message) = err_of(f);
    if get(f, "recall") == "Y" {
        return ReverseReply::Recall { code, message };
    }
    if get(f, "result_code") == "SUCCESS" {
        return ReverseReply::Done;
    }
    match code.as_str() {
        "ORDERNOTEXIST" => ReverseReply::NotFound,
        "SYSTEMERROR" | "BANKERROR" | "USERPAYING" | "UNKNOWN" => ReverseReply::Unknown { code, message },
        _ => ReverseReply::Refused { code, message },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wechat::testdata::vector_text;

    fn fields(pairs: &[(&str, &str)]) -> Fields {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    const T_KEY: &str = "192006250b4c09247ec02edce69f6a2d";

    #[test]
    fn t6_doc_example_md5_and_hmac() {
        let f = fields(&[("appid", "wxd930ea5d5a258f4f"), ("mch_id", "10000100"), ("device_info", "1000"), ("body", "test"), ("nonce_str", "ibuaiVcKdpRxkhJA")]);
        let k = V2Key::new(T_KEY).unwrap();
        assert_eq!(canonical(&f), "appid=wxd930ea5d5a258f4f&body=test&device_info=1000&mch_id=10000100&nonce_str=ibuaiVcKdpRxkhJA");
        assert_eq!(sign(&f, &k, SignType::Md5), "9A0A8659F005D6984697E2CA0A9CF3B7");
        assert_eq!(sign(&f, &k, SignType::HmacSha256), "6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6");
    }

    #[test]
    fn t7_wechatpy_md5_and_hmac() {
        let f = fields(&[("test1", "test1"), ("test2", "test2")]);
        let k = V2Key::new(T_KEY).unwrap();
        assert_eq!(sign(&f, &k, SignType::Md5), "1E3A8D73B5A4AEE787C0F68B5DAB8520");
        assert_eq!(sign(&f, &k, SignType::HmacSha256), "EDAC6D70D2FDF5A2382F8204FC96A1918017E46ACC5297F565ED1A7610ACF659");
    }

    #[test]
    fn signing_skips_sign_and_empty_fields_and_verifies() {
        let k = V2Key::new(T_KEY).unwrap();
        let f = signed(fields(&[("b", "2"), ("a", "1"), ("empty", "")]), &k, SignType::HmacSha256);
        assert_eq!(f["sign_type"], "HMAC-SHA256");
        assert!(verify(&f, &k, SignType::HmacSha256));
        assert!(!verify(&f, &k, SignType::Md5));
        let mut tampered = f.clone();
        tampered.insert("a".into(), "9".into());
        assert!(!verify(&tampered, &k, SignType::HmacSha256));
        // Lowercase sign from a peer is accepted; another key is not.
        let mut lower = f.clone();
        lower.insert("sign".into(), f["sign"].to_lowercase());
        assert!(verify(&lower, &k, SignType::HmacSha256));
        assert!(!verify(&f, &V2Key::new(&"z".repeat(32)).unwrap(), SignType::HmacSha256));
        assert!(V2Key::new("short").is_err());
        assert_eq!(format!("{k:?}"), "V2Key(<redacted>)");
    }

    #[test]
    fn xml_round_trip_with_cdata_entities_and_unicode() {
        let f = fields(&[("body", "咖啡 & <tea> ]]> end"), ("total_fee", "1230"), ("empty", "")]);
        let xml = to_xml(&f);
        assert_eq!(parse_xml(xml.as_bytes()).unwrap(), f);
        let plain = "<?xml version=\"1.0\"?>\n<xml>\n  <return_code>SUCCESS</return_code>\n  <return_msg>a &amp; b</return_msg><x/></xml>";
        let p = parse_xml(plain.as_bytes()).unwrap();
        assert_eq!((p["return_code"].as_str(), p["return_msg"].as_str(), p["x"].as_str()), ("SUCCESS", "a & b", ""));
        for bad in ["", "<xml><a>1</a>", "<xml><a><b>1</b></a></xml>", "<xml><a>1</a><a>2</a></xml>", "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><xml><a>&e;</a></xml>", "<xml>text<a>1</a></xml>"] {
            assert!(parse_xml(bad.as_bytes()).is_err(), "{bad}");
        }
    }

    #[test]
    fn t8_refund_notify_req_info() {
        let key = V2Key::new("OF4Ne3znh8KqL0V4NqmALQa0uXMYKcEk").unwrap();
        let xml = decrypt_req_info(&vector_text("wechat/req_info.b64"), &key).unwrap();
        let f = parse_xml(xml.as_bytes()).unwrap();
        assert_eq!(f["out_refund_no"], "1234");
        assert_eq!(f["out_trade_no"], "2020010418301551404339261814");
        assert_eq!(f["transaction_id"], "4200000483202001042069747825");
        assert_eq!(f["refund_id"], "50300103182020010413419046597");
        assert_eq!(f["refund_status"], "SUCCESS");
        assert_eq!(f["refund_fee"], "1");
        assert!(decrypt_req_info(&vector_text("wechat/req_info.b64"), &V2Key::new(T_KEY).unwrap()).is_err());
        assert!(decrypt_req_info("AAAA", &key).is_err());
    }

    #[test]
    fn micropay_classification_table() {
        let ok = |extra: &[(&str, &str)]| {
            let mut f = fields(&[("return_code", "SUCCESS"), ("result_code", "FAIL")]);
            f.extend(fields(extra));
            classify_micropay(&f)
        };
        assert_eq!(classify_micropay(&fields(&[("return_code", "SUCCESS"), ("result_code", "SUCCESS")])), PayReply::Paid);
        assert_eq!(ok(&[("err_code", "USERPAYING")]), PayReply::UserPaying);
        assert_eq!(ok(&[("err_code", "ORDERPAID")]), PayReply::OrderPaid);
        for code in ["SYSTEMERROR", "BANKERROR", "OUT_TRADE_NO_USED", "SOMETHING_NEW", ""] {
            assert!(matches!(ok(&[("err_code", code)]), PayReply::Unknown { .. }), "{code}");
        }
        for code in ["AUTHCODEEXPIRE", "AUTH_CODE_INVALID", "AUTH_CODE_ERROR", "NOTENOUGH", "NOTSUPORTCARD", "ORDERCLOSED", "ORDERREVERSED", "PARAM_ERROR", "SIGNERROR", "XML_FORMAT_ERROR"] {
            let r = ok(&[("err_code", code), ("err_code_des", "说明")]);
            assert_eq!(r, PayReply::Refused { code: code.into(), message: "说明".into() }, "{code}");
        }
        // return_code=FAIL is not a transaction result.
        assert!(matches!(classify_micropay(&fields(&[("return_code", "FAIL"), ("return_msg", "签名错误")])), PayReply::Unknown { .. }));
    }

    #[test]
    fn reverse_classification_table() {
        let r = |pairs: &[(&str, &str)]| classify_reverse(&fields(pairs));
        assert_eq!(r(&[("return_code", "SUCCESS"), ("result_code", "SUCCESS"), ("recall", "N")]), ReverseReply::Done);
        assert!(matches!(r(&[("return_code", "SUCCESS"), ("result_code", "FAIL"), ("err_code", "SYSTEMERROR"), ("recall", "Y")]), ReverseReply::Recall { .. }));
        assert!(matches!(r(&[("return_code", "SUCCESS"), ("result_code", "SUCCESS"), ("recall", "Y")]), ReverseReply::Recall { .. }));
        assert_eq!(r(&[("return_code", "SUCCESS"), ("result_code", "FAIL"), ("err_code", "ORDERNOTEXIST")]), ReverseReply::NotFound);
        assert!(matches!(r(&[("return_code", "SUCCESS"), ("result_code", "FAIL"), ("err_code", "USERPAYING")]), ReverseReply::Unknown { .. }));
        assert!(matches!(r(&[("return_code", "SUCCESS"), ("result_code", "FAIL"), ("err_code", "REVERSE_EXPIRE")]), ReverseReply::Refused { .. }));
        assert!(matches!(r(&[("return_code", "FAIL")]), ReverseReply::Unknown { .. }));
    }
}
