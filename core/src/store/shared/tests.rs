//! The shared book against a real PostgreSQL (a throwaway server per test binary), and the
//! conformance tests that run one body on both kinds of book.

use std::sync::{Arc, LazyLock, Mutex};

use chrono::Utc;

use super::*;
use crate::account::AccountConfig;
use crate::ids::NumberGen;
use crate::money::Money;
use crate::order::{EventSource, OrderStatus, RefundStatus};
use crate::store::testpg::TestPg;
use crate::store::test_util::new_order;
use crate::store::{NewRefund, OrderPatch};

/// One server for the whole test binary; each test makes its own database.
static PG: LazyLock<Mutex<TestPg>> = LazyLock::new(|| Mutex::new(TestPg::start().expect("a throwaway PostgreSQL (scripts/deps-apt.sh installs it)")));

fn database(name: &str) -> SharedConfig {
    let url = PG.lock().unwrap_or_else(|p| p.into_inner()).create_db(name).unwrap();
    SharedConfig { url, password: None }
}

struct Till {
    _dir: tempfile::TempDir,
    store: Arc<Store>,
    gen: NumberGen,
    id: String,
}

fn till(id: &str) -> Till {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(&dir.path().join("book.db")).unwrap());
    Till { _dir: dir, store, gen: NumberGen::new(id.parse().unwrap(), chrono_tz::Asia::Shanghai), id: id.into() }
}

fn account(store: &Store) {
    let a: AccountConfig = toml::from_str("name = \"sb\"\nchannel = \"sandbox\"\nfee_rate_bp = 60").unwrap();
    store.upsert_account(&a).unwrap();
}

impl Till {
    /// An order of `fen`, left pending or moved to `to`.
    fn sale(&self, fen: i64, to: Option<OrderStatus>) -> crate::ids::OrderNo {
        let no = self.gen.next_order_no(Utc::now());
        let mut o = new_order(no.clone(), fen);
        o.till = self.id.clone();
        self.store.insert_order(&o).unwrap();
        if let Some(to) = to {
            self.store.apply(&no, to, EventSource::ChannelReply, "done", &OrderPatch { channel_trade_no: Some(format!("T{no}")), ..Default::default() }, Utc::now()).unwrap();
        }
        no
    }

    fn refund(&self, no: &crate::ids::OrderNo, fen: i64) {
        let now = Utc::now();
        let r = self.store.insert_refund(&NewRefund { refund_no: self.gen.next_refund_no(now), order_no: no.clone(), amount: Money::from_fen(fen).unwrap(), reason: None, operator: None, created_at: now, idempotency_key: None, principal: crate::Principal::System, kind: Default::default() }).unwrap();
        self.store.apply_refund(&r.refund_no, RefundStatus::Success, Some("CR"), None, EventSource::ChannelReply, now).unwrap();
    }

    fn join(&self, cfg: &SharedConfig, store: &str) -> JoinReport {
        let r = self.store.join_shared(cfg.clone(), &self.id, store, "test", chrono_tz::Asia::Shanghai).unwrap();
        assert!(r.verified, "{r:?}");
        r
    }
}

/// A shop of two tills on a fresh shared book: T1 (with the account `sb`) in store S1 and T2 in
/// `store_b`.
fn two_tills(db: &str, store_b: &str) -> (SharedConfig, Till, Till) {
    let cfg = database(db);
    let (a, b) = (till("T1"), till("T2"));
    account(&a.store);
    a.join(&cfg, "S1");
    b.join(&cfg, store_b);
    (cfg, a, b)
}

fn pg_count(cfg: &SharedConfig, sql: &str) -> i64 {
    let mut c = postgres::Client::connect(&cfg.url, postgres::NoTls).unwrap();
    c.query_one(sql, &[]).unwrap().get(0)
}

fn local_count(s: &Store, sql: &str) -> i64 {
    s.read(|c| Ok(c.query_row(sql, [], |r| r.get(0))?)).unwrap()
}

