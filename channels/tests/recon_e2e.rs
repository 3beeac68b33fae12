//! Reconciliation end to end: statements downloaded from the simulator in each channel's real
//! format, the demo day with planted differences, re-query fixing the book, resolution notes
//! carried over to a re-run, the day boundary, imported files, refused files, exports.

mod common;

use std::sync::Arc;

use chrono::{Days, NaiveDate};
use common::{yuan, Harness, SANDBOX_ACCOUNT};
use paydesk_channels::statement::Parsers;
use paydesk_core::export::Format;
use paydesk_core::payments::{BarcodeInput, RefundRequestInput};
use paydesk_core::reconcile::{report, DiscrepancyKind as K, ItemState, Quiet, Reconciler, RunRequest, StatementInput};
use paydesk_core::store::{ItemFilter, ItemRecord, RunRecord};
use paydesk_core::{EventSource, OrderStatus};

fn reconciler(h: &Harness) -> Reconciler {
    Reconciler::new(h.payments.clone(), h.dir.path(), Arc::new(Parsers))
}

fn shanghai_today() -> NaiveDate {
    chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive()
}

async fn run(rec: &Reconciler, account: &str, day: NaiveDate, input: StatementInput) -> RunRecord {
    rec.run(RunRequest { account: account.into(), day, input, trigger: "manual".into() }, None, Arc::new(Quiet)).await.unwrap()
}

fn items(rec: &Reconciler, r: &RunRecord) -> Vec<ItemRecord> {
    rec.store().recon_items(&[r.id], &ItemFilter::default()).unwrap()
}

fn kinds(v: &[ItemRecord]) -> Vec<(K, ItemState)> {
    let mut k: Vec<_> = v.iter().map(|i| (i.discrepancy.kind, i.state)).collect();
    k.sort_by_key(|(k, s)| (k.as_str(), s.as_str()));
    k
}

async fn seeded() -> (Harness, Reconciler, NaiveDate) {
    let h = Harness::start(SANDBOX_ACCOUNT).await;
    let day = shanghai_today().checked_sub_days(Days::new(1)).unwrap();
    let acct = h.payments.store().account("sandbox-main").unwrap();
    assert!(paydesk_channels::demo_recon::seed_day(h.payments.store(), &h.sim.state, &acct, "M100001", day, chrono_tz::Asia::Shanghai).unwrap());
    let rec = reconciler(&h);
    (h, rec, day)
}

