//! Delivering one update to one channel: Slack (and what accepts its webhooks), a signed webhook,
//! email over SMTP with STARTTLS, the Atlassian Statuspage manage API.
//!
//! What people typed goes as text: in Slack `&`, `<` and `>` are escaped (so `<!channel>` or
//! `<http://x|y>` arrive literal), an email's headers never carry a line break, a webhook's body is
//! JSON. Each delivery says whether the channel took it, whether to try again (the network, a
//! 5xx, a rate limit) or whether it refused it for good (a 4xx: a wrong address, a revoked key).
//! An update carries its id as an idempotency key where the channel can use one: the webhook's
//! `Idempotency-Key` header, the email's `Message-ID`, the status page incident's metadata (a
//! retry after an unknown outcome finds the incident or the update it already made).

use std::collections::BTreeMap;
use std::time::Duration;

use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;

use super::config::{ChannelConfig, ChannelKind};
use crate::model::Audience;

/// An update as it goes out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outgoing {
    /// The update's id: its idempotency key.
    pub id: String,
    pub incident: String,
    pub audience: Audience,
    pub subject: String,
    pub text: String,
    pub severity: String,
    pub stage: String,
    /// Whether the incident is resolved (a status page incident is then resolved too).
    pub resolved: bool,
    /// Status page components and their status now (`major_outage`, ...).
    #[serde(skip)]
    pub components: BTreeMap<String, String>,
    /// The channel's own id for this incident, from an earlier update (a status page incident).
    #[serde(skip)]
    pub remote: Option<String>,
    /// An earlier attempt may have reached the channel (it timed out, or the process stopped
    /// during it): look before posting again, where the channel can tell.
    #[serde(skip)]
    pub maybe_delivered: bool,
}

/// How a delivery went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// The channel took it; `remote` is what it calls it.
    Sent { remote: Option<String> },
    /// Not now: try again later (the reason, in words). `maybe_delivered` when the request may
    /// have reached the channel (no answer).
    Retry { reason: String, maybe_delivered: bool },
    /// Refused for good (the reason, in words).
    Refused(String),
}

/// Delivers `update` to `channel`.
pub async fn deliver(channel: &ChannelConfig, update: &Outgoing) -> Delivery {
    let client = match crate::sources::http::client_builder().timeout(channel.timeout).build() {
        Ok(c) => c,
        Err(e) => {
            return Delivery::Retry { reason: format!("cannot set up HTTP: {e}"), maybe_delivered: false };
        }
    };
    match &channel.kind {
        ChannelKind::Slack { url } => match url.resolve() {
            Ok(url) => slack(&client, &url, update).await,
            Err(e) => Delivery::Retry { reason: e, maybe_delivered: false },
        },
        ChannelKind::Webhook { url, secret } => {
            let key = match secret.as_ref().map(|s| s.resolve()).transpose() {
                Ok(k) => k,
                Err(e) => return Delivery::Retry { reason: e, maybe_delivered: false },
            };
            webhook(&client, url, key.as_deref(), &channel.name, update).await
        }
        ChannelKind::Email { .. } => email(channel, update).await,
        ChannelKind::Statuspage { url, page_id, api_key, .. } => match api_key.resolve() {
            Ok(key) => statuspage(&client, url, page_id, &key, update).await,
            Err(e) => Delivery::Retry { reason: e, maybe_delivered: false },
        },
    }
}

/// Slack's mrkdwn, made literal: exactly `&`, `<`, `>` escaped (what Slack's docs ask).
pub fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// An HTTP answer's meaning for the outbox.
fn judge(status: reqwest::StatusCode, body: &str) -> Delivery {
    let body = body.trim().chars().take(300).collect::<String>();
    if status.is_success() {
        Delivery::Sent { remote: None }
    } else if status.as_u16() == 429
        || status.as_u16() == 420
        || status.as_u16() == 408
        || status.is_server_error()
    {
        Delivery::Retry { reason: format!("HTTP {status}: {body}"), maybe_delivered: false }
    } else {
        Delivery::Refused(format!("HTTP {status}: {body}"))
    }
}

/// A request that got no answer: the network, or a timeout (then it may have arrived).
fn unanswered(e: &reqwest::Error) -> Delivery {
    let sent = e.is_timeout() || e.is_body() || e.is_decode();
    let cause = std::error::Error::source(e).map(|s| format!(": {s}")).unwrap_or_default();
    Delivery::Retry {
        reason: if e.is_timeout() {
            "no answer in time".to_owned()
        } else {
            format!("cannot reach it: {e}{cause}")
        },
        maybe_delivered: sent,
    }
}

