//! Recipe loading and validation: the shipped epay template loads; every kind of mistake is
//! refused with the parameter's path in the message and no secret in it.

use std::path::PathBuf;
use std::time::Duration;

use paydesk_core::{AccountConfig, Channel, Method};

use super::Template;
use crate::env::ChannelEnv;

fn template_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../assets/templates/epay-md5.toml")
}

/// An account on the shipped template with extra TOML lines appended to its params.
fn account(extra: &str) -> AccountConfig {
    let keys = crate::sim::demo_keys_dir();
    let text = format!(
        "name = \"epay-test\"\nchannel = \"template\"\nbase_url = \"http://127.0.0.1:9/epay\"\n[params]\ntemplate_file = \"{}\"\nsecret_file = \"{}\"\n{extra}\n",
        template_path().display(),
        keys.join("epay/key.txt").display()
    );
    toml::from_str(&text).unwrap()
}

fn env() -> ChannelEnv {
    ChannelEnv::new(&crate::sim::demo_keys_dir(), Duration::from_secs(2))
}

const VARS: &str = "[params.vars]\npid = \"1001\"\nclient_ip = \"127.0.0.1\"";

#[test]
fn the_shipped_epay_template_loads() {
    let t = Template::new(&account(VARS), &env()).unwrap();
    let caps = t.capabilities();
    assert_eq!(caps.methods, vec![Method::Alipay, Method::Wechat]);
    assert!(caps.qr && !caps.barcode && caps.refund && !caps.refund_query && !caps.close && caps.callbacks);
    assert_eq!(t.loaded().base, "http://127.0.0.1:9/epay");
    let dbg = format!("{:?}", t.loaded().keys);
    assert!(dbg.contains("redacted") && !dbg.contains("Pd7k"), "{dbg}");
    assert_eq!(t.callback_reply(true).body, b"success");
}

#[test]
fn account_params_override_the_template() {
    let t = Template::new(&account(&format!("provider = \"My bank\"\n[params.create.fields]\ndevice = \"mobile\"\n{VARS}")), &env()).unwrap();
    let r = &t.loaded().recipe;
    assert_eq!(r.provider, "My bank");
    assert_eq!(r.create.as_ref().unwrap().fields.get("device").map(String::as_str), Some("mobile"));
    assert_eq!(r.create.as_ref().unwrap().fields.get("pid").map(String::as_str), Some("{pid}"), "the rest of the table is kept");
}

#[test]
fn recipe_mistakes_name_the_parameter() {
    let cases: &[(&str, &str)] = &[
        ("methods = []", "params.methods"),
        ("[params.query.reply]\nstatuss = \"x\"", "params.query.reply"),
        ("[params.query.reply.status_map]\n\"1\" = \"done\"", "params.query.reply.status_map.1"),
        ("[params.create.fields]\nname = \"{subjct}\"", "params.create.fields.name"),
        ("[params.sign]\nalgorithm = \"sha1\"", "params.sign.algorithm"),
        ("[params.create.reply]\nqr_code = \"\"\n[params.refund]\npath = \"api.php\"", "params.refund.path"),
        ("[params.method_values]\nwechat = \"\"", "params.method_values.wechat"),
        ("[params.method_values]\nunionpay = \"up\"", "params.method_values.unionpay"),
        ("amount_format = \"cents\"", "params.amount_format"),
        ("[params.callback.status_map]\nTRADE_SUCCESS = \"ok\"", "params.callback.status_map.TRADE_SUCCESS"),
        ("[params.create.fields]\nsign = \"{pid}\"", "params.create.fields.sign"),
        ("[params.vars]\norder_no = \"1\"", "params.vars.order_no"),
        ("[params.sign]\nalgorithm = \"rsa-sha256\"\nkey_mode = \"none\"", "params.private_key_file"),
    ];
    for (extra, path) in cases {
        let text = if extra.contains("[params.vars]") { extra.to_string() } else { format!("{extra}\n{VARS}") };
        let e = Template::new(&account(&text), &env()).unwrap_err().to_string();
        assert!(e.contains(path), "{extra}: {e}");
        assert!(e.contains("epay-test") && !e.contains("Pd7k"), "{e}");
    }
}

#[test]
fn missing_pieces_are_named() {
    // A placeholder var the template needs but the account does not give.
    let e = Template::new(&account("[params.vars]\npid = \"1001\""), &env()).unwrap_err().to_string();
    assert!(e.contains("client_ip"), "{e}");
    let mut a = account(VARS);
    a.base_url = None;
    assert!(Template::new(&a, &env()).unwrap_err().to_string().contains("base_url"));
    let mut a = account(VARS);
    a.params.remove("secret_file");
    assert!(Template::new(&a, &env()).unwrap_err().to_string().contains("secret_file"));
    let mut a = account(VARS);
    a.params.insert("template_file".into(), toml::Value::String("no/such.toml".into()));
    assert!(Template::new(&a, &env()).unwrap_err().to_string().contains("template_file"));
}

