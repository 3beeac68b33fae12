//! `paydesk backup` and `paydesk restore` as processes: backups taken while payments are being
//! made are consistent and restore to a book that passes `report --check`; a restore over newer
//! data is refused with the differences named (and forced only on request, keeping a copy); a
//! move archive carries the shop to a "new PC" (another home and machine key).

use std::process::Command;

use paydesk_e2e::{paydesk_bin, sandbox_accounts, Cli, Run, Service};

fn paydesk(home: &std::path::Path, machine_key: &std::path::Path, passphrase: &str, args: &[&str]) -> Run {
    Command::new(paydesk_bin())
        .arg("--home")
        .arg(home)
        .arg("--json")
        .args(args)
        .env_remove("PAYDESK_HOME")
        .env("PAYDESK_MACHINE_KEY", machine_key)
        .env("PAYDESK_PASSPHRASE", passphrase)
        .output()
        .expect("run paydesk")
        .into()
}

#[test]
fn backups_while_paying_restore_to_a_consistent_book_and_newer_data_is_not_overwritten() {
    let sim = Service::start(None, &["sim", "--listen", "127.0.0.1:0"]);
    let cli = Cli::new();
    cli.ok(&["init", "--till", "BK"]);
    let file = sandbox_accounts(cli.home.path(), &sim.url());
    cli.ok(&["accounts", "import", file.to_str().unwrap()]);

    // Payments in one thread (processes, one after another, with the home's machine key: the
    // imported keys are sealed with it), backups in this one.
    let pays: Vec<Command> = (0..24)
        .map(|i| {
            let mut cmd = cli.command();
            cmd.args(["--json", "pay", "--amount", &format!("{}.{:02}", 1 + i, i), "--auth-code", "990000000000000001"]);
            cmd
        })
        .collect();
    let payer = std::thread::spawn(move || {
        let mut failed = Vec::new();
        for mut pay in pays {
            let out: Run = pay.output().expect("run paydesk pay").into();
            if out.code != 0 {
                failed.push(out);
            }
        }
        failed
    });
    let copies = cli.home.path().join("copies");
    let mut taken = Vec::new();
    // Backups for as long as the payments run (so some are taken mid-way however slow the machine).
    while !payer.is_finished() {
        let out = copies.join(format!("b{}.db", taken.len()));
        let r = cli.ok(&["backup", "--out", out.to_str().unwrap()]);
        taken.push((out, r["figures"]["orders"].as_i64().unwrap()));
        std::thread::sleep(std::time::Duration::from_millis(150));
    }
    let failed = payer.join().unwrap();
    assert!(failed.is_empty(), "{} of 24 payments failed, the first: {:?}", failed.len(), failed.first());
    assert!(taken.windows(2).all(|w| w[0].1 <= w[1].1), "{taken:?}");
    assert!(taken.iter().any(|(_, n)| *n > 0 && *n < 24), "some backups were taken mid-way: {taken:?}");

    // Each backup restores into a new home to a book whose analytics agree with its rows.
    for (file, orders) in &taken {
        let fresh = Cli::new();
        let r = fresh.ok(&["restore", file.to_str().unwrap()]);
        assert_eq!(r["figures"]["orders"].as_i64(), Some(*orders));
        assert_eq!(fresh.ok(&["report", "--check"])["consistent"], true, "{}", file.display());
        assert_eq!(fresh.ok(&["orders", "--limit", "100"]).as_array().unwrap().len() as i64, *orders);
    }

    // The live home has newer data than the mid-way backup: refused, with the differences.
    let (mid, mid_orders) = taken.iter().find(|(_, n)| *n > 0 && *n < 24).unwrap().clone();
    let dry = cli.run(&["restore", mid.to_str().unwrap(), "--dry-run"]);
    assert_eq!(dry.code, 2, "{dry:?}");
    assert!(dry.json()["newer"].as_array().unwrap().iter().any(|d| d.as_str().unwrap() == format!("orders: 24 in the home, {mid_orders} in the backup")), "{}", dry.stdout);
    let refused = cli.run(&["restore", mid.to_str().unwrap()]);
    assert_eq!(refused.code, 2, "{refused:?}");
    assert!(refused.stderr.contains("newer data") && refused.stderr.contains(&format!("orders: 24 in the home, {mid_orders} in the backup")), "{}", refused.stderr);
    assert_eq!(cli.ok(&["orders", "--limit", "100"]).as_array().unwrap().len(), 24, "nothing was changed");
    // Forced: restored, and the replaced book is kept.
    let forced = cli.ok(&["restore", mid.to_str().unwrap(), "--force"]);
    let kept = std::path::PathBuf::from(forced["safety_copy"].as_str().unwrap());
    assert!(kept.exists());
    assert_eq!(cli.ok(&["orders", "--limit", "100"]).as_array().unwrap().len() as i64, mid_orders);
    assert_eq!(cli.ok(&["report", "--check"])["consistent"], true);
    // ... and undone from the kept copy.
    cli.ok(&["restore", kept.to_str().unwrap()]);
    assert_eq!(cli.ok(&["orders", "--limit", "100"]).as_array().unwrap().len(), 24);

    // The backup folder: a rotated, verified backup and a healthy status.
    let r = cli.ok(&["backup"]);
    assert!(r["file"].as_str().unwrap().contains("/backups/paydesk-"), "{r}");
    assert_eq!(cli.ok(&["backup", "--status"])["health"], "ok");
    // Bad input names the field and writes nothing.
    let bad = cli.run(&["restore", cli.home.path().join("nope.db").to_str().unwrap()]);
    assert!(bad.code == 2 && bad.stderr.contains("file:"), "{bad:?}");
}

#[test]
fn a_move_archive_carries_the_shop_to_a_new_pc() {
    let old = tempfile::tempdir().unwrap();
    let (home, key) = (old.path().join("home"), old.path().join("machine.key"));
    assert_eq!(paydesk(&home, &key, "", &["init"]).code, 0);
    let archive = old.path().join("shop.pdmove");
    let short = paydesk(&home, &key, "short", &["backup", "--move", "--out", archive.to_str().unwrap()]);
    assert!(short.code == 2 && short.stderr.contains("passphrase"), "{short:?}");
    let r = paydesk(&home, &key, "correct horse battery", &["backup", "--move", "--out", archive.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{r:?}");

    let new_pc = tempfile::tempdir().unwrap();
    let (new_home, new_key) = (new_pc.path().join("paydesk"), new_pc.path().join("machine.key"));
    let wrong = paydesk(&new_home, &new_key, "wrong horse battery", &["restore", archive.to_str().unwrap()]);
    assert!(wrong.code == 2 && wrong.stderr.contains("does not open"), "{wrong:?}");
    assert!(!new_home.join("paydesk.db").exists());
    let ok = paydesk(&new_home, &new_key, "correct horse battery", &["restore", archive.to_str().unwrap()]);
    assert_eq!(ok.code, 0, "{ok:?}");
    assert!(new_home.join("config.toml").exists() && new_home.join("paydesk.db").exists());
}
