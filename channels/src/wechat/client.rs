//! The API v3 HTTP client: signs every request (`Authorization`), verifies every 2xx reply
//! (and every signed error reply) before anything is parsed, maps error replies to
//! [`ChannelError`], and keeps the platform certificates fresh — downloaded from
//! `/v3/certificates`, refreshed periodically and before they expire, and at once when a reply
//! names a serial we do not hold.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use paydesk_core::ChannelError;
use reqwest::{Method, Url};

use super::certs::decrypt_certificates;
use super::config::Config;
use super::v3::{check_timestamp, response_message, ApiV3Key, MerchantSigner, SignedHeaders, Verifier, VerifyError, H_SERIAL, PUBLIC_KEY_ID_PREFIX};
use super::{wire, KIND};
use crate::http::{Http, HttpResponse};

/// Shortest spacing of certificate downloads triggered by failures or unknown serials.
const RETRY_SPACING: chrono::Duration = chrono::Duration::seconds(60);
/// Retry spacing of a failed download while no key at all can verify replies.
const BOOTSTRAP_RETRY: chrono::Duration = chrono::Duration::seconds(2);

pub(crate) fn protocol(detail: impl Into<String>) -> ChannelError {
    ChannelError::Protocol { channel: KIND.into(), detail: detail.into() }
}

pub(crate) fn sig_invalid(e: impl std::fmt::Display) -> ChannelError {
    ChannelError::SignatureInvalid { channel: KIND.into(), detail: e.to_string() }
}

/// Maps a non-2xx reply: 429 and 5xx / system errors are "unknown outcome", other 4xx refusals.
pub(crate) fn map_error(status: u16, body: &[u8]) -> ChannelError {
    let (code, message) = match serde_json::from_slice::<wire::ErrorBody>(body) {
        Ok(b) if !b.code.is_empty() => (b.code, b.message),
        _ => (format!("HTTP_{status}"), String::from_utf8_lossy(body).chars().take(120).collect()),
    };
    let channel = KIND.to_string();
    match (status, code.as_str()) {
        (429, _) | (_, "FREQUENCY_LIMITED") => ChannelError::Unavailable { channel, code, message },
        (500..=599, _) | (_, "SYSTEM_ERROR" | "SYSTEMERROR" | "BANK_ERROR" | "BANKERROR") => ChannelError::Unavailable { channel, code, message },
        (401, _) | (_, "SIGN_ERROR") => ChannelError::Rejected { channel, code, message: format!("{message} (check merchant_serial_no and private_key_file)") },
        (400..=499, _) => ChannelError::Rejected { channel, code, message },
        _ => protocol(format!("unexpected HTTP status {status} ({code}: {message})")),
    }
}

/// The v3 client of one account.
#[derive(Debug)]
pub(crate) struct V3Client {
    base: Url,
    http: Http,
    signer: MerchantSigner,
    pub(crate) apiv3: ApiV3Key,
    pub(crate) verifier: Verifier,
    /// Sent as `Wechatpay-Serial` so WeChat signs replies with the public key (public-key mode).
    request_serial: Option<String>,
    download: bool,
    refresh_every: Duration,
    refresh_lock: tokio::sync::Mutex<()>,
    /// When the certificates are next due for a download (None: now).
    next_due: Mutex<Option<DateTime<Utc>>>,
    last_attempt: Mutex<Option<DateTime<Utc>>>,
    last_error: Mutex<Option<String>>,
}

impl V3Client {
    pub(crate) fn new(cfg: &Config, http: Http) -> Result<V3Client, ChannelError> {
        let base = Url::parse(&cfg.base).map_err(|_| ChannelError::Config(format!("{KIND}: base_url {:?} is not a URL", cfg.base)))?;
        let verifier = Verifier::new(cfg.public_key.clone(), Default::default());
        verifier.certs.insert_all(cfg.platform_certs.clone());
        Ok(V3Client {
            base,
            http,
            signer: cfg.signer.clone(),
            apiv3: cfg.apiv3.clone(),
            request_serial: cfg.public_key.as_ref().map(|k| k.id.clone()),
            verifier,
            download: cfg.download_certs,
            refresh_every: cfg.cert_refresh,
            refresh_lock: tokio::sync::Mutex::new(()),
            next_due: Mutex::new(None),
            last_attempt: Mutex::new(None),
            last_error: Mutex::new(None),
        })
    }

