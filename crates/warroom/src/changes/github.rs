//! GitHub's Deployments API of one repository: each deployment created in the window is a deploy
//! of a node (the configured one, else the deployment's `payload.service`), from the ref of the
//! previous deployment of that node to the same environment, with its latest status.
//!
//! GitHub lists deployments newest first, 100 a page at most, and says where the next page is in
//! the `Link` header; pages are followed only while the page's oldest deployment is still newer
//! than the window's start, so a busy repository costs a page or two, and the page ending the
//! walk usually holds the deployment before the window's first (the `from` of that one). A next
//! page outside the configured API URL is refused: the token is never sent anywhere else.
//!
//! A rate-limited answer (403 or 429 with `x-ratelimit-remaining: 0` or `retry-after`) is an
//! error saying when the limit resets, so the war room knows when trying again is worth it.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderMap, HeaderValue, LINK, RETRY_AFTER};
use serde::Deserialize;
use serde_json::Value;

use super::{ChangeError, ChangeSource, ChangeSourceKind, Window};
use crate::model::{Change, ChangeKind};

/// The REST API version asked for.
const API_VERSION: &str = "2022-11-28";
/// Pages of deployments read at most (10 000 deployments).
const MAX_PAGES: usize = 100;

/// One deployment, as GitHub lists it (the fields read here).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Deployment {
    pub id: u64,
    #[serde(default)]
    pub sha: String,
    #[serde(rename = "ref", default)]
    pub git_ref: String,
    #[serde(default)]
    pub environment: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub creator: Option<Creator>,
    pub created_at: DateTime<Utc>,
    /// An object, or a string holding one (as it was given when the deployment was created).
    #[serde(default)]
    pub payload: Value,
}

/// Who created a deployment.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Creator {
    #[serde(default)]
    pub login: String,
}

impl Deployment {
    /// The node it deploys: `node` when configured, else its `payload.service`.
    fn node(&self, node: Option<&str>) -> Option<String> {
        if let Some(node) = node {
            return Some(node.to_owned());
        }
        let service = match &self.payload {
            Value::String(text) => {
                serde_json::from_str::<Value>(text).ok()?.get("service")?.as_str()?.to_owned()
            }
            payload => payload.get("service")?.as_str()?.to_owned(),
        };
        Some(service).filter(|s| !s.trim().is_empty())
    }
}

/// Reads a page of deployments.
///
/// # Errors
/// An answer that is not a list of deployments.
pub fn parse_deployments(body: &[u8]) -> Result<Vec<Deployment>, String> {
    serde_json::from_slice(body).map_err(|e| format!("not a list of GitHub deployments ({e})"))
}

/// The state of a deployment's newest status (the first of the list), if it has any.
///
/// # Errors
/// An answer that is not a list of deployment statuses.
pub fn latest_state(body: &[u8]) -> Result<Option<String>, String> {
    #[derive(Deserialize)]
    struct Status {
        state: String,
    }
    let statuses: Vec<Status> =
        serde_json::from_slice(body).map_err(|e| format!("not a list of deployment statuses ({e})"))?;
    Ok(statuses.into_iter().next().map(|s| s.state))
}

/// The URL of the `rel="next"` page in a `Link` header, if any.
pub fn next_link(link: &str) -> Option<String> {
    link.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        let next = params.split(';').any(|param| {
            param.split_once('=').is_some_and(|(key, value)| {
                key.trim() == "rel"
                    && value.trim().trim_matches('"').split_whitespace().any(|rel| rel == "next")
            })
        });
        next.then(|| target.to_owned())
    })
}

/// The ids of the deployments in `window` that have a node (the ones whose status is worth
/// asking for).
pub fn in_window(deployments: &[Deployment], node: Option<&str>, window: Window) -> Vec<u64> {
    deployments
        .iter()
        .filter(|d| window.contains(d.created_at) && d.node(node).is_some())
        .map(|d| d.id)
        .collect()
}

