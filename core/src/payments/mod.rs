//! The payments service: the one place that creates, follows, closes and refunds orders.
//!
//! Rules it keeps: the order is written before any channel is called; an unclear answer is
//! followed by a query, never by a blind retry; a barcode charge that cannot be confirmed is
//! cancelled/reversed; every change goes through the store's guarded transition and is
//! broadcast to listeners (UI, API, notifications).

mod admin;
mod barcode;
mod callback;
mod follow;
mod keyed;
mod probe;
mod qr;
mod refund;
mod revoke;
mod route;
mod tender;
mod watched;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::broadcast;

use crate::account::AccountConfig;
use crate::channel::{Capabilities, Channel, ChannelError, OrderRef};
use crate::clock::{Clock, SystemClock};
use crate::config::Settings;
use crate::ids::{Numbering, OrderNo, RefundNo};
use crate::money::Money;
use crate::order::{mask_auth_code, EventSource, Method, Order, OrderStatus, PayKind};
use crate::routing::limits::{LimitExceeded, Limits};
use crate::routing::Router;
use crate::store::{OrderPatch, Store, StoreError};
use crate::text::{SafeText, TextError};

pub use admin::{watch_accounts, watch_limits, AccountHealth, AccountPatch};
pub use probe::Probe;
pub use refund::RefundRequestInput;
pub use revoke::RevokeInput;
pub use tender::TenderInput;

/// Builds a channel for an account (provided by `paydesk-channels`).
pub type ChannelFactory = Arc<dyn Fn(&AccountConfig) -> Result<Arc<dyn Channel>, ChannelError> + Send + Sync>;
/// Prepares an account about to be saved (the old version, if any, and the new): on a shop's
/// shared book, seals its key files for the other tills (`paydesk_channels::shopkey`).
pub type KeyCarrier = Arc<dyn Fn(Option<&AccountConfig>, &mut AccountConfig) -> Result<(), String> + Send + Sync>;

/// An error from a payments operation. `Invalid` and `NoAccount` mean nothing was written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PayError {
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    #[error("{0} not found")]
    NotFound(String),
    #[error("no enabled account can take {method} {kind} payments{detail}")]
    NoAccount { method: Method, kind: &'static str, detail: String },
    #[error(transparent)]
    Channel(#[from] ChannelError),
    #[error(transparent)]
    Store(StoreError),
    #[error("{0}")]
    Conflict(String),
    /// A daily limit of the cashier or the till refused the payment; nothing was written.
    #[error(transparent)]
    Limit(LimitExceeded),
    /// A shop-wide change needs the shared book, which cannot be reached now; nothing was written.
    #[error("{0}")]
    Offline(String),
    /// The book could not be written after the order (or refund) was: the request reached, or
    /// may have reached, the channel, and its outcome is not settled in the book. It is settled
    /// once the book can be written again (start-up recovery, the follower, `paydesk query`).
    #[error("order {order_no}: the outcome is not settled: the book could not be written ({cause}); it is settled once the book can be written again")]
    Unsettled { order_no: OrderNo, kind: PayKind, refund_no: Option<RefundNo>, cause: StoreError },
}

impl From<StoreError> for PayError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { what, id } => PayError::NotFound(format!("{what} {id}")),
            StoreError::Conflict(m) => PayError::Conflict(m),
            StoreError::Offline(m) => PayError::Offline(m),
            other => PayError::Store(other),
        }
    }
}

impl From<TextError> for PayError {
    fn from(e: TextError) -> Self {
        PayError::Invalid { field: e.field, message: e.problem }
    }
}

/// Longest operator label.
pub const MAX_OPERATOR: usize = 64;

/// A client's operator label, checked: plain text of at most [`MAX_OPERATOR`] characters.
pub(crate) fn operator_label(s: Option<&str>) -> Result<Option<String>, PayError> {
    Ok(SafeText::parse_opt("operator", s, MAX_OPERATOR)?.map(SafeText::into_string))
}

