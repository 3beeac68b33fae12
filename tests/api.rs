//! The local unified API over HTTP: keys and scopes, idempotency, errors, the OpenAPI document.

use serde_json::{json, Value};

use crate::common::{Harness, SANDBOX_ACCOUNT};

struct Api {
    h: Harness,
    base: String,
}

impl Api {
    async fn new() -> Api {
        let h = Harness::start(SANDBOX_ACCOUNT).await;
        let base = h.server.base_url();
        Api { h, base }
    }

    fn key(&self, scopes: &[&str]) -> String {
        let scopes: Vec<String> = scopes.iter().map(|s| s.to_string()).collect();
        paydesk_core::apikey::create(self.h.payments.store(), "POS", &scopes, &paydesk_core::Principal::System).unwrap().1
    }

    async fn call(&self, method: &str, path: &str, key: Option<&str>, idem: Option<&str>, body: Option<Value>) -> (u16, Value) {
        let mut r = self.h.http.request(method.parse().unwrap(), format!("{}{path}", self.base));
        if let Some(k) = key {
            r = r.bearer_auth(k);
        }
        if let Some(i) = idem {
            r = r.header("Idempotency-Key", i);
        }
        if let Some(b) = body {
            r = r.json(&b);
        }
        let resp = r.send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }
}

#[tokio::test]
async fn payments_through_the_api() {
    let api = Api::new().await;
    let key = api.key(&["payments:read", "payments:write", "refunds:write"]);
    // QR order; the same Idempotency-Key returns the same order.
    let (s, qr) = api.call("POST", "/api/v1/payments", Some(&key), Some("sale-1"), Some(json!({"amount": "12.34", "subject": "午餐"}))).await;
    assert_eq!(s, 201, "{qr}");
    assert_eq!((qr["status"].as_str(), qr["amount"].as_str(), qr["amount_fen"].as_i64()), (Some("processing"), Some("12.34"), Some(1234)));
    assert!(qr["qr_code"].as_str().is_some());
    let (s, again) = api.call("POST", "/api/v1/payments", Some(&key), Some("sale-1"), Some(json!({"amount": "12.34"}))).await;
    assert_eq!(s, 201);
    assert_eq!(again["order_no"], qr["order_no"]);
    let (s, clash) = api.call("POST", "/api/v1/payments", Some(&key), Some("sale-1"), Some(json!({"amount": "99.00"}))).await;
    assert_eq!((s, clash["error"]["code"].as_str()), (409, Some("conflict")));
    // The customer pays; GET shows it with its history.
    let no = qr["order_no"].as_str().unwrap();
    api.h.scan(&no.parse().unwrap(), "pay", false).await;
    api.h.wait_status(&no.parse().unwrap(), paydesk_core::OrderStatus::Success).await;
    let (s, got) = api.call("GET", &format!("/api/v1/payments/{no}"), Some(&key), None, None).await;
    assert_eq!((s, got["status"].as_str()), (200, Some("success")));
    assert!(got["events"].as_array().unwrap().len() >= 3);
    // Barcode payment answers with the final state.
    let (s, bc) = api.call("POST", "/api/v1/payments", Some(&key), Some("sale-2"), Some(json!({"amount": "5.00", "auth_code": "990000000000000001"}))).await;
    assert_eq!((s, bc["status"].as_str(), bc["kind"].as_str()), (200, Some("success"), Some("barcode")));
    // Refund, retried with the same key: one refund.
    for _ in 0..2 {
        let (s, r) = api.call("POST", &format!("/api/v1/payments/{no}/refunds"), Some(&key), Some("refund-1"), Some(json!({"amount": "2.34", "reason": "少一份"}))).await;
        assert_eq!((s, r["status"].as_str()), (201, Some("success")), "{r}");
    }
    let (_, got) = api.call("GET", &format!("/api/v1/payments/{no}"), Some(&key), None, None).await;
    assert_eq!(got["refunds"].as_array().unwrap().len(), 1);
    assert_eq!(got["refunded"], "2.34");
    let (s, list) = api.call("GET", "/api/v1/payments?status=success&limit=10", Some(&key), None, None).await;
    assert_eq!(s, 200);
    assert_eq!(list["payments"].as_array().unwrap().len(), 2);
    // Remote payments with nobody at the till land in a system shift.
    assert!(got["shift_no"].as_str().is_some_and(|s| s.contains('-')), "{got}");

    // Finding a payment: by the trade number on the customer's bill, by the code's last digits,
    // by amount and time; a search it cannot read names the field.
    let trade = got["channel_trade_no"].as_str().unwrap().to_string();
    let tail = &trade[trade.len() - 6..];
    let (s, found) = api.call("GET", &format!("/api/v1/payments?trade_no={tail}"), Some(&key), None, None).await;
    assert_eq!((s, found["payments"].as_array().unwrap().len()), (200, 1), "{found}");
    assert_eq!(found["payments"][0]["order_no"], no);
    let (_, by_code) = api.call("GET", "/api/v1/payments?find=*0001", Some(&key), None, None).await;
    assert_eq!(by_code["payments"].as_array().unwrap().iter().map(|p| p["amount"].as_str().unwrap()).collect::<Vec<_>>(), ["5.00"]);
    let (s, bad) = api.call("GET", "/api/v1/payments?find=12.34%20%C2%B11h", Some(&key), None, None).await;
    assert_eq!((s, bad["error"]["field"].as_str()), (400, Some("find")), "a window needs a time: {bad}");
    let (s, bad) = api.call("GET", "/api/v1/payments?find=12.345", Some(&key), None, None).await;
    assert_eq!((s, bad["error"]["field"].as_str()), (400, Some("find")), "{bad}");
    let (_, by_amount) = api.call("GET", "/api/v1/payments?amount=12.34", Some(&key), None, None).await;
    assert_eq!(by_amount["payments"][0]["order_no"], no);
}