#[test]
fn a_book_with_history_joins_and_another_till_sees_it() {
    let cfg = database("join_history");
    let a = till("T1");
    account(&a.store);
    let paid = a.sale(1000, Some(OrderStatus::Success));
    a.sale(250, Some(OrderStatus::Closed));
    let open = a.sale(300, None);
    a.refund(&paid, 400);
    let r = a.join(&cfg, "S1");
    assert_eq!((r.days, r.events[0]), (1, r.events[1]));
    assert!(r.pushed >= 3 + 1 + 6, "the history went up: {r:?}");
    assert_eq!(pg_count(&cfg, "SELECT COUNT(*) FROM orders"), 3);
    assert_eq!(pg_count(&cfg, "SELECT refunded FROM orders WHERE amount = 1000"), 400);

    // A second till joins with an empty book: it gets the shop's account and A's orders.
    let b = till("T2");
    b.join(&cfg, "S1");
    assert_eq!(b.store.account("sb").unwrap().fee_rate_bp, 60);
    assert_eq!(b.store.order(&paid).unwrap().refunded.fen(), 400);
    assert_eq!(b.store.order_detail(&paid).unwrap().events.len(), a.store.order_detail(&paid).unwrap().events.len());
    // Each till follows its own orders only.
    assert_eq!(a.store.open_orders().unwrap().len(), 1);
    assert!(b.store.open_orders().unwrap().is_empty(), "B does not poll A's open order");
    assert_eq!(b.store.order(&open).unwrap().status, OrderStatus::Pending);

    // B sells and refunds the rest of A's order at its own counter.
    let mine = b.sale(700, Some(OrderStatus::Success));
    b.refund(&paid, 600);
    assert_eq!(b.store.order(&paid).unwrap().status, OrderStatus::Refunded);
    b.store.sync_once().unwrap();
    a.store.sync_once().unwrap();
    let o = a.store.order(&paid).unwrap();
    assert_eq!((o.status, o.refunded.fen()), (OrderStatus::Refunded, 1000), "A's book has B's refund");
    assert_eq!(a.store.order(&mine).unwrap().amount.fen(), 700);
    // The shared book is the union of both books.
    for s in [&a.store, &b.store] {
        assert_eq!(local_count(s, "SELECT COUNT(*) FROM orders"), pg_count(&cfg, "SELECT COUNT(*) FROM orders"));
        assert_eq!(local_count(s, "SELECT COUNT(*) FROM refunds"), 2);
        assert_eq!(local_count(s, "SELECT COUNT(*) FROM order_events"), pg_count(&cfg, "SELECT COUNT(*) FROM order_events"));
        assert!(s.sales_bucket_mismatches().unwrap().is_empty(), "analytics follow pulled rows");
    }
    assert_eq!(a.store.link_status().unwrap().state, "synced");
    assert_eq!(a.store.till_stores().unwrap(), vec![("T1".to_string(), "S1".to_string()), ("T2".to_string(), "S1".to_string())]);
}

#[test]
fn a_taken_till_id_is_refused_and_a_rejoin_is_idempotent() {
    let cfg = database("duplicate_till");
    let a = till("T1");
    account(&a.store);
    a.sale(100, Some(OrderStatus::Success));
    a.join(&cfg, "S1");
    let again = a.join(&cfg, "S1");
    assert_eq!(again.pushed, 0, "a finished join sends nothing again");
    let other = till("T1");
    let e = other.store.join_shared(cfg.clone(), "T1", "S2", "x", chrono_tz::Asia::Shanghai).unwrap_err();
    assert!(e.to_string().contains("already a till of store S1"), "{e}");
    assert_eq!(other.store.linked_till().unwrap(), None, "nothing changed in the refused book");
}

#[test]
fn refunds_of_one_order_at_two_tills_add_up_whatever_the_order() {
    let cfg = database("merge");
    let a = till("T1");
    account(&a.store);
    let no = a.sale(1000, Some(OrderStatus::Success));
    a.join(&cfg, "S1");
    let b = till("T2");
    b.join(&cfg, "S1");
    // Both refund part of it before either syncs (the link was down).
    a.refund(&no, 300);
    b.refund(&no, 700);
    b.store.sync_once().unwrap();
    a.store.sync_once().unwrap();
    b.store.sync_once().unwrap();
    for s in [&a.store, &b.store] {
        let o = s.order(&no).unwrap();
        assert_eq!((o.status, o.refunded.fen()), (OrderStatus::Refunded, 1000));
    }
    assert_eq!(pg_count(&cfg, "SELECT refunded FROM orders"), 1000);
}

