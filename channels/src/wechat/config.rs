//! The parameters of a `wechat` account (docs/configuration.md) and the merchant identity they
//! describe: a direct merchant (`mchid` + `appid`) or a service provider acting for a
//! sub-merchant (`sp_mchid` + `sp_appid` + `sub_mchid` [+ `sub_appid`]) — the latter changes
//! paths, bodies and the ids checked in replies and callbacks. Key material is read from files;
//! errors name the account and the parameter, never the key.

use std::time::Duration;

use paydesk_core::{AccountConfig, ChannelError};

use super::certs::{normalize_serial, PlatformCert};
use super::v2::{Fields, SignType, V2Key};
use super::v3::{ApiV3Key, MerchantSigner, WechatPublicKey, PUBLIC_KEY_ID_PREFIX};
use super::wire::{CloseRequest, NativeRequest, RefundNotice, Transaction};
use crate::env::ChannelEnv;
use crate::http::Http;
use crate::sign::{RsaSigner, RsaVerifier};

pub const DEFAULT_BASE: &str = "https://api.mch.weixin.qq.com";

/// Every parameter a `wechat` account may have (anything else is refused, so a key pasted
/// inline instead of a `…_file` path is caught).
const KNOWN: &[&str] = &[
    "mchid", "appid", "sp_mchid", "sp_appid", "sub_mchid", "sub_appid", "merchant_serial_no", "private_key_file", "apiv3_key_file",
    "api_v2_key_file", "v2_sign_type", "client_cert_file", "client_key_file", "wechatpay_public_key_file", "wechatpay_public_key_id",
    "platform_cert_file", "platform_certs", "platform_cert_refresh_secs", "reverse_retry_ms", "reverse_attempts", "spbill_create_ip",
    "notify_url",
];

/// Who we are at WeChat Pay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Merchant {
    Direct { mchid: String, appid: String },
    Partner { sp_mchid: String, sp_appid: String, sub_mchid: String, sub_appid: Option<String> },
}

impl Merchant {
    /// The merchant id that signs requests (`Authorization` mchid).
    pub fn signing_mchid(&self) -> &str {
        match self {
            Merchant::Direct { mchid, .. } => mchid,
            Merchant::Partner { sp_mchid, .. } => sp_mchid,
        }
    }

    pub fn is_partner(&self) -> bool {
        matches!(self, Merchant::Partner { .. })
    }

