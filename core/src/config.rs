//! Paydesk's home directory and settings (`config.toml` in the home).
//!
//! Home: `--home DIR`, else `$PAYDESK_HOME`, else the platform data dir (`~/.local/share/paydesk`).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::ids::TillId;
use crate::money::Money;

/// Resolves the home directory from an explicit flag, then the environment, then the platform —
/// as an absolute path (relative to the working directory when given relative).
pub fn resolve_home(flag: Option<&Path>) -> PathBuf {
    let home = match (flag, std::env::var_os("PAYDESK_HOME").filter(|v| !v.is_empty())) {
        (Some(p), _) => p.to_path_buf(),
        (None, Some(p)) => PathBuf::from(p),
        (None, None) => dirs::data_dir().unwrap_or_else(|| PathBuf::from(".")).join("paydesk"),
    };
    // Absolute from here on: paths kept in the book and settings (key files) are resolved against
    // the home, and a relative one would be resolved twice (`shop/shop/keys/…`).
    std::path::absolute(&home).unwrap_or(home)
}

/// How channels reach us with callbacks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum CallbackMode {
    /// No callbacks: every order is followed by polling alone.
    #[default]
    PollingOnly,
    /// A public base URL that reaches the callback server (own reverse proxy, any tunnel).
    PublicUrl { base_url: String },
    /// The built-in tunnel client.
    Tunnel { server: String, #[serde(default)] secret_file: Option<String> },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// The shop's name, as the owner gave it at setup (window title, backups, receipts).
    pub shop_name: String,
    /// This till's id, part of every order number.
    pub till_id: TillId,
    /// The store (门店) this till belongs to: shifts and Z reports are per till and per store, and
    /// a chain's reports filter and group by it.
    pub store_id: String,
    /// Local time at which the business day turns over: a Z report (day close) taken before it
    /// belongs to the day before (a shop open past midnight closes "yesterday").
    pub day_starts_at: String,
    /// The shop's time zone: business days, order numbers, reports.
    pub timezone: String,
    /// Largest amount of one order, yuan.
    pub max_order_amount: String,
    /// Lifetime of a QR order before it is closed, seconds.
    pub qr_lifetime_secs: u64,
    /// How long a barcode payment may wait for the payer's password before it is cancelled, seconds.
    pub barcode_wait_secs: u64,
    /// Query interval while a barcode payment waits, seconds.
    pub barcode_poll_secs: u64,
    /// HTTP timeout for channel calls, seconds.
    pub channel_timeout_secs: u64,
    pub callback: CallbackMode,
    /// The local API, `/status` and `/openapi.json`: a loopback address (see [`crate::listeners`]).
    pub listen: String,
    /// The channel callbacks alone (`/cb/{account}`): what a tunnel or reverse proxy forwards to.
    /// Unset: `127.0.0.1:8430`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callback_listen: Option<String>,
    /// Limits of every listener: header and request timeouts, connections, body sizes.
    pub server: crate::listeners::ServerSettings,
    /// Notifications to the shop's own systems when orders and refunds end.
    pub notify: NotifySettings,
    /// How payments pick an account: fallback, circuit breaker, health window.
    pub routing: RoutingSettings,
    /// Daily count/amount limits per cashier and per till.
    pub limits: crate::routing::limits::Limits,
    /// The daily (T+1) reconciliation of the channels' statements.
    pub reconcile: ReconcileSettings,
    /// The bank leg: deposit window, payer names, bank statement column mappings.
    pub bank: crate::reconcile::bank::BankSettings,
    /// This till's receipt printer and what its receipts say.
    pub printer: PrinterSettings,
    /// The shared book of a shop with several tills (none: this till keeps its own book only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shared: Option<SharedSettings>,
    /// Automatic backups of the book: where, how often, how many are kept.
    pub backup: crate::backup::BackupSettings,
}

