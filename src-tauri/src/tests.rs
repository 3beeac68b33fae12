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
    let st = bare_state(dir);
    let now = chrono::Utc::now();
    auth::add_user(st.store(), "boss", Role::Owner, "999999", &paydesk_core::Principal::System, now).unwrap();
    auth::add_user(st.store(), "amy", Role::Cashier, "1111", &paydesk_core::Principal::System, now).unwrap();
    auth::add_user(st.store(), "ann", Role::Accountant, "5555", &paydesk_core::Principal::System, now).unwrap();
    st
}

/// A new till: a book with nobody in it yet.
fn bare_state(dir: &std::path::Path) -> AppState {
    let store = Arc::new(Store::open(&Store::path_in(dir)).unwrap());
    let env = paydesk_channels::ChannelEnv::new(dir, Duration::from_secs(1));
    let payments = Arc::new(Payments::new(store, Settings::default(), paydesk_channels::factory(env)).unwrap());
    let recon = Arc::new(paydesk_core::reconcile::Reconciler::new(payments.clone(), dir, Arc::new(paydesk_channels::statement::Parsers)));
    let (spool, printer) = AppState::printing(payments.settings().printer.clone(), dir);
    let bank = crate::bank_leg(&payments, dir);
    AppState { home: dir.to_path_buf(), payments, session: RwLock::new(None), sale: Default::default(), voice: Voice::new(false, Lang::Zh), demo: None, service: None, follower_stop: tokio::sync::watch::channel(false).0, recon, spool, printer, lock: None, bank }
}

struct App {
    _dir: tempfile::TempDir,
    _app: tauri::App<tauri::test::MockRuntime>,
    webview: tauri::WebviewWindow<tauri::test::MockRuntime>,
}

fn app() -> App {
    app_with(state)
}

fn app_with(make: fn(&std::path::Path) -> AppState) -> App {
    let dir = tempfile::tempdir().unwrap();
    let st = make(dir.path());
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
    let refused = a.call("revoke", json!({"req": {"order_no": "P20261125120000000T1000", "pin": "1111"}})).unwrap_err();
    assert_eq!(refused["code"], "forbidden");
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
    a.call("login", json!({"name": "boss", "pin": "999999"})).unwrap();
    let bad = a.call("refund", json!({"req": {"order_no": "P20261125120000000T1000", "amount": "1.00", "pin": "1234"}})).unwrap_err();
    assert_eq!(bad["code"], "bad_pin");
    let missing = a.call("refund", json!({"req": {"order_no": "P20261125120000000T1000", "amount": "1.00", "pin": "999999"}})).unwrap_err();
    assert_eq!(missing["code"], "not_found");
    assert_eq!(a.call("revoke", json!({"req": {"order_no": "P20261125120000000T1000", "pin": "1234"}})).unwrap_err()["code"], "bad_pin");
    assert_eq!(a.call("revoke", json!({"req": {"order_no": "P20261125120000000T1000", "pin": "999999"}})).unwrap_err()["code"], "not_found");
    let log = a.call("audit_log", json!({})).unwrap();
    let actions: Vec<(String, String)> = log.as_array().unwrap().iter().map(|e| (e["action"].as_str().unwrap().into(), e["outcome"].as_str().unwrap().into())).collect();
    for want in [("refund", "denied"), ("revoke", "denied"), ("export", "ok"), ("export_orders", "denied"), ("login", "denied"), ("logout", "ok")] {
        assert!(actions.contains(&(want.0.into(), want.1.into())), "audit lacks {want:?}: {actions:?}");
    }
}

