//! One HTTP endpoint, polled without ever freezing the war room.
//!
//! Outages are exactly when Prometheus and its friends are slow, flaky or down, so every request
//! here has a deadline (the source's timeout, retries included), retries with exponential backoff
//! and jitter on what is worth retrying (connection errors, timeouts, 5xx, 429), honours
//! `Retry-After`, refuses answers larger than the configured limit without loading them, and goes
//! through a circuit breaker: after three failed calls in a row the endpoint is left alone for a
//! while, then one probe is let through (half-open), and a success closes it again. The breaker
//! keeps the request rate to a failing server bounded however often the poller asks.
//!
//! Requests to AWS are signed (Signature V4, `aws-sigv4`) on every try, so a retry never carries
//! a stale signature. A source with its own CA file gets its own client; all others share one.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use serde::Serialize;

use crate::config::{Auth, SourceConfig};

/// AWS keys, read from their references when the endpoint is built; never printed.
struct AwsKeys {
    region: String,
    service: String,
    access_key_id: String,
    secret_access_key: String,
    session_token: Option<String>,
}

/// One request: a GET with a query, or a POST with headers and a body.
#[derive(Debug, Clone, Copy)]
struct Call<'a> {
    post: bool,
    path: &'a str,
    query: &'a [(&'a str, &'a str)],
    headers: &'a [(&'a str, &'a str)],
    body: &'a [u8],
}

/// How many failed calls in a row open the breaker.
const BREAKER_THRESHOLD: u32 = 3;
/// Tries per call (the first and the retries), within the call's deadline.
const TRIES: u32 = 3;
/// The first backoff; it doubles with each retry, plus up to 50 % jitter.
const BACKOFF: Duration = Duration::from_millis(200);

/// Why a fetch failed, in words for the status bar.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    #[error("cannot connect: {0}")]
    Connect(String),
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("HTTP {status}: {body}")]
    Status { status: u16, body: String },
    #[error("answer larger than {limit} bytes: cut off")]
    TooLarge { limit: usize },
    #[error("circuit open after {failures} failures in a row; next try in {retry_in:?}")]
    BreakerOpen { failures: u32, retry_in: Duration },
    #[error("cannot read the answer: {0}")]
    Body(String),
    #[error("bad configuration: {0}")]
    Config(String),
}

/// A successful answer.
#[derive(Debug, Clone)]
pub struct Answer {
    pub content_type: String,
    pub body: Vec<u8>,
}

/// The breaker's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum BreakerState {
    Closed,
    Open,
    HalfOpen,
}

/// What the status bar shows of an endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(any(test, feature = "ts"), derive(ts_rs::TS), ts(export))]
pub struct EndpointStatus {
    pub name: String,
    pub breaker: BreakerState,
    pub last_success: Option<DateTime<Utc>>,
    pub failing_since: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    /// Requests actually sent (tries included), since start.
    #[cfg_attr(any(test, feature = "ts"), ts(type = "number"))]
    pub requests: u64,
}

#[derive(Debug)]
struct Health {
    failures: u32,
    open_until: Option<Instant>,
    probing: bool,
    status: EndpointStatus,
}