/// How this till reaches its receipt printer (`[printer]` in config.toml: each till has its own).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PrinterSettings {
    /// `none`, `tcp` (a network printer's raw port, usually 9100), `usb` (the printer device) or
    /// `virtual` (no paper: each job is kept in `<home>/printed/` and shown in the app).
    pub connection: PrinterConnection,
    /// `host:port` for `tcp`.
    pub address: String,
    /// The device file for `usb` (`/dev/usb/lp0`).
    pub device: String,
    /// Paper width: 58 or 80 mm.
    pub paper_mm: u16,
    /// The shop's name, printed large at the top.
    pub shop_name: String,
    /// Lines under the name (address, phone) and at the bottom (thanks, returns policy).
    pub header: Vec<String>,
    pub footer: Vec<String>,
    /// The order number printed as `qr`, `barcode` (CODE128) or `none`, for lookup later.
    pub order_code: String,
    /// Open the cash drawer (wired to the printer) on a sale with cash.
    pub drawer_kick: bool,
    /// Cut the paper after each receipt.
    pub cut: bool,
    /// Print the receipt of every sale and refund without being asked.
    pub auto_print: bool,
    /// Seconds to wait for the printer before giving up with a message (the payment never waits).
    pub timeout_secs: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum PrinterConnection {
    #[default]
    None,
    Tcp,
    Usb,
    Virtual,
}

impl Default for PrinterSettings {
    fn default() -> Self {
        PrinterSettings {
            connection: PrinterConnection::None,
            address: String::new(),
            device: "/dev/usb/lp0".into(),
            paper_mm: 80,
            shop_name: String::new(),
            header: Vec::new(),
            footer: vec!["谢谢惠顾 Thank you".into()],
            order_code: "qr".into(),
            drawer_kick: true,
            cut: true,
            auto_print: true,
            timeout_secs: 5,
        }
    }
}

impl PrinterSettings {
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |field, problem: &str| Err(ConfigError::Invalid { field, problem: problem.into() });
        if self.paper_mm != 58 && self.paper_mm != 80 {
            return bad("printer.paper_mm", "must be 58 or 80");
        }
        if !matches!(self.order_code.as_str(), "qr" | "barcode" | "none") {
            return bad("printer.order_code", "must be qr, barcode or none");
        }
        if self.connection == PrinterConnection::Tcp && self.address.trim().is_empty() {
            return bad("printer.address", "is required for a network printer (host:9100)");
        }
        if self.connection == PrinterConnection::Usb && self.device.trim().is_empty() {
            return bad("printer.device", "is required for a USB printer (/dev/usb/lp0)");
        }
        if !(1..=60).contains(&self.timeout_secs) {
            return bad("printer.timeout_secs", "must be 1 to 60");
        }
        let text = std::iter::once(&self.shop_name).chain(&self.header).chain(&self.footer);
        if text.clone().any(|l| l.chars().any(char::is_control)) || self.header.len() + self.footer.len() > 20 {
            return bad("printer.header", "lines must be plain text without control characters, at most 20 in all");
        }
        Ok(())
    }
}

/// Where the shop's shared book is (`[shared]` in config.toml). See docs/multi-till.md.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SharedSettings {
    /// `postgres://user@host:5432/db` (`?sslmode=require` and TLS for a server beyond this PC).
    pub url: String,
    /// A file holding the database password (relative to the home, or absolute), if the URL
    /// has none.
    pub password_file: Option<String>,
    /// How often the till sends its changes and fetches the others', milliseconds.
    pub sync_interval_ms: u64,
}

impl Default for SharedSettings {
    fn default() -> Self {
        SharedSettings { url: String::new(), password_file: None, sync_interval_ms: 1000 }
    }
}

impl std::fmt::Debug for SharedSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedSettings").field("url", &crate::store::shared::redact(&self.url)).field("sync_interval_ms", &self.sync_interval_ms).finish_non_exhaustive()
    }
}

/// Routing tuning (`[routing]` in config.toml). The defaults suit a shop; `fallback = false`,
/// `circuit_breaker = false` and `demote_below_pct = 0` together give plain priority routing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RoutingSettings {
    /// Try the next candidate account when creation fails without charging anyone.
    pub fallback: bool,
    /// Most accounts one payment is tried on.
    pub max_attempts: u32,
    /// Take an account out after consecutive failures, probe it back after a cool-down.
    pub circuit_breaker: bool,
    /// Consecutive failed calls that open the breaker.
    pub breaker_failures: u32,
    /// First cool-down, seconds; doubles after each failed probe up to the maximum.
    pub breaker_cooldown_secs: u64,
    pub breaker_max_cooldown_secs: u64,
    /// The health window: calls of the last this many seconds (at most `health_window_max`).
    pub health_window_secs: u64,
    pub health_window_max: u32,
    /// An account whose success rate in the window is below this percentage (with at least
    /// `demote_min_calls` calls) is tried after the healthy ones of its priority. 0 = never.
    pub demote_below_pct: u8,
    pub demote_min_calls: u32,
}

