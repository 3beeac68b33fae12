//! # paydesk-core
//!
//! The heart of Paydesk: [`Money`] in fen, typed [`OrderNo`]s, the order state machine
//! ([`order::transition`]), the SQLite book ([`Store`]), the [`Channel`] port that payment
//! channels implement, and the [`Payments`] service that ties them together:
//! persist first, call the channel, apply the answer; query before retrying; cancel what
//! cannot be confirmed.
//!
//! ```
//! use paydesk_core::Money;
//! let m = Money::parse_yuan("12.34").unwrap();
//! assert_eq!(m.fen(), 1234);
//! assert_eq!(m.to_string(), "12.34");
//! assert!(Money::parse_yuan("12.345").is_err());
//! ```

pub mod account;
pub mod analytics;
pub mod apikey;
pub mod auth;
pub mod backup;
pub mod channel;
pub mod clock;
pub mod config;
pub mod export;
pub mod files;
pub mod follower;
pub mod ids;
pub mod kept;
pub mod import;
pub mod listeners;
pub mod money;
pub mod notify;
pub mod order;
pub mod principal;
pub mod reason;
pub mod reconcile;
pub mod payments;
pub mod routing;
pub mod sale;
pub mod settle;
pub mod shop;
pub mod session;
pub mod service_lock;
pub mod statement;
pub mod till;
pub mod store;
pub mod text;
pub mod url;

pub use account::{AccountConfig, AccountsFile};
pub use channel::{Channel, ChannelError};
pub use ids::{NumberGen, OrderNo, RefundNo, TillId};
pub use money::Money;
pub use order::{EventSource, Method, Order, OrderStatus, PayKind, Refund, RefundKind, RefundStatus};
pub use payments::{PayError, Payments};
pub use principal::Principal;
pub use store::Store;