#[test]
fn management_asks_for_the_pin_again_and_idle_sessions_end() {
    use tauri::Manager;
    let a = app();
    // Someone tries amy's PIN until she is locked; the owner hears of it at the next login.
    for _ in 0..5 {
        let _ = a.call("login", json!({"name": "amy", "pin": "0000"}));
    }
    assert_eq!(a.call("login", json!({"name": "amy", "pin": "1111"})).unwrap_err()["code"], "locked");
    let s = a.call("login", json!({"name": "boss", "pin": "999999"})).unwrap();
    let notices = s["notices"].as_array().unwrap();
    assert_eq!((notices.len(), notices[0]["kind"].as_str(), notices[0]["user"].as_str()), (1, Some("locked"), Some("amy")), "{s}");
    assert_eq!(s["idle_logout_secs"], 600, "ten minutes by default");
    // Looking at the users needs no PIN; changing them does, once per few minutes.
    assert_eq!(a.call("list_users", json!({})).unwrap().as_array().unwrap().len(), 3);
    let e = a.call("add_user", json!({"name": "bob", "role": "cashier", "pin": "2222"})).unwrap_err();
    assert_eq!(e["code"], "reauth_required");
    assert_eq!(a.call("set_account_enabled", json!({"name": "x", "enabled": false})).unwrap_err()["code"], "reauth_required");
    assert_eq!(a.call("import_key", json!({"account": "x", "field": "private_key_file", "path": "/tmp/k.pem"})).unwrap_err()["code"], "reauth_required");
    assert_eq!(a.call("confirm_pin", json!({"pin": "123456"})).unwrap_err()["code"], "bad_pin");
    a.call("confirm_pin", json!({"pin": "999999"})).unwrap();
    a.call("add_user", json!({"name": "bob", "role": "cashier", "pin": "2222"})).unwrap();
    // An owner's PIN must have 6 digits.
    let e = a.call("add_user", json!({"name": "boss2", "role": "owner", "pin": "1234"})).unwrap_err();
    assert_eq!(e["message"], "pin: an owner's PIN must be 6 to 8 digits");
    // Idle: the session ends by itself, whatever the UI does.
    let st = a._app.state::<AppState>();
    st.with_session(|s| s.active_at = chrono::Utc::now() - chrono::Duration::minutes(11));
    assert_eq!(a.call("list_orders", json!({"filter": {}})).unwrap_err()["code"], "session_expired");
    assert_eq!(a.call("list_orders", json!({"filter": {}})).unwrap_err()["code"], "not_logged_in");
    assert!(a.call("app_info", json!({})).unwrap()["session"].is_null());
    let log = a.call("login", json!({"name": "boss", "pin": "999999"})).and_then(|_| a.call("audit_log", json!({}))).unwrap();
    assert!(log.as_array().unwrap().iter().any(|e| e["action"] == "logout" && e["detail"].as_str().unwrap().starts_with("idle")));
    assert!(log.as_array().unwrap().iter().any(|e| e["action"] == "login_locked" && e["target"] == "amy"));
    // Activity pushes the idle logout back.
    st.with_session(|s| s.active_at = chrono::Utc::now() - chrono::Duration::minutes(9));
    a.call("touch_session", json!({})).unwrap();
    st.with_session(|s| s.active_at -= chrono::Duration::minutes(9));
    assert!(a.call("list_orders", json!({"filter": {}})).is_ok(), "touched 9 minutes ago: still live");
}