/// The deploys among `deployments` (any order, older ones included: they give the `from` of the
/// first in the window): each one created in `window` of a node (`node`, else its
/// `payload.service`; none: left out), from the ref of the previous deployment of that node to
/// the same environment, with its latest state in `states` (by id) when known.
pub fn deploys(
    deployments: &[Deployment],
    node: Option<&str>,
    window: Window,
    states: &BTreeMap<u64, String>,
    source: &str,
) -> Vec<Change> {
    let mut oldest_first: Vec<&Deployment> = deployments.iter().collect();
    oldest_first.sort_by_key(|d| (d.created_at, d.id));
    oldest_first.dedup_by_key(|d| d.id);
    let mut last_ref: BTreeMap<(&str, String), &str> = BTreeMap::new();
    let mut changes = Vec::new();
    for d in oldest_first {
        let Some(node) = d.node(node) else { continue };
        let from = last_ref.insert((d.environment.as_str(), node.clone()), d.git_ref.as_str());
        if !window.contains(d.created_at) {
            continue;
        }
        let what = d.description.as_deref().map(str::trim).filter(|s| !s.is_empty()).unwrap_or(&d.git_ref);
        let sha = d.sha.get(..7).unwrap_or(&d.sha);
        let mut summary = format!("{}: {what} ({sha})", d.environment);
        if let Some(state) = states.get(&d.id) {
            summary.push_str(" — ");
            summary.push_str(state);
        }
        changes.push(Change {
            at: d.created_at,
            node,
            kind: ChangeKind::Deploy,
            summary,
            from: from.map(str::to_owned),
            to: Some(d.git_ref.clone()).filter(|r| !r.is_empty()),
            source: source.to_owned(),
            by: d.creator.as_ref().map(|c| c.login.clone()).filter(|l| !l.is_empty()),
            key: format!("deployment/{}", d.id),
        });
    }
    changes
}

/// What GitHub said of its rate limit in an answer's headers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RateLimit {
    /// `x-ratelimit-remaining`.
    pub remaining: Option<u64>,
    /// `x-ratelimit-reset`: when the limit resets, in Unix seconds.
    pub reset: Option<i64>,
    /// `retry-after`, in seconds.
    pub retry_after: Option<u64>,
}

impl RateLimit {
    fn of(headers: &HeaderMap) -> RateLimit {
        let number = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
        RateLimit {
            remaining: number("x-ratelimit-remaining").and_then(|v| v.parse().ok()),
            reset: number("x-ratelimit-reset").and_then(|v| v.parse().ok()),
            retry_after: number(RETRY_AFTER.as_str()).and_then(|v| v.parse().ok()),
        }
    }
}

/// The error an answer other than success means, for the request of `path`: rate limited and
/// until when, or GitHub's message (`HTTP 404: Not Found (/repos/acme/shop/deployments)`).
pub fn error(path: &str, status: u16, limit: RateLimit, body: &[u8]) -> String {
    let message = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("message")?.as_str().map(str::to_owned))
        .unwrap_or_else(|| {
            String::from_utf8_lossy(body).chars().take(200).collect::<String>().trim().to_owned()
        });
    let limited = status == 429
        || (status == 403
            && (limit.remaining == Some(0)
                || limit.retry_after.is_some()
                || message.to_lowercase().contains("rate limit")));
    if !limited {
        return if message.is_empty() {
            format!("HTTP {status} ({path})")
        } else {
            format!("HTTP {status}: {message} ({path})")
        };
    }
    let until = match (limit.retry_after, limit.reset.and_then(|s| Utc.timestamp_opt(s, 0).single())) {
        (Some(secs), _) => format!("try again in {secs} s"),
        (None, Some(reset)) => format!("the limit resets at {}", reset.format("%Y-%m-%d %H:%M:%S UTC")),
        (None, None) => "GitHub did not say when the limit resets".to_owned(),
    };
    format!("rate limited by GitHub (HTTP {status}: {message}); {until}")
}

/// GitHub's API as one change source asks it.
struct Api {
    client: reqwest::Client,
    base: String,
    token: Option<HeaderValue>,
    timeout: Duration,
}

impl Api {
    /// GETs `url`: the answer's headers and body on success.
    async fn get(&self, url: reqwest::Url) -> Result<(HeaderMap, Vec<u8>), String> {
        let path = url.path().to_owned();
        let mut request = self
            .client
            .get(url)
            .header(ACCEPT, "application/vnd.github+json")
            .header("X-GitHub-Api-Version", API_VERSION)
            .timeout(self.timeout);
        if let Some(token) = &self.token {
            request = request.header(AUTHORIZATION, token.clone());
        }
        let response = request.send().await.map_err(|e| super::unreachable(&path, self.timeout, e))?;
        let (status, headers) = (response.status(), response.headers().clone());
        let body = response.bytes().await.map_err(|e| super::unreachable(&path, self.timeout, e))?;
        if !status.is_success() {
            return Err(error(&path, status.as_u16(), RateLimit::of(&headers), &body));
        }
        Ok((headers, body.to_vec()))
    }

    fn url(&self, path: &str) -> Result<reqwest::Url, String> {
        reqwest::Url::parse(&format!("{}{path}", self.base)).map_err(|e| format!("{}{path}: {e}", self.base))
    }
}

