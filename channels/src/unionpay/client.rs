//! Building, signing and sending ACP requests, and verifying every reply before it is read:
//! the `signPubKeyCert` must chain to the configured middle/root certificates (and pass the CN and
//! date checks the account asks for), the signature must verify over the fields as received, and
//! the reply must be for our `merId`.

use chrono::{DateTime, Utc};
use paydesk_core::channel::ChannelError;

use super::cert::Cert;
use super::config::Settings;
use super::map::{self, Code};
use super::sign;
use super::wire::{self, get, Fields, Txn};
use super::KIND;
use crate::http::{Http, HttpResponse};

/// A request: the transaction's own fields on top of the common ones.
pub fn request(s: &Settings, txn: Txn, own: &[(&str, String)]) -> Fields {
    let mut f: Fields = vec![
        ("version".into(), wire::VERSION.into()),
        ("encoding".into(), wire::ENCODING.into()),
        ("signMethod".into(), wire::SIGN_METHOD.into()),
        ("txnType".into(), txn.txn_type.into()),
        ("txnSubType".into(), txn.txn_sub_type.into()),
        ("bizType".into(), wire::BIZ_TYPE.into()),
        ("accessType".into(), wire::ACCESS_TYPE.into()),
        ("merId".into(), s.mer_id.clone()),
        ("certId".into(), s.cert_id.clone()),
    ];
    if txn != wire::FILE {
        f.push(("channelType".into(), wire::CHANNEL_TYPE.into()));
    }
    // The ACP SDK trims and drops blank values before signing; send what was signed.
    f.extend(own.iter().map(|(k, v)| (k.to_string(), v.trim().to_string())).filter(|(_, v)| !v.is_empty()));
    let signature = sign::sign(&s.signer, wire::pairs(&f));
    f.push((sign::SIGNATURE.into(), signature));
    f
}

/// Sends a request to `url` and returns the verified reply fields.
pub async fn call(s: &Settings, http: &Http, txn: Txn, url: &str, fields: &Fields) -> Result<Fields, ChannelError> {
    let body = serde_urlencoded::to_string(fields).map_err(|e| map::protocol(format!("cannot encode the {} request: {e}", txn.name)))?;
    let req = http.client().post(url).header("content-type", "application/x-www-form-urlencoded;charset=UTF-8").body(body);
    let resp = http.send(req).await?;
    answer(s, txn, &resp, Utc::now())
}

/// Verifies a reply (signature, certificate chain, merchant) and returns its fields.
pub fn answer(s: &Settings, txn: Txn, resp: &HttpResponse, now: DateTime<Utc>) -> Result<Fields, ChannelError> {
    match resp.status {
        200 => {}
        st @ 500..=599 => return Err(map::unavailable(&format!("HTTP {st}"), "gateway error")),
        st => return Err(map::protocol(format!("HTTP {st} from the UnionPay gateway ({})", txn.name))),
    }
    let text = std::str::from_utf8(&resp.body).map_err(|_| map::protocol(format!("{}: the reply is not UTF-8", txn.name)))?;
    let fields = wire::parse_reply(text).map_err(|e| map::protocol(format!("{}: reply unreadable: {e}", txn.name)))?;
    if get(&fields, sign::SIGNATURE).is_none() {
        // Unsigned: never trusted. UnionPay leaves errors about our own request unsigned.
        return Err(match map::resp(&fields) {
            Code::BadSignature => map::error_of(&s.account, txn.name, &fields),
            _ => map::protocol(format!("unsigned {} reply (respCode {:?}) is not trusted; the outcome will be checked", txn.name, get(&fields, "respCode").unwrap_or(""))),
        });
    }
    verify(s, &fields, now).map_err(|detail| ChannelError::SignatureInvalid { channel: KIND.into(), detail: format!("{} reply: {detail}", txn.name) })?;
    if let Some(mer) = get(&fields, "merId") {
        if mer != s.mer_id {
            return Err(map::mismatch(format!("{} reply for merId {mer}, account {:?} is {}", txn.name, s.account, s.mer_id)));
        }
    }
    Ok(fields)
}

/// Checks the signing certificate a message carries and the signature over its fields.
pub fn verify(s: &Settings, fields: &Fields, now: DateTime<Utc>) -> Result<(), String> {
    let pem = get(fields, "signPubKeyCert").ok_or("no signPubKeyCert")?;
    let leaf = Cert::parse(pem.as_bytes()).map_err(|e| format!("signPubKeyCert: {e}"))?;
    let key = s.trust.verify_signing_cert(&leaf, now).map_err(|e| format!("signPubKeyCert: {e} (middle_cert_file/root_cert_file)"))?;
    if !sign::verify(&key, wire::pairs(fields)) {
        return Err("the signature does not verify with the signPubKeyCert".into());
    }
    Ok(())
}