#[tokio::test]
async fn demo_day_finds_the_planted_differences_and_the_workflow_settles_them() {
    let (h, rec, day) = seeded().await;
    let r = run(&rec, "sandbox-main", day, StatementInput::Download).await;
    assert_eq!(r.status, "done", "{:?}", r.error);
    let s = &r.summary;
    // 18 sales + the late one + the closed QR + the unknown payment + the typed-twice price +
    // the sticker payment.
    assert_eq!((s.payments, s.refunds), (23, 2));
    assert_eq!(s.matched, 21, "18 sales, 2 refunds, the one paid just before midnight");
    assert_eq!(s.mismatched, 5);
    assert_eq!(s.net, s.payment_amount - s.refund_amount - s.fees);
    let st = r.statement.as_ref().unwrap();
    assert_eq!(st.format, "sandbox-csv");
    let kept = std::fs::read(h.dir.path().join(&st.file)).unwrap();
    assert_eq!(st.sha256.len(), 64);
    assert_eq!(st.bytes as usize, kept.len());
    let found = items(&rec, &r);
    assert_eq!(kinds(&found), vec![(K::AmountDiffers, ItemState::Open), (K::External, ItemState::Open), (K::MissingAtChannel, ItemState::Open), (K::MissingInBook, ItemState::Open), (K::StatusDiffers, ItemState::Open)]);
    let amount = found.iter().find(|i| i.discrepancy.kind == K::AmountDiffers).unwrap();
    assert_eq!((amount.discrepancy.book.as_ref().unwrap().amount, amount.discrepancy.channel.as_ref().unwrap().amount), (Some(1200), Some(1250)));

    // Re-query the closed QR: the channel says paid, the book follows (source reconcile).
    let status = found.iter().find(|i| i.discrepancy.kind == K::StatusDiffers).unwrap();
    let fixed = rec.requery(status.id, None).await.unwrap();
    assert_eq!(fixed.state, ItemState::Fixed);
    let no = status.discrepancy.order_no.parse().unwrap();
    let detail = h.payments.store().order_detail(&no).unwrap();
    assert_eq!(detail.order.status, OrderStatus::Success);
    assert!(detail.events.iter().any(|e| e.source == EventSource::Reconcile && e.to_status == Some(OrderStatus::Success)));
    assert!(rec.store().recon_actions(status.id).unwrap()[0].outcome.contains("closed → success"));
    // Re-querying what the channel cannot explain leaves it open.
    let missing = found.iter().find(|i| i.discrepancy.kind == K::MissingAtChannel).unwrap();
    assert_eq!(rec.requery(missing.id, None).await.map(|i| i.state).unwrap_or(ItemState::Open), ItemState::Open);

    // Resolve with a note; an empty note is refused and changes nothing.
    let e = rec.resolve(missing.id, "   ", None).unwrap_err();
    assert_eq!(e.code(), "invalid");
    assert!(e.to_string().starts_with("note:"), "{e}");
    assert_eq!(rec.store().recon_item(missing.id).unwrap().state, ItemState::Open);
    let done = rec.resolve(missing.id, "收银员确认现金收款 cash, entered by mistake", None).unwrap();
    assert_eq!((done.state, done.note.as_deref()), (ItemState::Resolved, Some("收银员确认现金收款 cash, entered by mistake")));
    assert!(rec.resolve(status.id, "x", None).is_err(), "a fixed discrepancy is not resolved by hand");
    let audit = h.payments.store().audit_log(50).unwrap();
    for action in ["reconcile", "reconcile_requery", "reconcile_resolve"] {
        assert!(audit.iter().any(|a| a.action == action), "{action} audited");
    }

    // A re-run: the fixed one is gone, the others keep their ids and the resolution, the
    // statement is reused.
    let again = run(&rec, "sandbox-main", day, StatementInput::Download).await;
    assert_eq!(again.summary.mismatched, 4);
    assert_eq!(again.open, 3);
    assert_eq!(again.statement.as_ref().unwrap().id, st.id, "same file, stored once");
    let now = items(&rec, &again);
    assert_eq!(kinds(&now), vec![(K::AmountDiffers, ItemState::Open), (K::External, ItemState::Open), (K::MissingAtChannel, ItemState::Resolved), (K::MissingInBook, ItemState::Open)]);
    let ids = |v: &[ItemRecord]| v.iter().filter(|i| i.discrepancy.kind != K::StatusDiffers).map(|i| i.id).collect::<Vec<_>>();
    assert_eq!(ids(&now), ids(&found), "the same differences keep their ids");
    // The fixed one was superseded by the re-run: nothing left to settle.
    let gone = rec.item(status.id).unwrap();
    assert_eq!(gone.superseded_by, Some(again.id));
    let e = rec.resolve(status.id, "x", None).unwrap_err();
    assert_eq!(e.code(), "invalid");

    // The day before: the order paid at 23:59:58 is on our next day's statement — not missing.
    let prev = run(&rec, "sandbox-main", day.pred_opt().unwrap(), StatementInput::Download).await;
    assert_eq!((prev.summary.mismatched, prev.summary.crossed_day, prev.summary.book_payments), (0, 1, 1));

    // Exports of both days: every format, opened back.
    let runs = rec.store().latest_runs(&prev.day, &again.day, &[]).unwrap();
    assert_eq!(runs.len(), 2);
    let tables = report::tables(&rec, &runs).unwrap();
    // Summary: 2 days + total; 4 discrepancies; 21 matched lines + the lunch set fixed by re-query
    // (re-derived from the kept statements).
    assert_eq!(tables.iter().map(|t| t.rows.len()).collect::<Vec<_>>(), vec![3, 4, 22]);
    let out = h.dir.path().join("exports");
    for f in Format::ALL {
        let files = paydesk_core::export::write_files(&out, "recon", &tables, f).unwrap();
        assert!(files.iter().all(|p| std::fs::metadata(p).unwrap().len() > 100), "{f:?}");
    }
    let txt = std::fs::read_to_string(out.join("recon.txt")).unwrap();
    assert!(txt.contains(&amount.discrepancy.order_no) && txt.contains("金额不符 Amount differs"), "{txt}");
    let gbk = std::fs::read(out.join("recon-discrepancies-gbk.csv")).unwrap();
    assert!(std::str::from_utf8(&gbk).is_err(), "GBK, not UTF-8");
    assert!(std::fs::read(out.join("recon-discrepancies.csv")).unwrap().starts_with(b"\xEF\xBB\xBF"), "the BOM one was written after the plain one");
    assert!(encoding_rs::GBK.decode(&gbk).0.contains("收银员确认现金收款"));
}