async fn slack(client: &reqwest::Client, url: &str, u: &Outgoing) -> Delivery {
    let text = format!("*{}*\n{}", slack_escape(&u.subject), slack_escape(&u.text));
    let body = serde_json::json!({ "text": text }).to_string();
    let sent = client.post(url).header("content-type", "application/json").body(body).send().await;
    match sent {
        Ok(r) => {
            let status = r.status();
            let text = r.text().await.unwrap_or_default();
            judge(status, &text)
        }
        Err(e) => unanswered(&e),
    }
}

/// The webhook's body: the update as JSON.
#[derive(Serialize)]
struct WebhookBody<'a> {
    #[serde(flatten)]
    update: &'a Outgoing,
    channel: &'a str,
}

/// The `X-Warroom-Signature` header's value: `sha256=` and the HMAC-SHA256 of the body, hex.
pub fn signature(secret: &str, body: &[u8]) -> String {
    // HMAC takes a key of any length.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(body);
    let bytes = mac.finalize().into_bytes();
    format!("sha256={}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

async fn webhook(
    client: &reqwest::Client,
    url: &str,
    secret: Option<&str>,
    channel: &str,
    u: &Outgoing,
) -> Delivery {
    let body = match serde_json::to_vec(&WebhookBody { update: u, channel }) {
        Ok(b) => b,
        Err(e) => return Delivery::Refused(format!("cannot encode the update: {e}")),
    };
    let mut request = client
        .post(url)
        .header("content-type", "application/json")
        .header("idempotency-key", &u.id)
        .header("user-agent", concat!("warroom/", env!("CARGO_PKG_VERSION")));
    if let Some(secret) = secret {
        request = request.header("x-warroom-signature", signature(secret, &body));
    }
    match request.body(body).send().await {
        // 409: the receiver has this key already, as its idempotency promises.
        Ok(r) if r.status().as_u16() == 409 => Delivery::Sent { remote: None },
        Ok(r) => {
            let status = r.status();
            let text = r.text().await.unwrap_or_default();
            judge(status, &text)
        }
        Err(e) => unanswered(&e),
    }
}

async fn email(channel: &ChannelConfig, u: &Outgoing) -> Delivery {
    use lettre::message::header::ContentType;
    use lettre::transport::smtp::authentication::Credentials;
    use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
    use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

    let ChannelKind::Email { host, port, starttls, username, password, from, to, ca_file } = &channel.kind
    else {
        return Delivery::Refused("not an email channel".to_owned());
    };
    let refused = |what: &str, e: &dyn std::fmt::Display| Delivery::Refused(format!("{what}: {e}"));
    let from = match from.parse() {
        Ok(f) => f,
        Err(e) => return refused("from", &e),
    };
    let mut message = Message::builder()
        .from(from)
        .subject(super::draft::one_line(&u.subject))
        .message_id(Some(format!("<{}@warroom>", u.id)))
        .header(ContentType::TEXT_PLAIN);
    for address in to {
        match address.parse() {
            Ok(a) => message = message.to(a),
            Err(e) => return refused(&format!("to {address}"), &e),
        }
    }
    let message = match message.body(u.text.clone()) {
        Ok(m) => m,
        Err(e) => return refused("the message", &e),
    };
    let mut transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host.as_str())
        .port(*port)
        .timeout(Some(channel.timeout));
    if *starttls {
        let mut tls = TlsParameters::builder(host.clone());
        if let Some(path) = ca_file {
            let cert = std::fs::read(path)
                .map_err(|e| e.to_string())
                .and_then(|pem| Certificate::from_pem(&pem).map_err(|e| e.to_string()));
            match cert {
                Ok(c) => tls = tls.add_root_certificate(c),
                Err(e) => return Delivery::Refused(format!("ca_file {}: {e}", path.display())),
            }
        }
        match tls.build() {
            Ok(params) => transport = transport.tls(Tls::Required(params)),
            Err(e) => return refused("TLS", &e),
        }
    }
    if let (Some(user), Some(secret)) = (username, password) {
        match secret.resolve() {
            Ok(p) => transport = transport.credentials(Credentials::new(user.clone(), p)),
            Err(e) => return Delivery::Retry { reason: e, maybe_delivered: false },
        }
    }
    match transport.build().send(message).await {
        Ok(_) => Delivery::Sent { remote: None },
        Err(e) if e.is_permanent() => Delivery::Refused(format!("the mail server refused it: {e}")),
        Err(e) => {
            Delivery::Retry { reason: format!("the mail server: {e}"), maybe_delivered: e.is_timeout() }
        }
    }
}

/// The status page incident's status for where the incident is.
fn page_status(u: &Outgoing) -> &'static str {
    if u.resolved {
        return "resolved";
    }
    match u.stage.as_str() {
        "detect" => "investigating",
        "identify" | "isolate" => "identified",
        _ => "monitoring",
    }
}

