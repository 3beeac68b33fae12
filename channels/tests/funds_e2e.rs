//! Fund flows end to end: each wallet's fund-flow statement downloaded from the simulator through
//! the channel's real API (Alipay `signcustomer`, WeChat Pay `fundflowbill`, UnionPay's file
//! download), parsed, derived, checked against the same day's trade statement, and the payout
//! batches stored by the settlement service with their check against the days they cover.

mod common;

use std::sync::Arc;

use chrono::Days;
use common::wallets::{accounts, seed, today};
use common::Harness;
use paydesk_channels::funds::FundParsers;
use paydesk_core::reconcile::StatementParser;
use paydesk_core::settle::{derive, FundInput, FundKind, FundParser, Settler};

#[tokio::test]
async fn each_wallet_fund_flow_agrees_with_its_trade_statement_and_pays_out_the_day() {
    let h = Harness::start(&accounts()).await;
    let (d1, d2) = (today().checked_sub_days(Days::new(4)).unwrap(), today().checked_sub_days(Days::new(3)).unwrap());
    seed(h.payments.store(), &h.sim.state, d1, d2);
    for account in ["alipay-demo", "wechat-demo", "unionpay-demo"] {
        let ch = h.payments.channel(account).unwrap();
        let file = ch.fund_flow(d1).await.unwrap_or_else(|e| panic!("{account}: {e}"));
        let kind = ch.kind().to_string();
        let (format, funds) = FundParsers.parse(&kind, file.bytes).unwrap();
        let day = derive(&funds, d1);
        // Two sales, one refund; the fees are the channel's (0.60 % on the wallets, 0.38 % UnionPay).
        let bp = if kind == "unionpay" { 38 } else { 60 };
        let fee = |a: i64| (a * bp + 5_000) / 10_000;
        assert_eq!((day.sales, day.sales_count, day.refunds, day.refund_count), (13_350, 2, 2_000, 1), "{account} {format}");
        assert_eq!(day.fees, fee(10_000) + fee(3_350) - fee(2_000), "{account}");
        assert_eq!(day.net, 13_350 - 2_000 - day.fees);
        assert_ne!(day.declared_ok, Some(false), "{account}: the file's own totals");
        assert_ne!(day.balance_ok, Some(false), "{account}: the running balance");
        // The trade statement of the same day says the same.
        let st = ch.statement(d1).await.unwrap();
        let (_, parsed) = paydesk_channels::statement::Parsers.parse(&kind, st.bytes, &|_| {}).unwrap();
        let pay: i64 = parsed.rows.iter().map(|r| r.amount).sum::<i64>();
        let back: i64 = parsed.rows.iter().map(|r| r.refund_amount).sum::<i64>();
        let fees: i64 = parsed.rows.iter().map(|r| if r.kind == paydesk_core::statement::StatementKind::Payment { r.fee.abs() } else { -r.fee.abs() }).sum();
        assert_eq!(pay - back - fees, day.net, "{account}: trade statement net = fund flow net");
        // The payout: UnionPay settles the day in its own file; the wallets withdraw it at 08:00
        // the next morning.
        let payout_file = if kind == "unionpay" { derive(&funds, d1) } else { derive(&FundParsers.parse(&kind, ch.fund_flow(d2).await.unwrap().bytes).unwrap().1, d2) };
        assert_eq!(payout_file.paid_out(), day.net, "{account}: the batch pays out the day's net");
        if kind != "unionpay" {
            let withdrawal = FundParsers.parse(&kind, ch.fund_flow(d2).await.unwrap().bytes).unwrap().1.rows.into_iter().find(|r| r.kind == FundKind::Payout).unwrap();
            assert!(withdrawal.time.unwrap().to_string().ends_with("08:00:00"), "{withdrawal:?}");
        }
    }
    // Strict like the gateways: today's fund flow does not exist yet.
    for account in ["alipay-demo", "wechat-demo"] {
        let e = h.payments.channel(account).unwrap().fund_flow(today()).await.unwrap_err();
        assert!(e.to_string().contains("不存在") || e.to_string().contains("NO_STATEMENT_EXIST") || e.to_string().contains("尚未生成"), "{account}: {e}");
    }
}

#[tokio::test]
async fn the_settlement_service_keeps_each_day_and_checks_each_batch() {
    let h = Harness::start(&accounts()).await;
    let (d1, d2) = (today().checked_sub_days(Days::new(4)).unwrap(), today().checked_sub_days(Days::new(3)).unwrap());
    seed(h.payments.store(), &h.sim.state, d1, d2);
    let settler = Settler::new(h.payments.clone(), h.dir.path(), Arc::new(FundParsers));
    // The payout of d1 is in d2's file; read d2 first: its batch cannot be checked yet.
    let day2 = settler.fetch("wechat-demo", d2, FundInput::Download, None).await.unwrap();
    assert_eq!(day2.funds.payouts.len(), 1);
    let store = h.payments.store();
    let p = store.payouts_for(&d1.to_string(), &d1.to_string()).unwrap();
    assert_eq!((p.len(), p[0].covers.clone(), p[0].expected), (1, vec![d1.to_string()], None));
    // Reading d1 completes the check of the batch that covers it.
    let day1 = settler.fetch("wechat-demo", d1, FundInput::Download, None).await.unwrap();
    let p = store.payouts_for(&d1.to_string(), &d1.to_string()).unwrap();
    assert_eq!(p[0].expected, Some(day1.funds.net));
    assert_eq!(p[0].amount, day1.funds.net);
    // The original file is kept with its hash; the same file again is stored once, and the payout
    // is not doubled.
    let again = settler.fetch("wechat-demo", d2, FundInput::Download, None).await.unwrap();
    assert_eq!(again.statement.id, day2.statement.id);
    assert!(h.dir.path().join(&day2.statement.file).exists());
    assert_eq!(store.payouts_for(&d1.to_string(), &d1.to_string()).unwrap().len(), 1);
    // UnionPay's day is one batch of its own.
    let u = settler.fetch("unionpay-demo", d1, FundInput::Download, None).await.unwrap();
    let up = store.payouts_for(&d1.to_string(), &d1.to_string()).unwrap().into_iter().find(|p| p.account == "unionpay-demo").unwrap();
    assert_eq!((up.amount, up.expected, up.reference), (u.funds.net, Some(u.funds.net), format!("777290058165621-{}", d1.format("%Y%m%d"))));
    // A hand-downloaded file is imported the same way; a file of another channel is refused.
    let file = h.dir.path().join(&u.statement.file);
    assert!(settler.fetch("unionpay-demo", d1, FundInput::File(file.clone()), None).await.is_ok());
    let e = settler.fetch("alipay-demo", d1, FundInput::File(file), None).await.unwrap_err();
    assert!(e.to_string().contains("unionpay"), "{e}");
    let e = settler.fetch("sandbox-main", d1, FundInput::Download, None).await.unwrap_err();
    assert_eq!(e.code(), "invalid");
    let audit = store.audit_log(50).unwrap();
    assert!(audit.iter().filter(|a| a.action == "settle").count() >= 6, "every read is audited");
}