#[tokio::test]
async fn an_imported_file_is_checked_and_a_bad_one_refused_whole() {
    let (h, rec, day) = seeded().await;
    let f = h.payments.channel("sandbox-main").unwrap().statement(day).await.unwrap();
    let path = h.dir.path().join("by-hand.csv");
    std::fs::write(&path, &f.bytes).unwrap();
    let r = run(&rec, "sandbox-main", day, StatementInput::File(path.clone())).await;
    assert_eq!((r.summary.payments, r.summary.mismatched), (23, 5));
    assert_eq!(r.statement.as_ref().unwrap().origin, "import");
    // Line 5 spoiled: refused with the line number, nothing stored for that run.
    let text = String::from_utf8(f.bytes.clone()).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines[4] = lines[4].replacen(",payment,", ",payment,x", 1);
    std::fs::write(&path, lines.join("\n")).unwrap();
    let e = rec.run(RunRequest { account: "sandbox-main".into(), day, input: StatementInput::File(path.clone()), trigger: "manual".into() }, None, Arc::new(Quiet)).await.unwrap_err();
    assert_eq!(e.code(), "bad_statement");
    assert!(e.to_string().contains("line 5"), "{e}");
    let failed = rec.store().runs_of("sandbox-main", &day.to_string()).unwrap();
    assert_eq!(failed[0].status, "failed");
    assert!(items(&rec, &failed[0]).is_empty());
    // What the day shows is still the good run, its discrepancies open, the failure beside it.
    let shown = rec.store().latest_runs(&day.to_string(), &day.to_string(), &["sandbox-main".into()]).unwrap();
    assert_eq!(shown.len(), 1);
    assert_eq!((shown[0].id, shown[0].status.as_str(), shown[0].open), (r.id, "done", 5));
    let failure = shown[0].failure.as_ref().expect("the failure beside it");
    assert_eq!(failure.run_id, failed[0].id);
    assert!(failure.error.contains("line 5"), "{}", failure.error);
    assert_eq!(items(&rec, &shown[0]).len(), 5);
    // A WeChat bill for a sandbox account: refused, naming both.
    std::fs::write(&path, "\u{feff}交易时间,公众账号ID,商户号\r\n").unwrap();
    let e = rec.run(RunRequest { account: "sandbox-main".into(), day, input: StatementInput::File(path), trigger: "manual".into() }, None, Arc::new(Quiet)).await.unwrap_err();
    assert!(e.to_string().contains("wechat") && e.to_string().contains("sandbox"), "{e}");
    // Bad requests write nothing.
    let runs_before = rec.store().runs_of("sandbox-main", &day.to_string()).unwrap().len();
    let tomorrow = shanghai_today().succ_opt().unwrap();
    assert_eq!(rec.run(RunRequest { account: "sandbox-main".into(), day: tomorrow, input: StatementInput::Download, trigger: "manual".into() }, None, Arc::new(Quiet)).await.unwrap_err().code(), "invalid");
    assert_eq!(rec.run(RunRequest { account: "nope".into(), day, input: StatementInput::Download, trigger: "manual".into() }, None, Arc::new(Quiet)).await.unwrap_err().code(), "invalid");
    assert_eq!(rec.store().runs_of("sandbox-main", &day.to_string()).unwrap().len(), runs_before);
}

const ALIPAY_AND_WECHAT: &str = r#"
[[account]]
name = "alipay-main"
channel = "alipay"
fee_rate_bp = 60
base_url = "{SIM}/alipay"
[account.params]
app_id = "2021000122671080"
seller_id = "2088000122671080"
private_key_file = "{KEYS}/merchant_private.pem"
alipay_public_key_file = "{KEYS}/gateway_public.pem"
cancel_retry_ms = 50

[[account]]
name = "wx-cert"
channel = "wechat"
fee_rate_bp = 60
base_url = "{SIM}/wechat"
[account.params]
mchid = "1900000109"
appid = "wxd678efh567hg6787"
merchant_serial_no = "3775B6A45ACD588826D15E583A95F5DD2B8D4F5E"
private_key_file = "{KEYS}/merchant_private.pem"
apiv3_key_file = "{KEYS}/wechat/apiv3_key.txt"
api_v2_key_file = "{KEYS}/wechat/api_v2_key.txt"
client_cert_file = "{KEYS}/wechat/apiclient_cert.pem"
reverse_retry_ms = 50
"#;