    /// `base + path` as sent, and its canonical form (absolute path + query, no host).
    fn url(&self, path_and_query: &str) -> Result<(Url, String), ChannelError> {
        let full = format!("{}{}", self.base.as_str().trim_end_matches('/'), path_and_query);
        let url = Url::parse(&full).map_err(|_| ChannelError::Config(format!("{KIND}: invalid request URL {full}")))?;
        let canonical = canonical_of(&url);
        Ok((url, canonical))
    }

    /// Signs and sends; returns the raw reply (not yet verified).
    async fn send(&self, method: Method, url: Url, canonical: &str, body: Option<Vec<u8>>) -> Result<HttpResponse, ChannelError> {
        let bytes = body.unwrap_or_default();
        let auth = self.signer.authorization(method.as_str(), canonical, &bytes);
        let mut req = self.http.client().request(method, url).header("Authorization", auth).header("Accept", "application/json");
        if !bytes.is_empty() {
            req = req.header("Content-Type", "application/json").body(bytes);
        }
        if let Some(serial) = &self.request_serial {
            req = req.header("Wechatpay-Serial", serial);
        }
        self.http.send(req).await
    }

    fn verify_reply(&self, r: &HttpResponse) -> Result<(), VerifyError> {
        let h = SignedHeaders::from_lookup(|n| r.header(n))?;
        self.verifier.verify(&h, &r.body, Utc::now())
    }

    /// Calls `path` (relative to the base URL). A 2xx reply is returned only once its signature
    /// verified; error replies come back as mapped [`ChannelError`]s.
    pub(crate) async fn call(&self, method: Method, path: &str, body: Option<Vec<u8>>) -> Result<HttpResponse, ChannelError> {
        self.ensure_certs().await?;
        let (url, canonical) = self.url(path)?;
        let r = self.send(method, url, &canonical, body).await?;
        let signed = SignedHeaders::any_present(|n| r.header(n));
        if (200..300).contains(&r.status) || signed {
            match self.verify_reply(&r) {
                Ok(()) => {}
                Err(VerifyError::UnknownSerial(s)) if self.download && !s.starts_with(PUBLIC_KEY_ID_PREFIX) => {
                    // WeChat may have rotated its certificate: fetch the list once, then decide.
                    self.refresh_now().await;
                    self.verify_reply(&r).map_err(sig_invalid)?;
                }
                Err(e) => return Err(sig_invalid(e)),
            }
        }
        if (200..300).contains(&r.status) {
            Ok(r)
        } else {
            Err(map_error(r.status, &r.body))
        }
    }

    /// Fetches a bill file from the `download_url` WeChat gave: signed like any request, but the
    /// reply is not signed (its SHA1 is checked instead). The URL must be on our API host.
    pub(crate) async fn download(&self, download_url: &str) -> Result<Vec<u8>, ChannelError> {
        let url = Url::parse(download_url).map_err(|_| protocol("download_url is not a URL"))?;
        if url.origin() != self.base.origin() {
            return Err(protocol(format!("download_url points to {}, not to the API host {}", url.origin().ascii_serialization(), self.base.origin().ascii_serialization())));
        }
        let canonical = canonical_of(&url);
        let r = self.send(Method::GET, url, &canonical, None).await?;
        if (200..300).contains(&r.status) {
            Ok(r.body)
        } else {
            Err(map_error(r.status, &r.body))
        }
    }

    fn due(&self, now: DateTime<Utc>) -> bool {
        self.next_due.lock().unwrap_or_else(|p| p.into_inner()).is_none_or(|t| now >= t)
    }

