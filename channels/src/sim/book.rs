//! The simulator's trade book on disk, and which simulated merchant an account is.
//!
//! A real gateway never forgets a trade. Demo mode with a kept home (`paydesk demo --home DIR`,
//! `paydesk-app --demo --home DIR`) keeps the simulator's trades in `simulator.json` beside the
//! book, so a restarted demo still answers queries and serves statements that agree with the book
//! (payments taken in earlier runs, the seeded sales history, the planted reconciliation day).
//! The file is rewritten at most once a second while trades change, and when the simulator stops.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::Duration;

use paydesk_core::AccountConfig;
use serde::{Deserialize, Serialize};

use super::{SimState, Trade};

/// The channel kinds the simulator plays (a trade's `channel`).
const KINDS: [&str; 5] = ["sandbox", "alipay", "wechat", "unionpay", "epay"];

#[derive(Serialize, Deserialize)]
struct Saved {
    /// The id counter, so new trade numbers never repeat saved ones.
    seq: u64,
    /// Each trade with its channel kind (a `&'static str` in `Trade`, read back by name).
    trades: Vec<(String, Trade)>,
    /// The channel simulators' own side state (e.g. UnionPay's `txnTime` of every order).
    #[serde(default)]
    ext: Vec<(String, String)>,
}

impl SimState {
    pub(super) fn changed(&self) {
        self.version.fetch_add(1, Ordering::Relaxed);
    }

    /// Loads the trades saved at `path` (none if there is no file yet) and keeps the book there
    /// from now on. Returns how many trades were loaded. Needs a Tokio runtime (the saver runs on it).
    pub fn keep_at(self: &Arc<Self>, path: &Path) -> std::io::Result<usize> {
        let loaded = match std::fs::read(path) {
            Ok(bytes) => {
                let saved: Saved = serde_json::from_slice(&bytes).map_err(|e| std::io::Error::other(format!("{}: {e}", path.display())))?;
                let n = saved.trades.len();
                let mut m = self.trades.lock().unwrap_or_else(|p| p.into_inner());
                for (kind, mut t) in saved.trades {
                    t.channel = KINDS.into_iter().find(|k| *k == kind).ok_or_else(|| std::io::Error::other(format!("{}: unknown simulated channel {kind:?}", path.display())))?;
                    m.insert(Self::key(t.channel, &t.merchant, &t.order_no), t);
                }
                drop(m);
                self.seq.fetch_max(saved.seq, Ordering::Relaxed);
                self.ext.lock().unwrap_or_else(|p| p.into_inner()).extend(saved.ext);
                n
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
            Err(e) => return Err(e),
        };
        *self.saved_at.lock().unwrap_or_else(|p| p.into_inner()) = Some(path.to_path_buf());
        let me: Weak<SimState> = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut written = u64::MAX;
            loop {
                tokio::time::sleep(Duration::from_secs(1)).await;
                let Some(st) = me.upgrade() else { return };
                let now = st.version.load(Ordering::Relaxed);
                if now != written {
                    match st.flush() {
                        Ok(()) => written = now,
                        Err(e) => tracing::warn!("simulator trades not saved: {e}"),
                    }
                }
            }
        });
        Ok(loaded)
    }

    /// Files a trade that was settled before this simulator knew of it (demo history), with the
    /// side state its channel's simulator keeps for it. False if it already holds that trade.
    pub fn file_settled(&self, t: Trade) -> bool {
        let kind = t.channel;
        match self.insert(t) {
            Ok(t) => {
                if kind == "unionpay" {
                    super::unionpay::file_settled(self, &t);
                }
                true
            }
            Err(_) => false,
        }
    }

    /// Writes the trade book to its file now (nothing to do when it is not kept anywhere).
    pub fn flush(&self) -> std::io::Result<()> {
        let Some(path) = self.saved_at.lock().unwrap_or_else(|p| p.into_inner()).clone() else { return Ok(()) };
        let ext = self.ext.lock().unwrap_or_else(|p| p.into_inner()).iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        let saved = Saved { seq: self.seq.load(Ordering::Relaxed), trades: self.trades(None).into_iter().map(|t| (t.channel.to_string(), t)).collect(), ext };
        let bytes = serde_json::to_vec(&saved).map_err(std::io::Error::other)?;
        // Write beside, then rename: a crash never leaves half a book.
        let tmp: PathBuf = path.with_extension("json.tmp");
        std::fs::write(&tmp, bytes)?;
        std::fs::rename(&tmp, &path)
    }
}