impl PayError {
    /// Stable code for the API and the UI.
    pub fn code(&self) -> &'static str {
        match self {
            PayError::Invalid { .. } => "invalid",
            PayError::NotFound(_) => "not_found",
            PayError::NoAccount { .. } => "no_account",
            PayError::Channel(e) => e.code(),
            PayError::Store(_) => "storage",
            PayError::Conflict(_) => "conflict",
            PayError::Limit(_) => "limit",
            PayError::Offline(_) => "offline",
            PayError::Unsettled { .. } => "unsettled",
        }
    }

    /// After `order` is in the book, a failure to write it is no longer "nothing happened".
    pub(crate) fn after_written(self, order: &Order) -> PayError {
        match self {
            PayError::Store(cause) => PayError::Unsettled { order_no: order.order_no.clone(), kind: order.kind, refund_no: None, cause },
            other => other,
        }
    }

    /// True when the book could not be written at all (disk full, read-only, gone): a payment
    /// refused with it never reached a channel.
    pub fn book_unwritable(&self) -> bool {
        matches!(self, PayError::Store(e) if e.unwritable())
    }
}

fn invalid(field: &'static str, message: impl Into<String>) -> PayError {
    PayError::Invalid { field, message: message.into() }
}

/// Timings of the follow-up loops (from settings; tests shorten them).
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    pub qr_lifetime: Duration,
    pub barcode_wait: Duration,
    pub barcode_poll: Duration,
    pub cancel_retry: Duration,
    pub cancel_attempts: u32,
}

impl Timing {
    pub fn from_settings(s: &Settings) -> Timing {
        Timing {
            qr_lifetime: Duration::from_secs(s.qr_lifetime_secs),
            barcode_wait: Duration::from_secs(s.barcode_wait_secs),
            barcode_poll: Duration::from_secs(s.barcode_poll_secs),
            cancel_retry: Duration::from_secs(2),
            cancel_attempts: 3,
        }
    }
}

/// A change the outside world may want to show or act on.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)] // nearly every event is an order; boxing would allocate for each
pub enum PaymentEvent {
    /// An order changed state (or a refund of it did).
    Order(Order),
    /// Work in progress on an unclear payment ("checking with the channel…").
    Checking { order_no: OrderNo, detail: String },
}

struct Live {
    accounts: Vec<(AccountConfig, Capabilities)>,
    channels: HashMap<String, Arc<dyn Channel>>,
    /// Accounts whose channel could not be built (kept, shown, never routed to).
    unusable: HashSet<String>,
    /// The book's accounts revision these were built from.
    rev: i64,
}

/// A QR payment request, validated at the edge (amount already parsed).
#[derive(Debug, Clone, Default)]
pub struct QrInput {
    pub amount: Money,
    pub method: Option<Method>,
    /// Restrict to accounts of this channel kind (`alipay`, `sandbox`, …).
    pub channel: Option<String>,
    pub account: Option<String>,
    pub subject: Option<String>,
    pub operator: Option<String>,
    pub idempotency_key: Option<String>,
    /// Part of a split sale (the rest paid by other tenders).
    pub sale: Option<crate::store::SalePart>,
}

/// A barcode payment request.
#[derive(Clone, Default)]
pub struct BarcodeInput {
    pub amount: Money,
    pub auth_code: String,
    /// Restrict to accounts of this channel kind.
    pub channel: Option<String>,
    pub account: Option<String>,
    pub subject: Option<String>,
    pub operator: Option<String>,
    pub idempotency_key: Option<String>,
    /// Part of a split sale (the rest paid by other tenders).
    pub sale: Option<crate::store::SalePart>,
}

impl std::fmt::Debug for BarcodeInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BarcodeInput").field("amount", &self.amount).field("auth_code", &mask_auth_code(&self.auth_code)).finish()
    }
}

pub struct Payments {
    store: Arc<Store>,
    settings: Settings,
    max_amount: Money,
    tz: chrono_tz::Tz,
    timing: Timing,
    numbers: Numbering,
    router: Arc<Router>,
    limits: RwLock<Limits>,
    factory: ChannelFactory,
    live: RwLock<Live>,
    clock: Arc<dyn Clock>,
    notify_base: RwLock<Option<String>>,
    events: broadcast::Sender<PaymentEvent>,
    key_carrier: RwLock<Option<KeyCarrier>>,
}

impl std::fmt::Debug for Payments {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Payments").field("store", &self.store).finish_non_exhaustive()
    }
}

