//! A fake payment gateway with any number of merchant accounts, deterministic faults and a
//! ledger of who was charged. Real channels' semantics where they matter for routing:
//! a timeout or 5xx may or may not have been processed; a query tells the truth; a cancel of a
//! trade that does not exist yet closes the order number so a late request cannot charge it.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::NaiveDate;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::channel::{
    BarcodePay, CallbackEvent, CallbackReply, CallbackRequest, CancelOutcome, Capabilities, Channel, ChannelError, CreateQr, OrderRef, QrCreated, RefundRequest, RefundResult,
    StatementFile, TradeState, TradeStatus,
};
use crate::order::Method;

/// What goes wrong with one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Connection refused: nothing was sent.
    Unreachable,
    /// No answer in time; `processed` says whether the gateway did act on it.
    Timeout { processed: bool },
    /// A 5xx/system error; `processed` as above.
    Unavailable { processed: bool },
    /// Turned away for calling too often: nothing happened.
    RateLimited,
    /// A definitive business refusal (e.g. the merchant may not take this amount).
    Rejected,
}

/// A trade as the gateway holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TradeAt {
    Created,
    Waiting,
    Paid,
    Failed,
    Closed,
    /// Paid, then reversed by a cancel: the money went back.
    Reversed,
}

#[derive(Debug)]
struct State {
    trades: HashMap<(String, String), TradeAt>,
    /// Faults to use next, per (account, operation), before the random ones.
    scripted: HashMap<(String, &'static str), VecDeque<Fault>>,
    /// Random faults: share of requests (per mille) that fail, per account.
    fail_permille: HashMap<String, u32>,
    rng: StdRng,
    requests: HashMap<String, u32>,
}

/// The gateway; channels for its accounts come from [`FakeGateway::channel`].
#[derive(Debug)]
pub struct FakeGateway {
    state: Mutex<State>,
}

impl FakeGateway {
    pub fn new(seed: u64) -> Arc<FakeGateway> {
        Arc::new(FakeGateway {
            state: Mutex::new(State { trades: HashMap::new(), scripted: HashMap::new(), fail_permille: HashMap::new(), rng: StdRng::seed_from_u64(seed), requests: HashMap::new() }),
        })
    }