impl Default for RoutingSettings {
    fn default() -> Self {
        RoutingSettings {
            fallback: true,
            max_attempts: 3,
            circuit_breaker: true,
            breaker_failures: 3,
            breaker_cooldown_secs: 30,
            breaker_max_cooldown_secs: 300,
            health_window_secs: 300,
            health_window_max: 100,
            demote_below_pct: 80,
            demote_min_calls: 10,
        }
    }
}

impl RoutingSettings {
    /// "Routing off": the first candidate only — no fallback, no breaker, no demotion.
    pub fn off() -> RoutingSettings {
        RoutingSettings { fallback: false, max_attempts: 1, circuit_breaker: false, demote_below_pct: 0, ..RoutingSettings::default() }
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |field, problem: &str| Err(ConfigError::Invalid { field, problem: problem.into() });
        if !(1..=10).contains(&self.max_attempts) {
            return bad("routing.max_attempts", "must be 1 to 10");
        }
        if self.breaker_failures == 0 {
            return bad("routing.breaker_failures", "must be at least 1");
        }
        if self.breaker_cooldown_secs == 0 || self.breaker_max_cooldown_secs < self.breaker_cooldown_secs {
            return bad("routing.breaker_cooldown_secs", "must be at least 1 and at most breaker_max_cooldown_secs");
        }
        if self.health_window_secs == 0 || self.health_window_max == 0 {
            return bad("routing.health_window_secs", "the window must hold at least 1 second and 1 call");
        }
        if self.demote_below_pct > 100 {
            return bad("routing.demote_below_pct", "must be 0 to 100");
        }
        Ok(())
    }
}

/// The daily reconciliation. See docs/reconciliation.md.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReconcileSettings {
    /// Run yesterday's reconciliation automatically (and catch up missed days at start).
    pub enabled: bool,
    /// Local time of day (`HH:MM`) after which yesterday's statements are fetched; channels
    /// publish them in the morning (Alipay and WeChat from about 09:00–10:00).
    pub run_at: String,
    /// How many past days the app catches up on when it starts (or wakes) and finds no run.
    pub catch_up_days: u32,
    /// The business-day zone of the statements, if not the shop's `timezone`.
    pub timezone: Option<String>,
    /// Accounts the schedule reconciles (empty: every enabled account that has statements).
    pub accounts: Vec<String>,
}

impl Default for ReconcileSettings {
    fn default() -> Self {
        ReconcileSettings { enabled: true, run_at: "10:00".into(), catch_up_days: 7, timezone: None, accounts: Vec::new() }
    }
}

impl ReconcileSettings {
    /// `run_at` as a time of day.
    pub fn run_at(&self) -> Result<chrono::NaiveTime, ConfigError> {
        chrono::NaiveTime::parse_from_str(&self.run_at, "%H:%M").map_err(|_| ConfigError::Invalid { field: "reconcile.run_at", problem: format!("{:?} is not HH:MM", self.run_at) })
    }
}

/// Merchant notifications (the outbox). See docs/api.md for the body and signature.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NotifySettings {
    /// URLs that receive a signed JSON POST for every final order/refund state.
    pub urls: Vec<String>,
    /// File holding the HMAC-SHA256 secret (relative to the home, or absolute).
    pub secret_file: Option<String>,
    /// Attempts before a notification is marked failed.
    pub max_attempts: u32,
    /// First retry delay; each further one doubles (1, 2, 4, 8 … s by default).
    pub backoff_base_ms: u64,
}