/// Who an account is at the simulator: (channel kind, merchant, app id) as the simulated gateway
/// files its trades, or `None` for channels whose trades it keeps by other keys.
pub fn trade_owner(a: &AccountConfig) -> Option<(&'static str, String, String)> {
    let p = |k: &str| a.param_opt(k).map(str::to_string);
    match a.channel.as_str() {
        "alipay" => {
            let app_id = p("app_id")?;
            Some(("alipay", super::alipay::pid_of(&app_id), app_id))
        }
        "wechat" => {
            let mchid = p("sp_mchid").or_else(|| p("mchid"))?;
            let merchant = match p("sub_mchid") {
                Some(sub) => format!("{mchid}/{sub}"),
                None => mchid,
            };
            Some(("wechat", merchant, p("sp_appid").or_else(|| p("appid")).unwrap_or_default()))
        }
        "unionpay" => Some(("unionpay", p("mer_id")?, String::new())),
        "sandbox" => Some(("sandbox", p("merchant_id")?, String::new())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{Payer, SimConfig, SimKeys, SimRefund, SimStatus};

    fn trade(order_no: &str) -> Trade {
        let now = chrono::Utc::now();
        Trade {
            channel: "alipay",
            merchant: "2088000122671080".into(),
            app_id: "2021000122671080".into(),
            order_no: order_no.into(),
            trade_no: "2026120122001400000001".into(),
            amount: 1234,
            subject: "拿铁 Latte".into(),
            status: SimStatus::Paid,
            barcode: false,
            payer: Payer::Pay,
            notify_url: None,
            created_at: now,
            paid_at: Some(now),
            buyer: "demo".into(),
            refunds: vec![SimRefund { refund_no: "R1".into(), refund_id: "x".into(), amount: 200, reason: None, at: now }],
        }
    }

    #[tokio::test]
    async fn a_kept_book_survives_a_restart_and_ids_move_on() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("simulator.json");
        let cfg = || SimConfig::new(SimKeys::load(&crate::sim::demo_keys_dir()).unwrap());
        let first = SimState::new(cfg());
        assert_eq!(first.keep_at(&file).unwrap(), 0);
        first.insert(trade("P1")).unwrap();
        let id = first.next_id("");
        first.flush().unwrap();
        let second = SimState::new(cfg());
        assert_eq!(second.keep_at(&file).unwrap(), 1);
        let t = second.get("alipay", "2088000122671080", "P1").unwrap();
        assert_eq!((t.amount, t.refunded(), t.status), (1234, 200, SimStatus::Paid));
        assert!(second.next_id("") > id, "trade numbers never repeat after a restart");
        let mars = std::fs::read_to_string(&file).unwrap().replace("[\"alipay\"", "[\"mars\"");
        std::fs::write(&file, mars).unwrap();
        assert!(SimState::new(cfg()).keep_at(&file).is_err(), "a damaged book is an error, not an empty simulator");
    }

    #[test]
    fn accounts_map_to_the_simulated_merchant() {
        let a: AccountConfig = toml::from_str("name = \"a\"\nchannel = \"alipay\"\n[params]\napp_id = \"2021000122671080\"").unwrap();
        assert_eq!(trade_owner(&a), Some(("alipay", "2088000122671080".into(), "2021000122671080".into())));
        let w: AccountConfig = toml::from_str("name = \"w\"\nchannel = \"wechat\"\n[params]\nsp_mchid = \"1900000100\"\nsub_mchid = \"1900000109\"\nsp_appid = \"wx1\"").unwrap();
        assert_eq!(trade_owner(&w), Some(("wechat", "1900000100/1900000109".into(), "wx1".into())));
        let t: AccountConfig = toml::from_str("name = \"t\"\nchannel = \"template\"").unwrap();
        assert_eq!(trade_owner(&t), None);
    }
}
