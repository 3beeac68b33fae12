//! Callbacks (protocols.md §2.3): the `Wechatpay-*` signature over the raw body is verified
//! first (key by `Wechatpay-Serial`; timestamp within 5 minutes of `received_at`), then the
//! resource is decrypted with the APIv3 key, then the merchant/app ids are checked. Only then
//! is anything returned to core.

use paydesk_core::channel::{CallbackEvent, CallbackRequest, ChannelError, RefundResult};
use paydesk_core::ids::{OrderNo, RefundNo};

use super::client::{protocol, sig_invalid};
use super::v3::{SignedHeaders, VerifyError};
use super::{map_refund_status, mismatch, money, trade_status, wire, WeChat};

impl WeChat {
    pub(super) fn callback(&self, req: &CallbackRequest) -> Result<CallbackEvent, ChannelError> {
        let h = SignedHeaders::from_lookup(|n| req.header(n)).map_err(sig_invalid)?;
        if let Err(e) = self.client.verifier.verify(&h, &req.body, req.received_at) {
            if matches!(e, VerifyError::UnknownSerial(_)) {
                // Perhaps a new platform certificate: fetch it so WeChat's next attempt verifies.
                self.client.refresh_in_background();
            }
            return Err(sig_invalid(e));
        }
        let n: wire::Notification = serde_json::from_slice(&req.body).map_err(|e| protocol(format!("callback is not the expected JSON: {e}")))?;
        let res = &n.resource;
        if res.algorithm != "AEAD_AES_256_GCM" {
            return Err(protocol(format!("callback resource algorithm {:?} is not AEAD_AES_256_GCM", res.algorithm)));
        }
        let plain = self
            .client
            .apiv3
            .decrypt(&res.nonce, res.associated_data.as_deref().unwrap_or(""), &res.ciphertext)
            .map_err(|e| protocol(format!("callback {}: resource cannot be decrypted: {e} (is apiv3_key_file right?)", n.id)))?;
        let event = n.event_type.as_str();
        match event {
            "TRANSACTION.SUCCESS" => {
                let t: wire::Transaction = serde_json::from_slice(&plain).map_err(|e| protocol(format!("callback {}: transaction: {e}", n.id)))?;
                self.merchant.check_transaction(&t).map_err(|e| mismatch(format!("callback {}: {e}", n.id)))?;
                let order_no: OrderNo = t.out_trade_no.parse().map_err(|_| mismatch(format!("callback {}: out_trade_no {:?} is not a Paydesk order number", n.id, t.out_trade_no)))?;
                let total = t.amount.as_ref().and_then(|a| a.total).ok_or_else(|| protocol(format!("callback {}: no amount.total", n.id)))?;
                Ok(CallbackEvent::Payment { order_no, total: money(total)?, status: trade_status(&t)? })
            }
            "REFUND.SUCCESS" | "REFUND.ABNORMAL" | "REFUND.CLOSED" => {
                let r: wire::RefundNotice = serde_json::from_slice(&plain).map_err(|e| protocol(format!("callback {}: refund: {e}", n.id)))?;
                self.merchant.check_refund(&r).map_err(|e| mismatch(format!("callback {}: {e}", n.id)))?;
                let order_no: OrderNo = r.out_trade_no.parse().map_err(|_| mismatch(format!("callback {}: out_trade_no {:?} is not a Paydesk order number", n.id, r.out_trade_no)))?;
                let refund_no: RefundNo = r.out_refund_no.parse().map_err(|_| mismatch(format!("callback {}: out_refund_no {:?} is not a Paydesk refund number", n.id, r.out_refund_no)))?;
                let result = RefundResult { state: map_refund_status(&r.refund_status), channel_refund_no: Some(r.refund_id.clone()).filter(|s| !s.is_empty()) };
                Ok(CallbackEvent::Refund { order_no, refund_no, amount: money(r.amount.refund)?, result })
            }
            other => Err(protocol(format!("callback {}: event type {other:?} is not handled", n.id))),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use chrono::Utc;
    use paydesk_core::channel::{Channel, RefundState, TradeState};
    use paydesk_core::AccountConfig;
    use serde_json::json;

    use super::*;
    use crate::wechat::testdata::{demo_file, demo_platform_signer, DEMO_PLATFORM_SERIAL};
    use crate::wechat::v3::{response_message, ApiV3Key};

    fn account(extra: &str) -> AccountConfig {
        let dir = crate::sim::demo_keys_dir();
        let d = |f: &str| dir.join(f).display().to_string();
        let toml = format!(
            "name = \"wx\"\nchannel = \"wechat\"\nbase_url = \"http://127.0.0.1:9/wechat\"\n[params]\nmerchant_serial_no = \"3775B6A45ACD588826D15E583A95F5DD2B8D4F5E\"\nprivate_key_file = \"{}\"\napiv3_key_file = \"{}\"\nplatform_cert_file = \"{}\"\nplatform_certs = \"off\"\n{extra}",
            d("merchant_private.pem"),
            d("wechat/apiv3_key.txt"),
            d("wechat/platform_cert.pem"),
        );
        toml::from_str(&toml).unwrap()
    }

    fn channel(extra: &str) -> WeChat {
        let env = crate::env::ChannelEnv::new(&PathBuf::from("/nonexistent"), std::time::Duration::from_secs(2));
        WeChat::new(crate::wechat::config::load(&account(extra), &env).unwrap(), &env).unwrap()
    }

    const DIRECT: &str = "mchid = \"1900000109\"\nappid = \"wxd678efh567hg6787\"\n";

    /// A callback as WeChat sends it: resource encrypted with the APIv3 key, body signed.
    fn callback(event: &str, resource: serde_json::Value, ts: i64) -> CallbackRequest {
        let key = ApiV3Key::new(&demo_file("wechat/apiv3_key.txt")).unwrap();
        let ct = key.encrypt("fdasflkja484", "transaction", resource.to_string().as_bytes()).unwrap();
        let body = json!({"id": "EV-2018022511223320873", "create_time": "2026-11-25T18:30:05+08:00", "resource_type": "encrypt-resource", "event_type": event, "summary": "支付成功",
            "resource": {"original_type": "transaction", "algorithm": "AEAD_AES_256_GCM", "ciphertext": ct, "associated_data": "transaction", "nonce": "fdasflkja484"}})
        .to_string()
        .into_bytes();
        let ts = ts.to_string();
        let sig = demo_platform_signer().sign_b64(&response_message(&ts, "nonce1", &body));
        let headers = [("wechatpay-timestamp", ts.as_str()), ("wechatpay-nonce", "nonce1"), ("wechatpay-signature", sig.as_str()), ("wechatpay-serial", DEMO_PLATFORM_SERIAL), ("wechatpay-signature-type", "WECHATPAY2-SHA256-RSA2048")];
        CallbackRequest { headers: headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(), body, received_at: Utc::now() }
    }

    fn paid(mchid: &str, appid: &str) -> serde_json::Value {
        json!({"appid": appid, "mchid": mchid, "out_trade_no": "P20261125183000000T1000", "transaction_id": "4200000001202611250001", "trade_type": "NATIVE",
               "trade_state": "SUCCESS", "trade_state_desc": "支付成功", "success_time": "2026-11-25T18:30:05+08:00", "amount": {"total": 1230, "payer_total": 1230, "currency": "CNY", "payer_currency": "CNY"}})
    }

    #[test]
    fn payment_callback_verifies_decrypts_and_maps() {
        let ch = channel(DIRECT);
        let ev = ch.parse_callback(&callback("TRANSACTION.SUCCESS", paid("1900000109", "wxd678efh567hg6787"), Utc::now().timestamp())).unwrap();
        match ev {
            CallbackEvent::Payment { order_no, total, status } => {
                assert_eq!(order_no.as_str(), "P20261125183000000T1000");
                assert_eq!(total.fen(), 1230);
                assert_eq!(status.state, TradeState::Paid);
                assert_eq!(status.channel_trade_no.as_deref(), Some("4200000001202611250001"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn forged_stale_foreign_and_unknown_serial_callbacks_are_refused() {
        let ch = channel(DIRECT);
        let now = Utc::now().timestamp();
        let good = callback("TRANSACTION.SUCCESS", paid("1900000109", "wxd678efh567hg6787"), now);
        // One body byte changed after signing.
        let mut tampered = good.clone();
        let i = tampered.body.iter().position(|&b| b == b'E').unwrap();
        tampered.body[i] = b'F';
        assert!(matches!(ch.parse_callback(&tampered), Err(ChannelError::SignatureInvalid { .. })));
        // Signed 5 minutes ago (or ahead).
        for skew in [-300, 300, -3600] {
            let mut r = callback("TRANSACTION.SUCCESS", paid("1900000109", "wxd678efh567hg6787"), now + skew);
            r.received_at = chrono::DateTime::from_timestamp(now, 0).unwrap();
            let e = ch.parse_callback(&r).unwrap_err();
            assert!(matches!(&e, ChannelError::SignatureInvalid { detail, .. } if detail.contains("clock")), "{e}");
        }
        // Unknown serial, or a public-key id this account does not have.
        for serial in ["1234ABCD", "PUB_KEY_ID_0119000001092026112500000000000001"] {
            let mut r = good.clone();
            r.headers.iter_mut().find(|(k, _)| k == "wechatpay-serial").unwrap().1 = serial.into();
            assert!(matches!(ch.parse_callback(&r), Err(ChannelError::SignatureInvalid { .. })), "{serial}");
        }
        // Missing signature header.
        let mut r = good.clone();
        r.headers.retain(|(k, _)| k != "wechatpay-signature");
        assert!(matches!(ch.parse_callback(&r), Err(ChannelError::SignatureInvalid { detail, .. }) if detail.contains("wechatpay-signature")));
        // Properly signed, but for another merchant or app.
        for (m, a) in [("1900000999", "wxd678efh567hg6787"), ("1900000109", "wx0000000000000000")] {
            let e = ch.parse_callback(&callback("TRANSACTION.SUCCESS", paid(m, a), now)).unwrap_err();
            assert!(matches!(e, ChannelError::Mismatch { .. }), "{e}");
        }
        // Not our order number format.
        let mut foreign = paid("1900000109", "wxd678efh567hg6787");
        foreign["out_trade_no"] = json!("1217752501201407033233368018");
        assert!(matches!(ch.parse_callback(&callback("TRANSACTION.SUCCESS", foreign, now)), Err(ChannelError::Mismatch { .. })));
    }

    #[test]
    fn refund_callbacks_map_their_status() {
        let ch = channel(DIRECT);
        for (event, status, want) in [
            ("REFUND.SUCCESS", "SUCCESS", RefundState::Success),
            ("REFUND.ABNORMAL", "ABNORMAL", RefundState::Processing),
            ("REFUND.CLOSED", "CLOSED", RefundState::Failed { code: "CLOSED".into(), message: "refund closed by WeChat Pay".into() }),
        ] {
            let res = json!({"mchid": "1900000109", "out_trade_no": "P20261125183000000T1000", "transaction_id": "4200000001", "out_refund_no": "R20261125183100000T1000",
                             "refund_id": "50000000382019052709732678859", "refund_status": status, "success_time": "2026-11-25T18:31:05+08:00",
                             "user_received_account": "招商银行信用卡0403", "amount": {"total": 1230, "refund": 230, "payer_total": 1230, "payer_refund": 230}});
            match ch.parse_callback(&callback(event, res, Utc::now().timestamp())).unwrap() {
                CallbackEvent::Refund { order_no, refund_no, amount, result } => {
                    assert_eq!((order_no.as_str(), refund_no.as_str(), amount.fen()), ("P20261125183000000T1000", "R20261125183100000T1000", 230));
                    assert_eq!(result.state, want, "{event}");
                    assert_eq!(result.channel_refund_no.as_deref(), Some("50000000382019052709732678859"));
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn partner_callbacks_check_sp_and_sub_merchant() {
        let ch = channel("sp_mchid = \"1900000100\"\nsp_appid = \"wx8888888888888888\"\nsub_mchid = \"1900000111\"\n");
        let mut t = paid("x", "y");
        let o = t.as_object_mut().unwrap();
        o.remove("mchid");
        o.remove("appid");
        o.insert("sp_mchid".into(), json!("1900000100"));
        o.insert("sp_appid".into(), json!("wx8888888888888888"));
        o.insert("sub_mchid".into(), json!("1900000111"));
        assert!(ch.parse_callback(&callback("TRANSACTION.SUCCESS", t.clone(), Utc::now().timestamp())).is_ok());
        t["sub_mchid"] = json!("1900000112");
        assert!(matches!(ch.parse_callback(&callback("TRANSACTION.SUCCESS", t, Utc::now().timestamp())), Err(ChannelError::Mismatch { .. })));
    }

    #[test]
    fn replies_ack_with_204_and_ask_resend_with_500() {
        let ch = channel(DIRECT);
        assert_eq!(ch.callback_reply(true).status, 204);
        let no = ch.callback_reply(false);
        assert_eq!(no.status, 500);
        let v: serde_json::Value = serde_json::from_slice(&no.body).unwrap();
        assert_eq!(v["code"], "FAIL");
    }
}