impl Default for NotifySettings {
    fn default() -> Self {
        NotifySettings { urls: Vec::new(), secret_file: None, max_attempts: 10, backoff_base_ms: 1000 }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            shop_name: String::new(),
            till_id: "T1".parse().unwrap_or_else(|_| unreachable!("literal till id")),
            store_id: "S1".into(),
            day_starts_at: "04:00".into(),
            timezone: "Asia/Shanghai".into(),
            max_order_amount: "50000.00".into(),
            qr_lifetime_secs: 300,
            barcode_wait_secs: 60,
            barcode_poll_secs: 3,
            channel_timeout_secs: 10,
            callback: CallbackMode::PollingOnly,
            listen: crate::listeners::DEFAULT_LISTEN.into(),
            callback_listen: None,
            server: crate::listeners::ServerSettings::default(),
            notify: NotifySettings::default(),
            routing: RoutingSettings::default(),
            limits: crate::routing::limits::Limits::default(),
            reconcile: ReconcileSettings::default(),
            bank: Default::default(),
            printer: PrinterSettings::default(),
            shared: None,
            backup: crate::backup::BackupSettings::default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: {problem}")]
    File { path: String, problem: String },
    #[error("setting {field}: {problem}")]
    Invalid { field: &'static str, problem: String },
}

impl Settings {
    pub fn file(home: &Path) -> PathBuf {
        home.join("config.toml")
    }

    /// Loads `config.toml` from the home, or the defaults when there is none.
    pub fn load(home: &Path) -> Result<Settings, ConfigError> {
        let path = Settings::file(home);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Settings::default()),
            Err(e) => return Err(ConfigError::File { path: path.display().to_string(), problem: e.to_string() }),
        };
        let mut s: Settings = toml::from_str(&text).map_err(|e| ConfigError::File { path: path.display().to_string(), problem: e.to_string() })?;
        let proxied = matches!(s.callback, CallbackMode::PublicUrl { .. });
        if let Some(warning) = crate::listeners::migrate(&mut s.listen, &mut s.callback_listen, proxied) {
            tracing::warn!("{warning}");
        }
        s.validate()?;
        Ok(s)
    }

    pub fn save(&self, home: &Path) -> Result<(), ConfigError> {
        self.validate()?;
        let path = Settings::file(home);
        let text = toml::to_string_pretty(self).map_err(|e| ConfigError::File { path: path.display().to_string(), problem: e.to_string() })?;
        std::fs::write(&path, text).map_err(|e| ConfigError::File { path: path.display().to_string(), problem: e.to_string() })
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        self.tz()?;
        self.max_amount()?;
        let positive = [
            ("qr_lifetime_secs", self.qr_lifetime_secs),
            ("barcode_wait_secs", self.barcode_wait_secs),
            ("barcode_poll_secs", self.barcode_poll_secs),
            ("channel_timeout_secs", self.channel_timeout_secs),
        ];
        for (field, v) in positive {
            if v == 0 {
                return Err(ConfigError::Invalid { field, problem: "must be at least 1".into() });
            }
        }
        if let CallbackMode::PublicUrl { base_url } = &self.callback {
            crate::url::https_or_loopback(base_url).map_err(|e| ConfigError::Invalid { field: "callback.base_url", problem: e.0.into() })?;
        }
        for u in &self.notify.urls {
            // The shop's own software may listen on its LAN over plain http (the events are
            // HMAC-signed); still a real http(s) URL without credentials in it.
            let ok = crate::url::Url::parse(u).is_ok_and(|p| matches!(p.scheme(), "http" | "https") && p.host().is_some() && p.username().is_empty() && p.password().is_none());
            if !ok {
                return Err(ConfigError::Invalid { field: "notify.urls", problem: format!("{u:?} is not an http(s) URL without a user name or password") });
            }
        }
        self.reconcile.run_at()?;
        self.bank.validate()?;
        self.recon_tz()?;
        if self.reconcile.catch_up_days > 90 {
            return Err(ConfigError::Invalid { field: "reconcile.catch_up_days", problem: "at most 90".into() });
        }
        if self.notify.max_attempts == 0 {
            return Err(ConfigError::Invalid { field: "notify.max_attempts", problem: "must be at least 1".into() });
        }
        if !self.notify.urls.is_empty() && self.notify.secret_file.is_none() {
            return Err(ConfigError::Invalid { field: "notify.secret_file", problem: "is required when notify.urls are set".into() });
        }
        self.routing.validate()?;
        self.limits.validate()?;
        self.printer.validate()?;
        self.day_starts_at()?;
        let store_ok = (1..=16).contains(&self.store_id.len()) && self.store_id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !store_ok {
            return Err(ConfigError::Invalid { field: "store_id", problem: format!("{:?}: use 1 to 16 letters, digits, - or _", self.store_id) });
        }
        if let Some(sh) = &self.shared {
            if !(sh.url.starts_with("postgres://") || sh.url.starts_with("postgresql://")) {
                return Err(ConfigError::Invalid { field: "shared.url", problem: "must be a postgres:// URL".into() });
            }
            if !(100..=600_000).contains(&sh.sync_interval_ms) {
                return Err(ConfigError::Invalid { field: "shared.sync_interval_ms", problem: "must be 100 to 600000".into() });
            }
        }
        self.backup.validate()?;
        if self.shop_name.chars().count() > 60 || self.shop_name.chars().any(char::is_control) {
            return Err(ConfigError::Invalid { field: "shop_name", problem: "at most 60 characters, no control characters".into() });
        }
        self.listeners()?;
        self.server.validate()?;
        Ok(())
    }

