//! `status`, `notifications`, `apikey`.

use std::path::Path;

use clap::Subcommand;
use serde_json::json;

use crate::ctx;
use crate::i18n::{catalog as m, t, tr};
use crate::out::{CliError, Out, EXIT_FAILURE, EXIT_OK};

/// Asks a running `paydesk serve` (or the app) for its status.
pub(crate) async fn status(home: &Path, url: Option<String>, o: &Out) -> Result<i32, CliError> {
    // The service of this home (it says where it listens in the home's lock), unless a URL is given.
    let url = match url {
        Some(u) => u,
        None => match paydesk_core::service_lock::ServiceLock::running(home) {
            Some(Some(paydesk_core::service_lock::Holder { listen: Some(addr), .. })) => format!("http://{addr}"),
            Some(_) => {
                let s = paydesk_core::config::Settings::load(home).map_err(|e| CliError::invalid("settings", e))?;
                format!("http://{}", s.listen)
            }
            None => {
                o.print(&json!({"running": false, "home": home}), || tr!(NO_SERVICE_HERE, home = home.display()));
                return Ok(EXIT_FAILURE);
            }
        },
    };
    let r = reqwest::Client::new().get(format!("{}/status", url.trim_end_matches('/'))).send().await;
    let v: serde_json::Value = match r {
        Ok(r) => r.json().await.map_err(CliError::other)?,
        Err(_) => {
            o.print(&json!({"running": false, "url": url}), || tr!(NOT_SERVING, url = url));
            return Ok(EXIT_FAILURE);
        }
    };
    o.print(&v, || {
        let tunnel = match v["tunnel"]["state"].as_str() {
            Some("connected") => tr!(STATUS_TUNNEL_CONNECTED, url = v["tunnel"]["public_url"].as_str().unwrap_or("")),
            Some("reconnecting") => tr!(STATUS_TUNNEL_RECONNECTING, attempt = v["tunnel"]["attempt"], error = v["tunnel"]["error"].as_str().unwrap_or("")),
            Some("connecting") => t(m::STATUS_TUNNEL_CONNECTING).into(),
            _ => t(m::STATUS_TUNNEL_OFF).into(),
        };
        tr!(
            STATUS_BODY,
            version = v["version"].as_str().unwrap_or("?"),
            url = url,
            tunnel = tunnel,
            callbacks = v["notify_url_base"].as_str().unwrap_or(t(m::STATUS_POLLING_ONLY)),
            orders = v["open_orders"],
            refunds = v["open_refunds"],
            pending = v["notifications_pending"],
            failed = v["notifications_failed"]
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
                    return Err(CliError::invalid("status", t(m::NOTIFY_STATUS_VALUES)));
                }
            }
            let rows = store.notifications(status.as_deref(), limit)?;
            let mut out = Vec::new();
            for n in &rows {
                out.push(json!({"notification": n, "attempts": store.notification_attempts(n.id)?}));
            }
            o.print(&out, || {
                if rows.is_empty() {
                    return t(m::NO_NOTIFICATIONS).into();
                }
                rows.iter()
                    .map(|n| tr!(NOTIFY_LINE, id = format!("{:<5}", n.id), status = format!("{:<10}", n.status), event = format!("{:<16}", n.event), reference = format!("{:<26}", n.reference), attempts = format!("{:<2}", n.attempts), target = n.target, error = n.last_error.as_deref().unwrap_or("")))
                    .collect::<Vec<_>>()
                    .join("\n")
            });
            Ok(EXIT_OK)
        }
        NotificationsCmd::Resend { id } => {
            let n = store.resend_notification(id, chrono::Utc::now())?;
            o.print(&n, || tr!(NOTIFY_RESEND, id = id));
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
            o.print(&json!({"key": k, "token": token}), || tr!(APIKEY_CREATED, id = k.id, name = name, scopes = k.scopes.join(", "), token = token));
        }
        ApiKeyCmd::List => {
            let keys = p.store().api_keys()?;
            o.print(&keys, || keys.iter().map(|k| format!("{}  {:<20} {:<45} {}", k.id, k.name, k.scopes.join(","), t(if k.revoked_at.is_some() { m::APIKEY_REVOKED } else { m::APIKEY_ACTIVE }))).collect::<Vec<_>>().join("\n"));
        }
        ApiKeyCmd::Revoke { id } => {
            match paydesk_core::apikey::revoke(p.store(), &id, &paydesk_core::Principal::os()) {
                Err(paydesk_core::apikey::KeyError::Store(e)) => return Err(e.into()),
                other => other.map_err(|e| CliError::invalid("apikey", e))?,
            }
            o.print(&json!({"revoked": id}), || tr!(APIKEY_REVOKED_ONE, id = id));
        }
    }
    Ok(EXIT_OK)
}
