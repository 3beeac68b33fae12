//! Revokes and reversals this channel made. UnionPay keeps reporting the original consumption as
//! successful after a same-day revoke (`31`) or a reversal (`99`); only our own record of the
//! void (for a revoke: its `orderId` + `txnTime`, without which it cannot be queried) lets a later
//! query find it and report the order closed. The record survives restarts: one JSON line per
//! void in `<home>/channels/unionpay/<account>.voids`, appended before the void is sent.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// A revoke or reversal this channel made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "void", rename_all = "snake_case")]
pub(super) enum Void {
    /// `31/00` sent with this `orderId` + `txnTime`.
    Revoke { order_id: String, txn_time: String },
    /// `99/01` acknowledged.
    Reversed,
}

#[derive(Serialize, Deserialize)]
struct Line {
    order: String,
    #[serde(flatten)]
    void: Void,
}

#[derive(Debug)]
pub(super) struct Voids {
    file: PathBuf,
    map: Mutex<HashMap<String, Void>>,
}

impl Voids {
    /// The journal of `account` under `home` (read now; a line that cannot be read is skipped
    /// with a warning — the later lines still count).
    pub(super) fn open(home: &Path, account: &str) -> Voids {
        let file = home.join("channels").join("unionpay").join(format!("{account}.voids"));
        let mut map = HashMap::new();
        if let Ok(text) = std::fs::read_to_string(&file) {
            for (i, l) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
                match serde_json::from_str::<Line>(l) {
                    Ok(line) => {
                        map.insert(line.order, line.void);
                    }
                    Err(e) => tracing::warn!(file = %file.display(), line = i + 1, "unreadable void record skipped: {e}"),
                }
            }
        }
        Voids { file, map: Mutex::new(map) }
    }

    pub(super) fn get(&self, order: &str) -> Option<Void> {
        self.map.lock().unwrap_or_else(|p| p.into_inner()).get(order).cloned()
    }

    /// Records a void (written to the journal first; a journal that cannot be written is logged,
    /// and the void is still remembered for this run).
    pub(super) fn set(&self, order: &str, void: Void) {
        if let Err(e) = self.append(order, &void) {
            tracing::error!(file = %self.file.display(), order, "void not journaled (a restart will not know it): {e}");
        }
        self.map.lock().unwrap_or_else(|p| p.into_inner()).insert(order.to_string(), void);
    }

    fn append(&self, order: &str, void: &Void) -> std::io::Result<()> {
        if let Some(dir) = self.file.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let line = serde_json::to_string(&Line { order: order.to_string(), void: void.clone() }).map_err(std::io::Error::other)?;
        let mut f = std::fs::OpenOptions::new().create(true).append(true).open(&self.file)?;
        writeln!(f, "{line}")?;
        f.sync_data()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn voids_survive_a_restart_and_the_last_record_wins() {
        let home = tempfile::tempdir().unwrap();
        let v = Voids::open(home.path(), "up");
        assert_eq!(v.get("P1"), None);
        v.set("P1", Void::Revoke { order_id: "P1C".into(), txn_time: "20261202101500".into() });
        v.set("P2", Void::Reversed);
        v.set("P1", Void::Revoke { order_id: "P1C".into(), txn_time: "20261202101600".into() });
        let again = Voids::open(home.path(), "up");
        assert_eq!(again.get("P1"), Some(Void::Revoke { order_id: "P1C".into(), txn_time: "20261202101600".into() }));
        assert_eq!(again.get("P2"), Some(Void::Reversed));
        assert_eq!(Voids::open(home.path(), "other").get("P1"), None, "one journal per account");
        let file = home.path().join("channels/unionpay/up.voids");
        std::fs::write(&file, format!("not json\n{}", std::fs::read_to_string(&file).unwrap())).unwrap();
        assert_eq!(Voids::open(home.path(), "up").get("P2"), Some(Void::Reversed), "a damaged line does not hide the others");
    }
}
