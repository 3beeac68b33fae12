//! The payments service: the one place that creates, follows, closes and refunds orders.
//!
//! Rules it keeps: the order is written before any channel is called; an unclear answer is
//! followed by a query, never by a blind retry; a barcode charge that cannot be confirmed is
//! cancelled/reversed; every change goes through the store's guarded transition and is
//! broadcast to listeners (UI, API, notifications).

mod callback;
mod follow;
mod probe;
mod refund;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::broadcast;

use crate::account::AccountConfig;
use crate::channel::{BarcodePay, Capabilities, Channel, ChannelError, CreateQr, OrderRef, TradeState};
use crate::clock::{Clock, SystemClock};
use crate::config::Settings;
use crate::ids::{NumberGen, OrderNo};
use crate::money::Money;
use crate::order::{mask_auth_code, EventSource, Method, Order, OrderStatus, PayKind};
use crate::routing::Router;
use crate::store::{NewOrder, OrderPatch, Store, StoreError};

pub use probe::Probe;
pub use refund::RefundRequestInput;

/// Builds a channel for an account (provided by `paydesk-channels`).
pub type ChannelFactory = Arc<dyn Fn(&AccountConfig) -> Result<Arc<dyn Channel>, ChannelError> + Send + Sync>;

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
}

impl From<StoreError> for PayError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { what, id } => PayError::NotFound(format!("{what} {id}")),
            StoreError::Conflict(m) => PayError::Conflict(m),
            other => PayError::Store(other),
        }
    }
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
        }
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
pub enum PaymentEvent {
    /// An order changed state (or a refund of it did).
    Order(Order),
    /// Work in progress on an unclear payment ("checking with the channel…").
    Checking { order_no: OrderNo, detail: String },
}