/// The lease conformance: one body, both books.
fn lease_has_one_holder(s1: &Store, s2: &Store) {
    let ttl = std::time::Duration::from_secs(60);
    let l = s1.acquire_lease("recon:sb:2026-01-01", "T1 pid 1", ttl).unwrap().unwrap();
    let held = s2.acquire_lease("recon:sb:2026-01-01", "T2 pid 2", ttl).unwrap().unwrap_err();
    assert_eq!(held.holder, "T1 pid 1");
    assert!(s2.acquire_lease("recon:sb:2026-01-02", "T2 pid 2", ttl).unwrap().is_ok(), "another day is free");
    s1.release_lease(&l).unwrap();
    assert!(s2.acquire_lease("recon:sb:2026-01-01", "T2 pid 2", ttl).unwrap().is_ok());
    // An expired lease is taken over.
    s1.acquire_lease("short", "T1 pid 1", std::time::Duration::ZERO).unwrap().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(5));
    assert!(s2.acquire_lease("short", "T2 pid 2", ttl).unwrap().is_ok());
}

#[test]
fn leases_on_a_single_book() {
    let t = till("T1");
    let same = Store::open(t.store.path()).unwrap();
    lease_has_one_holder(&t.store, &same);
}

#[test]
fn leases_on_the_shared_book() {
    let (_cfg, a, b) = two_tills("leases", "S2");
    lease_has_one_holder(&a.store, &b.store);
}

/// Shop-wide changes conformance: made at one till, in force at the other.
#[test]
fn accounts_and_users_are_managed_once() {
    let (_cfg, a, b) = two_tills("shop", "S1");
    let mut acct = b.store.account("sb").unwrap();
    acct.priority = 3;
    b.store.upsert_account(&acct).unwrap();
    b.store.insert_user("王芳", crate::auth::Role::Cashier, "$hash", Utc::now()).unwrap();
    b.store.put_shop_settings("{\"limits\":{}}").unwrap();
    let rev = a.store.accounts_rev().unwrap();
    a.store.sync_once().unwrap();
    assert_eq!(a.store.account("sb").unwrap().priority, 3);
    assert!(a.store.accounts_rev().unwrap() > rev, "the running service reloads");
    assert_eq!(a.store.users().unwrap()[0].name, "王芳");
    assert_eq!(a.store.shop_settings().unwrap().as_deref(), Some("{\"limits\":{}}"));
    assert!(matches!(a.store.insert_user("王芳", crate::auth::Role::Owner, "$h", Utc::now()), Err(StoreError::Conflict(_))));
}

