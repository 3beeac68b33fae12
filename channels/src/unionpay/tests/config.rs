//! Account parameters: PEM and PFX signing material, the verification chain, environments, and
//! errors that name the field without printing secrets.

use super::*;

#[test]
fn demo_account_loads_with_pem_key_and_certificate() {
    let s = demo_settings(&[]);
    assert_eq!(s.mer_id, "777290058165621");
    assert_eq!(s.cert_id, "69903319001", "certId is the decimal serial of merchant_sign_cert.pem");
    assert_eq!(s.gateway, "https://gateway.95516.com");
    assert_eq!(s.file_host, "https://filedownload.95516.com");
    assert!(s.trust.check_cn && s.trust.check_time, "production checks CN and dates by default");
    let t = demo_settings(&[("environment", "test"), ("verify_cn", "true")]);
    assert_eq!((t.gateway.as_str(), t.file_host.as_str()), ("https://gateway.test.95516.com", "https://filedownload.test.95516.com"));
    assert!(t.trust.check_cn && !t.trust.check_time);
    assert!(!format!("{s:?}").contains("PRIVATE"), "Debug never shows key material");
}

#[test]
fn pfx_with_a_password_file_gives_the_same_signer() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pw.txt"), "000000\n").unwrap();
    let home = crate::keyfiles::home_with_keys(&[("pw.txt", &dir.path().join("pw.txt"))]);
    // Relative paths resolve against the home: the demo files by their absolute place.
    let demo: Vec<(&str, String)> = DEMO.iter().filter(|(k, _)| *k != "private_key_file" && *k != "sign_cert_file").map(|(k, v)| (*k, if k.ends_with("_file") { demo_dir().join(v).display().to_string() } else { v.to_string() })).collect();
    let mut p: Vec<(&str, &str)> = demo.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let pfx_s = demo_dir().join("unionpay/merchant_sign.pfx").to_str().unwrap().to_string();
    p.push(("sign_cert_file", &pfx_s));
    p.push(("sign_cert_password_file", "keys/pw.txt"));
    let s = crate::unionpay::Settings::load(&account(&p), &env(home.path())).unwrap();
    assert_eq!(s.cert_id, "69903319001");
    let pem = demo_settings(&[]);
    assert_eq!(s.signer.public_key().to_pem(), pem.signer.public_key().to_pem());
}

#[test]
fn bad_parameters_are_named_without_secrets() {
    let dir = demo_dir();
    let load = |params: &[(&str, &str)]| crate::unionpay::Settings::load(&account(params), &env(&dir)).unwrap_err().to_string();
    let with = |extra: &[(&str, &str)], drop: &[&str]| -> Vec<(String, String)> {
        let mut p: Vec<(String, String)> = DEMO.iter().filter(|(k, _)| !drop.contains(k) && !extra.iter().any(|(e, _)| e == k)).map(|(k, v)| (k.to_string(), v.to_string())).collect();
        p.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        p
    };
    let run = |p: Vec<(String, String)>| {
        let refs: Vec<(&str, &str)> = p.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        load(&refs)
    };
    let cases: Vec<(Vec<(String, String)>, &str)> = vec![
        (with(&[("mer_id", "12345")], &[]), "mer_id"),
        (with(&[], &["mer_id"]), "mer_id"),
        (with(&[("environment", "sandbox")], &[]), "environment"),
        (with(&[("verify_cn", "yes")], &[]), "verify_cn"),
        (with(&[("signing_key", "x")], &[]), "signing_key"),
        (with(&[], &["private_key_file"]), "private_key_file"),
        (with(&[("private_key_file", "gateway_private.pem")], &[]), "sign_cert_file"),
        (with(&[], &["middle_cert_file"]), "middle_cert_file"),
        (with(&[("root_cert_file", "unionpay/acp_sim_middle.cer")], &[]), "middle_cert_file"),
        (with(&[("middle_cert_file", "merchant_public.pem")], &[]), "middle_cert_file"),
        (with(&[("file_base_url", "http://example.com")], &[]), "file_base_url"),
        (with(&[("sign_cert_file", "unionpay/merchant_sign.pfx")], &[]), "private_key_file"),
        (with(&[("sign_cert_file", "unionpay/merchant_sign.pfx")], &["private_key_file"]), "sign_cert_password_file"),
        (with(&[("sign_cert_file", "unionpay/merchant_sign.pfx"), ("sign_cert_password", "999999")], &["private_key_file"]), "sign_cert_file"),
    ];
    for (params, field) in cases {
        let e = run(params.clone());
        assert!(e.contains(field), "{params:?}: {e}");
        assert!(!e.contains("BEGIN") && !e.contains("999999"), "{e}");
    }
}