    fn set_due(&self, at: Option<DateTime<Utc>>) {
        *self.next_due.lock().unwrap_or_else(|p| p.into_inner()) = at;
    }

    /// Makes sure the platform certificates are fresh (download mode only). Fails — before
    /// anything else is sent — only when no key at all could verify a reply.
    pub(crate) async fn ensure_certs(&self) -> Result<(), ChannelError> {
        if !self.download {
            return Ok(());
        }
        if self.due(Utc::now()) {
            let _g = self.refresh_lock.lock().await;
            if self.due(Utc::now()) {
                self.refresh_locked().await;
            }
        }
        if self.verifier.certs.usable(Utc::now()) == 0 && self.verifier.public_key.is_none() {
            let why = self.last_error.lock().unwrap_or_else(|p| p.into_inner()).clone().unwrap_or_else(|| "none downloaded yet".into());
            return Err(ChannelError::Unreachable { channel: KIND.into(), detail: format!("no platform certificate to verify WeChat Pay's replies ({why}); nothing was sent") });
        }
        Ok(())
    }

    /// One download attempt and the schedule of the next (caller holds `refresh_lock`).
    async fn refresh_locked(&self) {
        let result = self.download_certs().await;
        let now = Utc::now();
        match result {
            Ok(n) => {
                let every = chrono::Duration::from_std(self.refresh_every).unwrap_or(chrono::Duration::hours(12));
                let mut next = now + every;
                if let Some(exp) = self.verifier.certs.latest_expiry() {
                    // Close to the newest certificate's expiry: look for its successor more often.
                    if exp - now < every * 2 {
                        next = now + every.min(chrono::Duration::hours(1));
                    }
                }
                tracing::info!(channel = KIND, certificates = n, "WeChat Pay platform certificates downloaded");
                *self.last_error.lock().unwrap_or_else(|p| p.into_inner()) = None;
                self.set_due(Some(next));
            }
            Err(e) => {
                let usable = self.verifier.certs.usable(now) > 0 || self.verifier.public_key.is_some();
                tracing::warn!(channel = KIND, error = %e, usable, "platform certificate download failed");
                *self.last_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(format!("download failed: {e}"));
                // With nothing to verify replies, try again soon; otherwise keep the keys held.
                self.set_due(Some(now + if usable { RETRY_SPACING } else { BOOTSTRAP_RETRY }));
            }
        }
    }

    /// Downloads now unless a download was tried within the last minute.
    async fn refresh_now(&self) {
        let recent = || self.last_attempt.lock().unwrap_or_else(|p| p.into_inner()).is_some_and(|t| Utc::now() - t < RETRY_SPACING);
        if recent() {
            return;
        }
        let _g = self.refresh_lock.lock().await;
        if !recent() {
            self.refresh_locked().await;
        }
    }

    /// Downloads the platform certificates now when `serial` names one not held (download mode
    /// only; a public-key id is never downloaded), unless a download was tried within the last
    /// minute — so the first callback after a start verifies, and a forged serial costs at most
    /// one download a minute. A download already under way is waited for.
    pub(crate) async fn fetch_certificate(&self, serial: &str) {
        if !self.download || serial.starts_with(PUBLIC_KEY_ID_PREFIX) || self.verifier.certs.get(serial).is_some() {
            return;
        }
        let _g = self.refresh_lock.lock().await;
        let recent = self.last_attempt.lock().unwrap_or_else(|p| p.into_inner()).is_some_and(|t| Utc::now() - t < RETRY_SPACING);
        if self.verifier.certs.get(serial).is_none() && !recent {
            self.refresh_locked().await;
        }
    }