/// The deploys of the source's repository in `window`, with their latest status.
///
/// # Errors
/// [`ChangeError`] naming the source: the token cannot be read, GitHub is unreachable or slower
/// than the source's timeout, refuses (`HTTP 404: Not Found ...`), is rate limiting (and until
/// when), or answers something that is not a list of deployments.
pub async fn changes(source: &ChangeSource, window: Window) -> Result<Vec<Change>, ChangeError> {
    let ChangeSourceKind::Github { url, repo, environment, node, token } = &source.kind else {
        return Ok(Vec::new());
    };
    let fail = |e: &dyn std::fmt::Display| ChangeError::new(&source.name, e);
    let client = crate::sources::http::client_builder().build().map_err(|e| fail(&e))?;
    let token = token.as_ref().map(super::bearer).transpose().map_err(|e| fail(&e))?;
    let api = Api { client, base: url.trim_end_matches('/').to_owned(), token, timeout: source.timeout };
    let mut first = api.url(&format!("/repos/{repo}/deployments")).map_err(|e| fail(&e))?;
    first.query_pairs_mut().append_pair("per_page", "100");
    if let Some(environment) = environment {
        first.query_pairs_mut().append_pair("environment", environment);
    }
    let mut deployments = Vec::new();
    let mut next = Some(first.to_string());
    let mut pages = 0;
    while let Some(page) = next.take() {
        pages += 1;
        if pages > MAX_PAGES {
            return Err(fail(&format!("/repos/{repo}/deployments: more than {MAX_PAGES} pages")));
        }
        let page_url = reqwest::Url::parse(&page).map_err(|e| fail(&format!("{page}: {e}")))?;
        let path = page_url.path().to_owned();
        let (headers, body) = api.get(page_url).await.map_err(|e| fail(&e))?;
        let found = parse_deployments(&body).map_err(|e| fail(&format!("{path}: {e}")))?;
        let older_wanted =
            found.iter().map(|d| d.created_at).min().is_some_and(|oldest| oldest > window.from);
        deployments.extend(found);
        let link = headers.get(LINK).and_then(|v| v.to_str().ok()).and_then(next_link);
        if let Some(link) = link.filter(|_| older_wanted) {
            if !link.starts_with(&format!("{}/", api.base)) {
                return Err(fail(&format!("the next page ({link}) is outside {}: not followed", api.base)));
            }
            next = Some(link);
        }
    }
    let mut states = BTreeMap::new();
    for id in in_window(&deployments, node.as_deref(), window) {
        let mut url = api.url(&format!("/repos/{repo}/deployments/{id}/statuses")).map_err(|e| fail(&e))?;
        url.query_pairs_mut().append_pair("per_page", "1");
        let path = url.path().to_owned();
        let (_, body) = api.get(url).await.map_err(|e| fail(&e))?;
        if let Some(state) = latest_state(&body).map_err(|e| fail(&format!("{path}: {e}")))? {
            states.insert(id, state);
        }
    }
    Ok(deploys(&deployments, node.as_deref(), window, &states, &source.name))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const DEPLOYMENTS: &str = include_str!("../../tests/fixtures/github/deployments.json");
    const STATUSES: &str = include_str!("../../tests/fixtures/github/deployment_statuses.json");

    fn t(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
    }

    fn window() -> Window {
        Window { from: t("2026-11-30T02:00:00Z"), to: t("2026-11-30T04:00:00Z") }
    }

    /// The fixture's deployment changed by `edit`, as another deployment.
    fn like_fixture(edit: Value) -> Deployment {
        let mut d: Value = serde_json::from_str::<Value>(DEPLOYMENTS).unwrap()[0].clone();
        for (k, v) in edit.as_object().unwrap() {
            d[k] = v.clone();
        }
        serde_json::from_value(d).unwrap()
    }

    #[test]
    fn a_deployment_in_the_window_is_a_deploy_with_its_latest_state() {
        let deployments = parse_deployments(DEPLOYMENTS.as_bytes()).unwrap();
        assert_eq!(in_window(&deployments, None, window()), [1_873_450_021]);
        let state = latest_state(STATUSES.as_bytes()).unwrap().unwrap();
        let states = BTreeMap::from([(1_873_450_021, state)]);
        let found = deploys(&deployments, None, window(), &states, "gh");
        assert_eq!(found.len(), 1, "{found:?}");
        let d = &found[0];
        assert_eq!(d.at, t("2026-11-30T02:54:40Z"));
        assert_eq!(d.node, "order-service");
        assert_eq!(d.kind, ChangeKind::Deploy);
        assert_eq!((d.from.as_deref(), d.to.as_deref()), (None, Some("v2.15.0")));
        assert_eq!(d.by.as_deref(), Some("deploy-bot"));
        assert_eq!(d.summary, "production: order-service 2.15.0 (9f2c41e) — success");
        assert_eq!(d.key, "deployment/1873450021");
        assert_eq!(d.source, "gh");
    }

    #[test]
    fn from_is_the_ref_of_the_previous_deployment_of_the_node_to_the_same_environment() {
        let deployments = [
            parse_deployments(DEPLOYMENTS.as_bytes()).unwrap().remove(0),
            like_fixture(
                json!({"id": 3, "ref": "v2.16.0-rc1", "environment": "staging", "created_at": "2026-11-29T09:00:00Z"}),
            ),
            like_fixture(
                json!({"id": 2, "ref": "v9.0.0", "payload": {"service": "user-service"}, "created_at": "2026-11-29T08:00:00Z"}),
            ),
            like_fixture(json!({"id": 1, "ref": "v2.14.0", "created_at": "2026-11-28T10:00:00Z"})),
        ];
        let found = deploys(&deployments, None, window(), &BTreeMap::new(), "gh");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].from.as_deref(), found[0].to.as_deref()), (Some("v2.14.0"), Some("v2.15.0")));
        assert_eq!(found[0].summary, "production: order-service 2.15.0 (9f2c41e)");
    }

    #[test]
    fn the_node_is_the_configured_one_else_payload_service_else_the_deployment_is_skipped() {
        let deployments = [
            like_fixture(json!({"id": 1, "payload": {}, "description": null})),
            like_fixture(json!({"id": 2, "payload": "{\"service\": \"cart\"}", "description": ""})),
        ];
        let found = deploys(&deployments, None, window(), &BTreeMap::new(), "gh");
        let got: Vec<(&str, &str)> = found.iter().map(|c| (c.key.as_str(), c.node.as_str())).collect();
        assert_eq!(got, [("deployment/2", "cart")]);
        assert_eq!(found[0].summary, "production: v2.15.0 (9f2c41e)");
        assert_eq!(in_window(&deployments, None, window()), [2]);
        let found = deploys(&deployments, Some("shop"), window(), &BTreeMap::new(), "gh");
        let got: Vec<(&str, &str)> = found.iter().map(|c| (c.key.as_str(), c.node.as_str())).collect();
        assert_eq!(got, [("deployment/1", "shop"), ("deployment/2", "shop")]);
    }

    #[test]
    fn the_next_page_is_read_from_the_link_header() {
        let link = "<https://api.github.com/repositories/1300192/deployments?per_page=100&page=1>; rel=\"prev\", \
                    <https://api.github.com/repositories/1300192/deployments?per_page=100&page=3>; rel=\"next\", \
                    <https://api.github.com/repositories/1300192/deployments?per_page=100&page=9>; rel=\"last\"";
        assert_eq!(
            next_link(link).as_deref(),
            Some("https://api.github.com/repositories/1300192/deployments?per_page=100&page=3")
        );
        assert_eq!(next_link("<https://api.github.com/x?page=1>; rel=\"first\""), None);
        assert_eq!(next_link("garbage"), None);
    }

    #[test]
    fn errors_say_githubs_message_or_until_when_it_rate_limits() {
        let path = "/repos/acme/shop/deployments";
        let not_found = br#"{"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}"#;
        assert_eq!(
            error(path, 404, RateLimit::default(), not_found),
            "HTTP 404: Not Found (/repos/acme/shop/deployments)"
        );
        let exceeded = br#"{"message": "API rate limit exceeded for 203.0.113.7."}"#;
        let limit = RateLimit {
            remaining: Some(0),
            reset: Some(t("2026-11-30T03:12:00Z").timestamp()),
            retry_after: None,
        };
        assert_eq!(
            error(path, 403, limit, exceeded),
            "rate limited by GitHub (HTTP 403: API rate limit exceeded for 203.0.113.7.); \
             the limit resets at 2026-11-30 03:12:00 UTC"
        );
        let secondary = br#"{"message": "You have exceeded a secondary rate limit."}"#;
        let limit = RateLimit { retry_after: Some(60), ..RateLimit::default() };
        let e = error(path, 429, limit, secondary);
        assert!(e.starts_with("rate limited by GitHub (HTTP 429") && e.ends_with("try again in 60 s"), "{e}");
        let refused = br#"{"message": "Resource not accessible by integration"}"#;
        let limit = RateLimit { remaining: Some(4999), ..RateLimit::default() };
        assert_eq!(
            error(path, 403, limit, refused),
            "HTTP 403: Resource not accessible by integration (/repos/acme/shop/deployments)"
        );
        assert_eq!(
            error(path, 502, RateLimit::default(), b"<html>"),
            "HTTP 502: <html> (/repos/acme/shop/deployments)"
        );
    }

    #[test]
    fn the_latest_state_is_the_first_status() {
        assert_eq!(latest_state(STATUSES.as_bytes()).unwrap().as_deref(), Some("success"));
        assert_eq!(latest_state(b"[]").unwrap(), None);
        assert!(latest_state(b"{\"message\":\"Not Found\"}").is_err());
        assert!(parse_deployments(b"{\"message\":\"Not Found\"}").is_err());
    }
}