    pub fn native_path(&self) -> &'static str {
        if self.is_partner() {
            "/v3/pay/partner/transactions/native"
        } else {
            "/v3/pay/transactions/native"
        }
    }

    /// A native request with this merchant's ids filled in.
    pub fn native_request(&self) -> NativeRequest {
        match self {
            Merchant::Direct { mchid, appid } => NativeRequest { appid: Some(appid.clone()), mchid: Some(mchid.clone()), ..Default::default() },
            Merchant::Partner { sp_mchid, sp_appid, sub_mchid, sub_appid } => NativeRequest {
                sp_appid: Some(sp_appid.clone()),
                sp_mchid: Some(sp_mchid.clone()),
                sub_appid: sub_appid.clone(),
                sub_mchid: Some(sub_mchid.clone()),
                ..Default::default()
            },
        }
    }

    /// `GET` path of the query by our order number.
    pub fn query_path(&self, out_trade_no: &str) -> String {
        match self {
            Merchant::Direct { mchid, .. } => format!("/v3/pay/transactions/out-trade-no/{out_trade_no}?mchid={mchid}"),
            Merchant::Partner { sp_mchid, sub_mchid, .. } => {
                format!("/v3/pay/partner/transactions/out-trade-no/{out_trade_no}?sp_mchid={sp_mchid}&sub_mchid={sub_mchid}")
            }
        }
    }

    pub fn close_path(&self, out_trade_no: &str) -> String {
        if self.is_partner() {
            format!("/v3/pay/partner/transactions/out-trade-no/{out_trade_no}/close")
        } else {
            format!("/v3/pay/transactions/out-trade-no/{out_trade_no}/close")
        }
    }

    pub fn close_body(&self) -> CloseRequest {
        match self {
            Merchant::Direct { mchid, .. } => CloseRequest { mchid: Some(mchid.clone()), ..Default::default() },
            Merchant::Partner { sp_mchid, sub_mchid, .. } => CloseRequest { sp_mchid: Some(sp_mchid.clone()), sub_mchid: Some(sub_mchid.clone()), ..Default::default() },
        }
    }

    /// `sub_mchid` for refund bodies and refund/bill queries (partner mode only).
    pub fn sub_mchid(&self) -> Option<&str> {
        match self {
            Merchant::Direct { .. } => None,
            Merchant::Partner { sub_mchid, .. } => Some(sub_mchid),
        }
    }

    pub fn refund_query_path(&self, out_refund_no: &str) -> String {
        match self.sub_mchid() {
            Some(sub) => format!("/v3/refund/domestic/refunds/{out_refund_no}?sub_mchid={sub}"),
            None => format!("/v3/refund/domestic/refunds/{out_refund_no}"),
        }
    }

    pub fn bill_path(&self, day: chrono::NaiveDate) -> String {
        let sub = self.sub_mchid().map(|s| format!("&sub_mchid={s}")).unwrap_or_default();
        format!("/v3/bill/tradebill?bill_date={}&bill_type=ALL&tar_type=GZIP{sub}", day.format("%Y-%m-%d"))
    }

    /// The v2 id fields (`appid`, `mch_id`, and in partner mode `sub_mch_id`, `sub_appid`).
    pub fn v2_fields(&self) -> Fields {
        let mut f = Fields::new();
        match self {
            Merchant::Direct { mchid, appid } => {
                f.insert("appid".into(), appid.clone());
                f.insert("mch_id".into(), mchid.clone());
            }
            Merchant::Partner { sp_mchid, sp_appid, sub_mchid, sub_appid } => {
                f.insert("appid".into(), sp_appid.clone());
                f.insert("mch_id".into(), sp_mchid.clone());
                f.insert("sub_mch_id".into(), sub_mchid.clone());
                if let Some(s) = sub_appid {
                    f.insert("sub_appid".into(), s.clone());
                }
            }
        }
        f
    }

    /// Checks the ids of a trade (query reply or callback resource) against ours.
    pub fn check_transaction(&self, t: &Transaction) -> Result<(), String> {
        match self {
            Merchant::Direct { mchid, appid } => {
                same("mchid", t.mchid.as_deref(), mchid)?;
                same("appid", t.appid.as_deref(), appid)
            }
            Merchant::Partner { sp_mchid, sp_appid, sub_mchid, .. } => {
                same("sp_mchid", t.sp_mchid.as_deref(), sp_mchid)?;
                same("sub_mchid", t.sub_mchid.as_deref(), sub_mchid)?;
                same("sp_appid", t.sp_appid.as_deref(), sp_appid)
            }
        }
    }

    /// Checks the merchant ids of a refund callback resource (it carries no app id).
    pub fn check_refund(&self, r: &RefundNotice) -> Result<(), String> {
        match self {
            Merchant::Direct { mchid, .. } => same("mchid", r.mchid.as_deref(), mchid),
            Merchant::Partner { sp_mchid, sub_mchid, .. } => {
                same("sp_mchid", r.sp_mchid.as_deref(), sp_mchid)?;
                same("sub_mchid", r.sub_mchid.as_deref(), sub_mchid)
            }
        }
    }
}

fn same(field: &str, got: Option<&str>, ours: &str) -> Result<(), String> {
    match got {
        Some(g) if g == ours => Ok(()),
        Some(g) => Err(format!("{field} is {g:?}, not this account's {ours:?}")),
        None => Err(format!("{field} is missing")),
    }
}

/// Barcode (v2) settings: present only with `api_v2_key_file` and `client_cert_file`.
#[derive(Debug, Clone)]
pub struct V2Config {
    pub key: V2Key,
    pub sign_type: SignType,
    /// Carries the merchant API certificate (mTLS) for `secapi/pay/reverse`.
    pub cert_http: Http,
    pub spbill_create_ip: String,
}

/// A `wechat` account, loaded and checked.
#[derive(Debug)]
pub struct Config {
    pub base: String,
    pub merchant: Merchant,
    pub signer: MerchantSigner,
    pub apiv3: ApiV3Key,
    pub public_key: Option<WechatPublicKey>,
    pub platform_certs: Vec<PlatformCert>,
    pub download_certs: bool,
    pub cert_refresh: Duration,
    pub v2: Option<V2Config>,
    pub reverse_retry: Duration,
    pub reverse_attempts: u32,
    pub notify_url: Option<String>,
}

struct P<'a> {
    a: &'a AccountConfig,
    env: &'a ChannelEnv,
}

