//! Lockout escalation, owner notices, idle logout and re-authentication.

use chrono::{Duration, Utc};

use super::*;
use crate::auth::{add_user, set_pin};

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(&dir.path().join("b.db")).unwrap();
    add_user(&s, "boss", Role::Owner, "246810", &Principal::System, Utc::now()).unwrap();
    add_user(&s, "amy", Role::Cashier, "1111", &Principal::System, Utc::now()).unwrap();
    (dir, s)
}

#[test]
fn locks_double_and_the_count_survives_them() {
    assert_eq!(lock_after(4), None);
    assert_eq!(lock_after(5), Some(Duration::minutes(1)));
    assert_eq!(lock_after(6), Some(Duration::minutes(2)));
    assert_eq!(lock_after(9), Some(Duration::minutes(16)));
    assert_eq!(lock_after(60), Some(Duration::seconds(MAX_LOCK_SECS)));
    assert_eq!(lock_after(u32::MAX), Some(Duration::seconds(MAX_LOCK_SECS)));

    let (_d, s) = store();
    let mut now = DateTime::from_timestamp_millis(Utc::now().timestamp_millis()).unwrap();
    for _ in 0..4 {
        assert_eq!(login(&s, "amy", "0000", now).unwrap_err().code(), "bad_pin");
    }
    let until = |e: AuthError| match e {
        AuthError::Locked { until } => until,
        other => panic!("{other}"),
    };
    let first = until(login(&s, "amy", "0000", now).unwrap_err());
    assert_eq!(first - now, Duration::minutes(1));
    // Waiting out the lock does not forgive: the next wrong PIN locks again, for twice as long.
    now = first + Duration::seconds(1);
    let second = until(login(&s, "amy", "0000", now).unwrap_err());
    assert_eq!(second - now, Duration::minutes(2));
    now = second + Duration::seconds(1);
    let third = until(login(&s, "amy", "0000", now).unwrap_err());
    assert_eq!(third - now, Duration::minutes(4));
    // A wrong PIN during a lock is not even checked (and the right one waits too).
    assert_eq!(until(login(&s, "amy", "1111", now).unwrap_err()), third);
    // The right PIN after the lock clears the count: the next mistake is forgiven again.
    now = third + Duration::seconds(1);
    assert!(login(&s, "amy", "1111", now).is_ok());
    assert_eq!(login(&s, "amy", "0000", now).unwrap_err().code(), "bad_pin");
    // Each lock is in the audit log, with the count.
    let locks = s.audit_find("login_locked", Some("amy"), None, None, 10).unwrap();
    assert_eq!(locks.len(), 3);
    assert!(locks[0].detail.starts_with("7 wrong PINs in a row; locked until"), "{}", locks[0].detail);
    // An owner's new PIN clears count and lock.
    for _ in 0..5 {
        let _ = login(&s, "amy", "0000", now);
    }
    assert_eq!(login(&s, "amy", "1111", now).unwrap_err().code(), "locked");
    set_pin(&s, "amy", "2222", &Principal::user("boss", Role::Owner), now).unwrap();
    assert!(login(&s, "amy", "2222", now).is_ok());
}

#[test]
fn the_owner_is_told_of_locks_at_their_next_login() {
    let (_d, s) = store();
    let t0 = DateTime::from_timestamp_millis(Utc::now().timestamp_millis()).unwrap();
    let boss = login(&s, "boss", "246810", t0).unwrap();
    assert_eq!(notices(&s, &boss, 6).unwrap(), []);
    // Someone tries PINs on amy's name while the owner is away.
    let t1 = t0 + Duration::minutes(10);
    for _ in 0..6 {
        let _ = login(&s, "amy", "9876", t1);
    }
    let boss = login(&s, "boss", "246810", t1 + Duration::minutes(1)).unwrap();
    let n = notices(&s, &boss, 6).unwrap();
    assert_eq!(n.len(), 1, "{n:?}");
    assert!(matches!(&n[0], Notice::Locked { user, failures: 5, until, .. } if user == "amy" && *until == t1 + Duration::minutes(1)), "{n:?}");
    // Told once: the login after that has nothing new.
    let boss = login(&s, "boss", "246810", t1 + Duration::minutes(2)).unwrap();
    assert_eq!(notices(&s, &boss, 6).unwrap(), []);
    // A cashier is not told; an owner with a short (old) PIN is asked to change it.
    let amy = login(&s, "amy", "1111", t1 + Duration::seconds(30));
    assert!(amy.is_err(), "amy is still locked (one minute)");
    assert_eq!(notices(&s, &Session::new("amy", Role::Cashier, t1), 4).unwrap(), []);
    assert_eq!(notices(&s, &boss, 4).unwrap(), [Notice::ShortPin]);
}

#[test]
fn idle_sessions_expire_and_management_needs_the_pin_again() {
    let (_d, s) = store();
    let t0 = Utc::now();
    let mut boss = login(&s, "boss", "246810", t0).unwrap();
    let idle = Some(Duration::minutes(10));
    assert!(require_active(Some(&boss), Action::ViewOrders, idle, t0 + Duration::minutes(9)).is_ok());
    assert_eq!(require_active(Some(&boss), Action::ViewOrders, idle, t0 + Duration::minutes(11)).unwrap_err().code(), "session_expired");
    assert!(require_active(Some(&boss), Action::ViewOrders, None, t0 + Duration::days(3)).is_ok(), "idle logout off");
    boss.touch(t0 + Duration::minutes(9));
    assert!(require_active(Some(&boss), Action::ViewOrders, idle, t0 + Duration::minutes(18)).is_ok(), "activity keeps it alive");
    // A login is not enough to manage users or accounts: the PIN is asked again.
    let now = t0 + Duration::minutes(10);
    for a in [Action::ManageUsers, Action::ManageAccounts] {
        assert_eq!(require_active(Some(&boss), a, idle, now).unwrap_err().code(), "reauth_required");
    }
    assert_eq!(confirm_pin(&s, &mut boss, "000000", now).unwrap_err().code(), "bad_pin");
    confirm_pin(&s, &mut boss, "246810", now).unwrap();
    assert!(require_active(Some(&boss), Action::ManageUsers, idle, now + Duration::minutes(4)).is_ok());
    assert_eq!(require_active(Some(&boss), Action::ManageUsers, idle, now + Duration::minutes(6)).unwrap_err().code(), "reauth_required", "the window is short");
    // Roles still decide first.
    let amy = Session::new("amy", Role::Cashier, now);
    assert_eq!(require_active(Some(&amy), Action::ManageUsers, idle, now).unwrap_err().code(), "forbidden");
    assert_eq!(require_active(None, Action::ViewOrders, idle, now).unwrap_err().code(), "not_logged_in");
}