#[test]
fn invalid_input_names_the_field() {
    let a = app();
    a.call("login", json!({"name": "amy", "pin": "1111"})).unwrap();
    assert!(a.call("open_shift", json!({"float": "1.234"})).unwrap_err()["message"].as_str().unwrap().starts_with("float"));
    a.call("open_shift", json!({"float": "0"})).unwrap();
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
    a.call("login", json!({"name": "boss", "pin": "999999"})).unwrap();
    a.call("confirm_pin", json!({"pin": "999999"})).unwrap();
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
    a.call("open_shift", json!({"float": "0"})).unwrap();
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
    assert_eq!(a.call("recon_accept", json!({"ids": [1], "note": "x"})).unwrap_err()["code"], "forbidden");
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
    assert_eq!(a.call("recon_accept", json!({"ids": [99], "note": "sticker"})).unwrap_err()["code"], "not_found");
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
    let seeded = paydesk_channels::demo::seed_history(st.store(), &sim, &Settings::default(), &["boss"], 10, None, chrono::Utc::now()).unwrap();
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

#[test]
fn the_owner_imports_orders_from_the_orders_screen_checked_first() {
    use tauri::Manager;
    let a = app();
    let st = a._app.state::<AppState>();
    st.store().upsert_account(&toml::from_str("name = \"ali\"\nchannel = \"alipay\"\nfee_rate_bp = 60").unwrap()).unwrap();
    let file = |rows: &[&str]| {
        let csv = format!("order_no,account,amount,status,created_at,paid_at\n{}\n", rows.join("\n"));
        json!({"name": "old-pos.csv", "bytes": csv.into_bytes()})
    };
    let good = file(&["P20261125100000000B1001,ali,12.34,success,2026-11-25 10:00:00,2026-11-25 10:00:05", "P20261125100100000B1002,ali,5.00,closed,2026-11-25 10:01:00,"]);
    a.call("login", json!({"name": "amy", "pin": "1111"})).unwrap();
    assert_eq!(a.call("import_orders_file", json!({"file": good, "dryRun": true})).unwrap_err()["code"], "forbidden");
    a.call("logout", json!({})).unwrap();
    a.call("login", json!({"name": "boss", "pin": "999999"})).unwrap();
    // A bad file: its errors come back as data, line and field; nothing is written.
    let bad = file(&["P20261125100000000B1001,ali,12.345,success,2026-11-25 10:00:00,2026-11-25 10:00:05", "P20261125100100000B1002,nope,5.00,closed,2026-11-25 10:01:00,"]);
    let r = a.call("import_orders_file", json!({"file": bad, "dryRun": false})).unwrap();
    assert_eq!(r["report"], Value::Null);
    assert_eq!(r["total_errors"], 2);
    let fields: Vec<(u64, &str)> = r["errors"].as_array().unwrap().iter().map(|e| (e["line"].as_u64().unwrap(), e["field"].as_str().unwrap())).collect();
    assert_eq!(fields, [(2, "amount"), (3, "account")]);
    // The check of a good file writes nothing; the import writes both, audited under the owner.
    let r = a.call("import_orders_file", json!({"file": good, "dryRun": true})).unwrap();
    assert_eq!((r["report"]["orders"].as_u64(), r["report"]["paid_amount"].as_i64(), r["report"]["dry_run"].as_bool()), (Some(2), Some(1234), Some(true)));
    assert!(a.call("list_orders", json!({"filter": {}})).unwrap().as_array().unwrap().is_empty());
    let r = a.call("import_orders_file", json!({"file": good, "dryRun": false})).unwrap();
    assert_eq!(r["report"]["orders"], 2);
    let listed = a.call("list_orders", json!({"filter": {}})).unwrap();
    assert!(listed.as_array().unwrap().iter().all(|o| o["origin"] == "import"), "{listed}");
    let d = a.call("order_detail", json!({"orderNo": "P20261125100000000B1001"})).unwrap();
    assert_eq!((d["order"]["principal"]["kind"].as_str(), d["order"]["principal"]["name"].as_str()), (Some("user"), Some("boss")), "{d}");
    let log = a.call("audit_log", json!({})).unwrap();
    assert!(log.as_array().unwrap().iter().any(|e| e["action"] == "orders_import" && e["target"] == "old-pos.csv" && e["actor"] == "boss"), "{log}");
    // The same file again: refused whole (the book has those numbers).
    let again = a.call("import_orders_file", json!({"file": good, "dryRun": false})).unwrap();
    assert_eq!((again["report"].clone(), again["errors"][0]["field"].as_str()), (Value::Null, Some("order_no")), "{again}");
    assert_eq!(a.call("list_orders", json!({"filter": {}})).unwrap().as_array().unwrap().len(), 2);
}

#[test]
fn first_start_sets_up_the_shop_in_one_step_and_the_owner_backs_up() {
    let a = app_with(bare_state);
    let info = a.call("app_info", json!({})).unwrap();
    assert_eq!((info["needs_setup"].as_bool(), info["shop_name"].as_str()), (Some(true), Some("")));
    assert_eq!(info["version"], env!("CARGO_PKG_VERSION"));
    let shop = |name: &str, pin: &str, callback: Value| json!({"input": {"shop_name": name, "owner": "王老板", "pin": pin, "callback": callback}});
    // Bad input names the field and writes nothing: no owner, no settings.
    let e = a.call("setup_shop", shop(" ", "246810", json!({"mode": "polling_only"}))).unwrap_err();
    assert!(e["message"].as_str().unwrap().starts_with("shop_name"), "{e}");
    let e = a.call("setup_shop", shop("小王便利店", "12", json!({"mode": "polling_only"}))).unwrap_err();
    assert_eq!(e["code"], "invalid", "{e}");
    let e = a.call("setup_shop", shop("小王便利店", "246810", json!({"mode": "public_url", "base_url": "http://x.example.com"}))).unwrap_err();
    assert!(e["message"].as_str().unwrap().starts_with("base_url"), "{e}");
    assert_eq!(a.call("app_info", json!({})).unwrap()["needs_setup"], true);
    assert!(!Settings::file(a._dir.path()).exists(), "nothing written");
    // All of it valid: the owner is created and logged in, the settings saved.
    let s = a.call("setup_shop", shop("小王便利店", "246810", json!({"mode": "tunnel", "server": "bore.example.com", "secret_file": null}))).unwrap();
    assert_eq!(s["role"], "owner");
    let saved = Settings::load(a._dir.path()).unwrap();
    assert_eq!(saved.shop_name, "小王便利店");
    assert!(matches!(saved.callback, paydesk_core::config::CallbackMode::Tunnel { ref server, .. } if server == "bore.example.com"));
    assert_eq!(a.call("app_info", json!({})).unwrap()["shop_name"], "小王便利店");
    assert_eq!(a.call("setup_shop", shop("x", "246810", json!({"mode": "polling_only"}))).unwrap_err()["code"], "conflict");
    assert_eq!(a.call("launch_demo", json!({})).unwrap_err()["code"], "conflict", "the demo is offered only before setup");
    // Backups: never, then one verified copy in the folder, then healthy.
    assert_eq!(a.call("backup_overview", json!({})).unwrap()["health"], "never");
    let r = a.call("backup_now", json!({})).unwrap();
    let file = std::path::PathBuf::from(r["file"].as_str().unwrap());
    assert!(file.starts_with(a._dir.path().join("backups")) && file.exists(), "{r}");
    assert_eq!(r["figures"]["users"], 1);
    let v = a.call("backup_overview", json!({})).unwrap();
    assert_eq!((v["health"].as_str(), v["backups"].as_array().map(Vec::len)), (Some("ok"), Some(1)));
    let p = a.call("restore_preview", json!({"path": file.display().to_string()})).unwrap();
    assert_eq!(p["newer"], json!([]), "the book holds nothing the backup lacks");
    let e = a.call("move_export", json!({"path": a._dir.path().join("m.pdmove").display().to_string(), "passphrase": "short"})).unwrap_err();
    assert_eq!(e["code"], "bad_passphrase");
    // A folder that cannot be made is refused, naming the field.
    std::fs::write(a._dir.path().join("blocked"), "a file").unwrap();
    let e = a.call("save_backup_settings", json!({"dir": a._dir.path().join("blocked").display().to_string(), "enabled": true})).unwrap_err();
    assert!(e["message"].as_str().unwrap().starts_with("dir"), "{e}");
}

/// The app saves no account whose key file lies outside the home's keys/ folder; importing the
/// file (copied in, sealed for the account) is the way in.
#[test]
fn keys_outside_the_key_folder_are_imported_not_pointed_at() {
    let a = app();
    a.call("login", json!({"name": "boss", "pin": "999999"})).unwrap();
    a.call("confirm_pin", json!({"pin": "999999"})).unwrap();
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

#[test]
fn a_shift_through_the_commands_blind_count_and_the_z() {
    let a = app();
    a.call("login", json!({"name": "amy", "pin": "1111"})).unwrap();
    // No payment of any kind before the cashier opens a shift.
    let cash = |amount: &str, tendered: Option<&str>, id: &str| json!({"req": {"method": "cash", "amount": amount, "tendered": tendered, "sale_id": id}});
    assert_eq!(a.call("record_tender", cash("12.34", Some("20"), "c1")).unwrap_err()["code"], "no_shift");
    assert_eq!(a.call("create_qr", json!({"req": {"amount": "1.00", "sale_id": "q1"}})).unwrap_err()["code"], "no_shift");
    let opened = a.call("open_shift", json!({"float": "200"})).unwrap();
    assert_eq!((opened["shift"]["opened_by"].as_str(), opened["shift"]["opening_float"].as_i64()), (Some("amy"), Some(20000)));
    assert!(a.call("open_shift", json!({"float": "0"})).is_err(), "a second shift is refused while one is open");
    // Cash with change (a repeated call records once), a card terminal payment.
    let c = a.call("record_tender", cash("12.34", Some("20"), "c1")).unwrap();
    assert_eq!((c["kind"].as_str(), c["status"].as_str(), c["tendered"].as_i64(), c["principal"]["name"].as_str()), (Some("tender"), Some("success"), Some(2000), Some("amy")));
    assert_eq!(a.call("record_tender", cash("12.34", Some("20"), "c1")).unwrap()["order_no"], c["order_no"]);
    let e = a.call("record_tender", cash("12.34", Some("10"), "c2")).unwrap_err();
    assert!(e["message"].as_str().unwrap().contains("tendered"), "{e}");
    a.call("record_tender", json!({"req": {"method": "card", "amount": "30.00", "reference": "T88", "sale_id": "k1"}})).unwrap();
    // The X report is blind for the cashier: the expected cash is not shown before the count.
    let x = a.call("shift_report", json!({})).unwrap();
    assert_eq!((x["figures"]["gross"].as_i64(), x["figures"]["cash"]["expected"].as_i64(), x["locked"].as_bool()), (Some(4234), None, Some(false)));
    // The cashier cannot close the day, nor see the history.
    assert_eq!(a.call("close_day", json!({})).unwrap_err()["code"], "forbidden");
    assert_eq!(a.call("shift_history", json!({})).unwrap_err()["code"], "forbidden");
    // The blind count: 1.00 short of 200 + 12.34.
    let r = a.call("close_shift", json!({"counted": "211.34", "handedTo": "boss"})).unwrap();
    assert_eq!((r["figures"]["cash"]["expected"].as_i64(), r["figures"]["cash"]["over_short"].as_i64(), r["locked"].as_bool()), (Some(21234), Some(-100), Some(true)));
    assert_eq!(r["shift"]["handed_to"], "boss");
    assert_eq!(a.call("record_tender", cash("1.00", None, "c3")).unwrap_err()["code"], "no_shift");
    a.call("logout", json!({})).unwrap();
    // The owner sees the history with the over/short, and closes the day once.
    a.call("login", json!({"name": "boss", "pin": "999999"})).unwrap();
    let h = a.call("shift_history", json!({})).unwrap();
    assert_eq!((h[0]["counted_cash"].as_i64(), h[0]["expected_cash"].as_i64()), (Some(21134), Some(21234)));
    let d = a.call("close_day", json!({})).unwrap();
    assert_eq!((d["till_z"]["z_no"].as_i64(), d["till_z"]["figures"]["net"].as_i64(), d["till_z"]["over_short"].as_i64()), (Some(1), Some(4234), Some(-100)));
    assert!(a.call("close_day", json!({})).is_err(), "one Z per business day");
    let files = a.call("export_till_report", json!({"zNo": 1, "store": false, "format": "csv"})).unwrap();
    let text = std::fs::read_to_string(files["paths"][0].as_str().unwrap()).unwrap();
    assert!(text.contains("42.34"), "{text}");
}
