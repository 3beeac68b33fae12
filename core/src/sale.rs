//! One sale at a time per till: a second charge is refused while the first is unresolved.
//!
//! The cashier's screen asks for a [`SaleGuard::reserve`] before creating a payment. The
//! reservation holds while the charge is being made (a barcode charge may take a minute of
//! "checking with the channel") and afterwards for as long as the order is not final in the book.
//! Only a final order (paid, failed, closed) frees the till for the next charge.

use std::sync::{Arc, Mutex};

use crate::ids::OrderNo;
use crate::store::Store;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Slot {
    Idle,
    /// A payment is being created; its order number is not known yet.
    Starting,
    /// The last order; it blocks the till until final.
    Order(OrderNo),
}

/// Why a new charge was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SaleBusy {
    #[error("a payment is being made; wait for its result")]
    Starting,
    #[error("order {0} is not resolved yet; wait for its result or cancel it")]
    Unresolved(OrderNo),
}

impl SaleBusy {
    /// The blocking order, when known.
    pub fn order_no(&self) -> Option<&OrderNo> {
        match self {
            SaleBusy::Starting => None,
            SaleBusy::Unresolved(no) => Some(no),
        }
    }
}

/// The till's current sale.
#[derive(Debug, Clone)]
pub struct SaleGuard {
    slot: Arc<Mutex<Slot>>,
}

impl Default for SaleGuard {
    fn default() -> Self {
        SaleGuard { slot: Arc::new(Mutex::new(Slot::Idle)) }
    }
}

/// A held reservation. Attach the order it created; dropped unattached, it frees the till.
#[derive(Debug)]
pub struct Ticket {
    slot: Arc<Mutex<Slot>>,
    attached: bool,
}

impl Ticket {
    pub fn attach(mut self, no: &OrderNo) {
        *self.slot.lock().unwrap_or_else(|p| p.into_inner()) = Slot::Order(no.clone());
        self.attached = true;
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if !self.attached {
            let mut s = self.slot.lock().unwrap_or_else(|p| p.into_inner());
            if *s == Slot::Starting {
                *s = Slot::Idle;
            }
        }
    }
}

impl SaleGuard {
    /// Reserves the till for a new charge, or says what blocks it.
    pub fn reserve(&self, store: &Store) -> Result<Ticket, SaleBusy> {
        let mut s = self.slot.lock().unwrap_or_else(|p| p.into_inner());
        match &*s {
            Slot::Starting => return Err(SaleBusy::Starting),
            Slot::Order(no) => {
                // An order we cannot read is treated as unresolved: never guess.
                let done = store.order(no).map(|o| o.status.is_final()).unwrap_or(false);
                if !done {
                    return Err(SaleBusy::Unresolved(no.clone()));
                }
            }
            Slot::Idle => {}
        }
        *s = Slot::Starting;
        Ok(Ticket { slot: self.slot.clone(), attached: false })
    }

    /// The order that currently holds the till (final or not).
    pub fn current(&self) -> Option<OrderNo> {
        match &*self.slot.lock().unwrap_or_else(|p| p.into_inner()) {
            Slot::Order(no) => Some(no.clone()),
            Slot::Idle | Slot::Starting => None,
        }
    }

    /// Makes `no` the current sale (e.g. an unresolved order found at start-up).
    pub fn adopt(&self, no: &OrderNo) {
        *self.slot.lock().unwrap_or_else(|p| p.into_inner()) = Slot::Order(no.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::NumberGen;
    use crate::order::{EventSource, OrderStatus};
    use crate::store::OrderPatch;
    use chrono::Utc;

    #[test]
    fn blocks_until_the_order_is_final() {
        let (_d, store) = crate::store::test_util::store();
        let g = NumberGen::new("T1".parse().unwrap(), chrono_tz::Asia::Shanghai);
        let guard = SaleGuard::default();
        let t = guard.reserve(&store).unwrap();
        assert_eq!(guard.reserve(&store).unwrap_err(), SaleBusy::Starting, "double click");
        let no = g.next_order_no(Utc::now());
        store.insert_order(&crate::store::test_util::new_order(no.clone(), 100)).unwrap();
        t.attach(&no);
        assert_eq!(guard.reserve(&store).unwrap_err(), SaleBusy::Unresolved(no.clone()));
        store.apply(&no, OrderStatus::Processing, EventSource::ChannelReply, "x", &OrderPatch::default(), Utc::now()).unwrap();
        assert!(guard.reserve(&store).is_err());
        store.apply(&no, OrderStatus::Closed, EventSource::User, "cancel", &OrderPatch::default(), Utc::now()).unwrap();
        let t2 = guard.reserve(&store).unwrap();
        drop(t2);
        assert!(guard.reserve(&store).is_ok(), "an unattached ticket frees the till");
    }
}
