//! The signature recipe: which fields, the sorted `k=v&k=v` string, where the key goes, and the
//! algorithm (MD5 / HMAC-SHA256 as hex in the configured case; RSA-SHA256 as Base64).

use super::config::Keys;
use super::recipe::{Algorithm, HexCase, KeyMode, SignRecipe};
use crate::sign::{ct_eq, hmac_sha256_hex, md5_hex};

/// The signed string of `fields` (without any key).
pub fn content(r: &SignRecipe, fields: &[(String, String)]) -> String {
    let mut v: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .filter(|(k, _)| *k != r.sign_field && !r.exclude.iter().any(|e| e == k))
        .filter(|(k, _)| r.sign_type_signed || r.sign_type_field.as_deref() != Some(*k))
        .filter(|(_, v)| !(r.skip_empty && v.is_empty()))
        .collect();
    v.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    v.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")
}

fn with_key(r: &SignRecipe, content: String, key: &str) -> String {
    match r.key_mode {
        KeyMode::AppendRaw => content + key,
        KeyMode::AppendParam if content.is_empty() => format!("{}={key}", r.key_param),
        KeyMode::AppendParam => format!("{content}&{}={key}", r.key_param),
        KeyMode::None => content,
    }
}

fn hex_case(r: &SignRecipe, hex: String) -> String {
    match r.hex_case {
        HexCase::Lower => hex,
        HexCase::Upper => hex.to_ascii_uppercase(),
    }
}

/// The signature of `fields`; `None` when the keys the recipe needs are missing (refused at load).
pub fn sign(r: &SignRecipe, keys: &Keys, fields: &[(String, String)]) -> Option<String> {
    let c = content(r, fields);
    match r.algorithm {
        Algorithm::Md5 => Some(hex_case(r, md5_hex(with_key(r, c, keys.secret.as_deref()?).as_bytes()))),
        Algorithm::HmacSha256 => {
            let key = keys.secret.as_deref()?;
            Some(hex_case(r, hmac_sha256_hex(key.as_bytes(), with_key(r, c, key).as_bytes())))
        }
        Algorithm::RsaSha256 => Some(keys.signer.as_ref()?.sign_b64(c.as_bytes())),
    }
}

/// Whether the signature in `fields` verifies (hex compared in constant time, either case).
pub fn verify(r: &SignRecipe, keys: &Keys, fields: &[(String, String)]) -> bool {
    let Some(got) = fields.iter().find(|(k, _)| *k == r.sign_field).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty()) else { return false };
    match r.algorithm {
        Algorithm::Md5 | Algorithm::HmacSha256 => sign(r, keys, fields).is_some_and(|want| ct_eq(want.to_ascii_lowercase().as_bytes(), got.to_ascii_lowercase().as_bytes())),
        Algorithm::RsaSha256 => keys.provider.as_ref().is_some_and(|k| k.verify_b64(content(r, fields).as_bytes(), got)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recipe(toml_text: &str) -> SignRecipe {
        toml::from_str(toml_text).unwrap()
    }

    fn f(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn secret(s: &str) -> Keys {
        Keys { secret: Some(s.into()), ..Default::default() }
    }

    #[test]
    fn epay_md5_string_and_signature() {
        let r = recipe("algorithm = \"md5\"\nsign_type_field = \"sign_type\"\nsign_type_value = \"MD5\"");
        let fields = f(&[("pid", "1001"), ("type", "alipay"), ("out_trade_no", "P1"), ("money", "1.00"), ("name", "咖啡"), ("param", ""), ("sign_type", "MD5"), ("sign", "x")]);
        assert_eq!(content(&r, &fields), "money=1.00&name=咖啡&out_trade_no=P1&pid=1001&type=alipay");
        let want = md5_hex("money=1.00&name=咖啡&out_trade_no=P1&pid=1001&type=alipaySECRET".as_bytes());
        assert_eq!(sign(&r, &secret("SECRET"), &fields).unwrap(), want);
        let mut signed = fields.clone();
        signed.retain(|(k, _)| k != "sign");
        signed.push(("sign".into(), want.to_ascii_uppercase()));
        assert!(verify(&r, &secret("SECRET"), &signed), "either hex case verifies");
        assert!(!verify(&r, &secret("OTHER"), &signed));
        signed[0].1 = "1002".into();
        assert!(!verify(&r, &secret("SECRET"), &signed));
    }

    #[test]
    fn wechat_v2_style_key_param_upper_md5_and_hmac() {
        // WeChat Pay v2 (protocols.md T7): {test1:test1, test2:test2}, key "test" style check.
        let r = recipe("algorithm = \"md5\"\nkey_mode = \"append_param\"\nhex_case = \"upper\"");
        let fields = f(&[("test1", "test1"), ("test2", "test2")]);
        let want = md5_hex(b"test1=test1&test2=test2&key=KEY").to_ascii_uppercase();
        assert_eq!(sign(&r, &secret("KEY"), &fields).unwrap(), want);
        let h = recipe("algorithm = \"hmac-sha256\"\nkey_mode = \"append_param\"\nhex_case = \"upper\"");
        assert_eq!(sign(&h, &secret("KEY"), &fields).unwrap(), hmac_sha256_hex(b"KEY", b"test1=test1&test2=test2&key=KEY").to_ascii_uppercase());
        let n = recipe("algorithm = \"hmac-sha256\"\nkey_mode = \"none\"\nexclude = [\"test2\"]\nskip_empty = false");
        assert_eq!(content(&n, &f(&[("a", ""), ("test2", "x")])), "a=");
        assert_eq!(sign(&n, &secret("K"), &f(&[("a", "1")])).unwrap(), hmac_sha256_hex(b"K", b"a=1"));
    }

    #[test]
    fn rsa_sha256_round_trip() {
        let dir = crate::sim::demo_keys_dir();
        let signer = crate::sign::RsaSigner::from_pem(&std::fs::read_to_string(dir.join("merchant_private.pem")).unwrap()).unwrap();
        let keys = Keys { secret: None, provider: Some(signer.public_key()), signer: Some(signer) };
        let r = recipe("algorithm = \"rsa-sha256\"\nkey_mode = \"none\"");
        let mut fields = f(&[("b", "2"), ("a", "1")]);
        let sig = sign(&r, &keys, &fields).unwrap();
        fields.push(("sign".into(), sig));
        assert!(verify(&r, &keys, &fields));
        fields[0].1 = "3".into();
        assert!(!verify(&r, &keys, &fields));
        assert!(!verify(&r, &keys, &f(&[("a", "1")])), "no signature never verifies");
    }
}
