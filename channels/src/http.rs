//! Shared HTTP client for channel calls: rustls with TLS 1.2+, timeouts, a request id on every
//! call, optional client certificate (mTLS), and errors mapped to [`ChannelError`] so callers
//! can tell "never sent" from "outcome unknown".

use std::time::Duration;

use paydesk_core::ChannelError;

/// A response with its raw body (signatures are checked over these bytes).
#[derive(Debug, Clone)]
pub struct HttpResponse {
    pub status: u16,
    /// Header names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

#[derive(Clone, Debug)]
pub struct Http {
    client: reqwest::Client,
    channel: &'static str,
}

impl Http {
    pub fn new(channel: &'static str, timeout: Duration) -> Result<Http, ChannelError> {
        Self::build(channel, timeout, None)
    }

    /// With a client certificate + key (PEM, concatenated) for APIs that need mTLS.
    pub fn with_identity(channel: &'static str, timeout: Duration, identity_pem: &[u8]) -> Result<Http, ChannelError> {
        let id = reqwest::Identity::from_pem(identity_pem).map_err(|_| ChannelError::Config(format!("{channel}: client certificate/key is not valid PEM")))?;
        Self::build(channel, timeout, Some(id))
    }

    fn build(channel: &'static str, timeout: Duration, identity: Option<reqwest::Identity>) -> Result<Http, ChannelError> {
        let mut b = reqwest::Client::builder()
            .use_rustls_tls()
            .min_tls_version(reqwest::tls::Version::TLS_1_2)
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .pool_idle_timeout(Duration::from_secs(60))
            .user_agent(concat!("Paydesk/", env!("CARGO_PKG_VERSION")));
        if let Some(id) = identity {
            b = b.identity(id);
        }
        let client = b.build().map_err(|e| ChannelError::Config(format!("{channel}: HTTP client: {e}")))?;
        Ok(Http { client, channel })
    }

    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Sends a request built on [`Http::client`], with a fresh `X-Request-Id`, and reads the body.
    pub async fn send(&self, req: reqwest::RequestBuilder) -> Result<HttpResponse, ChannelError> {
        let request_id = crate::sign::nonce(16);
        let resp = req.header("X-Request-Id", &request_id).send().await.map_err(|e| self.map_err(&e))?;
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_ascii_lowercase(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        let body = resp.bytes().await.map_err(|e| self.map_err(&e))?.to_vec();
        tracing::debug!(channel = self.channel, request_id, status, "channel call");
        Ok(HttpResponse { status, headers, body })
    }

    fn map_err(&self, e: &reqwest::Error) -> ChannelError {
        let channel = self.channel.to_string();
        if e.is_connect() {
            ChannelError::Unreachable { channel, detail: "connection failed".into() }
        } else if e.is_builder() {
            ChannelError::Config(format!("{}: invalid request URL", self.channel))
        } else {
            // Sent (or partly sent) with no complete answer: the outcome is unknown.
            ChannelError::Timeout { channel }
        }
    }
}
