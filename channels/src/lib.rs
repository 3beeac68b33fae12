//! # paydesk-channels
//!
//! Payment channels behind the [`Channel`] port of `paydesk-core`: one folder per channel, each
//! with its wire types apart from the mapping to ours; shared [`sign`]ing and [`http`] helpers;
//! the [`registry`] (channel kind → factory); and the gateway [`sim`]ulator that plays the
//! channels' side on 127.0.0.1 with their real protocols.

pub mod alipay;
pub mod archive;
pub mod demo;
pub mod demo_chain;
pub mod demo_recon;
pub mod env;
pub mod funds;
pub mod http;
pub mod keyfiles;
pub mod keystore;
pub mod shopkey;
pub mod registry;
pub mod sandbox;
pub mod sign;
pub mod statement;
pub mod sim;
pub mod template;
pub mod transfer;
pub mod unionpay;
pub mod wechat;

pub use env::ChannelEnv;
pub use paydesk_core::channel::Channel;
pub use registry::{build, factory, kinds};
