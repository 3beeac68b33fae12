//! What the app holds while it runs. Business state lives in core (`Payments`, `Store`); this is
//! only the wiring plus who is logged in.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use paydesk_core::auth::{self, Action, AuthError, Session};
use paydesk_core::sale::SaleGuard;
use paydesk_core::store::Outcome;
use paydesk_core::{Payments, Store};

use crate::demo::Demo;
use crate::error::{AppError, CmdResult};
use crate::voice::Voice;

/// Idle logout when the owner has not chosen: ten minutes without anyone at the till.
pub const IDLE_LOGOUT_MINS: u32 = 10;

/// The idle-logout preference, minutes (0 = never).
pub fn idle_logout_mins(store: &Store) -> u32 {
    store.pref("idle_logout_mins").ok().flatten().and_then(|v| v.parse().ok()).unwrap_or(IDLE_LOGOUT_MINS)
}

pub struct AppState {
    pub home: PathBuf,
    pub payments: Arc<Payments>,
    pub session: RwLock<Option<Session>>,
    pub sale: SaleGuard,
    pub voice: Voice,
    /// Present in demo mode: the in-process simulator and callback server.
    pub demo: Option<Demo>,
    /// Outside demo mode: the shared service (callback server + local API, tunnel, follower).
    pub service: Option<paydesk_server::service::Service>,
    /// Keeps the app's own follower running when there is no service (demo mode).
    pub follower_stop: tokio::sync::watch::Sender<bool>,
    /// Reconciliation (runs, discrepancy workflow, the T+1 schedule).
    pub recon: Arc<paydesk_core::reconcile::Reconciler>,
    /// The third leg: fund flows and bank statements (settlement, the bank discrepancies).
    pub bank: Arc<paydesk_core::reconcile::bank::BankLeg>,
    /// Receipts waiting for (or back from) the printer: payments never wait for paper.
    pub spool: Arc<paydesk_print::Spooler>,
    /// This till's printer settings in force (saved ones apply to the next job).
    pub printer: RwLock<paydesk_core::config::PrinterSettings>,
    /// The home's service lock (outside demo mode; the demo holds its own): one app, `paydesk
    /// serve` or `paydesk demo` per home.
    pub lock: Option<paydesk_core::service_lock::ServiceLock>,
}

impl AppState {
    /// The spooler and the settings for `printer` (the same pair every way the app starts).
    pub fn printing(printer: paydesk_core::config::PrinterSettings, home: &std::path::Path) -> (Arc<paydesk_print::Spooler>, RwLock<paydesk_core::config::PrinterSettings>) {
        // Commands run on Tauri's threads: jobs go to its Tokio runtime.
        let rt = Some(tauri::async_runtime::handle().inner().clone());
        let spool = paydesk_print::Spooler::on(rt, paydesk_print::Target::from_settings(&printer, home), std::time::Duration::from_secs(printer.timeout_secs));
        (spool, RwLock::new(printer))
    }

    pub fn printer_settings(&self) -> paydesk_core::config::PrinterSettings {
        self.printer.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn store(&self) -> &Arc<Store> {
        self.payments.store()
    }

    pub fn session(&self) -> Option<Session> {
        self.session.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Idle logout after this long without activity (`prefs.idle_logout_mins`, default
    /// [`IDLE_LOGOUT_MINS`]; 0 = never).
    pub fn idle(&self) -> Option<chrono::Duration> {
        let mins = idle_logout_mins(self.store());
        (mins > 0).then(|| chrono::Duration::minutes(i64::from(mins)))
    }

    /// The logged-in session if it is still live and its role may do `action` — with the PIN
    /// given again lately for user and account management. A session idle too long ends here
    /// (audited as a logout). A refusal of a sensitive action is written to the audit log.
    pub fn require(&self, action: Action) -> CmdResult<Session> {
        self.check(action, true)
    }

    /// As [`AppState::require`], without asking for the PIN again (lists behind a management
    /// action, e.g. the users table).
    pub fn may(&self, action: Action) -> CmdResult<Session> {
        self.check(action, false)
    }

    fn check(&self, action: Action, fresh: bool) -> CmdResult<Session> {
        let now = chrono::Utc::now();
        let s = self.session();
        let checked = paydesk_core::session::require_active(s.as_ref(), action, self.idle(), now);
        match checked {
            Ok(s) => Ok(s.clone()),
            Err(AuthError::ReauthRequired) if !fresh => s.ok_or_else(|| AppError::from(AuthError::NotLoggedIn)),
            Err(AuthError::SessionExpired) => {
                self.audit("logout", None, Outcome::Ok, "idle: logged out after no activity");
                self.set_session(None);
                Err(AppError::from(AuthError::SessionExpired))
            }
            Err(e) => {
                if s.is_some() && matches!(action, Action::Refund | Action::ExportOrders | Action::ManageSettings | Action::ManageAccounts | Action::ManageUsers) {
                    let _ = auth::audit(self.store(), s.as_ref(), action.as_str(), None, Outcome::Denied, &e.to_string(), now);
                }
                Err(AppError::from(e))
            }
        }
    }

    /// Checks the logged-in user's PIN again (refunds; management for the next few minutes). A
    /// wrong PIN counts towards the lockout like one at login.
    pub fn confirm_pin(&self, pin: &str) -> CmdResult<()> {
        let Some(mut s) = self.session() else { return Err(AuthError::NotLoggedIn.into()) };
        paydesk_core::session::confirm_pin(self.store(), &mut s, pin, chrono::Utc::now())?;
        self.with_session(|live| {
            live.confirmed_at = s.confirmed_at;
            live.touch(s.active_at);
        });
        Ok(())
    }

    pub fn set_session(&self, s: Option<Session>) {
        *self.session.write().unwrap_or_else(|p| p.into_inner()) = s;
    }

    /// Applies `f` to the live session, if any.
    pub fn with_session<T>(&self, f: impl FnOnce(&mut Session) -> T) -> Option<T> {
        self.session.write().unwrap_or_else(|p| p.into_inner()).as_mut().map(f)
    }

    /// The logged-in person as the principal of what they do (payments, refunds, changes).
    pub fn principal(s: &Session) -> paydesk_core::Principal {
        paydesk_core::Principal::user(&s.user, s.role)
    }

    /// Writes an audit entry for the logged-in user (failures to audit are logged, not fatal).
    pub fn audit(&self, action: &str, target: Option<&str>, outcome: Outcome, detail: &str) {
        if let Err(e) = auth::audit(self.store(), self.session().as_ref(), action, target, outcome, detail, chrono::Utc::now()) {
            tracing::error!("audit entry not written: {e}");
        }
    }
}
