//! The owner's same-day revoke from the command line, against a running `paydesk demo` (its
//! simulator speaks each wallet's real protocol): Alipay's cancel, WeChat Pay's reverse and
//! UnionPay's `31` return the whole payment, and the day's statement of each channel, downloaded
//! at once, reconciles clean — the reversal lines are the revokes' own.

use paydesk_e2e::{demo_args, Cli, Service};

#[test]
fn revoke_at_each_wallet_and_the_day_reconciles() {
    let home = tempfile::tempdir().unwrap();
    let args = demo_args(0);
    let _demo = Service::start(Some(home.path()), &args.iter().map(String::as_str).collect::<Vec<_>>());
    let cli = Cli { home };
    for (code, account) in [("280000000000000001", "alipay-demo"), ("130000000000000001", "wechat-demo"), ("6212345678901234560", "unionpay-demo")] {
        let paid = cli.ok(&["pay", "--amount", "18.80", "--auth-code", code]);
        assert_eq!((paid["account"].as_str(), paid["status"].as_str()), (Some(account), Some("success")), "{paid}");
        let no = paid["order_no"].as_str().unwrap();
        // A second payment that stays: the statement holds both.
        let kept = cli.ok(&["pay", "--amount", "5.00", "--auth-code", code]);
        assert_eq!(kept["status"], "success");
        let r = cli.run(&["revoke", no, "--reason", "顾客取消"]);
        assert_eq!(r.code, 0, "{account}: {r:?}");
        let v = r.json();
        assert_eq!((v["kind"].as_str(), v["status"].as_str(), v["amount"].as_str(), v["amount_fen"].as_i64()), (Some("revoke"), Some("success"), Some("18.80"), Some(1880)), "{v}");
        let shown = cli.ok(&["show", no]);
        assert_eq!((shown["status"].as_str(), shown["refunded"].as_str()), (Some("refunded"), Some("18.80")), "{shown}");
        assert_eq!(shown["refunds"][0]["kind"], "revoke");
        // The order's query agrees (a closed trade is the revoke's outcome, not a contradiction).
        assert_eq!(cli.ok(&["query", no])["status"], "refunded");
        // Nothing is left to revoke or refund.
        let again = cli.run(&["revoke", no]);
        assert_eq!(again.code, 2, "{again:?}");
        assert!(again.stderr.contains(no), "{}", again.stderr);
        let r = cli.run(&["reconcile", "--date", "today", "--account", account]);
        assert_eq!(r.code, 0, "{account}: the reversal matches the revoke: {r:?}");
        let run = r.json();
        assert_eq!((run["runs"][0]["summary"]["mismatched"].as_u64(), run["runs"][0]["summary"]["book_refunds"].as_u64()), (Some(0), Some(1)), "{run}");
    }
    // A payment not made today is a refund's job; an unknown order is not found.
    let r = cli.run(&["revoke", "P20200101000000000T1001"]);
    assert_eq!(r.code, 5, "{r:?}");
}