    fn st(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A channel for one merchant account of this gateway.
    pub fn channel(self: &Arc<Self>, account: &str) -> Arc<dyn Channel> {
        Arc::new(FakeChannel { gw: self.clone(), account: account.to_string() })
    }

    /// Makes the next requests of `op` (`create_qr`, `barcode_pay`, `query`, `close`, `cancel`)
    /// to `account` fail as listed.
    pub fn script(&self, account: &str, op: &'static str, faults: impl IntoIterator<Item = Fault>) {
        self.st().scripted.entry((account.to_string(), op)).or_default().extend(faults);
    }

    /// Makes `permille`/1000 of all requests to `account` fail (a third each unreachable, timeout
    /// and 5xx; half of the timeouts and 5xx processed nevertheless).
    pub fn fail_randomly(&self, account: &str, permille: u32) {
        self.st().fail_permille.insert(account.to_string(), permille);
    }

    pub fn trade(&self, account: &str, order_no: &str) -> Option<TradeAt> {
        self.st().trades.get(&(account.to_string(), order_no.to_string())).copied()
    }

    /// Whether the payer is out of pocket for this order (paid and not reversed).
    pub fn charged(&self, account: &str, order_no: &str) -> bool {
        self.trade(account, order_no) == Some(TradeAt::Paid)
    }

    /// The customer scans an issued QR code and pays. False if there is no open QR trade.
    pub fn customer_pays(&self, account: &str, order_no: &str) -> bool {
        let open = self.trade(account, order_no) == Some(TradeAt::Created);
        if open {
            self.set(account, order_no, TradeAt::Paid);
        }
        open
    }

    /// Requests received by an account (including failed ones).
    pub fn requests(&self, account: &str) -> u32 {
        self.st().requests.get(account).copied().unwrap_or(0)
    }

    fn fault(&self, account: &str, op: &'static str) -> Option<Fault> {
        let mut st = self.st();
        *st.requests.entry(account.to_string()).or_default() += 1;
        if let Some(f) = st.scripted.get_mut(&(account.to_string(), op)).and_then(VecDeque::pop_front) {
            return Some(f);
        }
        let p = st.fail_permille.get(account).copied().unwrap_or(0);
        if p == 0 || st.rng.gen_range(0..1000) >= p {
            return None;
        }
        let processed = st.rng.gen_bool(0.5);
        Some(match st.rng.gen_range(0..3) {
            0 => Fault::Unreachable,
            1 => Fault::Timeout { processed },
            _ => Fault::Unavailable { processed },
        })
    }

    fn set(&self, account: &str, order_no: &str, t: TradeAt) {
        self.st().trades.insert((account.to_string(), order_no.to_string()), t);
    }
}

fn fail(f: Fault) -> ChannelError {
    let channel = "fake".to_string();
    match f {
        Fault::Unreachable => ChannelError::Unreachable { channel, detail: "connection refused".into() },
        Fault::Timeout { .. } => ChannelError::Timeout { channel },
        Fault::Unavailable { .. } => ChannelError::Unavailable { channel, code: "SYSTEM_ERROR".into(), message: "system busy".into() },
        Fault::RateLimited => ChannelError::Rejected { channel, code: "FREQUENCY_LIMITED".into(), message: "too many requests".into() },
        Fault::Rejected => ChannelError::Rejected { channel, code: "AMOUNT_LIMIT".into(), message: "the merchant may not take this amount".into() },
    }
}

/// Runs `act` unless the fault stopped the request before the gateway acted; then answers with
/// the fault, or with `act`'s answer.
fn faulty<T>(f: Option<Fault>, act: impl FnOnce() -> Result<T, ChannelError>) -> Result<T, ChannelError> {
    match f {
        None => act(),
        Some(f @ (Fault::Timeout { processed: true } | Fault::Unavailable { processed: true })) => {
            let _ = act();
            Err(fail(f))
        }
        Some(f) => Err(fail(f)),
    }
}

struct FakeChannel {
    gw: Arc<FakeGateway>,
    account: String,
}

impl FakeChannel {
    fn status(&self, order_no: &str) -> TradeStatus {
        let (state, raw) = match self.gw.trade(&self.account, order_no) {
            None => (TradeState::NotFound, "NOT_EXIST"),
            Some(TradeAt::Created) | Some(TradeAt::Waiting) => (TradeState::Waiting, "WAITING"),
            Some(TradeAt::Paid) => (TradeState::Paid, "PAID"),
            Some(TradeAt::Failed) => (TradeState::Failed { code: "DECLINED".into(), message: "insufficient balance".into() }, "FAILED"),
            Some(TradeAt::Closed) | Some(TradeAt::Reversed) => (TradeState::Closed, "CLOSED"),
        };
        let mut st = TradeStatus::new(state, raw);
        st.channel_trade_no = Some(format!("F{order_no}"));
        st
    }
}

#[async_trait]
impl Channel for FakeChannel {
    fn kind(&self) -> &str {
        "fake"
    }
    fn capabilities(&self) -> Capabilities {
        Capabilities { methods: vec![Method::Sandbox], qr: true, barcode: true, close: true, cancel: true, ..Default::default() }
    }
    async fn create_qr(&self, req: &CreateQr) -> Result<QrCreated, ChannelError> {
        let no = req.order.order_no.to_string();
        faulty(self.gw.fault(&self.account, "create_qr"), || {
            self.gw.set(&self.account, &no, TradeAt::Created);
            Ok(QrCreated { qr_code: format!("https://fake.invalid/qr/{no}"), channel_trade_no: Some(format!("F{no}")) })
        })
    }
    async fn barcode_pay(&self, req: &BarcodePay) -> Result<TradeStatus, ChannelError> {
        let no = req.order.order_no.to_string();
        faulty(self.gw.fault(&self.account, "barcode_pay"), || {
            if self.gw.trade(&self.account, &no).is_some() {
                // The order number is taken (e.g. closed by a cancel): a late request cannot charge.
                return Err(ChannelError::Rejected { channel: "fake".into(), code: "DUPLICATE_ORDER".into(), message: "order number already used".into() });
            }
            // The payer behaves by the code's last digit: 7 declines, 5 confirms by password.
            let t = match req.auth_code.chars().last() {
                Some('7') => TradeAt::Failed,
                Some('5') => TradeAt::Waiting,
                _ => TradeAt::Paid,
            };
            self.gw.set(&self.account, &no, t);
            Ok(self.status(&no))
        })
    }
    async fn query(&self, order: &OrderRef) -> Result<TradeStatus, ChannelError> {
        let no = order.order_no.to_string();
        faulty(self.gw.fault(&self.account, "query"), || {
            // A payer entering the password has done so by the next query.
            if self.gw.trade(&self.account, &no) == Some(TradeAt::Waiting) {
                self.gw.set(&self.account, &no, TradeAt::Paid);
            }
            Ok(self.status(&no))
        })
    }
    async fn close(&self, order: &OrderRef) -> Result<(), ChannelError> {
        let no = order.order_no.to_string();
        faulty(self.gw.fault(&self.account, "close"), || {
            if matches!(self.gw.trade(&self.account, &no), None | Some(TradeAt::Created | TradeAt::Waiting)) {
                self.gw.set(&self.account, &no, TradeAt::Closed);
            }
            Ok(())
        })
    }
    async fn cancel(&self, order: &OrderRef) -> Result<CancelOutcome, ChannelError> {
        let no = order.order_no.to_string();
        faulty(self.gw.fault(&self.account, "cancel"), || match self.gw.trade(&self.account, &no) {
            Some(TradeAt::Paid) => {
                self.gw.set(&self.account, &no, TradeAt::Reversed);
                Ok(CancelOutcome::Refunded)
            }
            Some(TradeAt::Reversed) => Ok(CancelOutcome::Refunded),
            _ => {
                self.gw.set(&self.account, &no, TradeAt::Closed);
                Ok(CancelOutcome::Closed)
            }
        })
    }
    async fn refund(&self, _req: &RefundRequest) -> Result<RefundResult, ChannelError> {
        Err(ChannelError::Unsupported { channel: "fake".into(), flow: "refund" })
    }
    async fn refund_query(&self, _req: &RefundRequest) -> Result<RefundResult, ChannelError> {
        Err(ChannelError::Unsupported { channel: "fake".into(), flow: "refund query" })
    }
    async fn statement(&self, _day: NaiveDate) -> Result<StatementFile, ChannelError> {
        Err(ChannelError::Unsupported { channel: "fake".into(), flow: "statement" })
    }
    fn parse_callback(&self, _req: &CallbackRequest) -> Result<CallbackEvent, ChannelError> {
        Err(ChannelError::Unsupported { channel: "fake".into(), flow: "callbacks" })
    }
    fn callback_reply(&self, stored: bool) -> CallbackReply {
        CallbackReply { status: if stored { 200 } else { 500 }, content_type: "text/plain", body: Vec::new() }
    }
}

