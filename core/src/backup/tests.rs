//! Backups into a folder: verified files, rotation over weeks, failure and staleness warnings,
//! restore refusal and forced restore, backups taken while orders are being written.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};

use super::restore::{self, RestoreError};
use super::*;
use crate::store::test_util::{new_order, store};
use crate::NumberGen;

fn gen() -> NumberGen {
    NumberGen::new("T1".parse().unwrap(), chrono_tz::Asia::Shanghai)
}

/// A home with its book where a home keeps it (`paydesk.db`), with one account.
fn home() -> (tempfile::TempDir, Store) {
    let (dir, s) = store();
    drop(s);
    std::fs::rename(dir.path().join("book.db"), Store::path_in(dir.path())).unwrap();
    // The WAL goes with its book (a connection may have left it behind).
    for side in ["-wal", "-shm"] {
        let from = dir.path().join(format!("book.db{side}"));
        if from.exists() {
            std::fs::rename(from, dir.path().join(format!("paydesk.db{side}"))).unwrap();
        }
    }
    let s = Store::open(&Store::path_in(dir.path())).unwrap();
    (dir, s)
}

fn add_orders(s: &Store, n: i64) {
    let g = gen();
    for i in 0..n {
        s.insert_order(&new_order(g.next_order_no(Utc::now()), 100 + i)).unwrap();
    }
}

#[test]
fn a_backup_lands_verified_in_the_folder_and_the_status_says_so() {
    let (dir, s) = store();
    add_orders(&s, 3);
    let home = dir.path();
    let settings = BackupSettings { dir: Some("usb".into()), ..BackupSettings::default() };
    let now = Utc.with_ymd_and_hms(2026, 12, 5, 13, 0, 0).unwrap();
    assert_eq!(overview(home, &settings, now).health, Health::Never);
    assert!(due(home, now));
    let r = run(&s, home, &settings, now).unwrap();
    assert_eq!(r.file, home.join("usb/paydesk-20261205T130000Z.db"));
    assert_eq!((r.figures.orders, r.figures.accounts), (3, 1));
    assert_eq!(crate::store::backup::verify(&r.file).unwrap(), r.figures);
    // A second one in the same second gets the next second's name; nothing is overwritten.
    let again = run(&s, home, &settings, now).unwrap();
    assert_eq!(again.file, home.join("usb/paydesk-20261205T130001Z.db"));
    let o = overview(home, &settings, now + Duration::hours(1));
    assert_eq!(o.health, Health::Ok);
    assert_eq!(o.backups.len(), 1, "the older of the same day was rotated away: {:?}", o.backups);
    assert!(!due(home, now + Duration::hours(23)));
    assert!(due(home, now + Duration::hours(24)));
    assert_eq!(overview(home, &settings, now + Duration::hours(49)).health, Health::Stale);
}

#[test]
fn six_weeks_of_daily_backups_are_rotated() {
    let (dir, s) = store();
    let settings = BackupSettings { keep_daily: 7, keep_weekly: 4, keep_monthly: 12, ..BackupSettings::default() };
    let start = Utc.with_ymd_and_hms(2026, 10, 1, 21, 0, 0).unwrap();
    for d in 0..42 {
        add_orders(&s, 1);
        run(&s, dir.path(), &settings, start + Duration::days(d)).unwrap();
    }
    let found = list(&settings.folder(dir.path()));
    let newest = start + Duration::days(41);
    assert_eq!(found[0].at, newest);
    // 7 days, the newest of 4 ISO weeks and of each month (Oct, Nov): overlaps make 7..=13.
    assert!((9..=13).contains(&found.len()), "{} kept: {:?}", found.len(), found.iter().map(|f| f.at).collect::<Vec<_>>());
    for d in 0..7 {
        assert!(found.iter().any(|f| f.at == newest - Duration::days(d)), "day -{d} kept");
    }
    // The newest of October (31 Oct) is kept as October's monthly backup.
    assert!(found.iter().any(|f| f.at == Utc.with_ymd_and_hms(2026, 10, 31, 21, 0, 0).unwrap()));
    // Every kept file verifies, and the newest holds all 42 orders.
    for f in &found {
        crate::store::backup::verify(&f.path).unwrap();
    }
    assert_eq!(crate::store::backup::verify(&found[0].path).unwrap().orders, 42);
    // Files that are not ours are never touched by the rotation.
    std::fs::write(settings.folder(dir.path()).join("notes.txt"), "mine").unwrap();
    run(&s, dir.path(), &settings, newest + Duration::days(1)).unwrap();
    assert!(settings.folder(dir.path()).join("notes.txt").exists());
}