#[test]
fn an_inline_recipe_without_a_file_works() {
    let text = r#"
name = "inline"
channel = "template"
base_url = "https://pay.example.com"
methods = ["ecny"]
[params]
methods = ["ecny"]
amount_format = "fen"
secret_file = "epay/key.txt"
[params.sign]
algorithm = "hmac-sha256"
key_mode = "none"
hex_case = "upper"
[params.barcode]
path = "/pay"
body = "json"
[params.barcode.fields]
code = "{auth_code}"
amt = "{amount}"
[params.barcode.reply]
success = { field = "ret", equals = ["0", "00"] }
status = "data.state"
[params.barcode.reply.status_map]
S = "paid"
P = "waiting"
[params.query]
path = "/query"
[params.query.fields]
no = "{order_no}"
[params.query.reply]
status = "data.state"
[params.query.reply.status_map]
S = "paid"
"#;
    let a: AccountConfig = toml::from_str(&text.replace("epay/key.txt", "keys/epay.key")).unwrap();
    // A real provider's account reads its key from the home's keys/ folder.
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir(home.path().join("keys")).unwrap();
    std::fs::copy(crate::sim::demo_keys_dir().join("epay/key.txt"), home.path().join("keys/epay.key")).unwrap();
    let t = Template::new(&a, &ChannelEnv::new(home.path(), Duration::from_secs(2))).unwrap();
    let caps = t.capabilities();
    assert!(caps.barcode && !caps.qr && !caps.callbacks);
    assert_eq!(caps.methods, vec![Method::Ecny]);
}

/// No recipe may weaken verification: each of these would let a forged callback book a payment,
/// or send the key where it is kept; each is refused at load, naming the recipe field.
#[test]
fn recipes_that_weaken_verification_are_refused() {
    let cases: &[(&str, &str, &str)] = &[
        ("[params.callback]\nsigned = false", "params.callback.signed", "anyone"),
        ("[params.sign]\nkey_mode = \"none\"", "params.sign.key_mode", "no signature"),
        ("[params.sign]\nexclude = [\"money\"]", "params.callback.amount", "left out of the signature"),
        ("[params.sign]\nexclude = [\"pid\"]", "params.callback.check.pid", "left out of the signature"),
        ("[params.callback]\nstatus = \"sign\"", "params.callback.status", "signature field"),
        ("[params.callback]\norder_no = \"sign_type\"", "params.callback.order_no", "sign_type_field"),
        ("[params.callback]\ntrade_no = \"trade_no|param2\"\n[params.sign]\nexclude = [\"param2\"]", "params.callback.trade_no", "param2"),
        ("[params.callback]\nformat = \"json\"\norder_no = \"data.out_trade_no\"", "params.callback.order_no", "nested"),
        ("[params.callback.check]\nsign_type = \"MD5\"", "params.callback.check.sign_type", "sign_type_field"),
        ("[params.query]\nhttp_method = \"GET\"", "params.query.http_method", "query string"),
        ("[params.refund]\nhttp_method = \"GET\"", "params.refund.http_method", "query string"),
        ("[params.query]\npath = \"/api.php?act=order&key={secret}\"", "params.query.path", "URL"),
    ];
    for (extra, path, why) in cases {
        let e = Template::new(&account(&format!("{extra}\n{VARS}")), &env()).unwrap_err().to_string();
        assert!(e.contains(path) && e.contains(why), "{extra}: {e}");
        assert!(!e.contains("Pd7k"), "{e}");
    }
    // {secret} only over https (or to this machine): the same recipe against a plain-http host.
    let mut a = account(VARS);
    a.base_url = Some("http://pay.example.com/epay".into());
    let e = Template::new(&a, &env()).unwrap_err().to_string();
    assert!(e.contains("params.query.fields") && e.contains("https"), "{e}");
    // A JSON callback may read top-level fields (signed), and HMAC without the key in the string is
    // still keyed.
    let ok = "[params.callback]\nformat = \"json\"\n[params.sign]\nalgorithm = \"hmac-sha256\"\nkey_mode = \"none\"";
    Template::new(&account(&format!("{ok}\n{VARS}")), &env()).unwrap();
}

/// What the loader refuses, the callback path could not be made to accept either: a callback
/// without a valid signature, or one whose checked field differs, books nothing.
#[test]
fn the_shipped_recipe_verifies_callbacks_before_reading_them() {
    use paydesk_core::channel::CallbackRequest;
    let t = Template::new(&account(VARS), &env()).unwrap();
    let key = std::fs::read_to_string(crate::sim::demo_keys_dir().join("epay/key.txt")).unwrap();
    let fields = |pid: &str, money: &str| -> Vec<(String, String)> {
        [("pid", pid), ("trade_no", "T1"), ("out_trade_no", "P20260101T1000000000000001"), ("type", "alipay"), ("name", "x"), ("money", money), ("trade_status", "TRADE_SUCCESS")].iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    };
    let req = |f: &[(String, String)], sig: &str| {
        let mut f = f.to_vec();
        f.push(("sign".into(), sig.into()));
        f.push(("sign_type".into(), "MD5".into()));
        CallbackRequest { body: serde_urlencoded::to_string(&f).unwrap().into_bytes(), ..Default::default() }
    };
    let good = fields("1001", "1.00");
    let sig = crate::sim::epay::sign(&good, key.trim());
    assert!(t.parse_callback(&req(&good, &sig)).is_ok());
    let e = t.parse_callback(&req(&fields("1001", "100.00"), &sig)).unwrap_err();
    assert!(matches!(e, paydesk_core::ChannelError::SignatureInvalid { .. }), "{e:?}");
    let e = t.parse_callback(&req(&good, "")).unwrap_err();
    assert!(matches!(e, paydesk_core::ChannelError::SignatureInvalid { .. }), "{e:?}");
    let other = fields("1002", "1.00");
    let e = t.parse_callback(&req(&other, &crate::sim::epay::sign(&other, key.trim()))).unwrap_err();
    assert!(matches!(e, paydesk_core::ChannelError::Mismatch { .. }), "{e:?}");
}