async fn statuspage(client: &reqwest::Client, base: &str, page: &str, key: &str, u: &Outgoing) -> Delivery {
    let auth = format!("OAuth {key}");
    let incidents = format!("{base}/v1/pages/{page}/incidents");
    let call = |method: reqwest::Method, url: String, body: Option<serde_json::Value>| {
        let mut r = client.request(method, url).header("authorization", &auth);
        if let Some(b) = body {
            r = r.header("content-type", "application/json").body(b.to_string());
        }
        r.send()
    };
    // Where an earlier attempt may have arrived, ask first.
    let mut remote = u.remote.clone();
    if u.maybe_delivered {
        let url = match &remote {
            Some(id) => format!("{incidents}/{id}"),
            None => format!("{incidents}/unresolved"),
        };
        match call(reqwest::Method::GET, url, None).await {
            Ok(r) if r.status().is_success() => {
                let found: serde_json::Value =
                    serde_json::from_str(&r.text().await.unwrap_or_default()).unwrap_or_default();
                let list = if found.is_array() {
                    found.as_array().cloned().unwrap_or_default()
                } else {
                    vec![found]
                };
                for incident in list {
                    let ours = incident["metadata"]["warroom"]["incident"] == u.incident.as_str()
                        || remote.as_deref().is_some_and(|r| incident["id"] == r);
                    if !ours {
                        continue;
                    }
                    let id = incident["id"].as_str().map(str::to_owned);
                    let already = incident["incident_updates"]
                        .as_array()
                        .is_some_and(|ups| ups.iter().any(|up| up["body"] == u.text.as_str()));
                    if already {
                        return Delivery::Sent { remote: id };
                    }
                    remote = id;
                }
            }
            Ok(r) => {
                let status = r.status();
                let text = r.text().await.unwrap_or_default();
                if let d @ (Delivery::Retry { .. } | Delivery::Refused(_)) = judge(status, &text) {
                    return d;
                }
            }
            Err(e) => return unanswered(&e),
        }
    }
    let body = serde_json::json!({ "incident": {
        "name": super::draft::one_line(&u.subject),
        "status": page_status(u),
        "body": u.text,
        "deliver_notifications": true,
        "component_ids": u.components.keys().collect::<Vec<_>>(),
        "components": u.components,
        "metadata": { "warroom": { "incident": u.incident, "update": u.id } },
    }});
    let sent = match &remote {
        Some(id) => call(reqwest::Method::PATCH, format!("{incidents}/{id}"), Some(body)).await,
        None => call(reqwest::Method::POST, incidents.clone(), Some(body)).await,
    };
    match sent {
        Ok(r) => {
            let status = r.status();
            let text = r.text().await.unwrap_or_default();
            match judge(status, &text) {
                Delivery::Sent { .. } => {
                    let made: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
                    Delivery::Sent { remote: made["id"].as_str().map(str::to_owned).or(remote) }
                }
                other => other,
            }
        }
        Err(e) => unanswered(&e),
    }
}

/// How long to wait before the next try after `attempts` failed ones: 2 s, 4 s, 8 s, … 5 min.
pub fn backoff(attempts: u32) -> Duration {
    Duration::from_secs(2u64.saturating_pow(attempts.clamp(1, 9)).min(300))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slack_control_sequences_arrive_literal() {
        let typed = "<!channel> ping <@U123> see <http://evil|here> & <#C1>";
        let escaped = slack_escape(typed);
        assert!(!escaped.contains('<') && !escaped.contains('>'), "{escaped}");
        assert_eq!(escaped.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"), typed);
    }

    #[test]
    fn the_signature_is_hmac_sha256_of_the_body() {
        // RFC 4231, test case 2.
        let sig = signature("Jefe", b"what do ya want for nothing?");
        assert_eq!(sig, "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }

    #[test]
    fn backoff_doubles_up_to_five_minutes() {
        assert_eq!(backoff(1), Duration::from_secs(2));
        assert_eq!(backoff(3), Duration::from_secs(8));
        assert_eq!(backoff(40), Duration::from_secs(300));
    }
}