#[tokio::test]
async fn a_same_day_revoke_through_the_api() {
    let api = Api::new().await;
    let key = api.key(&["payments:read", "payments:write", "refunds:write"]);
    let (s, bc) = api.call("POST", "/api/v1/payments", Some(&key), Some("rv-pay"), Some(json!({"amount": "6.50", "auth_code": "990000000000000001"}))).await;
    assert_eq!((s, bc["status"].as_str()), (200, Some("success")), "{bc}");
    let no = bc["order_no"].as_str().unwrap();
    let path = format!("/api/v1/payments/{no}/revoke");
    // A body it cannot read names it; without an Idempotency-Key nothing is done.
    let (s, bad) = api.call("POST", &path, Some(&key), Some("rv-1"), Some(json!({"amount": "6.50"}))).await;
    assert_eq!((s, bad["error"]["field"].as_str()), (400, Some("body")), "{bad}");
    let (s, _) = api.call("POST", &path, Some(&key), None, None).await;
    assert_eq!(s, 400);
    // No body at all is a revoke of the whole payment; the same key is the same revoke.
    let mut first = None;
    for _ in 0..2 {
        let (s, r) = api.call("POST", &path, Some(&key), Some("rv-1"), None).await;
        assert_eq!((s, r["kind"].as_str(), r["status"].as_str(), r["amount_fen"].as_i64()), (201, Some("revoke"), Some("success"), Some(650)), "{r}");
        assert!(first.get_or_insert(r["refund_no"].clone()) == &r["refund_no"]);
    }
    let (_, got) = api.call("GET", &format!("/api/v1/payments/{no}"), Some(&key), None, None).await;
    assert_eq!((got["status"].as_str(), got["refunds"].as_array().unwrap().len()), (Some("refunded"), 1), "{got}");
    // Revoked: a refund finds nothing left, a new revoke is a conflict.
    let (s, r) = api.call("POST", &path, Some(&key), Some("rv-2"), None).await;
    assert_eq!((s, r["error"]["code"].as_str()), (409, Some("conflict")), "{r}");
    // Without the refunds scope, refused.
    let read = api.key(&["payments:read"]);
    let (s, _) = api.call("POST", &path, Some(&read), Some("rv-3"), None).await;
    assert_eq!(s, 403);
}

