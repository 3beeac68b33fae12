//! Upgrades keep the book: a fixture book of every schema version the project has had
//! (`tests/fixtures/books/vN.db`, written by `scripts/make-book-fixture.sh`) is opened by this
//! version through the `paydesk` binary, upgraded, and checked: the same counts, sums, orders per
//! status, reconciliation results, people and API keys as recorded in `vN.json`, the analytics
//! tables consistent (`paydesk report --check`), the reconciliation readable, the people's PINs
//! still opening the till, and the book as it was kept.

use std::path::PathBuf;

use paydesk_core::auth;
use paydesk_core::store::schema;
use paydesk_e2e::fixtures::{book_facts, schema_of, FIXTURE_USERS};
use paydesk_e2e::Cli;

fn books() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/books")
}

fn facts_of(path: &std::path::Path) -> serde_json::Value {
    let c = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    book_facts(&c)
}

fn version_of(path: &std::path::Path) -> usize {
    let c = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    c.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0)).unwrap() as usize
}

#[test]
fn every_migration_has_a_fixture_book() {
    for v in 1..=schema::latest() {
        let db = books().join(format!("v{v}.db"));
        assert!(
            db.exists() && db.with_extension("json").exists(),
            "migration {v} has no fixture book ({}): run scripts/make-book-fixture.sh (it writes every missing one)",
            db.display()
        );
        assert_eq!(version_of(&db), v, "{} is not a version-{v} book", db.display());
        // The fixture of version v is a book of THESE first v migrations: after a merge that
        // renumbered a branch's migration, its old fixture of that number no longer fits.
        let dir = tempfile::tempdir().unwrap();
        let fresh = schema::create_at_version(&dir.path().join("fresh.db"), v).unwrap();
        let fixture = rusqlite::Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
        assert!(
            schema_of(&fixture) == schema_of(&fresh),
            "{} was not written by migrations 1..={v} of this tree (a fixture for another migration {v}?): keep main's fixture of that number and run scripts/make-book-fixture.sh; see docs/backup.md",
            db.display()
        );
    }
    let extra = books().join(format!("v{}.db", schema::latest() + 1));
    assert!(!extra.exists(), "{} is from a schema this Paydesk does not have", extra.display());
}

#[test]
fn every_fixture_book_upgrades_with_its_data_intact() {
    for v in 1..=schema::latest() {
        let fixture = books().join(format!("v{v}.db"));
        let expected: serde_json::Value = serde_json::from_slice(&std::fs::read(fixture.with_extension("json")).unwrap()).unwrap();
        let cli = Cli::new();
        let book = cli.home.path().join("paydesk.db");
        std::fs::copy(&fixture, &book).unwrap();
        assert_eq!(facts_of(&book), expected, "v{v}: the fixture holds what its .json records");
        assert!(expected["figures"]["orders"].as_i64().unwrap() > 20, "v{v}: a fixture with real data");

        // The current binary opens (and so upgrades) the book and checks the analytics tables.
        let r = cli.ok(&["report", "--check"]);
        assert_eq!(r["consistent"], true, "v{v}: {r}");
        assert_eq!(version_of(&book), schema::latest(), "v{v} upgraded");
        assert_eq!(facts_of(&book), expected, "v{v}: counts, sums, orders and reconciliation results intact");

        // The reconciliation results read back through the current code.
        for run in expected["recon_runs"].as_array().unwrap() {
            let (account, day) = (run[0].as_str().unwrap(), run[1].as_str().unwrap());
            let r = cli.run(&["reconcile", "--show", "--account", account, "--date", day]);
            assert!(r.code == 0 || r.code == 6, "v{v}: {r:?}"); // 6: open discrepancies, as recorded
            let shown = r.json();
            assert!(!shown["runs"].as_array().unwrap().is_empty(), "v{v}: run {account} {day} shown");
            let open = expected["recon_items"].as_array().unwrap().iter().filter(|i| i[4] == "open").count();
            assert_eq!(r.code == 6, open > 0, "v{v}: the exit code says whether differences are open");
        }
        let orders = cli.ok(&["orders", "--limit", "1000"]);
        assert_eq!(orders.as_array().map(Vec::len), expected["figures"]["orders"].as_u64().map(|n| n as usize), "v{v}: every order lists");

        // The people still log in with their PINs (the disabled one still does not).
        let store = paydesk_core::Store::open(&book).unwrap();
        for u in FIXTURE_USERS.iter().filter(|_| v >= 3 && !expected["users"].as_array().unwrap().is_empty()) {
            let r = auth::login(&store, u.name, u.pin, chrono::Utc::now());
            assert_eq!(r.is_ok(), u.enabled, "v{v}: {} logs in: {r:?}", u.name);
        }
        drop(store);

        // The book as it was before the upgrade is kept beside it.
        if v < schema::latest() {
            let copies: Vec<PathBuf> = std::fs::read_dir(cli.home.path().join("backups/pre-upgrade")).unwrap().map(|e| e.unwrap().path()).collect();
            assert_eq!(copies.len(), 1, "v{v}: {copies:?}");
            assert_eq!(version_of(&copies[0]), v);
            assert_eq!(facts_of(&copies[0]), expected);
        }
    }
}