    /// From a synchronous context (a callback naming an unknown serial): refresh in the
    /// background so WeChat's retry of the callback verifies.
    pub(crate) fn refresh_in_background(self: &Arc<Self>) {
        if !self.download {
            return;
        }
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            let me = self.clone();
            rt.spawn(async move { me.refresh_now().await });
        }
    }

    /// `GET /v3/certificates`: decrypts the list with the APIv3 key and verifies the reply with a
    /// key we already trust — or, the first time, with the downloaded certificate it names (its
    /// authenticity then rests on the AEAD tag, which only holders of our APIv3 key can make).
    async fn download_certs(&self) -> Result<usize, ChannelError> {
        *self.last_attempt.lock().unwrap_or_else(|p| p.into_inner()) = Some(Utc::now());
        let (url, canonical) = self.url("/v3/certificates")?;
        let r = self.send(Method::GET, url, &canonical, None).await?;
        if !(200..300).contains(&r.status) {
            return Err(map_error(r.status, &r.body));
        }
        let certs = decrypt_certificates(&r.body, &self.apiv3).map_err(protocol)?;
        let now = Utc::now();
        let h = SignedHeaders::from_lookup(|n| r.header(n)).map_err(sig_invalid)?;
        match self.verifier.verify(&h, &r.body, now) {
            Ok(()) => {}
            Err(VerifyError::UnknownSerial(_)) => {
                let c = certs
                    .iter()
                    .find(|c| super::certs::normalize_serial(&c.serial) == super::certs::normalize_serial(h.serial))
                    .ok_or_else(|| sig_invalid(format!("certificate list signed with unknown serial {:?}", r.header(H_SERIAL).unwrap_or(""))))?;
                if !c.valid_at(now) || !c.key.verify_b64(&response_message(h.timestamp, h.nonce, &r.body), h.signature) {
                    return Err(sig_invalid("certificate list signature does not verify"));
                }
                check_timestamp(h.timestamp, now).map_err(sig_invalid)?;
            }
            Err(e) => return Err(sig_invalid(e)),
        }
        let valid: Vec<_> = certs.into_iter().filter(|c| c.not_after > now).collect();
        let n = valid.len();
        self.verifier.certs.insert_all(valid);
        self.verifier.certs.prune(now);
        Ok(n)
    }
}

fn canonical_of(url: &Url) -> String {
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_replies_map_to_refusal_or_unknown() {
        let r = |status, body: &str| map_error(status, body.as_bytes());
        assert!(matches!(r(400, r#"{"code":"PARAM_ERROR","message":"bad"}"#), ChannelError::Rejected { code, .. } if code == "PARAM_ERROR"));
        assert!(matches!(r(403, r#"{"code":"ORDER_CLOSED","message":"closed"}"#), ChannelError::Rejected { .. }));
        assert!(matches!(r(404, r#"{"code":"ORDER_NOT_EXIST","message":"no"}"#), ChannelError::Rejected { code, .. } if code == "ORDER_NOT_EXIST"));
        let e = r(401, r#"{"code":"SIGN_ERROR","message":"签名错误"}"#);
        assert!(e.to_string().contains("merchant_serial_no"), "{e}");
        for (status, body) in [(500, r#"{"code":"SYSTEM_ERROR","message":"busy"}"#), (502, "<html>bad gateway</html>"), (429, r#"{"code":"FREQUENCY_LIMITED","message":"slow"}"#), (403, r#"{"code":"BANK_ERROR","message":"bank"}"#)] {
            let e = r(status, body);
            assert!(e.outcome_unknown() && matches!(e, ChannelError::Unavailable { .. }), "{status} {body}: {e:?}");
        }
        assert!(matches!(r(302, ""), ChannelError::Protocol { .. }));
    }

    #[test]
    fn canonical_url_keeps_path_prefix_and_query() {
        let u = Url::parse("http://127.0.0.1:9/wechat/v3/pay/transactions/out-trade-no/P1?mchid=1900000109").unwrap();
        assert_eq!(canonical_of(&u), "/wechat/v3/pay/transactions/out-trade-no/P1?mchid=1900000109");
        let u = Url::parse("https://api.mch.weixin.qq.com/v3/certificates").unwrap();
        assert_eq!(canonical_of(&u), "/v3/certificates");
    }
}