/// One server: its base URL, headers (secrets resolved when built), limits and breaker.
/// Its `Debug` shows the URL only: secrets never reach a log.
pub struct Endpoint {
    client: reqwest::Client,
    base: String,
    headers: HeaderMap,
    /// Basic auth (user, password), sent by reqwest's own encoder.
    basic: Option<(String, String)>,
    aws: Option<AwsKeys>,
    timeout: Duration,
    open_for: Duration,
    max_bytes: usize,
    health: Mutex<Health>,
    /// The secrets its requests carry: never repeated in its status.
    secrets: Vec<String>,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("base", &self.base)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl Endpoint {
    /// An endpoint for a configured source, sharing `client`.
    ///
    /// # Errors
    /// [`FetchError::Config`] when a secret's variable is unset or a header is not valid.
    pub fn new(client: reqwest::Client, source: &SourceConfig) -> Result<Endpoint, FetchError> {
        let client = match &source.ca_file {
            None => client,
            Some(path) => client_with_ca(path)?,
        };
        let mut headers = HeaderMap::new();
        let mut basic = None;
        let mut aws = None;
        let mut secrets = Vec::new();
        let value = |v: &str| {
            HeaderValue::from_str(v).map_err(|e| FetchError::Config(format!("{}: {e}", source.name)))
        };
        match &source.auth {
            Auth::None => {}
            Auth::Bearer(secret) => {
                let token = secret.resolve().map_err(FetchError::Config)?;
                secrets.push(token.clone());
                let mut v = value(&format!("Bearer {token}"))?;
                v.set_sensitive(true);
                headers.insert(AUTHORIZATION, v);
            }
            Auth::Basic { user, password } => {
                let password = password.resolve().map_err(FetchError::Config)?;
                secrets.push(password.clone());
                basic = Some((user.clone(), password));
            }
            Auth::Aws(keys) => {
                let session_token = match &keys.session_token {
                    Some(token) => token.resolve().ok().filter(|t| !t.is_empty()),
                    None => None,
                };
                secrets.extend(session_token.clone());
                let key = keys.secret_access_key.resolve().map_err(FetchError::Config)?;
                secrets.push(key.clone());
                aws = Some(AwsKeys {
                    region: keys.region.clone(),
                    service: keys.service.clone(),
                    access_key_id: keys.access_key_id.resolve().map_err(FetchError::Config)?,
                    secret_access_key: key,
                    session_token,
                });
            }
        }
        for (k, v) in &source.headers {
            let name = HeaderName::from_bytes(k.as_bytes())
                .map_err(|e| FetchError::Config(format!("header {k}: {e}")))?;
            headers.insert(name, value(v)?);
        }
        Ok(Endpoint {
            client,
            base: source.url.clone(),
            headers,
            basic,
            aws,
            timeout: source.timeout,
            // One probe per poll interval while open: the rate to a failing server stays at one
            // request per interval, and recovery shows within one interval of the fault clearing.
            open_for: source.interval,
            max_bytes: source.max_bytes,
            secrets,
            health: Mutex::new(Health {
                failures: 0,
                open_until: None,
                probing: false,
                status: EndpointStatus {
                    name: source.name.clone(),
                    breaker: BreakerState::Closed,
                    last_success: None,
                    failing_since: None,
                    last_error: None,
                    requests: 0,
                },
            }),
        })
    }

    /// The endpoint's status for the status bar.
    pub fn status(&self) -> EndpointStatus {
        self.health.lock().map(|h| h.status.clone()).unwrap_or_else(|p| p.into_inner().status.clone())
    }

    fn with_health<T>(&self, f: impl FnOnce(&mut Health) -> T) -> T {
        match self.health.lock() {
            Ok(mut h) => f(&mut h),
            Err(poisoned) => f(&mut poisoned.into_inner()),
        }
    }

    /// GETs `path` with `query`, within the endpoint's deadline, through the breaker, and reads
    /// the answer with `parse`. An answer that does not parse (HTML from a proxy, truncated
    /// JSON, an error body) counts as a failure of the endpoint, like a refused connection.
    ///
    /// # Errors
    /// The outer [`FetchError`]: the last try's failure, or [`FetchError::BreakerOpen`] without a
    /// request; the inner error: what `parse` said.
    pub async fn get<T, E: std::fmt::Display>(
        &self,
        path: &str,
        query: &[(&str, &str)],
        parse: impl FnOnce(&Answer) -> Result<T, E>,
    ) -> Result<Result<T, E>, FetchError> {
        self.call(Call { post: false, path, query, headers: &[], body: &[] }, parse).await
    }

    /// POSTs `body` with `headers` to `path`, as [`Endpoint::get`] does a GET (deadline,
    /// retries, breaker, size limit, signing).
    ///
    /// # Errors
    /// As [`Endpoint::get`].
    pub async fn post<T, E: std::fmt::Display>(
        &self,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
        parse: impl FnOnce(&Answer) -> Result<T, E>,
    ) -> Result<Result<T, E>, FetchError> {
        self.call(Call { post: true, path, query: &[], headers, body }, parse).await
    }

    async fn call<T, E: std::fmt::Display>(
        &self,
        call: Call<'_>,
        parse: impl FnOnce(&Answer) -> Result<T, E>,
    ) -> Result<Result<T, E>, FetchError> {
        let probing = self.admit()?;
        let deadline = Instant::now() + self.timeout;
        let tries = if probing { 1 } else { TRIES };
        let result = self.call_with_retries(call, deadline, tries).await;
        let parsed = result.map(|answer| parse(&answer));
        self.record(match &parsed {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(e.to_string()),
            Err(e) => Err(e.to_string()),
        });
        parsed
    }

    /// Lets a call through the breaker; `Ok(true)` when it is the half-open probe.
    fn admit(&self) -> Result<bool, FetchError> {
        self.with_health(|h| {
            let now = Instant::now();
            match h.open_until {
                Some(until) if now < until => {
                    Err(FetchError::BreakerOpen { failures: h.failures, retry_in: until - now })
                }
                Some(_) if h.probing => {
                    Err(FetchError::BreakerOpen { failures: h.failures, retry_in: Duration::ZERO })
                }
                Some(_) => {
                    h.probing = true;
                    h.status.breaker = BreakerState::HalfOpen;
                    Ok(true)
                }
                None => Ok(false),
            }
        })
    }

    fn record(&self, result: Result<(), String>) {
        self.with_health(|h| {
            h.probing = false;
            match result {
                Ok(_) => {
                    h.failures = 0;
                    h.open_until = None;
                    h.status.breaker = BreakerState::Closed;
                    h.status.last_success = Some(Utc::now());
                    h.status.failing_since = None;
                    h.status.last_error = None;
                }
                Err(e) => {
                    h.failures += 1;
                    h.status.failing_since.get_or_insert_with(Utc::now);
                    h.status.last_error = Some(clean_error(&e, &self.secrets));
                    if h.failures >= BREAKER_THRESHOLD {
                        h.open_until = Some(Instant::now() + self.open_for);
                        h.status.breaker = BreakerState::Open;
                    }
                }
            }
        });
    }

    async fn call_with_retries(
        &self,
        call: Call<'_>,
        deadline: Instant,
        tries: u32,
    ) -> Result<Answer, FetchError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(FetchError::Timeout(self.timeout));
            }
            let (result, retry_after) = self.try_once(call, left).await;
            let retryable = match &result {
                Ok(_) => return result,
                Err(FetchError::Connect(_) | FetchError::Timeout(_)) => true,
                Err(FetchError::Status { status, .. }) => *status == 429 || *status >= 500,
                Err(_) => false,
            };
            if !retryable || attempt >= tries {
                return result;
            }
            let backoff = BACKOFF * 2u32.pow(attempt - 1);
            let jitter = backoff.mul_f64(fastrand::f64() * 0.5);
            let wait = retry_after.unwrap_or(backoff + jitter);
            if Instant::now() + wait >= deadline {
                return result;
            }
            tokio::time::sleep(wait).await;
        }
    }

    async fn try_once(
        &self,
        call: Call<'_>,
        left: Duration,
    ) -> (Result<Answer, FetchError>, Option<Duration>) {
        self.with_health(|h| h.status.requests += 1);
        let mut url = match join(&self.base, call.path) {
            Ok(url) => url,
            Err(e) => return (Err(FetchError::Config(format!("{}{}: {e}", self.base, call.path))), None),
        };
        if !call.query.is_empty() {
            url.query_pairs_mut().extend_pairs(call.query);
        }
        let method = if call.post { reqwest::Method::POST } else { reqwest::Method::GET };
        let mut headers = self.headers.clone();
        for (k, v) in call.headers {
            match (HeaderName::from_bytes(k.as_bytes()), HeaderValue::from_str(v)) {
                (Ok(k), Ok(v)) => {
                    headers.insert(k, v);
                }
                _ => return (Err(FetchError::Config(format!("bad header {k}"))), None),
            }
        }
        if let Some(aws) = &self.aws {
            match sign_v4(aws, method.as_str(), url.as_str(), call.headers, call.body) {
                Ok(signed) => headers.extend(signed),
                Err(e) => return (Err(e), None),
            }
        }
        let mut request =
            self.client.request(method, url).headers(headers).body(call.body.to_vec()).timeout(left);
        if let Some((user, password)) = &self.basic {
            request = request.basic_auth(user, Some(password));
        }
        let response = match tokio::time::timeout(left, request.send()).await {
            Err(_) => return (Err(FetchError::Timeout(self.timeout)), None),
            Ok(Err(e)) if e.is_timeout() => return (Err(FetchError::Timeout(self.timeout)), None),
            Ok(Err(e)) => return (Err(FetchError::Connect(without_url(&e))), None),
            Ok(Ok(r)) => r,
        };
        let status = response.status();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let body = match tokio::time::timeout(left, read_limited(response, self.max_bytes)).await {
            Err(_) => return (Err(FetchError::Timeout(self.timeout)), None),
            Ok(Err(e)) => return (Err(e), None),
            Ok(Ok(body)) => body,
        };
        if status.is_success() {
            return (Ok(Answer { content_type, body }), None);
        }
        // Prometheus answers 4xx with a JSON error body the caller wants to read.
        if status == StatusCode::BAD_REQUEST || status == StatusCode::UNPROCESSABLE_ENTITY {
            return (Ok(Answer { content_type, body }), None);
        }
        let text: String = String::from_utf8_lossy(&body).chars().take(200).collect();
        (Err(FetchError::Status { status: status.as_u16(), body: text.trim().to_owned() }), retry_after)
    }
}