struct Live {
    accounts: Vec<(AccountConfig, Capabilities)>,
    channels: HashMap<String, Arc<dyn Channel>>,
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
    numbers: NumberGen,
    router: Router,
    factory: ChannelFactory,
    live: RwLock<Live>,
    clock: Arc<dyn Clock>,
    notify_base: RwLock<Option<String>>,
    events: broadcast::Sender<PaymentEvent>,
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
        let numbers = NumberGen::new(settings.till_id.clone(), tz);
        if let Some(last) = store.last_number(settings.till_id.as_str())? {
            numbers.seed(&last);
        }
        store.set_notify_targets(settings.notify.urls.clone());
        let (events, _) = broadcast::channel(1024);
        let p = Payments {
            timing: Timing::from_settings(&settings),
            store,
            settings,
            max_amount,
            tz,
            numbers,
            router: Router::default(),
            factory,
            live: RwLock::new(Live { accounts: Vec::new(), channels: HashMap::new() }),
            clock: Arc::new(SystemClock),
            notify_base: RwLock::new(None),
            events,
        };
        p.reload_accounts()?;
        Ok(p)
    }

    pub fn with_timing(mut self, t: Timing) -> Self {
        self.timing = t;
        self
    }

    pub fn with_clock(mut self, c: Arc<dyn Clock>) -> Self {
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

    /// Rebuilds channels from the accounts in the book (settings changed at run time).
    /// An account whose channel cannot be built is kept but disabled, with the reason logged.
    pub fn reload_accounts(&self) -> Result<(), PayError> {
        let mut accounts = Vec::new();
        let mut channels = HashMap::new();
        for mut a in self.store.accounts()? {
            match (self.factory)(&a) {
                Ok(ch) => {
                    accounts.push((a.clone(), ch.capabilities()));
                    channels.insert(a.name.clone(), ch);
                }
                Err(e) => {
                    tracing::warn!(account = %a.name, error = %e, "account disabled: channel cannot be built");
                    a.enabled = false;
                    accounts.push((a, Capabilities::default()));
                }
            }
        }
        *self.live.write().unwrap_or_else(|p| p.into_inner()) = Live { accounts, channels };
        Ok(())
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

    fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Start of today in the shop's time zone.
    fn today_start(&self) -> DateTime<Utc> {
        let local = self.now().with_timezone(&self.tz).date_naive();
        local.and_hms_opt(0, 0, 0).and_then(|d| d.and_local_timezone(self.tz).earliest()).map_or_else(|| self.now(), |d| d.with_timezone(&Utc))
    }

    fn emit(&self, order: &Order) {
        let _ = self.events.send(PaymentEvent::Order(order.clone()));
    }

    fn checking(&self, order_no: &OrderNo, detail: impl Into<String>) {
        let _ = self.events.send(PaymentEvent::Checking { order_no: order_no.clone(), detail: detail.into() });
    }

    fn check_amount(&self, amount: Money) -> Result<(), PayError> {
        amount.check_payment(self.max_amount).map_err(|e| invalid("amount", e.to_string()))
    }

    /// Chooses the account: the named one, else the router's first candidate.
    fn choose_account(&self, method: Option<Method>, kind: PayKind, amount: Money, named: Option<&str>, channel: Option<&str>) -> Result<(AccountConfig, Method), PayError> {
        let mut accounts = self.accounts();
        if let Some(ch) = channel {
            accounts.retain(|(a, _)| a.channel == ch);
            if accounts.is_empty() {
                return Err(invalid("channel", format!("no account of channel {ch:?} is configured")));
            }
        }
        if let Some(name) = named {
            let (a, caps) = accounts.iter().find(|(a, _)| a.name == name).ok_or_else(|| invalid("account", format!("no account named {name:?}")))?;
            if !a.enabled {
                return Err(invalid("account", format!("account {name:?} is disabled")));
            }
            let m = match method {
                Some(m) => m,
                None => *a.methods.first().or(caps.methods.first()).ok_or_else(|| invalid("method", "the account serves no method"))?,
            };
            if !crate::routing::serves(a, caps, m) {
                return Err(invalid("method", format!("account {name:?} does not take {m}")));
            }
            return Ok((a.clone(), m));
        }
        let method = match method {
            Some(m) => m,
            None => {
                // The only method configured, if there is exactly one.
                let mut ms: Vec<Method> = accounts.iter().filter(|(a, _)| a.enabled).flat_map(|(a, c)| if a.methods.is_empty() { c.methods.clone() } else { a.methods.clone() }).collect();
                ms.sort();
                ms.dedup();
                match ms.as_slice() {
                    [m] => *m,
                    [] => return Err(PayError::NoAccount { method: Method::Sandbox, kind: kind.as_str(), detail: ": no account is configured".into() }),
                    _ => return Err(invalid("method", "several methods are configured; name one (alipay, wechat, unionpay, …)")),
                }
            }
        };
        let today = self.today_start();
        let (cands, skipped) = self.router.candidates(&accounts, method, kind, amount, |name| {
            self.store.account_volume_since(name, today).unwrap_or(Money::ZERO)
        });
        match cands.first() {
            Some(a) => Ok(((*a).clone(), method)),
            None => {
                let detail = if skipped.is_empty() { String::new() } else { format!(" (skipped: {})", skipped.iter().map(|(n, s)| format!("{n}: {s:?}")).collect::<Vec<_>>().join(", ")) };
                Err(PayError::NoAccount { method, kind: kind.as_str(), detail })
            }
        }
    }

    fn existing_for_key(&self, key: Option<&str>, amount: Money) -> Result<Option<Order>, PayError> {
        let Some(key) = key else { return Ok(None) };
        if key.is_empty() || key.len() > 64 {
            return Err(invalid("idempotency_key", "must be 1 to 64 characters"));
        }
        match self.store.order_by_idempotency_key(key)? {
            Some(o) if o.amount == amount => Ok(Some(o)),
            Some(o) => Err(PayError::Conflict(format!("idempotency_key: already used for order {} of {} yuan", o.order_no, o.amount))),
            None => Ok(None),
        }
    }

    fn subject(&self, s: Option<&str>) -> Result<String, PayError> {
        let s = s.map(str::trim).filter(|s| !s.is_empty()).unwrap_or("Paydesk");
        if s.chars().count() > 128 {
            return Err(invalid("subject", "must be at most 128 characters"));
        }
        Ok(s.to_string())
    }

    fn new_order(&self, kind: PayKind, method: Method, account: &AccountConfig, amount: Money, subject: String, operator: Option<String>, key: Option<String>, auth: Option<String>, lifetime: Duration) -> Result<Order, PayError> {
        let now = self.now();
        let order = NewOrder {
            order_no: self.numbers.next_order_no(now),
            kind,
            method,
            channel: account.channel.clone(),
            account: account.name.clone(),
            amount,
            fee: amount.fee_at(account.fee_rate_bp),
            subject,
            auth_code_masked: auth,
            operator,
            till: self.settings.till_id.to_string(),
            idempotency_key: key,
            created_at: now,
            expires_at: now + chrono::Duration::from_std(lifetime).unwrap_or(chrono::Duration::minutes(5)),
        };
        let o = self.store.insert_order(&order)?;
        self.emit(&o);
        Ok(o)
    }

    /// Creates a QR order. The order is in the book (Pending) before the channel is called.
    pub async fn create_qr(&self, input: QrInput) -> Result<Order, PayError> {
        self.check_amount(input.amount)?;
        let subject = self.subject(input.subject.as_deref())?;
        if let Some(o) = self.existing_for_key(input.idempotency_key.as_deref(), input.amount)? {
            return Ok(o);
        }
        let (account, method) = self.choose_account(input.method, PayKind::Qr, input.amount, input.account.as_deref(), input.channel.as_deref())?;
        let channel = self.channel(&account.name)?;
        let order = self.new_order(PayKind::Qr, method, &account, input.amount, subject.clone(), input.operator, input.idempotency_key, None, self.timing.qr_lifetime)?;
        let req = CreateQr { order: order_ref(&order), method: order.method, subject, notify_url: self.notify_url(&account.name), expires_at: order.expires_at };
        match channel.create_qr(&req).await {
            Ok(created) => {
                let patch = OrderPatch { qr_code: Some(created.qr_code), channel_trade_no: created.channel_trade_no, ..Default::default() };
                self.apply(&order.order_no, OrderStatus::Processing, EventSource::ChannelReply, "QR code issued", patch)
            }
            Err(e) if !e.outcome_unknown() => {
                let patch = OrderPatch { failure: Some((e.code().to_string(), e.to_string())), ..Default::default() };
                self.apply(&order.order_no, OrderStatus::Failed, EventSource::ChannelReply, &format!("QR order refused: {e}"), patch)
            }
            Err(e) => {
                // The channel may or may not hold the order; no QR was shown, so close it there.
                self.store.add_event(&order.order_no, EventSource::ChannelReply, &format!("QR creation result unknown: {e}"), self.now())?;
                self.close(&order.order_no, EventSource::Recovery).await
            }
        }
    }

    /// Charges a payment code. Returns when the order is final — or, if even the cancel could not
    /// be confirmed, still `Processing` (it stays visible and recovery keeps working on it).
    pub async fn barcode_pay(&self, input: BarcodeInput) -> Result<Order, PayError> {
        self.check_amount(input.amount)?;
        let code = input.auth_code.trim();
        if code.is_empty() {
            return Err(invalid("auth_code", "is empty: scan the customer's payment code"));
        }
        let method = Method::from_auth_code(code).ok_or_else(|| invalid("auth_code", "not a payment code Paydesk recognises (Alipay, WeChat Pay, UnionPay)"))?;
        let subject = self.subject(input.subject.as_deref())?;
        if let Some(o) = self.existing_for_key(input.idempotency_key.as_deref(), input.amount)? {
            return Ok(o);
        }
        let (account, method) = self.choose_account(Some(method), PayKind::Barcode, input.amount, input.account.as_deref(), input.channel.as_deref())?;
        let channel = self.channel(&account.name)?;
        let order = self.new_order(PayKind::Barcode, method, &account, input.amount, subject.clone(), input.operator, input.idempotency_key, Some(mask_auth_code(code)), self.timing.barcode_wait)?;
        let req = BarcodePay { order: order_ref(&order), subject, auth_code: code.to_string(), notify_url: self.notify_url(&account.name) };
        let result = channel.barcode_pay(&req).await;
        match result {
            Ok(st) => match &st.state {
                TradeState::Paid | TradeState::Failed { .. } => self.apply_trade(&order, &st, EventSource::ChannelReply).await,
                TradeState::Waiting => {
                    let o = self.still_processing(&order.order_no, "waiting for the payer to confirm", patch_of(&st))?;
                    self.follow_barcode(o, &*channel).await
                }
                TradeState::NotFound | TradeState::Closed | TradeState::Refunded | TradeState::Unknown { .. } => {
                    let o = self.still_processing(&order.order_no, &format!("unclear reply ({}); checking", st.raw_status), OrderPatch::default())?;
                    self.follow_barcode(o, &*channel).await
                }
            },
            Err(e) if !e.outcome_unknown() => {
                let patch = OrderPatch { failure: Some((e.code().to_string(), e.to_string())), ..Default::default() };
                self.apply(&order.order_no, OrderStatus::Failed, EventSource::ChannelReply, &format!("payment refused: {e}"), patch)
            }
            Err(e) => {
                let o = self.still_processing(&order.order_no, &format!("result unknown ({e}); checking"), OrderPatch::default())?;
                self.follow_barcode(o, &*channel).await
            }
        }
    }

    /// Marks a barcode order `Processing` after an unclear reply — unless a verified callback has
    /// settled it meanwhile (a channel's notification can beat its own synchronous reply): then the
    /// settled order stands.
    fn still_processing(&self, no: &OrderNo, detail: &str, patch: OrderPatch) -> Result<Order, PayError> {
        match self.apply(no, OrderStatus::Processing, EventSource::ChannelReply, detail, patch) {
            Err(PayError::Store(StoreError::Illegal(_))) => Ok(self.store.order(no)?),
            other => other,
        }
    }

    /// Writes a status change and broadcasts it.
    fn apply(&self, no: &OrderNo, to: OrderStatus, source: EventSource, detail: &str, patch: OrderPatch) -> Result<Order, PayError> {
        let applied = self.store.apply(no, to, source, detail, &patch, self.now())?;
        let changed = applied.changed();
        let o = applied.into_inner();
        if changed {
            tracing::info!(order = %no, status = %o.status, source = source.as_str(), "{detail}");
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