impl Payments {
    /// Builds the service and its channels from the accounts in the book.
    pub fn new(store: Arc<Store>, settings: Settings, factory: ChannelFactory) -> Result<Payments, PayError> {
        settings.validate().map_err(|e| invalid("settings", e.to_string()))?;
        let tz = settings.tz().map_err(|e| invalid("timezone", e.to_string()))?;
        let max_amount = settings.max_amount().map_err(|e| invalid("max_order_amount", e.to_string()))?;
        let numbers = Numbering::new(settings.till_id.clone(), tz);
        store.set_notify_targets(settings.notify.urls.clone());
        store.set_context(crate::store::TillContext { till: settings.till_id.to_string(), store: settings.store_id.clone(), tz });
        let (events, _) = broadcast::channel(1024);
        let router = Arc::new(Router::new(settings.routing.clone()));
        let limits = RwLock::new(settings.limits.clone());
        let p = Payments {
            timing: Timing::from_settings(&settings),
            store,
            settings,
            max_amount,
            tz,
            numbers,
            router,
            limits,
            factory,
            live: RwLock::new(Live { accounts: Vec::new(), channels: HashMap::new(), unusable: HashSet::new(), rev: 0 }),
            clock: Arc::new(SystemClock),
            notify_base: RwLock::new(None),
            events,
            key_carrier: RwLock::new(None),
        };
        p.reload_accounts()?;
        Ok(p)
    }

    pub fn with_timing(mut self, t: Timing) -> Self {
        self.timing = t;
        self
    }

