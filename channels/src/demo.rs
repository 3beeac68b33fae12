//! Demo mode: a Paydesk home wired to the gateway simulator, nothing to configure.

use std::path::Path;

use paydesk_core::config::{CallbackMode, Settings};
use paydesk_core::{AccountsFile, Store};

/// The simulator's usual address in demo mode.
pub const DEMO_SIM_ADDR: &str = "127.0.0.1:8429";

/// Demo accounts against the simulator at `sim_base` (e.g. `http://127.0.0.1:8429`).
pub fn demo_accounts(sim_base: &str, keys_dir: &Path) -> String {
    let keys = keys_dir.display();
    format!(
        r#"
[[account]]
name = "sandbox-main"
channel = "sandbox"
display_name = "Sandbox wallet (simulated)"
priority = 1
fee_rate_bp = 60
base_url = "{sim_base}/sandbox"
[account.params]
merchant_id = "M100001"
private_key_file = "{keys}/merchant_private.pem"
gateway_public_key_file = "{keys}/gateway_public.pem"

[[account]]
name = "alipay-demo"
channel = "alipay"
display_name = "支付宝 (simulated)"
priority = 1
fee_rate_bp = 60
base_url = "{sim_base}/alipay"
[account.params]
app_id = "2021000122671080"
seller_id = "2088000122671080"
private_key_file = "{keys}/merchant_private.pem"
alipay_public_key_file = "{keys}/gateway_public.pem"

[[account]]
name = "wechat-demo"
channel = "wechat"
display_name = "微信支付 (simulated)"
priority = 1
fee_rate_bp = 60
base_url = "{sim_base}/wechat"
[account.params]
mchid = "1900000109"
appid = "wxd678efh567hg6787"
merchant_serial_no = "3775B6A45ACD588826D15E583A95F5DD2B8D4F5E"
private_key_file = "{keys}/merchant_private.pem"
apiv3_key_file = "{keys}/wechat/apiv3_key.txt"
api_v2_key_file = "{keys}/wechat/api_v2_key.txt"
client_cert_file = "{keys}/wechat/apiclient_cert.pem"

{unionpay}
# A template channel (no code): the shipped 易支付 recipe, behind the direct Alipay/WeChat accounts.
[[account]]
name = "epay-demo"
channel = "template"
display_name = "易支付 (simulated template)"
priority = 20
fee_rate_bp = 60
base_url = "{sim_base}/epay"
[account.params]
template_file = "{templates}/epay-md5.toml"
secret_file = "{keys}/epay/key.txt"
[account.params.vars]
pid = "1001"
client_ip = "127.0.0.1"
"#,
        templates = keys_dir.join("../../templates").display(),
        unionpay = unionpay_account("unionpay-demo", "云闪付 (simulated)", sim_base, keys_dir),
    )
}

/// A UnionPay account against the simulator (its demo certificate chain, the demo merchant key).
pub fn unionpay_account(name: &str, display_name: &str, sim_base: &str, keys_dir: &Path) -> String {
    let keys = keys_dir.display();
    format!(
        r#"
[[account]]
name = "{name}"
channel = "unionpay"
display_name = "{display_name}"
priority = 1
fee_rate_bp = 38
base_url = "{sim_base}/unionpay"
[account.params]
mer_id = "777290058165621"
sign_cert_file = "{keys}/unionpay/merchant_sign_cert.pem"
private_key_file = "{keys}/merchant_private.pem"
middle_cert_file = "{keys}/unionpay/acp_sim_middle.cer"
root_cert_file = "{keys}/unionpay/acp_sim_root.cer"
file_base_url = "{sim_base}/unionpay/file"
"#
    )
}

/// Writes settings and demo accounts into `home` (created if needed). Callbacks go to
/// `callback_base` when given, else orders are followed by polling only.
pub fn prepare_home(home: &Path, sim_base: &str, callback_base: Option<&str>) -> Result<(), String> {
    std::fs::create_dir_all(home).map_err(|e| format!("cannot create {}: {e}", home.display()))?;
    let mut settings = Settings::load(home).map_err(|e| e.to_string())?;
    settings.callback = match callback_base {
        Some(b) => CallbackMode::PublicUrl { base_url: b.to_string() },
        None => CallbackMode::PollingOnly,
    };
    settings.save(home).map_err(|e| e.to_string())?;
    let store = Store::open(&Store::path_in(home)).map_err(|e| e.to_string())?;
    let file = AccountsFile::parse(&demo_accounts(sim_base, &crate::sim::demo_keys_dir())).map_err(|e| e.to_string())?;
    for a in &file.accounts {
        store.upsert_account(a).map_err(|e| e.to_string())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_demo_account_builds_its_channel() {
        let keys = crate::sim::demo_keys_dir();
        let file = AccountsFile::parse(&demo_accounts("http://127.0.0.1:8429", &keys)).unwrap();
        let env = crate::ChannelEnv::new(&keys, std::time::Duration::from_secs(1));
        let mut kinds: Vec<String> = Vec::new();
        for a in &file.accounts {
            let ch = crate::registry::build(a, &env).unwrap_or_else(|e| panic!("{}: {e}", a.name));
            kinds.push(ch.kind().to_string());
        }
        kinds.sort_unstable();
        assert_eq!(kinds, ["alipay", "sandbox", "template", "unionpay", "wechat"]);
    }
}
