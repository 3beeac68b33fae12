//! `status`, `notifications`, `apikey`.

use std::path::Path;

use clap::Subcommand;
use serde_json::json;

use crate::ctx;
use crate::out::{CliError, Out, EXIT_FAILURE, EXIT_OK};

/// Asks a running `paydesk serve` (or the app) for its status.
pub(crate) async fn status(home: &Path, url: Option<String>, o: &Out) -> Result<i32, CliError> {
    let url = match url {
        Some(u) => u,
        None => {
            let s = paydesk_core::config::Settings::load(home).map_err(|e| CliError::invalid("settings", e))?;
            format!("http://{}", s.listen)
        }
    };
    let r = reqwest::Client::new().get(format!("{}/status", url.trim_end_matches('/'))).send().await;
    let v: serde_json::Value = match r {
        Ok(r) => r.json().await.map_err(CliError::other)?,
        Err(_) => {
            o.print(&json!({"running": false, "url": url}), || format!("Paydesk is not serving at {url} (start it with `paydesk serve`)"));
            return Ok(EXIT_FAILURE);
        }
    };
    o.print(&v, || {
        let tunnel = match v["tunnel"]["state"].as_str() {
            Some("connected") => format!("connected, {}", v["tunnel"]["public_url"].as_str().unwrap_or("")),
            Some("reconnecting") => format!("reconnecting (attempt {}): {}", v["tunnel"]["attempt"], v["tunnel"]["error"].as_str().unwrap_or("")),
            Some("connecting") => "connecting".into(),
            _ => "off".into(),
        };
        format!(
            "Paydesk {} at {url}\n  tunnel          {tunnel}\n  callbacks to    {}\n  open orders     {}\n  open refunds    {}\n  notifications   {} pending, {} failed",
            v["version"].as_str().unwrap_or("?"),
            v["notify_url_base"].as_str().unwrap_or("(none: polling only)"),
            v["open_orders"], v["open_refunds"], v["notifications_pending"], v["notifications_failed"]
        ) + &crate::cmd::routing::health_lines(&v)
    });
    Ok(EXIT_OK)
}

#[derive(Subcommand, Debug)]
pub(crate) enum NotificationsCmd {
    /// List notifications with their attempts (newest first).
    List {
        /// Only pending, delivered or failed.
        #[arg(long)]
        status: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Send a notification again now (a fresh attempt budget).
    Resend {
        /// Notification id.
        id: i64,
    },
}

pub(crate) fn notifications(home: &Path, c: Option<NotificationsCmd>, o: &Out) -> Result<i32, CliError> {
    let p = ctx::open(home)?;
    let store = p.store();
    match c.unwrap_or(NotificationsCmd::List { status: None, limit: 50 }) {
        NotificationsCmd::List { status, limit } => {
            if let Some(s) = &status {
                if !["pending", "delivered", "failed"].contains(&s.as_str()) {
                    return Err(CliError::invalid("status", "use pending, delivered or failed"));
                }
            }
            let rows = store.notifications(status.as_deref(), limit)?;
            let mut out = Vec::new();
            for n in &rows {
                out.push(json!({"notification": n, "attempts": store.notification_attempts(n.id)?}));
            }
            o.print(&out, || {
                if rows.is_empty() {
                    return "no notifications".into();
                }
                rows.iter()
                    .map(|n| format!("#{:<5} {:<10} {:<16} {:<26} attempts {:<2} {}  {}", n.id, n.status, n.event, n.reference, n.attempts, n.target, n.last_error.as_deref().unwrap_or("")))
                    .collect::<Vec<_>>()
                    .join("\n")
            });
            Ok(EXIT_OK)
        }
        NotificationsCmd::Resend { id } => {
            let n = store.resend_notification(id, chrono::Utc::now())?;
            o.print(&n, || format!("notification #{id} will be sent again now (by the running `paydesk serve` or app)"));
            Ok(EXIT_OK)
        }
    }
}

#[derive(Subcommand, Debug)]
pub(crate) enum ApiKeyCmd {
    /// Create a key; it is printed once.
    Create {
        /// Who uses it, e.g. "POS".
        #[arg(long)]
        name: String,
        /// Comma-separated: payments:read, payments:write, refunds:write.
        #[arg(long, default_value = "payments:read,payments:write")]
        scopes: String,
    },
    /// List keys (without secrets).
    List,
    /// Revoke a key by id.
    Revoke { id: String },
}

pub(crate) fn apikey(home: &Path, c: ApiKeyCmd, o: &Out) -> Result<i32, CliError> {
    let p = ctx::open(home)?;
    match c {
        ApiKeyCmd::Create { name, scopes } => {
            let scopes: Vec<String> = scopes.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
            let (k, token) = paydesk_core::apikey::create(p.store(), &name, &scopes, &paydesk_core::Principal::os()).map_err(|e| CliError::invalid("apikey", e))?;
            o.print(&json!({"key": k, "token": token}), || format!("API key {} for {name} ({}):\n  {token}\nStore it now: it is not shown again.", k.id, k.scopes.join(", ")));
        }
        ApiKeyCmd::List => {
            let keys = p.store().api_keys()?;
            o.print(&keys, || keys.iter().map(|k| format!("{}  {:<20} {:<45} {}", k.id, k.name, k.scopes.join(","), if k.revoked_at.is_some() { "revoked" } else { "active" })).collect::<Vec<_>>().join("\n"));
        }
        ApiKeyCmd::Revoke { id } => {
            match paydesk_core::apikey::revoke(p.store(), &id, &paydesk_core::Principal::os()) {
                Err(paydesk_core::apikey::KeyError::Store(e)) => return Err(e.into()),
                other => other.map_err(|e| CliError::invalid("apikey", e))?,
            }
            o.print(&json!({"revoked": id}), || format!("revoked {id}"));
        }
    }
    Ok(EXIT_OK)
}
