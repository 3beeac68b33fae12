//! Shared pieces of the fuzz targets: the demo accounts' channels (against the simulator's keys),
//! the simulator's signers — so a fuzzed body can be signed as the gateway would and reach the
//! code *behind* the signature check — and a drain for statement row streams.
//!
//! Every target asserts nothing but "no panic, no hang, no runaway memory": a parser answers
//! every input with rows or an error.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use paydesk_channels::sim::{self, SimConfig, SimKeys, SimState};
use paydesk_core::channel::{CallbackRequest, Channel};
use paydesk_core::statement::{StatementError, StatementSource};
use paydesk_core::AccountsFile;

/// The demo accounts' channels and the simulator state that holds the gateways' keys.
pub struct Demo {
    pub sim: Arc<SimState>,
    channels: HashMap<String, Arc<dyn Channel>>,
}

impl Demo {
    pub fn channel(&self, name: &str) -> &Arc<dyn Channel> {
        self.channels.get(name).unwrap_or_else(|| panic!("no demo account {name}"))
    }
}

pub fn demo() -> &'static Demo {
    static DEMO: OnceLock<Demo> = OnceLock::new();
    DEMO.get_or_init(|| {
        let keys = sim::demo_keys_dir();
        let sim = SimState::new(SimConfig::new(SimKeys::load(&keys).expect("demo keys")));
        let mut file = AccountsFile::parse(&paydesk_channels::demo::demo_accounts("http://127.0.0.1:9", &keys)).expect("demo accounts");
        // The 易支付 recipe once more, reading JSON callbacks (the shipped one reads forms).
        let mut json = file.accounts.iter().find(|a| a.channel == "template").cloned().expect("a template demo account");
        json.name = "template-json".into();
        let mut callback = toml::Table::new();
        callback.insert("format".into(), "json".into());
        json.params.insert("callback".into(), toml::Value::Table(callback));
        file.accounts.push(json);
        let env = paydesk_channels::ChannelEnv::new(&std::env::temp_dir(), std::time::Duration::from_secs(1));
        let mut channels = HashMap::new();
        for a in &mut file.accounts {
            if a.channel == "wechat" {
                // Trust the simulator's platform certificate from a file (no download).
                a.params.insert("platform_cert_file".into(), keys.join("wechat/platform_cert.pem").display().to_string().into());
            }
            channels.insert(a.name.clone(), paydesk_channels::build(a, &env).unwrap_or_else(|e| panic!("{}: {e}", a.name)));
        }
        Demo { sim, channels }
    })
}

/// A callback request as the server hands it to a channel.
pub fn request(headers: Vec<(String, String)>, body: Vec<u8>) -> CallbackRequest {
    CallbackRequest { headers: headers.into_iter().map(|(k, v)| (k.to_ascii_lowercase(), v)).collect(), body, received_at: chrono::Utc::now() }
}

/// Reads a row stream to its end (or first error), then its totals.
pub fn drain(source: Result<Box<dyn StatementSource + '_>, StatementError>) {
    if let Ok(mut rows) = source {
        for r in rows.by_ref() {
            if r.is_err() {
                break;
            }
        }
        let _ = rows.totals();
    }
}

/// `key=value` pairs from fuzz bytes: split on `&` and the first `=` (as lossy text), so the
/// fuzzer controls field names and values of a form the harness then signs.
pub fn pairs(data: &[u8]) -> Vec<(String, String)> {
    String::from_utf8_lossy(data)
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (p.to_string(), String::new()),
        })
        .collect()
}