/// Reads an answer's body, refusing more than `max_bytes` without loading it.
async fn read_limited(mut response: reqwest::Response, max_bytes: usize) -> Result<Vec<u8>, FetchError> {
    if response.content_length().is_some_and(|n| n as usize > max_bytes) {
        return Err(FetchError::TooLarge { limit: max_bytes });
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| FetchError::Body(without_url(&e)))? {
        if body.len() + chunk.len() > max_bytes {
            return Err(FetchError::TooLarge { limit: max_bytes });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// `path` under the base URL: appended to the base's path, the base's query kept (a source
/// behind a proxy at `https://host/prometheus?org=2` asks `https://host/prometheus/api/v1/query?org=2&...`).
pub fn join(base: &str, path: &str) -> Result<reqwest::Url, String> {
    let mut url = reqwest::Url::parse(base).map_err(|e| e.to_string())?;
    let joined = format!("{}/{}", url.path().trim_end_matches('/'), path.trim_start_matches('/'));
    url.set_path(&joined);
    Ok(url)
}

/// What a failure says in a source's status: one line of at most 300 characters, control
/// characters turned to spaces, and none of the request's secrets (a server may echo them back).
pub fn clean_error(text: &str, secrets: &[String]) -> String {
    let mut text: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    for secret in secrets.iter().filter(|s| s.len() >= 4) {
        text = text.replace(secret.as_str(), "[redacted]");
    }
    let mut cut: String = text.chars().take(300).collect();
    if text.chars().count() > 300 {
        cut.push('…');
    }
    cut
}

/// One GET of a file at `url` (a runbook, say: not a polled source, so no retries or breaker),
/// within `timeout`, with the same size limit as the polls.
///
/// # Errors
/// [`FetchError`]: no connection, no answer in time, a status other than success (its body
/// left out), or an answer larger than `max_bytes`.
pub async fn get_file(url: &str, timeout: Duration, max_bytes: usize) -> Result<Vec<u8>, FetchError> {
    let client = client_builder().timeout(timeout).build().map_err(|e| FetchError::Config(e.to_string()))?;
    let response = client.get(url).send().await.map_err(|e| {
        if e.is_timeout() { FetchError::Timeout(timeout) } else { FetchError::Connect(without_url(&e)) }
    })?;
    if !response.status().is_success() {
        return Err(FetchError::Status { status: response.status().as_u16(), body: String::new() });
    }
    read_limited(response, max_bytes).await
}

/// A client like the shared one that also trusts the roots in the PEM file at `path`.
pub(crate) fn client_with_ca(path: &std::path::Path) -> Result<reqwest::Client, FetchError> {
    let pem = std::fs::read(path)
        .map_err(|e| FetchError::Config(format!("ca_file {}: cannot read: {e}", path.display())))?;
    let certificates = reqwest::Certificate::from_pem_bundle(&pem)
        .map_err(|e| FetchError::Config(format!("ca_file {}: not PEM certificates: {e}", path.display())))?;
    if certificates.is_empty() {
        return Err(FetchError::Config(format!("ca_file {}: holds no certificate", path.display())));
    }
    let mut builder = client_builder();
    for certificate in certificates {
        builder = builder.add_root_certificate(certificate);
    }
    builder.build().map_err(|e| FetchError::Config(format!("ca_file {}: {e}", path.display())))
}

/// The user agent of every request.
pub const USER_AGENT: &str = concat!("warroom/", env!("CARGO_PKG_VERSION"));

/// How every HTTP client of warroom starts: its user agent, and no `Referer` (a redirect must
/// not carry a source's URL, and whatever its query holds, to another host).
pub fn client_builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder().user_agent(USER_AGENT).referer(false)
}

/// The Signature V4 headers (`authorization`, `x-amz-date`, and the session token if any) for
/// one request, signed now.
fn sign_v4(
    aws: &AwsKeys,
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<HeaderMap, FetchError> {
    use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
    use aws_sigv4::sign::v4;
    let failed = |e: &dyn std::fmt::Display| FetchError::Config(format!("cannot sign the request: {e}"));
    let identity = aws_credential_types::Credentials::new(
        &aws.access_key_id,
        &aws.secret_access_key,
        aws.session_token.clone(),
        None,
        "warroom",
    )
    .into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(&aws.region)
        .name(&aws.service)
        .time(std::time::SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| failed(&e))?
        .into();
    let request = SignableRequest::new(method, url, headers.iter().copied(), SignableBody::Bytes(body))
        .map_err(|e| failed(&e))?;
    let (instructions, _signature) = sign(request, &params).map_err(|e| failed(&e))?.into_parts();
    let mut signed = HeaderMap::new();
    for (name, value) in instructions.headers() {
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|e| failed(&e))?;
        let mut value = HeaderValue::from_str(value).map_err(|e| failed(&e))?;
        value.set_sensitive(true);
        signed.insert(name, value);
    }
    Ok(signed)
}

/// A reqwest error without the URL (which may carry a query, never a secret, but is long).
fn without_url(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    if let Some(url) = e.url() {
        text = text.replace(url.as_str(), "").replace(" ()", "").trim().to_owned();
    }
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