#[tokio::test]
async fn the_key_is_who_pays_and_refunds_an_operator_is_a_label() {
    let api = Api::new().await;
    let key = api.key(&["payments:read", "payments:write", "refunds:write"]);
    let id = key.split('_').nth(1).unwrap().to_string();
    let (s, bc) = api.call("POST", "/api/v1/payments", Some(&key), Some("p-1"), Some(json!({"amount": "8.00", "auth_code": "990000000000000001", "operator": "王芳"}))).await;
    assert_eq!(s, 200, "{bc}");
    assert_eq!(bc["operator"], "王芳", "the label is kept");
    assert_eq!(bc["taken_by"], json!({"kind": "api_key", "id": id, "name": "POS"}), "the key took it, not 王芳");
    let no = bc["order_no"].as_str().unwrap().to_string();
    let (s, r) = api.call("POST", &format!("/api/v1/payments/{no}/refunds"), Some(&key), Some("r-1"), Some(json!({"amount": "1.00", "operator": "李老板"}))).await;
    assert_eq!(s, 201, "{r}");
    assert_eq!(r["requested_by"]["kind"], "api_key");
    // A refund the book refuses is in the audit log too, with the same principal.
    let (s, _) = api.call("POST", &format!("/api/v1/payments/{no}/refunds"), Some(&key), Some("r-2"), Some(json!({"amount": "7.01"}))).await;
    assert_eq!(s, 409);
    let log = api.h.payments.store().audit_log(20).unwrap();
    let refunds: Vec<_> = log.iter().filter(|e| e.action == "refund").map(|e| (e.actor.clone().unwrap(), e.outcome)).collect();
    let who = format!("API key POS ({id})");
    assert_eq!(refunds, [(who.clone(), paydesk_core::store::Outcome::Denied), (who, paydesk_core::store::Outcome::Ok)]);
    // The order's history names who created it.
    let (_, got) = api.call("GET", &format!("/api/v1/payments/{no}"), Some(&key), None, None).await;
    assert_eq!(got["events"][0]["by"]["kind"], "api_key", "{got}");
    assert_eq!(got["refunds"][0]["operator"], "李老板");
}

#[tokio::test]
async fn errors_are_stable_and_name_the_field() {
    let api = Api::new().await;
    let read_only = api.key(&["payments:read"]);
    let writer = api.key(&["payments:write"]);
    let (s, e) = api.call("POST", "/api/v1/payments", None, Some("k"), Some(json!({"amount": "1.00"}))).await;
    assert_eq!((s, e["error"]["code"].as_str()), (401, Some("unauthorized")));
    let (s, e) = api.call("POST", "/api/v1/payments", Some("pdk_bad_key"), Some("k"), Some(json!({"amount": "1.00"}))).await;
    assert_eq!(s, 401, "{e}");
    let (s, e) = api.call("POST", "/api/v1/payments", Some(&read_only), Some("k"), Some(json!({"amount": "1.00"}))).await;
    assert_eq!((s, e["error"]["code"].as_str()), (403, Some("forbidden")));
    let (s, e) = api.call("POST", "/api/v1/payments", Some(&writer), None, Some(json!({"amount": "1.00"}))).await;
    assert_eq!((s, e["error"]["field"].as_str()), (400, Some("Idempotency-Key")));
    for (body, field) in [(json!({"amount": "1.234"}), "amount"), (json!({"amount": "-1"}), "amount"), (json!({"amount": "1", "method": "paypal"}), "method"), (json!({"amount": "1", "auth_code": "42"}), "auth_code"), (json!({"amount": "1", "tip": "2"}), "body")] {
        let (s, e) = api.call("POST", "/api/v1/payments", Some(&writer), Some("k2"), Some(body.clone())).await;
        assert_eq!((s, e["error"]["code"].as_str(), e["error"]["field"].as_str()), (400, Some("invalid_request"), Some(field)), "{body}: {e}");
    }
    let (s, e) = api.call("GET", "/api/v1/payments/P20260101000000000T1000", Some(&read_only), None, None).await;
    assert_eq!((s, e["error"]["code"].as_str()), (404, Some("not_found")));
    assert!(api.h.payments.store().list_orders(&Default::default()).unwrap().is_empty(), "bad requests wrote nothing");
}

#[tokio::test]
async fn openapi_document_matches_the_routes() {
    let api = Api::new().await;
    let r = api.h.http.get(format!("{}/openapi.json", api.base)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let doc: Value = r.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.0.3");
    let mut paths: Vec<String> = doc["paths"].as_object().unwrap().keys().cloned().collect();
    paths.sort();
    assert_eq!(paths, ["/api/v1/payments", "/api/v1/payments/{order_no}", "/api/v1/payments/{order_no}/close", "/api/v1/payments/{order_no}/query", "/api/v1/payments/{order_no}/refunds", "/api/v1/payments/{order_no}/revoke", "/openapi.json"]);
    // Every documented operation answers (not 404/405) on the live server.
    let key = api.key(&["payments:read", "payments:write", "refunds:write"]);
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let p = path.replace("{order_no}", "P20260101000000000T1000");
            let (s, _) = api.call(&method.to_uppercase(), &p, Some(&key), Some("probe"), Some(json!({"amount": "1.00"}))).await;
            assert!(s != 405 && !(s == 404 && p == "/openapi.json"), "{method} {path} → {s}");
        }
    }
}
