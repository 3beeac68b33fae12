//! Why the matcher flagged a line: one variant per rule, turned into a stable [`Reason`] (a code
//! with its values, which front ends word in their own language) and an English sentence (the
//! `detail` that logs, the CLI and the exports print).

use crate::money::format_signed_fen;
use crate::order::{OrderStatus, RefundStatus};

pub use crate::reason::Reason;

/// The rules that flag a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Why<'a> {
    /// The statement lists the payment (or refund) twice.
    ListedTwice { refund: bool },
    /// The book holds the order, under another account.
    OtherAccount { account: &'a str },
    UnknownPayment,
    UnknownRefund,
    /// A reversal (refund row without a refund number) of an order the book does not know.
    UnknownReversal,
    /// The channel reversed a payment the book holds as paid.
    ReversedBookPaid,
    /// The channel was paid; the book holds the order in another state.
    PaidBookSays { amount: i64, status: OrderStatus },
    Amount { book: i64, channel: i64 },
    Fee { expected: i64, bp: u32, charged: i64 },
    /// The channel refunded; the book holds the refund in another state.
    RefundedBookSays { status: RefundStatus },
    RefundAmount { book: i64, channel: i64 },
    FeeReturned { expected: i64, bp: u32, returned: i64 },
    NotOnStatement,
    RefundNotOnStatement,
    /// A payment Paydesk never created (no merchant order number, or not one of Paydesk's).
    ExternalPayment,
    /// A refund of such a payment.
    ExternalRefund,
}

impl Why<'_> {
    pub(crate) fn reason(&self) -> Reason {
        let yuan = |fen: i64| format_signed_fen(fen);
        let (code, args): (&str, Vec<(&str, String)>) = match *self {
            Why::ListedTwice { refund: false } => ("listed_twice", vec![]),
            Why::ListedTwice { refund: true } => ("refund_listed_twice", vec![]),
            Why::OtherAccount { account } => ("other_account", vec![("account", account.to_string())]),
            Why::UnknownPayment => ("unknown_payment", vec![]),
            Why::UnknownRefund => ("unknown_refund", vec![]),
            Why::UnknownReversal => ("unknown_reversal", vec![]),
            Why::ReversedBookPaid => ("reversed_book_paid", vec![]),
            Why::PaidBookSays { amount, status } => ("paid_book_says", vec![("amount", yuan(amount)), ("status", status.as_str().to_string())]),
            Why::Amount { book, channel } => ("amount", vec![("book", yuan(book)), ("channel", yuan(channel))]),
            Why::Fee { expected, bp, charged } => ("fee", vec![("expected", yuan(expected)), ("bp", bp.to_string()), ("charged", yuan(charged))]),
            Why::RefundedBookSays { status } => ("refunded_book_says", vec![("status", status.as_str().to_string())]),
            Why::RefundAmount { book, channel } => ("refund_amount", vec![("book", yuan(book)), ("channel", yuan(channel))]),
            Why::FeeReturned { expected, bp, returned } => ("fee_returned", vec![("expected", yuan(expected)), ("bp", bp.to_string()), ("returned", yuan(returned))]),
            Why::NotOnStatement => ("not_on_statement", vec![]),
            Why::RefundNotOnStatement => ("refund_not_on_statement", vec![]),
            Why::ExternalPayment => ("external_payment", vec![]),
            Why::ExternalRefund => ("external_refund", vec![]),
        };
        Reason { code: code.to_string(), args: args.into_iter().map(|(k, v)| (k.to_string(), v)).collect() }
    }

    /// The English sentence.
    pub(crate) fn sentence(&self) -> String {
        let yuan = |fen: i64| format_signed_fen(fen);
        match *self {
            Why::ListedTwice { refund: false } => "listed twice on the statement".into(),
            Why::ListedTwice { refund: true } => "refund listed twice on the statement".into(),
            Why::OtherAccount { account } => format!("the book holds this order under account {account}"),
            Why::UnknownPayment => "the channel has a payment our book does not know".into(),
            Why::UnknownRefund => "the channel has a refund our book does not know".into(),
            Why::UnknownReversal => "the channel reversed a payment our book does not know".into(),
            Why::ReversedBookPaid => "the channel reversed this payment; the book holds it as paid".into(),
            Why::PaidBookSays { amount, status } => format!("the channel was paid {}; the book says {}", yuan(amount), status.as_str()),
            Why::Amount { book, channel } => format!("book {} vs channel {}", yuan(book), yuan(channel)),
            Why::Fee { expected, bp, charged } => format!("expected fee {} at {bp} bp, the channel charged {}", yuan(expected), yuan(charged)),
            Why::RefundedBookSays { status } => format!("the channel refunded; the book says {}", status.as_str()),
            Why::RefundAmount { book, channel } => format!("book refunded {} vs channel {}", yuan(book), yuan(channel)),
            Why::FeeReturned { expected, bp, returned } => format!("expected {} of fee returned at {bp} bp, the channel returned {}", yuan(expected), yuan(returned)),
            Why::NotOnStatement => "paid in our book; not on this day's statement nor the days around it".into(),
            Why::RefundNotOnStatement => "refunded in our book; not on this day's statement nor the days around it".into(),
            Why::ExternalPayment => "a payment taken outside Paydesk (no Paydesk order number): accept it as an external sale, or resolve it".into(),
            Why::ExternalRefund => "a refund made outside Paydesk (no Paydesk refund number)".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_carry_the_values_the_sentence_names() {
        let w = Why::Fee { expected: 7, bp: 60, charged: 12 };
        assert_eq!(w.sentence(), "expected fee 0.07 at 60 bp, the channel charged 0.12");
        let r = w.reason();
        assert_eq!(r.code, "fee");
        assert_eq!((r.args["expected"].as_str(), r.args["bp"].as_str(), r.args["charged"].as_str()), ("0.07", "60", "0.12"));
        let r = Why::PaidBookSays { amount: 4600, status: OrderStatus::Closed }.reason();
        assert_eq!((r.code.as_str(), r.args["amount"].as_str(), r.args["status"].as_str()), ("paid_book_says", "46.00", "closed"));
        assert!(Why::UnknownPayment.reason().args.is_empty());
    }
}
