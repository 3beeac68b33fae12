//! The client's idempotency key: the same key is the same sale, whoever asks and whenever.
//!
//! Invariant: one key, one sale. A request whose key is known gets that sale's order — a QR
//! with its code and expiry, or a charge in progress — never a second charge. Two requests with
//! the same key at once both get the order the first one writes: the second waits while the
//! first is still calling its channel (it can only be that briefly: the call is bounded by the
//! channel timeout). A QR order left without a code by a process that died while creating it is
//! taken over: it is abandoned (closed at its channel by the follower, as an unclear creation
//! always is — nobody was shown its code) and the sale moves to a fresh attempt whose code the
//! client gets.

use std::time::Duration;

use super::{invalid, PayError, Payments};
use crate::money::Money;
use crate::order::{Order, OrderStatus, PayKind};

/// What a request's idempotency key finds.
pub(super) enum Keyed {
    /// A new sale.
    New,
    /// The sale's order, as the client should see it.
    Done(Order),
    /// A QR order whose creator died before it had a code: the sale moves on from it.
    Resume(Order),
}

/// How often a waiting request looks at the order being made.
const POLL: Duration = Duration::from_millis(100);

impl Payments {
    /// The most a creation can be in flight: the channel's timeout, and a margin for writing.
    fn in_flight(&self) -> Duration {
        Duration::from_secs(self.settings.channel_timeout_secs) + Duration::from_secs(5)
    }

    /// The order a client already made with this idempotency key, if any: the key checked, and
    /// refused when it named another amount.
    pub(super) fn order_for_key(&self, key: Option<&str>, amount: Money) -> Result<Option<Order>, PayError> {
        let Some(key) = key else { return Ok(None) };
        if key.is_empty() || key.len() > 64 {
            return Err(invalid("idempotency_key", "must be 1 to 64 characters"));
        }
        match self.store.order_by_idempotency_key(key)? {
            Some(o) if o.amount != amount => Err(PayError::Conflict(format!("idempotency_key: already used for order {} of {} yuan", o.order_no, o.amount))),
            found => Ok(found),
        }
    }

    /// Looks the key up, waiting while the order it names is still being created elsewhere.
    pub(super) async fn for_key(&self, key: Option<&str>, amount: Money) -> Result<Keyed, PayError> {
        let mut deadline = None;
        loop {
            let Some(o) = self.order_for_key(key, amount)? else { return Ok(Keyed::New) };
            if o.status != OrderStatus::Pending || o.qr_code.is_some() {
                return Ok(Keyed::Done(o));
            }
            // Pending without a code: its creator is calling the channel, or died doing so.
            let age = (self.now() - o.created_at).to_std().unwrap_or_default();
            let until = *deadline.get_or_insert_with(|| tokio::time::Instant::now() + self.in_flight().saturating_sub(age));
            if tokio::time::Instant::now() >= until {
                return Ok(match o.kind {
                    PayKind::Qr => Keyed::Resume(o),
                    // A charge is never repeated: recovery settles it (query, then cancel).
                    PayKind::Barcode | PayKind::Tender => Keyed::Done(o),
                });
            }
            tokio::time::sleep(POLL).await;
        }
    }
}

/// The idempotency key was taken by another request between our look-up and our write.
pub(super) fn key_taken(e: &PayError) -> bool {
    matches!(e, PayError::Conflict(m) if m.starts_with(crate::store::KEY_TAKEN))
}
