//! Login, logout, first-run setup, language.

use paydesk_core::auth::{self, Action, Role, Session, User};
use paydesk_core::session::Notice;
use paydesk_core::store::Outcome;
use serde::Serialize;
use tauri::State;

use crate::error::CmdResult;
use crate::state::AppState;
use crate::voice::Lang;

/// The logged-in user and what they may do (the UI shows only these; Rust checks again).
#[derive(Debug, Clone, Serialize)]
pub struct SessionView {
    pub user: String,
    pub role: Role,
    pub allowed: Vec<Action>,
    /// Idle logout after this many seconds without activity (none: never); the UI logs out on
    /// time, the backend refuses after it anyway.
    pub idle_logout_secs: Option<i64>,
    /// What an owner should know right after logging in (locks since their last login, a PIN
    /// too short); empty otherwise.
    pub notices: Vec<Notice>,
}

impl SessionView {
    fn of(s: &Session, st: &AppState) -> SessionView {
        SessionView {
            user: s.user.clone(),
            role: s.role,
            allowed: Action::ALL.into_iter().filter(|a| auth::allowed(s.role, *a)).collect(),
            idle_logout_secs: st.idle().map(|d| d.num_seconds()),
            notices: Vec::new(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct DemoInfo {
    pub users: Vec<(String, Role, String)>,
    pub sample_codes: Vec<(String, String)>,
}

#[derive(Debug, Serialize)]
pub struct AppInfo {
    pub version: &'static str,
    /// The shop's name (empty until set up; the demo's is empty too).
    pub shop_name: String,
    pub needs_setup: bool,
    pub users: Vec<User>,
    pub lang: String,
    pub session: Option<SessionView>,
    pub demo: Option<DemoInfo>,
}

#[tauri::command]
pub fn app_info(st: State<'_, AppState>) -> CmdResult<AppInfo> {
    let demo = st.demo.as_ref().map(|_| DemoInfo {
        users: crate::demo::USERS.iter().map(|(n, r, p)| (n.to_string(), *r, p.to_string())).collect(),
        sample_codes: crate::demo::SAMPLE_CODES.iter().map(|(c, d)| (c.to_string(), d.to_string())).collect(),
    });
    Ok(AppInfo {
        version: env!("CARGO_PKG_VERSION"),
        shop_name: paydesk_core::config::Settings::load(&st.home).map(|s| s.shop_name).unwrap_or_default(),
        needs_setup: auth::needs_setup(st.store())?,
        users: st.store().users()?.into_iter().filter(|u| u.enabled).collect(),
        lang: st.store().pref("lang")?.unwrap_or_else(|| "zh-CN".into()),
        session: st.session().filter(|s| !s.expired(st.idle(), chrono::Utc::now())).as_ref().map(|s| SessionView::of(s, &st)),
        demo,
    })
}

#[tauri::command]
pub fn login(st: State<'_, AppState>, name: String, pin: String) -> CmdResult<SessionView> {
    let s = auth::login(st.store(), &name, &pin, chrono::Utc::now())?;
    let mut view = SessionView::of(&s, &st);
    view.notices = paydesk_core::session::notices(st.store(), &s, pin.len())?;
    st.set_session(Some(s));
    Ok(view)
}

#[tauri::command]
pub fn logout(st: State<'_, AppState>) -> CmdResult<()> {
    if st.session().is_some() {
        st.audit("logout", None, Outcome::Ok, "");
    }
    st.set_session(None);
    Ok(())
}

/// The person at the till is active (the UI calls this on input, at most every few seconds):
/// pushes the idle logout back. An already expired session is ended instead.
#[tauri::command]
pub fn touch_session(st: State<'_, AppState>) -> CmdResult<()> {
    st.may(Action::ViewOrders)?; // every role may: this only ends an expired session

    st.with_session(|s| s.touch(chrono::Utc::now()));
    Ok(())
}

/// The PIN given again, for user, account and key management within the next few minutes.
#[tauri::command]
pub fn confirm_pin(st: State<'_, AppState>, pin: String) -> CmdResult<()> {
    st.confirm_pin(&pin)
}

/// First run only: creates the first owner and logs them in.
#[tauri::command]
pub fn setup_owner(st: State<'_, AppState>, name: String, pin: String) -> CmdResult<SessionView> {
    if !auth::needs_setup(st.store())? {
        return Err(crate::error::AppError::new("conflict", "already set up; log in instead"));
    }
    // Nobody is logged in yet: the person at the setup screen becomes this owner.
    auth::add_user(st.store(), &name, Role::Owner, &pin, &paydesk_core::Principal::user(&name, Role::Owner), chrono::Utc::now())?;
    login(st, name, pin)
}

/// Anyone may switch the language (also before logging in).
#[tauri::command]
pub fn set_language(st: State<'_, AppState>, lang: String) -> CmdResult<()> {
    if lang != "zh-CN" && lang != "en" {
        return Err(crate::error::AppError::invalid("lang", "must be zh-CN or en"));
    }
    st.store().set_pref("lang", &lang)?;
    st.voice.set_lang(Lang::from_tag(&lang));
    Ok(())
}
