//! What the app holds while it runs. Business state lives in core (`Payments`, `Store`); this is
//! only the wiring plus who is logged in.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use paydesk_core::auth::{self, Action, Session};
use paydesk_core::sale::SaleGuard;
use paydesk_core::store::Outcome;
use paydesk_core::{Payments, Store};

use crate::demo::Demo;
use crate::error::{AppError, CmdResult};
use crate::voice::Voice;

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
}

impl AppState {
    pub fn store(&self) -> &Arc<Store> {
        self.payments.store()
    }

    pub fn session(&self) -> Option<Session> {
        self.session.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The logged-in session if its role may do `action`. A refusal of a sensitive action is
    /// written to the audit log.
    pub fn require(&self, action: Action) -> CmdResult<Session> {
        let s = self.session();
        match auth::require(s.as_ref(), action) {
            Ok(s) => Ok(s.clone()),
            Err(e) => {
                if s.is_some() && matches!(action, Action::Refund | Action::ExportOrders | Action::ManageSettings | Action::ManageAccounts | Action::ManageUsers) {
                    let _ = auth::audit(self.store(), s.as_ref(), action.as_str(), None, Outcome::Denied, &e.to_string(), chrono::Utc::now());
                }
                Err(AppError::from(e))
            }
        }
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