    pub fn with_clock(mut self, c: Arc<dyn Clock>) -> Self {
        self.router.set_clock(c.clone());
        self.clock = c;
        self
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn max_amount(&self) -> Money {
        self.max_amount
    }

    pub fn subscribe(&self) -> broadcast::Receiver<PaymentEvent> {
        self.events.subscribe()
    }

    /// Sets the public base URL channels call back on (`{base}/cb/{account}`), or none.
    pub fn set_notify_base(&self, base: Option<String>) {
        *self.notify_base.write().unwrap_or_else(|p| p.into_inner()) = base.map(|b| b.trim_end_matches('/').to_string());
    }

    pub fn notify_url(&self, account: &str) -> Option<String> {
        self.notify_base.read().unwrap_or_else(|p| p.into_inner()).as_ref().map(|b| format!("{b}/cb/{account}"))
    }

    /// Rebuilds channels from the accounts in the book (settings changed at run time). Health and
    /// round-robin state are kept: they are keyed by account name. An account whose channel
    /// cannot be built is kept but unusable, with the reason logged.
    pub fn reload_accounts(&self) -> Result<(), PayError> {
        // Read the revision first: a change racing this reload makes the watcher reload again.
        let rev = self.store.accounts_rev()?;
        let mut accounts = Vec::new();
        let mut channels = HashMap::new();
        let mut unusable = HashSet::new();
        for mut a in self.store.accounts()? {
            match (self.factory)(&a) {
                Ok(ch) => {
                    accounts.push((a.clone(), ch.capabilities()));
                    let watched: Arc<dyn Channel> = Arc::new(watched::Watched::new(ch, &a.name, self.router.clone()));
                    channels.insert(a.name.clone(), watched);
                }
                Err(e) => {
                    tracing::warn!(account = %a.name, error = %e, "account unusable: channel cannot be built");
                    unusable.insert(a.name.clone());
                    a.enabled = false;
                    accounts.push((a, Capabilities::default()));
                }
            }
        }
        let names: Vec<&str> = accounts.iter().map(|(a, _)| a.name.as_str()).collect();
        self.router.health().retain(&names);
        *self.live.write().unwrap_or_else(|p| p.into_inner()) = Live { accounts, channels, unusable, rev };
        Ok(())
    }

    /// Reloads the accounts if the book's accounts changed since the last load (by this process
    /// or any other). Cheap: one indexed read. Returns whether it reloaded.
    pub fn reload_if_changed(&self) -> Result<bool, PayError> {
        let rev = self.store.accounts_rev()?;
        if rev == self.live.read().unwrap_or_else(|p| p.into_inner()).rev {
            return Ok(false);
        }
        self.reload_accounts()?;
        tracing::info!(rev, "accounts changed in the book: reloaded");
        Ok(true)
    }

    /// The callback allowlist of an account (empty = everyone), without cloning the accounts.
    pub fn callback_allow(&self, account: &str) -> Vec<String> {
        self.live.read().unwrap_or_else(|p| p.into_inner()).accounts.iter().find(|(a, _)| a.name == account).map(|(a, _)| a.callback_allow.clone()).unwrap_or_default()
    }

    /// Accounts with their channels' capabilities.
    pub fn accounts(&self) -> Vec<(AccountConfig, Capabilities)> {
        self.live.read().unwrap_or_else(|p| p.into_inner()).accounts.clone()
    }

    pub fn channel(&self, account: &str) -> Result<Arc<dyn Channel>, PayError> {
        self.live
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .channels
            .get(account)
            .cloned()
            .ok_or_else(|| PayError::NotFound(format!("channel account {account}")))
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// A fresh order number, reserved in the book (unique across every process on the home).
    pub(crate) fn next_order_no(&self, now: DateTime<Utc>) -> Result<OrderNo, PayError> {
        Ok(self.numbers.order_no(self.store.reserve_slot(self.numbers.till(), self.numbers.stamp(now))?))
    }

    /// A fresh refund number, reserved in the book.
    pub(crate) fn next_refund_no(&self, now: DateTime<Utc>) -> Result<RefundNo, PayError> {
        Ok(self.numbers.refund_no(self.store.reserve_slot(self.numbers.till(), self.numbers.stamp(now))?))
    }

    /// Start of today in the shop's time zone.
    fn today_start(&self) -> DateTime<Utc> {
        let local = self.now().with_timezone(&self.tz).date_naive();
        local.and_hms_opt(0, 0, 0).and_then(|d| d.and_local_timezone(self.tz).earliest()).map_or_else(|| self.now(), |d| d.with_timezone(&Utc))
    }

    pub(crate) fn emit(&self, order: &Order) {
        let _ = self.events.send(PaymentEvent::Order(order.clone()));
    }

    fn checking(&self, order_no: &OrderNo, detail: impl Into<String>) {
        let _ = self.events.send(PaymentEvent::Checking { order_no: order_no.clone(), detail: detail.into() });
    }

    fn check_amount(&self, amount: Money) -> Result<(), PayError> {
        amount.check_payment(self.max_amount).map_err(|e| invalid("amount", e.to_string()))
    }

    /// What is sold, as the payer sees it: plain text of at most 128 characters ("Paydesk" when
    /// none is given).
    fn subject(&self, s: Option<&str>) -> Result<String, PayError> {
        Ok(SafeText::parse_opt("subject", s, 128)?.map_or_else(|| "Paydesk".to_string(), SafeText::into_string))
    }

    /// Marks a barcode order `Processing` after an unclear reply — unless a verified callback has
    /// settled it meanwhile (a channel's notification can beat its own synchronous reply): then the
    /// settled order stands.
    fn still_processing(&self, no: &OrderNo, detail: impl Into<crate::order::EventNote>, patch: OrderPatch) -> Result<Order, PayError> {
        match self.apply(no, OrderStatus::Processing, EventSource::ChannelReply, detail, patch) {
            Err(PayError::Store(StoreError::Illegal(_))) => Ok(self.store.order(no)?),
            other => other,
        }
    }

    /// Writes a status change and broadcasts it.
    fn apply(&self, no: &OrderNo, to: OrderStatus, source: EventSource, detail: impl Into<crate::order::EventNote>, patch: OrderPatch) -> Result<Order, PayError> {
        let note = detail.into();
        let text = note.text.clone();
        let applied = self.store.apply(no, to, source, note, &patch, self.now())?;
        let changed = applied.changed();
        let o = applied.into_inner();
        if changed {
            tracing::info!(order = %no, status = %o.status, source = source.as_str(), "{text}");
            self.emit(&o);
        }
        Ok(o)
    }
}

pub(crate) fn order_ref(o: &Order) -> OrderRef {
    OrderRef { order_no: o.order_no.clone(), amount: o.amount, channel_trade_no: o.channel_trade_no.clone(), created_at: o.created_at }
}

pub(crate) fn patch_of(st: &crate::channel::TradeStatus) -> OrderPatch {
    OrderPatch { channel_trade_no: st.channel_trade_no.clone(), paid_at: st.paid_at, ..Default::default() }
}

pub use callback::CallbackOutcome;
#[cfg(test)]
mod tests;