    /// The local (loopback) address and the callback address.
    pub fn listeners(&self) -> Result<(std::net::SocketAddr, std::net::SocketAddr), ConfigError> {
        crate::listeners::resolve(&self.listen, self.callback_listen.as_deref())
    }

    /// `day_starts_at` as a time of day.
    pub fn day_starts_at(&self) -> Result<chrono::NaiveTime, ConfigError> {
        chrono::NaiveTime::parse_from_str(&self.day_starts_at, "%H:%M").map_err(|_| ConfigError::Invalid { field: "day_starts_at", problem: format!("{:?} is not HH:MM", self.day_starts_at) })
    }

    pub fn tz(&self) -> Result<chrono_tz::Tz, ConfigError> {
        self.timezone.parse().map_err(|_| ConfigError::Invalid { field: "timezone", problem: format!("unknown time zone {:?}", self.timezone) })
    }

    /// The zone whose days the statements follow (`reconcile.timezone`, else `timezone`).
    pub fn recon_tz(&self) -> Result<chrono_tz::Tz, ConfigError> {
        match &self.reconcile.timezone {
            Some(z) => z.parse().map_err(|_| ConfigError::Invalid { field: "reconcile.timezone", problem: format!("unknown time zone {z:?}") }),
            None => self.tz(),
        }
    }

    pub fn max_amount(&self) -> Result<Money, ConfigError> {
        let m = Money::parse_yuan(&self.max_order_amount).map_err(|e| ConfigError::Invalid { field: "max_order_amount", problem: e.to_string() })?;
        if m.is_zero() {
            return Err(ConfigError::Invalid { field: "max_order_amount", problem: "must be greater than zero".into() });
        }
        Ok(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_round_trip_and_validate() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Settings::load(dir.path()).unwrap(), Settings::default());
        let s = Settings { callback: CallbackMode::PublicUrl { base_url: "https://pay.example.com".into() }, ..Settings::default() };
        s.save(dir.path()).unwrap();
        assert_eq!(Settings::load(dir.path()).unwrap(), s);
    }

    #[test]
    fn refuses_bad_settings() {
        let s = Settings { timezone: "Mars/Base".into(), ..Settings::default() };
        assert!(s.validate().unwrap_err().to_string().contains("timezone"));
        let s = Settings { max_order_amount: "0".into(), ..Settings::default() };
        assert!(s.validate().unwrap_err().to_string().contains("max_order_amount"));
        let s = Settings { reconcile: ReconcileSettings { run_at: "25:00".into(), ..Default::default() }, ..Settings::default() };
        assert!(s.validate().unwrap_err().to_string().contains("reconcile.run_at"));
        let s = Settings { reconcile: ReconcileSettings { timezone: Some("Asia/Tokyo".into()), ..Default::default() }, ..Settings::default() };
        assert_eq!(s.recon_tz().unwrap(), chrono_tz::Asia::Tokyo);
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("config.toml"), "till_id = \"bad id\"").unwrap();
        assert!(Settings::load(dir.path()).is_err());
    }

    #[test]
    fn an_old_config_with_an_open_listen_still_loads() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("config.toml"), "listen = \"0.0.0.0:8428\"\n[callback]\nmode = \"public_url\"\nbase_url = \"https://pay.example.com\"\n").unwrap();
        let s = Settings::load(dir.path()).unwrap();
        let (local, callbacks) = s.listeners().unwrap();
        assert!(local.ip().is_loopback(), "the API comes back to loopback: {local}");
        assert_eq!(callbacks.to_string(), "0.0.0.0:8428", "the proxy keeps reaching the callbacks");
        // The defaults: both on loopback.
        let (local, callbacks) = Settings::default().listeners().unwrap();
        assert!(local.ip().is_loopback() && callbacks.ip().is_loopback());
    }

    #[test]
    fn home_flag_wins() {
        assert_eq!(resolve_home(Some(Path::new("/x/y"))), PathBuf::from("/x/y"));
    }
}