impl P<'_> {
    fn bad(&self, field: &str, problem: impl std::fmt::Display) -> ChannelError {
        ChannelError::Config(format!("account {:?}: {field}: {problem}", self.a.name))
    }
    fn req(&self, field: &'static str) -> Result<String, ChannelError> {
        crate::env::param(self.a, field)
    }
    fn opt(&self, field: &str) -> Option<String> {
        self.a.param_opt(field).map(|s| s.trim().to_string())
    }
    fn id(&self, field: &'static str, digits_only: bool) -> Result<String, ChannelError> {
        let v = self.req(field)?.trim().to_string();
        self.check_id(field, &v, digits_only)?;
        Ok(v)
    }
    fn check_id(&self, field: &str, v: &str, digits_only: bool) -> Result<(), ChannelError> {
        let ok = (1..=32).contains(&v.len()) && v.bytes().all(|b| if digits_only { b.is_ascii_digit() } else { b.is_ascii_alphanumeric() || b == b'_' });
        if ok {
            Ok(())
        } else if digits_only {
            Err(self.bad(field, "must be 1 to 32 digits"))
        } else {
            Err(self.bad(field, "must be 1 to 32 letters, digits or _"))
        }
    }
    fn int(&self, field: &str, default: i64, range: std::ops::RangeInclusive<i64>) -> Result<i64, ChannelError> {
        match self.a.params.get(field) {
            None => Ok(default),
            Some(toml::Value::Integer(i)) if range.contains(i) => Ok(*i),
            Some(_) => Err(self.bad(field, format!("must be a whole number from {} to {}", range.start(), range.end()))),
        }
    }
    fn file(&self, field: &'static str) -> Result<String, ChannelError> {
        self.env.read_param_file(self.a, field)
    }
}

/// Reads and checks an account's parameters and key files.
pub fn load(a: &AccountConfig, env: &ChannelEnv) -> Result<Config, ChannelError> {
    let p = P { a, env };
    for k in a.params.keys() {
        if !KNOWN.contains(&k.as_str()) {
            let hint = if k.ends_with("key") || k.ends_with("cert") { " (keys and certificates are read from files: use the …_file parameter)" } else { "" };
            return Err(p.bad(k, format!("unknown parameter{hint}")));
        }
    }
    let merchant = if a.param_opt("sp_mchid").is_some() {
        for direct in ["mchid", "appid"] {
            if a.param_opt(direct).is_some() {
                return Err(p.bad(direct, "not used with sp_mchid (service-provider mode uses sp_appid, sub_mchid, sub_appid)"));
            }
        }
        let sub_appid = p.opt("sub_appid");
        if let Some(s) = &sub_appid {
            p.check_id("sub_appid", s, false)?;
        }
        Merchant::Partner { sp_mchid: p.id("sp_mchid", true)?, sp_appid: p.id("sp_appid", false)?, sub_mchid: p.id("sub_mchid", true)?, sub_appid }
    } else {
        for partner in ["sp_appid", "sub_mchid", "sub_appid"] {
            if a.param_opt(partner).is_some() {
                return Err(p.bad("sp_mchid", format!("is required when {partner} is set (service-provider mode)")));
            }
        }
        Merchant::Direct { mchid: p.id("mchid", true)?, appid: p.id("appid", false)? }
    };
    let serial = p.req("merchant_serial_no")?.trim().to_ascii_uppercase();
    if !(8..=64).contains(&serial.len()) || !serial.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(p.bad("merchant_serial_no", "must be the merchant API certificate's serial in hex"));
    }
    let key = RsaSigner::from_pem(&p.file("private_key_file")?).map_err(|e| p.bad("private_key_file", e))?;
    let signer = MerchantSigner::new(merchant.signing_mchid(), serial.clone(), key.clone());
    let apiv3 = ApiV3Key::new(&p.file("apiv3_key_file")?).map_err(|e| p.bad("apiv3_key_file", e))?;

    let public_key = match (a.param_opt("wechatpay_public_key_file"), p.opt("wechatpay_public_key_id")) {
        (None, None) => None,
        (Some(_), None) => return Err(p.bad("wechatpay_public_key_id", "is required with wechatpay_public_key_file")),
        (None, Some(_)) => return Err(p.bad("wechatpay_public_key_file", "is required with wechatpay_public_key_id")),
        (Some(_), Some(id)) => {
            if !id.starts_with(PUBLIC_KEY_ID_PREFIX) || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                return Err(p.bad("wechatpay_public_key_id", format!("must look like {PUBLIC_KEY_ID_PREFIX}…")));
            }
            let key = RsaVerifier::from_pem(&p.file("wechatpay_public_key_file")?).map_err(|e| p.bad("wechatpay_public_key_file", e))?;
            Some(WechatPublicKey { id, key })
        }
    };
    let platform_certs = match env.read_opt_param_file(a, "platform_cert_file")? {
        Some(text) => PlatformCert::all_from_pem(&text).map_err(|e| p.bad("platform_cert_file", e))?,
        None => Vec::new(),
    };
    let download_certs = match p.opt("platform_certs").as_deref() {
        None => public_key.is_none(),
        Some("download") => true,
        Some("off") => false,
        Some(_) => return Err(p.bad("platform_certs", "must be \"download\" or \"off\"")),
    };
    if public_key.is_none() && platform_certs.is_empty() && !download_certs {
        return Err(p.bad("platform_certs", "is \"off\", but neither platform_cert_file nor wechatpay_public_key_file is set: replies could not be verified"));
    }

    let v2 = match (a.param_opt("api_v2_key_file"), a.param_opt("client_cert_file")) {
        (None, _) => None,
        (Some(_), None) => return Err(p.bad("client_cert_file", "is required with api_v2_key_file: barcode payments must be reversible (secapi/pay/reverse needs the API client certificate)")),
        (Some(_), Some(_)) => Some(load_v2(&p, &key, &serial)?),
    };
    let base = crate::env::base_url(a, DEFAULT_BASE);
    let notify_url = p.opt("notify_url");
    if let Some(u) = &notify_url {
        let parsed = paydesk_core::url::https_or_loopback(u).map_err(|e| p.bad("notify_url", e))?;
        if parsed.query().is_some() {
            return Err(p.bad("notify_url", "must not carry a query string (WeChat Pay refuses it)"));
        }
    }
    Ok(Config {
        base,
        merchant,
        signer,
        apiv3,
        public_key,
        platform_certs,
        download_certs,
        cert_refresh: Duration::from_secs(p.int("platform_cert_refresh_secs", 12 * 3600, 60..=7 * 24 * 3600)? as u64),
        v2,
        reverse_retry: Duration::from_millis(p.int("reverse_retry_ms", 2000, 0..=60_000)? as u64),
        reverse_attempts: p.int("reverse_attempts", 3, 1..=10)? as u32,
        notify_url,
    })
}