#[test]
fn a_failing_backup_is_recorded_and_leaves_no_file() {
    let (dir, s) = store();
    add_orders(&s, 1);
    let now = Utc.with_ymd_and_hms(2026, 12, 5, 13, 0, 0).unwrap();
    let good = BackupSettings::default();
    run(&s, dir.path(), &good, now).unwrap();
    // The folder's place is taken by a file (a USB stick that is not mounted looks like this
    // too: a path that cannot be written).
    let blocked = dir.path().join("stick");
    std::fs::write(&blocked, "not a folder").unwrap();
    let bad = BackupSettings { dir: Some(blocked.display().to_string()), ..BackupSettings::default() };
    let e = run(&s, dir.path(), &bad, now + Duration::hours(1)).unwrap_err();
    assert!(e.to_string().contains("stick"), "the error names the place: {e}");
    let o = overview(dir.path(), &bad, now + Duration::hours(2));
    assert_eq!(o.health, Health::Failing);
    assert!(o.last_failure.unwrap().error.contains("stick"));
    assert!(o.last_ok.is_some(), "the last good backup is still reported");
    // Fixed: the next good one clears the warning.
    run(&s, dir.path(), &good, now + Duration::hours(3)).unwrap();
    assert_eq!(overview(dir.path(), &good, now + Duration::hours(3)).health, Health::Ok);
}

#[test]
fn restore_refuses_a_home_with_newer_data_unless_forced() {
    let (dir, s) = home();
    add_orders(&s, 2);
    let now = Utc::now();
    let b = run(&s, dir.path(), &BackupSettings::default(), now).unwrap();
    add_orders(&s, 3);
    let home = dir.path();
    match restore::restore(home, &b.file, false) {
        Err(RestoreError::Newer { differences }) => {
            assert!(differences.iter().any(|d| d == "orders: 5 in the home, 2 in the backup"), "{differences:?}");
            assert!(differences.iter().any(|d| d.starts_with("latest change:")), "{differences:?}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(s.figures().unwrap().orders, 5, "nothing was changed");
    let r = restore::restore(home, &b.file, true).unwrap();
    assert_eq!(r.figures.orders, 2);
    assert_eq!(s.figures().unwrap().orders, 2, "the open book sees the restored rows");
    let copy = r.safety_copy.expect("the replaced book is kept");
    assert_eq!(crate::store::backup::verify(&copy).unwrap().orders, 5);
    // Restoring the same backup again loses nothing: no refusal.
    restore::restore(home, &b.file, false).unwrap();
    // Into a new home (a new PC): no book yet, nothing to refuse.
    let other = tempfile::tempdir().unwrap();
    let r = restore::restore(other.path(), &b.file, false).unwrap();
    assert!(r.preview.home.is_none() && r.safety_copy.is_none());
    assert_eq!(Store::open(&Store::path_in(other.path())).unwrap().figures().unwrap().orders, 2);
}

/// Backups taken while orders are written hold whole orders only: every order with its
/// "created" event, and the sales tables agree with the rows (what `report --check` checks).
#[test]
fn backups_taken_while_orders_are_written_are_consistent() {
    let (dir, s) = store();
    let s = Arc::new(s);
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (s, stop) = (s.clone(), stop.clone());
        std::thread::spawn(move || {
            let g = gen();
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                s.insert_order(&new_order(g.next_order_no(Utc::now()), 100 + n)).unwrap();
                n += 1;
            }
            n
        })
    };
    let mut seen = Vec::new();
    for i in 0..8 {
        let f = s.backup_to(&dir.path().join(format!("b{i}.db"))).unwrap();
        assert_eq!(f.events, f.orders, "each copied order has its event: {f:?}");
        seen.push(f.orders);
        std::thread::sleep(std::time::Duration::from_millis(15));
    }
    stop.store(true, Ordering::Relaxed);
    let written = writer.join().unwrap();
    assert!(seen.windows(2).all(|w| w[0] <= w[1]) && seen.last() > seen.first(), "backups were taken while orders were written: {seen:?} of {written}");
    let restored = tempfile::tempdir().unwrap();
    restore::restore(restored.path(), &dir.path().join("b7.db"), false).unwrap();
    let book = Store::open(&Store::path_in(restored.path())).unwrap();
    assert_eq!(book.sales_bucket_mismatches().unwrap(), Vec::<String>::new());
    assert_eq!(book.figures().unwrap().orders, seen[7]);
}