#[tokio::test]
async fn alipay_zip_and_wechat_bill_reconcile_clean_then_catch_a_fee_rate_change() {
    let h = Harness::start(ALIPAY_AND_WECHAT).await;
    let pay = |account: &str, amount: &str, code: &str| BarcodeInput { amount: yuan(amount), auth_code: code.into(), account: Some(account.into()), ..Default::default() };
    let a = h.payments.barcode_pay(pay("alipay-main", "12.34", "286648123456789010"), &paydesk_core::Principal::System).await.unwrap();
    h.payments.barcode_pay(pay("alipay-main", "88.00", "286648123456789011"), &paydesk_core::Principal::System).await.unwrap();
    let w = h.payments.barcode_pay(pay("wx-cert", "19.99", "134567890123456781"), &paydesk_core::Principal::System).await.unwrap();
    assert_eq!((a.status, w.status), (OrderStatus::Success, OrderStatus::Success));
    h.payments.refund(RefundRequestInput { order_no: a.order_no.clone(), amount: yuan("5.00"), reason: None, operator: None }, &paydesk_core::Principal::System).await.unwrap();
    let today = shanghai_today();
    let rec = reconciler(&h);
    let results = rec.run_all(today, "manual", None, Arc::new(Quiet)).await;
    let runs: Vec<RunRecord> = results.into_iter().map(|r| r.map_err(|(a, e)| format!("{a}: {e}")).unwrap()).collect();
    assert_eq!(runs.len(), 2);
    let ali = runs.iter().find(|r| r.account == "alipay-main").unwrap();
    assert_eq!(ali.statement.as_ref().unwrap().format, "alipay-trade-zip");
    assert_eq!((ali.summary.payments, ali.summary.refunds, ali.summary.mismatched), (2, 1, 0), "{:?}", items(&rec, ali));
    assert_eq!(ali.summary.declared_ok, Some(true));
    assert_eq!(ali.summary.fees, 7 + 53 - 3);
    let wx = runs.iter().find(|r| r.account == "wx-cert").unwrap();
    assert_eq!(wx.statement.as_ref().unwrap().format, "wechat-tradebill");
    assert_eq!((wx.summary.payments, wx.summary.mismatched, wx.summary.declared_ok), (1, 0, Some(true)));
    // The shop's settings say 38 bp but the channel charges 60: every line's fee differs.
    let mut acct = h.payments.store().account("alipay-main").unwrap();
    acct.fee_rate_bp = 38;
    h.payments.store().upsert_account(&acct).unwrap();
    let r = run(&rec, "alipay-main", today, StatementInput::Download).await;
    assert_eq!(kinds(&items(&rec, &r)), vec![(K::FeeDiffers, ItemState::Open); 3]);
}

#[tokio::test]
async fn the_schedule_runs_yesterday_after_the_hour_and_catches_up_missed_days() {
    use chrono::TimeZone;
    use paydesk_core::reconcile::schedule::due;
    let h = Harness::start(SANDBOX_ACCOUNT).await;
    let rec = reconciler(&h);
    let tz = chrono_tz::Asia::Shanghai;
    let day = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    let local = |hh: u32, mm: u32| tz.from_local_datetime(&day.and_hms_opt(hh, mm, 0).unwrap()).unwrap().with_timezone(&chrono::Utc);
    let yesterday = day.pred_opt().unwrap();
    let run_of = |d: NaiveDate, status: &str, started: chrono::DateTime<chrono::Utc>| RunRecord {
        id: 1,
        account: "sandbox-main".into(),
        channel: "sandbox".into(),
        day: d.to_string(),
        statement: None,
        trigger: "schedule".into(),
        operator: None,
        status: status.into(),
        error: None,
        summary: Default::default(),
        started_at: started,
        finished_at: None,
        open: 0,
        failure: None,
    };
    // Before 10:00 only older days are due (catch-up), 7 days back by default.
    let early = due(&rec, local(9, 0), &|_, _| None);
    assert_eq!(early.len(), 6);
    assert!(early.iter().all(|d| d.trigger == "catch_up" && d.day < yesterday));
    let late = due(&rec, local(10, 30), &|_, _| None);
    assert_eq!(late.len(), 7);
    assert_eq!((late.last().unwrap().day, late.last().unwrap().trigger), (yesterday, "schedule"));
    // Done days are skipped; a failed day waits an hour before it is tried again.
    let now = local(10, 30);
    let last = |_: &str, d: NaiveDate| {
        if d == yesterday {
            Some(run_of(d, "failed", now - chrono::Duration::minutes(20)))
        } else if d == yesterday.pred_opt().unwrap() {
            Some(run_of(d, "failed", now - chrono::Duration::minutes(61)))
        } else {
            Some(run_of(d, "done", now))
        }
    };
    let d = due(&rec, now, &last);
    assert_eq!(d.iter().map(|x| x.day).collect::<Vec<_>>(), vec![yesterday.pred_opt().unwrap()]);
}

