//! A home moved to another machine: keys re-sealed there, settings and statements along, the
//! book restored; wrong passphrases and newer homes change nothing.

use super::*;

const PEM: &[u8] = b"-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC-not-a-real-key\n-----END PRIVATE KEY-----\n";

fn old_home() -> (tempfile::TempDir, MachineKey) {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let machine = MachineKey::load_or_create(&dir.path().join("old-machine.key")).unwrap();
    let settings = paydesk_core::config::Settings { shop_name: "小王便利店".into(), ..Default::default() };
    std::fs::create_dir_all(&home).unwrap();
    settings.save(&home).unwrap();
    let store = Store::open(&Store::path_in(&home)).unwrap();
    let src = dir.path().join("merchant.pem");
    std::fs::write(&src, PEM).unwrap();
    let rel = crate::keyfiles::import_key_file(&home, &machine, "ali-main", "private_key_file", &src).unwrap();
    let acct: paydesk_core::AccountConfig = toml::from_str(&format!(
        "name = \"ali-main\"\nchannel = \"alipay\"\n[params]\napp_id = \"2021000000000000\"\nprivate_key_file = \"{rel}\"\nalipay_public_key_file = \"/etc/elsewhere/alipay.pem\""
    ))
    .unwrap();
    store.upsert_account(&acct).unwrap();
    std::fs::write(home.join("keys/notify.secret"), b"plain secret by hand").unwrap();
    std::fs::create_dir_all(home.join("statements/ali-main/2026-12-01")).unwrap();
    std::fs::write(home.join("statements/ali-main/2026-12-01/abc-bill.csv"), "a,b\n1,2\n").unwrap();
    std::fs::create_dir_all(home.join("backups")).unwrap();
    std::fs::write(home.join("backups/paydesk-20261201T000000Z.db"), b"old backup, not moved").unwrap();
    (dir, machine)
}

#[test]
fn a_home_moves_with_its_keys_resealed_on_the_new_machine() {
    let (dir, old_key) = old_home();
    let home = dir.path().join("home");
    let archive = dir.path().join("shop.pdmove");
    assert!(matches!(export(&home, &archive, "1234567", &old_key), Err(MoveError::Passphrase(_))), "short passphrases are refused");
    let m = export(&home, &archive, "correct horse battery", &old_key).unwrap();
    assert!(is_archive(&archive) && !is_archive(&Store::path_in(&home)));
    assert_eq!(m.shop_name, "小王便利店");
    assert_eq!(m.figures.accounts, 1);
    assert_eq!(m.files, vec!["config.toml".to_string(), "statements/ali-main/2026-12-01/abc-bill.csv".into()]);
    assert_eq!(m.outside, vec!["account ali-main: alipay_public_key_file = /etc/elsewhere/alipay.pem".to_string()]);
    // No entry of the archive holds the key in the clear.
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&archive).unwrap()).unwrap();
    for i in 0..zip.len() {
        let mut e = zip.by_index(i).unwrap();
        let mut b = Vec::new();
        e.read_to_end(&mut b).unwrap();
        assert!(!b.windows(20).any(|w| w == &PEM[..20]), "{} holds the key", e.name());
        assert!(!b.windows(20).any(|w| w == b"plain secret by hand"), "{} holds the secret", e.name());
    }

    let new_pc = tempfile::tempdir().unwrap();
    let new_home = new_pc.path().join("paydesk");
    let new_key = MachineKey::load_or_create(&new_pc.path().join("machine.key")).unwrap();
    match import(&new_home, &archive, "wrong horse battery", &new_key, false) {
        Err(MoveError::Passphrase(m)) => assert!(m.contains("does not open")),
        other => panic!("{other:?}"),
    }
    assert!(!new_home.exists(), "a wrong passphrase writes nothing");

    let moved = import(&new_home, &archive, "correct horse battery", &new_key, false).unwrap();
    assert_eq!((moved.keys, moved.files), (2, 2));
    assert_eq!(moved.restored.figures.accounts, 1);
    let sealed = std::fs::read_to_string(new_home.join("keys/ali-main.private_key_file.sealed")).unwrap();
    assert_eq!(new_key.open(&sealed, "ali-main", "private_key_file").unwrap().plain, PEM);
    assert!(old_key.open(&sealed, "ali-main", "private_key_file").is_err(), "sealed for the new machine only");
    assert!(new_key.open(&sealed, "other", "private_key_file").is_err(), "and for its own account only");
    assert_eq!(std::fs::read(new_home.join("keys/notify.secret")).unwrap(), b"plain secret by hand");
    assert_eq!(paydesk_core::config::Settings::load(&new_home).unwrap().shop_name, "小王便利店");
    assert!(new_home.join("statements/ali-main/2026-12-01/abc-bill.csv").exists());
    assert!(!new_home.join("backups/paydesk-20261201T000000Z.db").exists(), "old backups stay behind");

    // The new PC takes a payment's worth of data; moving the old archive over it is refused.
    let store = Store::open(&Store::path_in(&new_home)).unwrap();
    let acct2: paydesk_core::AccountConfig = toml::from_str("name = \"sb\"\nchannel = \"sandbox\"").unwrap();
    store.upsert_account(&acct2).unwrap();
    match import(&new_home, &archive, "correct horse battery", &new_key, false) {
        Err(MoveError::Restore(RestoreError::Newer { differences })) => assert_eq!(differences, vec!["accounts: 2 in the home, 1 in the backup".to_string()]),
        other => panic!("{other:?}"),
    }
    assert_eq!(store.accounts().unwrap().len(), 2, "nothing was changed");
}