#[test]
fn offline_the_till_sells_and_shop_changes_are_refused() {
    let url = {
        let pg = PG.lock().unwrap_or_else(|p| p.into_inner());
        pg.create_db("offline").unwrap()
    };
    let cfg = SharedConfig { url, password: None };
    let a = till("T1");
    account(&a.store);
    a.join(&cfg, "S1");
    // Point the till at a port where nothing listens: the same as the server being down.
    let dead = SharedConfig { url: format!("postgres://paydesk@127.0.0.1:{}/offline?connect_timeout=1", free_port()), password: None };
    let down = Store::open(a.store.path()).unwrap();
    down.attach_shared(dead).unwrap();
    let t = Till { _dir: tempfile::tempdir().unwrap(), store: Arc::new(down), gen: NumberGen::new("T1".parse().unwrap(), chrono_tz::Asia::Shanghai), id: "T1".into() };
    for _ in 0..5 {
        t.sale(100, Some(OrderStatus::Success));
    }
    assert!(t.store.sync_once().unwrap_err().is_offline());
    let st = t.store.link_status().unwrap();
    assert_eq!(st.state, "offline");
    assert!(st.pending >= 5 && st.offline_since.is_some(), "{st:?}");
    let mut acct = t.store.account("sb").unwrap();
    acct.priority = 9;
    assert!(matches!(t.store.upsert_account(&acct), Err(StoreError::Offline(_))));
    assert_eq!(t.store.account("sb").unwrap().priority, 10, "nothing changed locally");
    // The link is back: everything goes up once.
    a.store.sync_once().unwrap();
    assert_eq!(pg_count(&cfg, "SELECT COUNT(*) FROM orders"), 5);
    assert_eq!(a.store.link_status().unwrap().pending, 0);
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[test]
fn reconciliation_results_are_shared_and_resolved_anywhere() {
    use crate::reconcile::{Discrepancy, DiscrepancyKind, ItemState, Summary};
    let (_cfg, a, b) = two_tills("recon_results", "S2");
    let run = a.store.begin_run("sb", "sandbox", "2026-01-01", "schedule", None, Utc::now()).unwrap();
    let d = Discrepancy { kind: DiscrepancyKind::MissingInBook, line: crate::statement::StatementKind::Payment, order_no: "P1".into(), refund_no: None, book: None, channel: None, detail: "x".into(), reason: Default::default() };
    a.store.finish_run(run, None, &Summary { mismatched: 1, ..Summary::default() }, &[d], &[], Utc::now()).unwrap();
    a.store.sync_once().unwrap();
    b.store.sync_once().unwrap();
    let runs = b.store.runs_of("sb", "2026-01-01").unwrap();
    assert_eq!((runs.len(), runs[0].status.as_str(), runs[0].open), (1, "done", 1), "B sees A's run: the schedule will not run it again");
    let items = b.store.recon_items(&[runs[0].id], &Default::default()).unwrap();
    b.store.recon_act(items[0].id, "resolve", "resolved", Some(ItemState::Resolved), Some("paid at the other counter"), Some("boss"), Utc::now()).unwrap();
    b.store.sync_once().unwrap();
    a.store.sync_once().unwrap();
    let item = &a.store.recon_items(&[run], &Default::default()).unwrap()[0];
    assert_eq!((item.state, item.note.as_deref()), (ItemState::Resolved, Some("paid at the other counter")));
}

#[test]
fn a_re_run_at_one_till_settles_the_discrepancy_at_every_till() {
    use crate::reconcile::{Discrepancy, DiscrepancyKind, Summary};
    let (cfg, a, b) = two_tills("recon_rerun", "S2");
    let d = |no: &str| Discrepancy { kind: DiscrepancyKind::MissingInBook, line: crate::statement::StatementKind::Payment, order_no: no.into(), refund_no: None, book: None, channel: None, detail: "x".into(), reason: Default::default() };
    let first = a.store.begin_run("sb", "sandbox", "2026-01-02", "schedule", None, Utc::now()).unwrap();
    a.store.finish_run(first, None, &Summary { mismatched: 2, ..Summary::default() }, &[d("P1"), d("P2")], &[], Utc::now()).unwrap();
    let sync = || {
        a.store.sync_once().unwrap();
        b.store.sync_once().unwrap();
    };
    sync();
    assert_eq!(b.store.runs_of("sb", "2026-01-02").unwrap()[0].open, 2);
    // The day again at A: P2 is no longer a difference (it was booked meanwhile), P1 still is.
    let again = a.store.begin_run("sb", "sandbox", "2026-01-02", "manual", None, Utc::now()).unwrap();
    a.store.finish_run(again, None, &Summary { mismatched: 1, ..Summary::default() }, &[d("P1")], &[], Utc::now()).unwrap();
    sync();
    let runs = b.store.runs_of("sb", "2026-01-02").unwrap();
    assert_eq!(runs.len(), 2);
    assert!(runs.iter().all(|r| r.open == 1), "B counts one open difference for the day: {runs:?}");
    let ids: Vec<i64> = runs.iter().map(|r| r.id).collect();
    let items = b.store.recon_items(&ids, &Default::default()).unwrap();
    let newest = runs.iter().map(|r| r.id).max();
    let p1 = items.iter().find(|i| i.discrepancy.order_no == "P1").unwrap();
    let p2 = items.iter().find(|i| i.discrepancy.order_no == "P2").unwrap();
    assert_eq!((Some(p1.run_id), p1.superseded_by), (newest, None), "P1 moved to the new run");
    assert_eq!(p2.superseded_by, newest, "P2 was superseded by it");
    // The shared book says the same.
    assert_eq!(pg_count(&cfg, "SELECT COUNT(*) FROM recon_items WHERE superseded_by_till IS NOT NULL"), 1);
}

#[test]
fn an_order_keeps_its_origin_and_sale_at_every_till() {
    use crate::order::OrderOrigin;
    let cfg = database("origin_sale");
    let (a, b) = (till("T1"), till("T2"));
    account(&a.store);
    // An order imported from the shop's old system, before the till joined.
    let imported = a.sale(1200, Some(OrderStatus::Success));
    a.store.write(|tx| Ok(tx.execute("UPDATE orders SET origin = 'import' WHERE order_no = ?1", [imported.as_str()])?)).unwrap();
    a.join(&cfg, "S1");
    // After it: one part of a split sale.
    let mut part = new_order(a.gen.next_order_no(Utc::now()), 3000);
    part.till = "T1".into();
    part.sale = Some(crate::store::SalePart { id: "sale-7".into(), total: Money::from_fen(5000).unwrap() });
    a.store.insert_order(&part).unwrap();
    a.store.sync_once().unwrap();
    b.join(&cfg, "S1");
    let o = b.store.order(&imported).unwrap();
    assert_eq!(o.origin, OrderOrigin::Import);
    let p = b.store.order(&part.order_no).unwrap();
    assert_eq!((p.sale_id.as_deref(), p.sale_total.map(|m| m.fen())), (Some("sale-7"), Some(5000)));
    assert_eq!(p.shift_no, None, "a shift stays at its till");
    assert_eq!(pg_count(&cfg, "SELECT COUNT(*) FROM orders WHERE origin = 'import'"), 1);
}

#[test]
fn a_revoke_stays_a_revoke_at_every_till() {
    let cfg = database("revoke_kind");
    let (a, b) = (till("T1"), till("T2"));
    account(&a.store);
    a.join(&cfg, "S1");
    b.join(&cfg, "S1");
    let no = a.sale(880, Some(OrderStatus::Success));
    let now = Utc::now();
    let new = NewRefund { refund_no: a.gen.next_refund_no(now), order_no: no.clone(), amount: Money::from_fen(880).unwrap(), reason: None, operator: None, created_at: now, idempotency_key: None, principal: crate::Principal::System, kind: crate::order::RefundKind::Revoke };
    let r = a.store.insert_refund(&new).unwrap();
    a.store.apply_refund(&r.refund_no, RefundStatus::Success, None, None, EventSource::ChannelReply, now).unwrap();
    a.store.sync_once().unwrap();
    b.store.sync_once().unwrap();
    assert_eq!(pg_count(&cfg, "SELECT COUNT(*) FROM refunds WHERE kind = 'revoke'"), 1);
    let seen = b.store.refund(&r.refund_no).unwrap();
    assert_eq!((seen.kind, seen.status), (crate::order::RefundKind::Revoke, RefundStatus::Success));
    assert_eq!(b.store.order(&no).unwrap().status, OrderStatus::Refunded);
}

#[test]
fn a_shared_book_of_schema_2_gains_the_new_columns() {
    let cfg = database("schema2");
    let mut pg = postgres::Client::connect(&cfg.url, postgres::NoTls).unwrap();
    // A shared book as Paydesk left it before migration 3, with an order in it.
    let all = super::pg_schema::migrations();
    pg.batch_execute("CREATE TABLE paydesk_schema (version integer NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())").unwrap();
    for (i, m) in all[..2].iter().enumerate() {
        pg.batch_execute(m).unwrap();
        pg.execute("INSERT INTO paydesk_schema (version) VALUES ($1)", &[&(i as i32 + 1)]).unwrap();
    }
    pg.batch_execute("INSERT INTO orders (order_no, kind, method, channel, account, amount, refunded, fee, status, subject, till, created_at, updated_at, expires_at, rev, writer) VALUES ('P20260101T0000001', 'qr', 'sandbox', 'sandbox', 'sb', 100, 0, 0, 'success', 'old', 'T0', 1, 1, 1, nextval('sync_rev'), 'T0')").unwrap();
    // A till of this version joins: the book is upgraded, the old order reads as taken there.
    let t = till("T1");
    account(&t.store);
    t.join(&cfg, "S1");
    assert_eq!(pg_count(&cfg, "SELECT MAX(version)::bigint FROM paydesk_schema"), super::pg_schema::latest() as i64);
    assert_eq!(pg_count(&cfg, "SELECT COUNT(*) FROM orders WHERE origin = 'paydesk' AND sale_id IS NULL"), 1);
    assert_eq!(t.store.order(&"P20260101T0000001".parse().unwrap()).map(|o| o.origin).ok(), Some(crate::order::OrderOrigin::Paydesk));
}

#[test]
fn a_push_cut_after_its_commit_sends_nothing_twice() {
    let cfg = database("crash");
    let a = till("T1");
    account(&a.store);
    a.join(&cfg, "S1");
    for fen in [100, 200, 300] {
        a.sale(fen, Some(OrderStatus::Success));
    }
    // The batch reaches the shared book, then the till dies before it forgets the journal.
    let sh = a.store.shared().unwrap();
    let batch = a.store.read(|c| Ok(super::push::load_batch(c, 0)?)).unwrap().unwrap();
    let last = batch.last;
    let done = sh.link.call(move |pg| super::push::send(pg, "T1", batch)).unwrap();
    assert_eq!(done, last);
    let events = pg_count(&cfg, "SELECT COUNT(*) FROM order_events");
    assert!(local_count(&a.store, "SELECT COUNT(*) FROM sync_journal") > 0, "the journal still holds the sent entries");
    // Restarted: the same entries are dropped by the high-water mark, nothing is doubled.
    let again = Store::open(a.store.path()).unwrap();
    again.attach_shared(cfg.clone()).unwrap();
    again.sync_once().unwrap();
    assert_eq!(local_count(&again, "SELECT COUNT(*) FROM sync_journal"), 0);
    assert_eq!((pg_count(&cfg, "SELECT COUNT(*) FROM orders"), pg_count(&cfg, "SELECT COUNT(*) FROM order_events")), (3, events));
    assert_eq!(pg_count(&cfg, "SELECT CAST(SUM(amount) AS BIGINT) FROM orders"), 600);
}

#[test]
fn each_change_is_notified_once_across_the_shop() {
    let (_cfg, a, b) = two_tills("notify_once", "S1");
    for t in [&a, &b] {
        t.store.set_notify_targets(vec!["http://127.0.0.1:9/pos".into()]);
    }
    let events = |s: &Store| s.notifications(None, 100).unwrap().into_iter().map(|n| (n.event, n.reference)).collect::<Vec<_>>();
    let paid = |t: &Till, no: &crate::ids::OrderNo| {
        t.store.apply(no, OrderStatus::Success, EventSource::Callback, "paid", &OrderPatch { channel_trade_no: Some(format!("T{no}")), ..Default::default() }, Utc::now()).unwrap();
    };
    let sync = || {
        for t in [&a, &b, &a] {
            t.store.sync_once().unwrap();
        }
    };
    // A's order is paid by a callback that reached B: B books it but A, whose order it is,
    // notifies — when the change reaches it, and not again when its own poll finds it paid.
    let first = a.sale(500, None);
    sync();
    paid(&b, &first);
    assert!(events(&b.store).is_empty(), "B does not notify for A's order");
    sync();
    assert_eq!(a.store.order(&first).unwrap().status, OrderStatus::Success);
    paid(&a, &first);
    assert_eq!(events(&a.store), vec![("order.success".to_string(), first.to_string())]);
    // The other way round: A's poll is first, then B gets the callback; still one.
    let second = a.sale(700, None);
    sync();
    paid(&a, &second);
    paid(&b, &second);
    sync();
    assert_eq!(events(&a.store).len(), 2, "{:?}", events(&a.store));
    assert!(events(&b.store).is_empty());
    // A refund is notified by the till that made it, the order's new state by the order's till.
    b.refund(&second, 700);
    sync();
    assert_eq!(events(&b.store), vec![("refund.success".to_string(), b.store.refunds_of(&second).unwrap()[0].refund_no.to_string())]);
    assert_eq!(events(&a.store)[0], ("order.refunded".to_string(), second.to_string()));
    assert_eq!(events(&a.store).len(), 3);
}

#[test]
fn a_cashier_limit_counts_what_the_cashier_took_at_every_till() {
    use crate::routing::limits::{check, DailyLimit, Scope};
    use crate::store::UsageOf;
    let (_cfg, a, b) = two_tills("limits", "S2");
    let cashier = crate::Principal::user("王芳", crate::auth::Role::Cashier);
    let start = Utc::now() - chrono::Duration::hours(1);
    // 王芳 takes two payments at A's counter.
    for fen in [3000, 4000] {
        let mut o = new_order(a.gen.next_order_no(Utc::now()), fen);
        (o.till, o.principal) = ("T1".into(), cashier.clone());
        a.store.insert_order(&o).unwrap();
    }
    a.store.sync_once().unwrap();
    b.store.sync_once().unwrap();
    // At B's counter her day already holds them: a limit of 100 yuan refuses 40 more.
    let used = b.store.usage_since(UsageOf::Principal(&cashier), start).unwrap();
    assert_eq!((used.count, used.amount.fen()), (2, 7000));
    let limit = DailyLimit { count: None, amount: Some(Money::from_fen(10_000).unwrap()) };
    let e = check(&limit, &Scope::Cashier("王芳".into()), used, Money::from_fen(4000).unwrap()).unwrap_err();
    assert_eq!(e.used, 7000);
    // A till's own limit counts that till only, wherever it is looked at.
    assert_eq!(b.store.usage_since(UsageOf::Till("T1"), start).unwrap().count, 2);
    assert_eq!(b.store.usage_since(UsageOf::Till("T2"), start).unwrap().count, 0);
}

#[test]
fn an_interrupted_join_resumes_and_sends_nothing_twice() {
    let cfg = database("join_cut");
    let a = till("T1");
    account(&a.store);
    for fen in [100, 200, 300] {
        let no = a.sale(fen, Some(OrderStatus::Success));
        a.refund(&no, 50);
    }
    // The shared book fails in the middle of the history (the refunds cannot be written).
    let mut pg = postgres::Client::connect(&cfg.url, postgres::NoTls).unwrap();
    let join = |s: &Store| s.join_shared(cfg.clone(), "T1", "S1", "test", chrono_tz::Asia::Shanghai);
    // Another till's join creates the schema; then the refunds fail.
    till("T0").join(&cfg, "S1");
    pg.batch_execute("CREATE FUNCTION cut() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'cut'; END $$ LANGUAGE plpgsql;
                      CREATE TRIGGER cut BEFORE INSERT ON refunds FOR EACH ROW EXECUTE FUNCTION cut();").unwrap();
    assert!(join(&a.store).is_err(), "the join was cut");
    let left = local_count(&a.store, "SELECT COUNT(*) FROM sync_journal");
    assert!(left > 0, "part of the history is still to send");
    pg.batch_execute("DROP TRIGGER cut ON refunds").unwrap();
    // Run again: it sends what was left, once, and verifies.
    let r = join(&a.store).unwrap();
    assert!(r.verified, "{r:?}");
    assert!(r.pushed as i64 <= left, "only what was left went up: {} of {left}", r.pushed);
    assert_eq!(local_count(&a.store, "SELECT COUNT(*) FROM sync_journal"), 0);
    assert_eq!((pg_count(&cfg, "SELECT COUNT(*) FROM orders WHERE till = 'T1'"), pg_count(&cfg, "SELECT COUNT(*) FROM refunds WHERE till = 'T1'")), (3, 3));
    assert_eq!(pg_count(&cfg, "SELECT COUNT(*) FROM order_events WHERE till = 'T1'"), local_count(&a.store, "SELECT COUNT(*) FROM order_events"));
    // And again, once finished: nothing at all.
    assert_eq!(join(&a.store).unwrap().pushed, 0);
}