#[tokio::test]
async fn demo_history_is_filed_with_the_simulator_and_reconciles_clean() {
    let h = Harness::start(&paydesk_channels::demo::demo_accounts("{SIM}", std::path::Path::new("{KEYS}"))).await;
    let store = h.payments.store();
    let seeded = paydesk_channels::demo::seed_history(store, &h.sim.state, h.payments.settings(), &["王芳"], 8, None, chrono::Utc::now()).unwrap();
    assert!(seeded > 1000, "{seeded}");
    let rec = reconciler(&h);
    let day = shanghai_today().checked_sub_days(Days::new(3)).unwrap();
    for account in ["alipay-demo", "wechat-demo", "unionpay-demo"] {
        let r = run(&rec, account, day, StatementInput::Download).await;
        assert_eq!(r.status, "done", "{account}: {:?}", r.error);
        assert!(r.summary.payments > 5, "{account}: {:?}", r.summary);
        assert_eq!(r.summary.mismatched, 0, "{account}: {:?}", items(&rec, &r));
    }
}

#[tokio::test]
async fn external_payments_are_accepted_into_the_book_and_match_on_the_next_run() {
    let (h, rec, day) = seeded().await;
    let r = run(&rec, "sandbox-main", day, StatementInput::Download).await;
    let found = items(&rec, &r);
    let ext = found.iter().find(|i| i.discrepancy.kind == K::External).unwrap();
    let c = ext.discrepancy.channel.as_ref().unwrap();
    assert_eq!((ext.discrepancy.order_no.as_str(), c.amount, ext.discrepancy.reason.code.as_str()), ("", Some(1500), "external_payment"));
    // A note is required; only external discrepancies can be accepted; nothing is written otherwise.
    assert_eq!(rec.accept_external(&[ext.id], " ", None).unwrap_err().code(), "invalid");
    let other = found.iter().find(|i| i.discrepancy.kind == K::MissingInBook).unwrap();
    let e = rec.accept_external(&[ext.id, other.id], "sticker", None).unwrap_err();
    assert!(e.to_string().contains("not a payment taken outside Paydesk"), "{e}");
    assert_eq!(rec.accept_external(&[424242], "sticker", None).unwrap_err().code(), "not_found");
    assert_eq!(rec.item(ext.id).unwrap().state, ItemState::Open);

    let done = rec.accept_external(&[ext.id], "门口收款码 sticker by the door", None).unwrap();
    assert_eq!((done[0].state, done[0].note.as_deref()), (ItemState::Fixed, Some("门口收款码 sticker by the door")));
    let no: paydesk_core::OrderNo = paydesk_core::reconcile::external::order_no(c.trade_no.as_deref().unwrap()).parse().unwrap();
    let d = h.payments.store().order_detail(&no).unwrap();
    assert_eq!((d.order.origin, d.order.status, d.order.amount.fen(), d.order.account.as_str()), (paydesk_core::order::OrderOrigin::External, OrderStatus::Success, 1500, "sandbox-main"));
    assert_eq!(d.order.channel_trade_no.as_deref(), c.trade_no.as_deref());
    assert_eq!(d.order.paid_at.unwrap().with_timezone(&chrono_tz::Asia::Shanghai).format("%Y-%m-%d %H:%M:%S").to_string(), c.time.clone().unwrap());
    assert!(d.events.iter().any(|e| e.source == EventSource::Reconcile && e.detail.contains("external sale accepted")));
    assert!(h.payments.store().audit_log(20).unwrap().iter().any(|a| a.action == "reconcile_accept" && a.detail.contains("sticker by the door")));
    assert_eq!(rec.store().recon_actions(ext.id).unwrap().last().unwrap().action, "accept");
    // Counted in the takings: the sales figures (kept by triggers) agree with the raw book.
    assert!(h.payments.store().sales_bucket_mismatches().unwrap().is_empty());
    // Accepted once only.
    assert_eq!(rec.accept_external(&[ext.id], "again", None).unwrap_err().code(), "invalid");

    // The next run finds the sale in the book: matched, the discrepancy superseded.
    let again = run(&rec, "sandbox-main", day, StatementInput::Download).await;
    assert_eq!((again.summary.matched, again.summary.mismatched), (r.summary.matched + 1, r.summary.mismatched - 1));
    assert!(items(&rec, &again).iter().all(|i| i.discrepancy.kind != K::External));
    assert_eq!(rec.item(ext.id).unwrap().superseded_by, Some(again.id));
}
