//! # paydesk-print
//!
//! Receipts on thermal printers, in four parts that each can be tested alone:
//! [`receipts`] lays out a sale, refund, handover or Z report as ESC/POS bytes ([`escpos`]:
//! GBK text, QR code model 2, CODE128 ([`code128`]), drawer kick, cut) for 58 or 80 mm paper; [`transport`]
//! sends them to a network printer (raw TCP, port 9100) or a USB printer's device file, asking a
//! network printer for paper first; [`spool`] does that in the background so a payment never
//! waits for a printer, keeping failed jobs for a retry; [`decode`] and [`render`] read the bytes
//! back into text (golden files) and into an image of the receipt, and [`virtual_printer`] is a
//! network printer on 127.0.0.1 that keeps what it was sent.
//!
//! ```
//! use paydesk_print::{decode, escpos::{Align, Escpos}};
//! let mut e = Escpos::new();
//! e.align(Align::Center).line("小店 Little shop").cut(0);
//! let lines = decode::printed_lines(&decode::decode(&e.bytes()));
//! assert_eq!(lines, ["小店 Little shop"]);
//! ```
//!
//! Its own crate so that core stays free of printer transports and image encoding.

pub mod code128;
pub mod decode;
pub mod escpos;
pub mod receipts;
pub mod render;
pub mod spool;
pub mod transport;
pub mod virtual_printer;

pub use receipts::{Lang, Layout};
pub use spool::{Job, JobStatus, Spooler};
pub use transport::{PrintError, Target};
pub use virtual_printer::VirtualPrinter;