fn load_v2(p: &P<'_>, api_key: &RsaSigner, serial: &str) -> Result<V2Config, ChannelError> {
    let key = V2Key::new(&p.file("api_v2_key_file")?).map_err(|e| p.bad("api_v2_key_file", e))?;
    let sign_type = match p.opt("v2_sign_type") {
        None => SignType::HmacSha256,
        Some(s) => SignType::parse(&s).ok_or_else(|| p.bad("v2_sign_type", "must be HMAC-SHA256 or MD5"))?,
    };
    let cert_pem = p.file("client_cert_file")?;
    let cert = PlatformCert::from_pem(&cert_pem).map_err(|e| p.bad("client_cert_file", e))?;
    let (client_key_pem, client_key) = match p.opt("client_key_file") {
        Some(_) => {
            let pem = p.file("client_key_file")?;
            let k = RsaSigner::from_pem(&pem).map_err(|e| p.bad("client_key_file", e))?;
            (pem, k)
        }
        None => (p.file("private_key_file")?, api_key.clone()),
    };
    if cert.public_pem != client_key.public_key().to_pem() {
        return Err(p.bad("client_cert_file", "does not belong to the client key (client_key_file, else private_key_file)"));
    }
    if cert.public_pem == api_key.public_key().to_pem() && normalize_serial(&cert.serial) != normalize_serial(serial) {
        return Err(p.bad("merchant_serial_no", format!("does not match the serial of client_cert_file ({})", cert.serial)));
    }
    let identity = format!("{}\n{}\n", cert_pem.trim(), client_key_pem.trim());
    let cert_http = Http::with_identity("wechat", p.env.timeout, identity.as_bytes()).map_err(|_| p.bad("client_cert_file", "cannot be used as a TLS client certificate with its key"))?;
    let ip = p.opt("spbill_create_ip").unwrap_or_else(|| "127.0.0.1".into());
    if ip.parse::<std::net::IpAddr>().is_err() {
        return Err(p.bad("spbill_create_ip", "must be an IP address"));
    }
    Ok(V2Config { key, sign_type, cert_http, spbill_create_ip: ip })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A demo account: direct merchant, platform certificate from file, barcode enabled.
    fn demo(extra: &str, drop: &[&str]) -> AccountConfig {
        let d = |f: &str| crate::sim::demo_keys_dir().join(f).display().to_string();
        let mut params: Vec<(String, String)> = vec![
            ("mchid".into(), "\"1900000109\"".into()),
            ("appid".into(), "\"wxd678efh567hg6787\"".into()),
            ("merchant_serial_no".into(), "\"3775b6a45acd588826d15e583a95f5dd2b8d4f5e\"".into()),
            ("private_key_file".into(), format!("{:?}", d("merchant_private.pem"))),
            ("apiv3_key_file".into(), format!("{:?}", d("wechat/apiv3_key.txt"))),
            ("api_v2_key_file".into(), format!("{:?}", d("wechat/api_v2_key.txt"))),
            ("client_cert_file".into(), format!("{:?}", d("wechat/apiclient_cert.pem"))),
            ("platform_cert_file".into(), format!("{:?}", d("wechat/platform_cert.pem"))),
        ];
        params.retain(|(k, _)| !drop.contains(&k.as_str()));
        let body: String = params.iter().map(|(k, v)| format!("{k} = {v}\n")).collect();
        toml::from_str(&format!("name = \"wx\"\nchannel = \"wechat\"\n[params]\n{body}{extra}")).unwrap()
    }

    fn env() -> ChannelEnv {
        ChannelEnv::new(std::path::Path::new("/nonexistent"), Duration::from_secs(2))
    }

    fn err(a: &AccountConfig) -> String {
        load(a, &env()).unwrap_err().to_string()
    }

    #[test]
    fn demo_account_loads_with_defaults() {
        let c = load(&demo("", &[]), &env()).unwrap();
        assert_eq!(c.merchant, Merchant::Direct { mchid: "1900000109".into(), appid: "wxd678efh567hg6787".into() });
        assert_eq!(c.base, DEFAULT_BASE);
        assert!(c.download_certs, "no public key: certificates are downloaded");
        assert_eq!(c.platform_certs.len(), 1);
        let v2 = c.v2.as_ref().unwrap();
        assert_eq!(v2.sign_type, SignType::HmacSha256);
        assert_eq!((c.reverse_retry, c.reverse_attempts), (Duration::from_secs(2), 3));
        // Debug output carries no key material.
        let dbg = format!("{c:?}");
        let v3key = std::fs::read_to_string(crate::sim::demo_keys_dir().join("wechat/apiv3_key.txt")).unwrap();
        assert!(!dbg.contains(v3key.trim()) && !dbg.contains("PRIVATE KEY"), "{dbg}");
    }

    #[test]
    fn public_key_mode_turns_downloads_off_unless_asked() {
        let d = |f: &str| crate::sim::demo_keys_dir().join(f).display().to_string();
        let pk = format!("wechatpay_public_key_file = {:?}\nwechatpay_public_key_id = \"PUB_KEY_ID_0119000001092026112500000000000001\"\n", d("wechat/pubkey.pem"));
        let c = load(&demo(&pk, &["platform_cert_file"]), &env()).unwrap();
        assert!(!c.download_certs && c.public_key.is_some());
        let c = load(&demo(&format!("{pk}platform_certs = \"download\"\n"), &[]), &env()).unwrap();
        assert!(c.download_certs && c.public_key.is_some() && !c.platform_certs.is_empty());
    }

    #[test]
    fn partner_mode_paths_and_fields() {
        let a = demo("sp_mchid = \"1900000100\"\nsp_appid = \"wx8888888888888888\"\nsub_mchid = \"1900000111\"\n", &["mchid", "appid", "api_v2_key_file", "client_cert_file"]);
        let c = load(&a, &env()).unwrap();
        let m = &c.merchant;
        assert_eq!(m.signing_mchid(), "1900000100");
        assert_eq!(m.native_path(), "/v3/pay/partner/transactions/native");
        assert_eq!(m.query_path("P1"), "/v3/pay/partner/transactions/out-trade-no/P1?sp_mchid=1900000100&sub_mchid=1900000111");
        assert_eq!(m.close_path("P1"), "/v3/pay/partner/transactions/out-trade-no/P1/close");
        assert_eq!(serde_json::to_string(&m.close_body()).unwrap(), r#"{"sp_mchid":"1900000100","sub_mchid":"1900000111"}"#);
        assert_eq!(m.refund_query_path("R1"), "/v3/refund/domestic/refunds/R1?sub_mchid=1900000111");
        let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        assert_eq!(m.bill_path(day), "/v3/bill/tradebill?bill_date=2026-11-25&bill_type=ALL&tar_type=GZIP&sub_mchid=1900000111");
        let v2 = m.v2_fields();
        assert_eq!((v2["appid"].as_str(), v2["mch_id"].as_str(), v2["sub_mch_id"].as_str()), ("wx8888888888888888", "1900000100", "1900000111"));
        let body = serde_json::to_value(m.native_request()).unwrap();
        assert_eq!(body["sp_mchid"], "1900000100");
        assert!(body.get("mchid").is_none() && body.get("sub_appid").is_none());
        assert!(c.v2.is_none());
        // Direct-mode paths.
        let d = Merchant::Direct { mchid: "1900000109".into(), appid: "wx1".into() };
        assert_eq!(d.query_path("P1"), "/v3/pay/transactions/out-trade-no/P1?mchid=1900000109");
        assert_eq!(d.bill_path(day), "/v3/bill/tradebill?bill_date=2026-11-25&bill_type=ALL&tar_type=GZIP");
        assert_eq!(d.refund_query_path("R1"), "/v3/refund/domestic/refunds/R1");
    }

    #[test]
    fn bad_accounts_name_the_field_never_the_key() {
        let d = |f: &str| crate::sim::demo_keys_dir().join(f).display().to_string();
        let tmp = tempfile::tempdir().unwrap();
        let short = tmp.path().join("short.txt");
        std::fs::write(&short, "testAPIv3Key0000").unwrap();
        let cases: Vec<(AccountConfig, &str)> = vec![
            (demo("apiv3_key = \"a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb\"\n", &[]), "apiv3_key"),
            (demo("", &["mchid"]), "mchid"),
            (demo("", &["appid"]), "appid"),
            (demo("sp_mchid = \"1900000100\"\n", &[]), "mchid"),
            (demo("sub_mchid = \"1900000111\"\n", &[]), "sp_mchid"),
            (demo("", &["merchant_serial_no"]), "merchant_serial_no"),
            (demo("", &["private_key_file"]), "private_key_file"),
            (demo(&format!("apiv3_key_file = {:?}\n", short.display().to_string()), &["apiv3_key_file"]), "apiv3_key_file"),
            (demo("wechatpay_public_key_id = \"PUB_KEY_ID_01\"\n", &[]), "wechatpay_public_key_file"),
            (demo(&format!("wechatpay_public_key_file = {:?}\n", d("wechat/pubkey.pem")), &[]), "wechatpay_public_key_id"),
            (demo(&format!("wechatpay_public_key_file = {:?}\nwechatpay_public_key_id = \"KEY1\"\n", d("wechat/pubkey.pem")), &[]), "wechatpay_public_key_id"),
            (demo("platform_certs = \"off\"\n", &["platform_cert_file"]), "platform_certs"),
            (demo("platform_certs = \"sometimes\"\n", &[]), "platform_certs"),
            (demo("", &["client_cert_file"]), "client_cert_file"),
            (demo(&format!("client_cert_file = {:?}\n", d("wechat/platform_cert.pem")), &["client_cert_file"]), "client_cert_file"),
            (demo("", &["merchant_serial_no"]), "merchant_serial_no"),
            (demo("merchant_serial_no = \"ABCDEF0123456789\"\n", &["merchant_serial_no"]), "merchant_serial_no"),
            (demo("v2_sign_type = \"SHA1\"\n", &[]), "v2_sign_type"),
            (demo("reverse_retry_ms = -1\n", &[]), "reverse_retry_ms"),
            (demo("reverse_attempts = \"3\"\n", &[]), "reverse_attempts"),
            (demo("spbill_create_ip = \"here\"\n", &[]), "spbill_create_ip"),
            (demo("notify_url = \"http://shop.example/cb\"\n", &[]), "notify_url"),
        ];
        for (a, field) in cases {
            let e = err(&a);
            assert!(e.contains(field) && e.contains("\"wx\""), "{field}: {e}");
            assert!(!e.contains("a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb") && !e.contains("testAPIv3Key0000"), "{e}");
        }
    }
}
