//! The app assembled on Tauri's mock runtime: commands through real IPC, roles enforced in Rust.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use paydesk_core::auth::{self, Role};
use paydesk_core::config::Settings;
use paydesk_core::{Payments, Store};
use serde_json::{json, Value};
use tauri::test::{get_ipc_response, mock_builder, mock_context, noop_assets, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::WebviewWindowBuilder;

use crate::state::AppState;
use crate::voice::{Lang, Voice};

fn state(dir: &std::path::Path) -> AppState {
    let store = Arc::new(Store::open(&Store::path_in(dir)).unwrap());
    let now = chrono::Utc::now();
    auth::add_user(&store, "boss", Role::Owner, "9999", &paydesk_core::Principal::System, now).unwrap();
    auth::add_user(&store, "amy", Role::Cashier, "1111", &paydesk_core::Principal::System, now).unwrap();
    auth::add_user(&store, "ann", Role::Accountant, "5555", &paydesk_core::Principal::System, now).unwrap();
    let env = paydesk_channels::ChannelEnv::new(dir, Duration::from_secs(1));
    let payments = Arc::new(Payments::new(store, Settings::default(), paydesk_channels::factory(env)).unwrap());
    let recon = Arc::new(paydesk_core::reconcile::Reconciler::new(payments.clone(), dir, Arc::new(paydesk_channels::statement::Parsers)));
    let bank = crate::bank_leg(&payments, dir);
    AppState { home: dir.to_path_buf(), payments, session: RwLock::new(None), sale: Default::default(), voice: Voice::new(false, Lang::Zh), demo: None, service: None, follower_stop: tokio::sync::watch::channel(false).0, recon, bank }
}

struct App {
    _dir: tempfile::TempDir,
    _app: tauri::App<tauri::test::MockRuntime>,
    webview: tauri::WebviewWindow<tauri::test::MockRuntime>,
}

fn app() -> App {
    let dir = tempfile::tempdir().unwrap();
    let st = state(dir.path());
    let app = crate::build(mock_builder(), st, false).build(mock_context(noop_assets())).unwrap();
    let webview = WebviewWindowBuilder::new(&app, "main", Default::default()).build().unwrap();
    App { _dir: dir, _app: app, webview }
}

impl App {
    fn call(&self, cmd: &str, body: Value) -> Result<Value, Value> {
        get_ipc_response(
            &self.webview,
            InvokeRequest {
                cmd: cmd.into(),
                callback: tauri::ipc::CallbackFn(0),
                error: tauri::ipc::CallbackFn(1),
                url: "tauri://localhost".parse().unwrap(),
                body: tauri::ipc::InvokeBody::Json(body),
                headers: Default::default(),
                invoke_key: INVOKE_KEY.to_string(),
            },
        )
        .map(|b| b.deserialize::<Value>().unwrap())
    }
}

#[test]
fn roles_are_enforced_by_the_commands_themselves() {
    let a = app();
    // Nobody logged in: nothing but the login screen's data.
    assert_eq!(a.call("list_orders", json!({"filter": {}})).unwrap_err()["code"], "not_logged_in");
    assert_eq!(a.call("app_info", json!({})).unwrap()["users"].as_array().unwrap().len(), 3);
    // Wrong PIN.
    assert_eq!(a.call("login", json!({"name": "amy", "pin": "0000"})).unwrap_err()["code"], "bad_pin");
    // A cashier may list orders but may not refund, export or change settings — even by calling
    // the command directly.
    let s = a.call("login", json!({"name": "amy", "pin": "1111"})).unwrap();
    assert_eq!(s["role"], "cashier");
    assert!(!s["allowed"].as_array().unwrap().contains(&json!("refund")));
    assert!(a.call("list_orders", json!({"filter": {}})).unwrap().as_array().unwrap().is_empty());
    let refused = a.call("refund", json!({"req": {"order_no": "P20261125120000000T1000", "amount": "1.00", "pin": "1111"}})).unwrap_err();
    assert_eq!(refused, json!({"code": "forbidden", "message": "a cashier may not refund"}));
    assert_eq!(a.call("export_orders", json!({"filter": {}})).unwrap_err()["code"], "forbidden");
    assert_eq!(a.call("get_settings", json!({})).unwrap_err()["code"], "forbidden");
    a.call("logout", json!({})).unwrap();
    // The accountant exports but takes no payments.
    a.call("login", json!({"name": "ann", "pin": "5555"})).unwrap();
    let ex = a.call("export_orders", json!({"filter": {}})).unwrap();
    assert_eq!(ex["rows"], 0);
    assert!(std::fs::read_to_string(ex["path"].as_str().unwrap()).unwrap().starts_with("order_no,"));
    assert_eq!(a.call("create_qr", json!({"req": {"amount": "1.00", "sale_id": "s1"}})).unwrap_err()["code"], "forbidden");
    a.call("logout", json!({})).unwrap();
    // The owner: refund needs the PIN again; a wrong one is refused and audited.
    a.call("login", json!({"name": "boss", "pin": "9999"})).unwrap();
    let bad = a.call("refund", json!({"req": {"order_no": "P20261125120000000T1000", "amount": "1.00", "pin": "1234"}})).unwrap_err();
    assert_eq!(bad["code"], "bad_pin");
    let missing = a.call("refund", json!({"req": {"order_no": "P20261125120000000T1000", "amount": "1.00", "pin": "9999"}})).unwrap_err();
    assert_eq!(missing["code"], "not_found");
    let log = a.call("audit_log", json!({})).unwrap();
    let actions: Vec<(String, String)> = log.as_array().unwrap().iter().map(|e| (e["action"].as_str().unwrap().into(), e["outcome"].as_str().unwrap().into())).collect();
    for want in [("refund", "denied"), ("export", "ok"), ("export_orders", "denied"), ("login", "denied"), ("logout", "ok")] {
        assert!(actions.contains(&(want.0.into(), want.1.into())), "audit lacks {want:?}: {actions:?}");
    }
}

#[test]
fn invalid_input_names_the_field() {
    let a = app();
    a.call("login", json!({"name": "amy", "pin": "1111"})).unwrap();
    let e = a.call("create_qr", json!({"req": {"amount": "12.345", "sale_id": "s1"}})).unwrap_err();
    assert_eq!(e["code"], "invalid");
    assert!(e["message"].as_str().unwrap().starts_with("amount:"), "{e}");
    let e = a.call("barcode_pay", json!({"req": {"amount": "1.00", "auth_code": "12345", "sale_id": "s2"}})).unwrap_err();
    assert!(e["message"].as_str().unwrap().starts_with("auth_code:"), "{e}");
    // Nothing configured: a clear "no account", and the till is free again afterwards.
    let e = a.call("create_qr", json!({"req": {"amount": "1.00", "sale_id": "s3"}})).unwrap_err();
    assert_eq!(e["code"], "no_account");
    assert_eq!(a.call("create_qr", json!({"req": {"amount": "1.00", "sale_id": "s4"}})).unwrap_err()["code"], "no_account");
    assert_eq!(a.call("set_language", json!({"lang": "fr"})).unwrap_err()["code"], "invalid");
    a.call("set_language", json!({"lang": "en"})).unwrap();
    assert_eq!(a.call("app_info", json!({})).unwrap()["lang"], "en");
}

#[test]
fn owner_tunes_routing_inline_and_limits_refuse_the_cashier() {
    let a = app();
    a.call("login", json!({"name": "boss", "pin": "9999"})).unwrap();
    let keys = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/demo/keys").canonicalize().unwrap();
    let account = json!({
        "name": "sb", "channel": "sandbox", "display_name": "", "enabled": true, "priority": 10, "weight": 1, "fee_rate_bp": 60,
        "daily_cap": null, "methods": [], "base_url": "http://127.0.0.1:9/sandbox", "callback_allow": [],
        "params": {"merchant_id": "M1", "private_key_file": keys.join("merchant_private.pem"), "gateway_public_key_file": keys.join("gateway_public.pem")},
    });
    a.call("save_account", json!({"account": account})).unwrap();
    let changes = a.call("update_account_routing", json!({"name": "sb", "input": {"priority": 1, "weight": 3, "daily_cap": "100.00"}})).unwrap();
    assert_eq!(changes, json!(["priority 10 → 1", "weight 1 → 3", "daily_cap none → 100.00"]));
    let e = a.call("update_account_routing", json!({"name": "sb", "input": {"weight": 0}})).unwrap_err();
    assert!(e["message"].as_str().unwrap().starts_with("weight"), "{e}");
    let list = a.call("list_accounts", json!({})).unwrap();
    assert_eq!((list[0]["account"]["priority"].as_i64(), list[0]["health"]["state"].as_str()), (Some(1), Some("closed")));
    let log = a.call("audit_log", json!({})).unwrap();
    let entry = log.as_array().unwrap().iter().find(|e| e["action"] == "account_settings" && e["detail"].as_str().unwrap().contains("weight")).unwrap().clone();
    assert_eq!((entry["actor"].as_str(), entry["role"].as_str()), (Some("boss"), Some("owner")));
    let limits = a.call("save_limits", json!({"input": {"cashier_amount": "1.00", "till_count": 500}})).unwrap();
    assert_eq!(limits["till"]["count"], 500);
    assert!(a.call("save_limits", json!({"input": {"till_amount": "-1"}})).unwrap_err()["message"].as_str().unwrap().starts_with("till_amount"));
    a.call("logout", json!({})).unwrap();

    a.call("login", json!({"name": "amy", "pin": "1111"})).unwrap();
    let e = a.call("create_qr", json!({"req": {"amount": "2.00", "method": "sandbox", "sale_id": "L1"}})).unwrap_err();
    assert_eq!((e["code"].as_str(), e["details"]["scope"].as_str(), e["details"]["who"].as_str(), e["details"]["limit"].as_i64()), (Some("limit"), Some("cashier"), Some("amy"), Some(100)));
    assert_eq!(a.call("update_account_routing", json!({"name": "sb", "input": {"priority": 5}})).unwrap_err()["code"], "forbidden");
    // The till is free again after a refusal.
    let e = a.call("create_qr", json!({"req": {"amount": "0.50", "method": "sandbox", "sale_id": "L2"}}));
    assert!(e.is_ok() || e.unwrap_err()["code"] != "sale_in_progress");
}

#[test]
fn reconciliation_is_for_the_accountant_and_the_owner() {
    let a = app();
    let scope = json!({"from": "2026-11-25", "to": "2026-11-25", "accounts": []});
    a.call("login", json!({"name": "amy", "pin": "1111"})).unwrap();
    assert_eq!(a.call("recon_overview", json!({"scope": scope})).unwrap_err()["code"], "forbidden");
    assert_eq!(a.call("recon_resolve", json!({"id": 1, "note": "x"})).unwrap_err()["code"], "forbidden");
    assert_eq!(a.call("recon_alert", json!({})).unwrap(), Value::Null, "no alert for a cashier");
    a.call("logout", json!({})).unwrap();
    a.call("login", json!({"name": "ann", "pin": "5555"})).unwrap();
    let o = a.call("recon_overview", json!({"scope": scope})).unwrap();
    assert_eq!(o["runs"], json!([]));
    assert_eq!(o["yesterday"].as_str().unwrap().len(), 10);
    let e = a.call("recon_run", json!({"scope": {"from": "2026-11-26", "to": "2026-11-25"}, "file": null})).unwrap_err();
    assert!(e["message"].as_str().unwrap().starts_with("to:"), "{e}");
    let e = a.call("recon_export", json!({"scope": scope, "format": "xlsx"})).unwrap_err();
    assert!(e["message"].as_str().unwrap().starts_with("scope:"), "{e}");
    assert_eq!(a.call("recon_resolve", json!({"id": 1, "note": " "})).unwrap_err()["message"], "note: write why this difference is fine or what was done");
    assert_eq!(a.call("recon_resolve", json!({"id": 99, "note": "ok"})).unwrap_err()["code"], "not_found");
}

#[test]
fn args() {
    let p = |v: &[&str]| crate::parse_args(v.iter().map(|s| s.to_string()));
    assert_eq!(p(&["--demo"]).unwrap(), crate::Options { demo: true, ..Default::default() });
    assert_eq!(p(&["--home", "/x", "--no-customer-display"]).unwrap().customer_display, Some(false));
    assert!(p(&["--home"]).is_err() && p(&["--nope"]).is_err());
}

#[test]
fn analytics_for_owner_and_accountant_only() {
    use tauri::Manager;
    let a = app();
    let st = a._app.state::<AppState>();
    st.store().upsert_account(&toml::from_str("name = \"wx\"\nchannel = \"wechat\"\nfee_rate_bp = 38").unwrap()).unwrap();
    let sim = paydesk_channels::sim::SimState::new(paydesk_channels::sim::SimConfig::new(paydesk_channels::sim::SimKeys::load(&paydesk_channels::sim::demo_keys_dir()).unwrap()));
    let seeded = paydesk_channels::demo::seed_history(st.store(), &sim, &Settings::default(), &["boss"], 10, chrono::Utc::now()).unwrap();
    assert!(seeded > 1000);
    let look = json!({"theme": "dark", "lang": "en"});
    a.call("login", json!({"name": "amy", "pin": "1111"})).unwrap();
    assert_eq!(a.call("analytics", json!({"range": {"period": "week"}, "look": look})).unwrap_err()["code"], "forbidden");
    assert_eq!(a.call("export_analytics", json!({"range": {"period": "week"}, "look": look})).unwrap_err()["code"], "forbidden");
    a.call("logout", json!({})).unwrap();
    a.call("login", json!({"name": "ann", "pin": "5555"})).unwrap();
    let v = a.call("analytics", json!({"range": {"period": "custom", "from": "2020-01-01", "to": "2030-01-01"}, "look": look})).unwrap_err();
    assert!(v["message"].as_str().unwrap().starts_with("to:"), "{v}");
    let v = a.call("analytics", json!({"range": {"period": "custom", "to": "2026-01-01"}, "look": look})).unwrap_err();
    assert!(v["message"].as_str().unwrap().starts_with("from:"), "{v}");
    let today = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    let from = (today - chrono::Days::new(9)).to_string();
    let v = a.call("analytics", json!({"range": {"period": "custom", "from": from, "to": today.to_string()}, "look": look})).unwrap();
    assert_eq!(v["dashboard"]["current"]["orders"].as_i64().unwrap() + v["dashboard"]["current"]["failed"].as_i64().unwrap() + v["dashboard"]["current"]["closed"].as_i64().unwrap(), seeded as i64);
    let kinds: Vec<&str> = v["charts"].as_array().unwrap().iter().map(|c| c["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["sales", "hours", "heatmap", "methods", "channels"]);
    assert!(v["charts"][0]["svg"].as_str().unwrap().contains("Sales by day"));
    let ex = a.call("export_analytics", json!({"range": {"period": "week"}, "look": {"theme": "light", "lang": "zh-CN"}})).unwrap();
    assert_eq!(ex["files"].as_array().unwrap().len(), 13);
    assert!(std::path::Path::new(ex["dir"].as_str().unwrap()).join(ex["files"][0].as_str().unwrap()).exists());
    let log = a.call("audit_log", json!({})).unwrap();
    assert!(log.as_array().unwrap().iter().any(|e| e["action"] == "export_analytics" && e["outcome"] == "ok"));
}

/// The app saves no account whose key file lies outside the home's keys/ folder; importing the
/// file (copied in, sealed for the account) is the way in.
#[test]
fn keys_outside_the_key_folder_are_imported_not_pointed_at() {
    let a = app();
    a.call("login", json!({"name": "boss", "pin": "9999"})).unwrap();
    let outside = tempfile::tempdir().unwrap();
    let keys = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/demo/keys");
    std::fs::copy(keys.join("merchant_private.pem"), outside.path().join("app.pem")).unwrap();
    let account = |key: &str| {
        json!({
            "name": "sb", "channel": "sandbox", "display_name": "", "enabled": true, "priority": 10, "weight": 1, "fee_rate_bp": 60,
            "daily_cap": null, "methods": [], "base_url": "https://sandbox.example.com", "callback_allow": [],
            "params": {"merchant_id": "M1", "private_key_file": key, "gateway_public_key_file": keys.join("gateway_public.pem")},
        })
    };
    let e = a.call("save_account", json!({"account": account(&outside.path().join("app.pem").display().to_string())})).unwrap_err();
    let m = e["message"].as_str().unwrap();
    assert!(e["code"] == "invalid" && m.contains("private_key_file") && m.contains("outside the home's key folder"), "{e}");
    assert!(a.call("list_accounts", json!({})).unwrap().as_array().unwrap().is_empty(), "nothing saved");
    let rel = a.call("import_key", json!({"account": "sb", "field": "private_key_file", "path": outside.path().join("app.pem")})).unwrap();
    assert_eq!(rel, "keys/sb.private_key_file.sealed");
    a.call("save_account", json!({"account": account(rel.as_str().unwrap())})).unwrap();
}
