//! A Kubernetes namespace's Deployments' rollouts and events, read from the API server's lists
//! (paged with `limit` and `continue`), never from a watch: the window lies in the past, and a
//! list says what the cluster still remembers of it.
//!
//! - Rollouts: every ReplicaSet a Deployment owns carries the revision it was made for
//!   (`deployment.kubernetes.io/revision`); a ReplicaSet created in the window with a higher
//!   revision than another of the same Deployment is a rollout from the previous revision's
//!   images to its own. The lowest revision still listed is only the baseline: Kubernetes keeps
//!   `revisionHistoryLimit` old ReplicaSets, so what came before it is unknown.
//! - Events: warnings (back-offs, failed probes, failed scheduling, OOM kills) and the few normal
//!   events that say the running set changed (`ScalingReplicaSet`, `Killing`); the rest (pulled,
//!   created, started) is the noise of every rollout. Events expire after the API server's
//!   `--event-ttl` (1 h by default), so older ones are simply not found.
//!
//! Nodes are named by a label of the ReplicaSets (`node_label`, `app` by default). Events name
//! pods and ReplicaSets, which carry their Deployment's name followed by `-`: an event belongs to
//! the node of the Deployment its object's name starts with, else to the node its object's name
//! equals; an event of anything else is not about a node warroom knows and is left out.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::{AUTHORIZATION, HeaderValue};
use serde_json::Value;

use super::{ChangeError, ChangeSource, ChangeSourceKind, Window};
use crate::model::{Change, ChangeKind};
use crate::sources::http::client_with_ca;

/// The annotation holding the Deployment revision a ReplicaSet was made for.
const REVISION: &str = "deployment.kubernetes.io/revision";
/// The optional human reason of a revision (`kubectl annotate ... kubernetes.io/change-cause`).
const CHANGE_CAUSE: &str = "kubernetes.io/change-cause";
/// The page size of list calls.
const PAGE: &str = "500";
/// Pages read of one list at most: 500 000 objects; a server handing out `continue` tokens
/// forever is not followed forever.
const MAX_PAGES: usize = 1000;
/// The reasons of normal events worth keeping; warnings are all kept.
const NORMAL_REASONS: [&str; 2] = ["ScalingReplicaSet", "Killing"];

/// Which node an object of the namespace belongs to, learned from its ReplicaSets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Nodes {
    /// Deployment name → the node label of its newest labelled ReplicaSet.
    deployments: BTreeMap<String, String>,
    /// Every value of the node label seen on a ReplicaSet.
    labels: BTreeSet<String>,
}

impl Nodes {
    /// What `replicasets` (the items of a ReplicaSet list) say of the namespace's nodes.
    pub fn of(replicasets: &[Value], node_label: &str) -> Nodes {
        let mut nodes = Nodes::default();
        let mut newest: BTreeMap<String, u64> = BTreeMap::new();
        for rs in replicasets {
            let Some(node) = label(rs, node_label) else { continue };
            nodes.labels.insert(node.to_owned());
            let (Some(deployment), Some(revision)) = (owner(rs), revision(rs)) else { continue };
            if newest.get(deployment).is_none_or(|seen| revision >= *seen) {
                newest.insert(deployment.to_owned(), revision);
                nodes.deployments.insert(deployment.to_owned(), node.to_owned());
            }
        }
        nodes
    }

    /// The node of the object named `name`: the node of the Deployment it is, or whose name
    /// followed by `-` starts it (the longest such Deployment); else the node it is named after.
    pub fn node(&self, name: &str) -> Option<&str> {
        self.deployments
            .iter()
            .filter(|(d, _)| {
                name.strip_prefix(d.as_str()).is_some_and(|rest| rest.is_empty() || rest.starts_with('-'))
            })
            .max_by_key(|(d, _)| d.len())
            .map(|(_, node)| node.as_str())
            .or_else(|| self.labels.get(name).map(String::as_str))
    }
}

fn str_at<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(value, |v, key| v.get(key))?.as_str()
}

fn label<'a>(rs: &'a Value, node_label: &str) -> Option<&'a str> {
    str_at(rs, &["metadata", "labels", node_label]).filter(|l| !l.is_empty())
}

/// The name of the Deployment owning a ReplicaSet.
fn owner(rs: &Value) -> Option<&str> {
    rs.pointer("/metadata/ownerReferences")?
        .as_array()?
        .iter()
        .find(|o| o.get("kind").and_then(Value::as_str) == Some("Deployment"))
        .and_then(|o| o.get("name")?.as_str())
}

fn revision(rs: &Value) -> Option<u64> {
    str_at(rs, &["metadata", "annotations", REVISION])?.trim().parse().ok()
}

fn instant(text: Option<&str>) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text?).ok().map(|t| t.with_timezone(&Utc))
}

/// A pod template's container images, in order, joined with ", ".
fn images(rs: &Value) -> String {
    let containers = rs.pointer("/spec/template/spec/containers").and_then(Value::as_array);
    let images: Vec<&str> =
        containers.into_iter().flatten().filter_map(|c| c.get("image")?.as_str()).collect();
    images.join(", ")
}

/// The rollouts in `replicasets` (the items of a ReplicaSet list): per Deployment, each
/// revision after the lowest one listed whose ReplicaSet was created in `window`, dated by that
/// creation, from the previous revision's images to its own. A ReplicaSet without `node_label`
/// is left out (its node is unknown); so is one without a revision or a creation time.
pub fn rollouts(replicasets: &[Value], node_label: &str, window: Window, source: &str) -> Vec<Change> {
    let mut by_deployment: BTreeMap<&str, Vec<(u64, &Value)>> = BTreeMap::new();
    for rs in replicasets {
        if let (Some(deployment), Some(revision)) = (owner(rs), revision(rs)) {
            by_deployment.entry(deployment).or_default().push((revision, rs));
        }
    }
    let mut changes = Vec::new();
    for (deployment, mut revisions) in by_deployment {
        revisions.sort_by_key(|(revision, _)| *revision);
        for pair in revisions.windows(2) {
            let ((before, old), (revision, rs)) = (pair[0], pair[1]);
            let Some(at) =
                instant(str_at(rs, &["metadata", "creationTimestamp"])).filter(|at| window.contains(*at))
            else {
                continue;
            };
            let Some(node) = label(rs, node_label) else { continue };
            let (from, to) = (images(old), images(rs));
            let mut summary = if from == to {
                format!("{deployment} rev {before} → {revision}: {to} (images unchanged)")
            } else {
                format!("{deployment} rev {before} → {revision}: {from} → {to}")
            };
            if let Some(cause) = str_at(rs, &["metadata", "annotations", CHANGE_CAUSE]).map(str::trim)
                && !cause.is_empty()
            {
                summary.push_str(": ");
                summary.push_str(cause);
            }
            changes.push(Change {
                at,
                node: node.to_owned(),
                kind: ChangeKind::Rollout,
                summary,
                from: Some(from).filter(|f| !f.is_empty()),
                to: Some(to).filter(|t| !t.is_empty()),
                source: source.to_owned(),
                by: None,
                key: format!("rollout/{deployment}/{revision}"),
            });
        }
    }
    changes
}

/// The events in `items` (the items of a core/v1 Event list) worth a look, in `window`: every
/// warning, and the normal events saying the running set changed (`ScalingReplicaSet`,
/// `Killing`). Each is dated by its last occurrence (`lastTimestamp`, else the series' last
/// observation, `eventTime`, `firstTimestamp`) and belongs to the node its object maps to in
/// `nodes`; an event mapping to no node, or without a uid or a time, is left out.
pub fn events(items: &[Value], nodes: &Nodes, window: Window, source: &str) -> Vec<Change> {
    let mut changes = Vec::new();
    for event in items {
        let kind = str_at(event, &["type"]).unwrap_or("");
        let reason = str_at(event, &["reason"]).unwrap_or("");
        if kind != "Warning" && !(kind == "Normal" && NORMAL_REASONS.contains(&reason)) {
            continue;
        }
        let at = ["lastTimestamp", "series/lastObservedTime", "eventTime", "firstTimestamp"]
            .iter()
            .find_map(|field| instant(event.pointer(&format!("/{field}")).and_then(Value::as_str)));
        let Some(at) = at.filter(|at| window.contains(*at)) else { continue };
        let Some(uid) = str_at(event, &["metadata", "uid"]).filter(|u| !u.is_empty()) else { continue };
        let object_kind = str_at(event, &["involvedObject", "kind"]).unwrap_or("object");
        let Some(name) = str_at(event, &["involvedObject", "name"]) else { continue };
        let Some(node) = nodes.node(name) else { continue };
        let message = str_at(event, &["message"]).unwrap_or("").trim();
        let mut summary = format!("{kind} {reason} on {object_kind}/{name}: {message}");
        let count = event
            .get("count")
            .and_then(Value::as_u64)
            .or_else(|| event.pointer("/series/count").and_then(Value::as_u64))
            .unwrap_or(1);
        if count > 1 {
            summary.push_str(&format!(" (×{count})"));
        }
        changes.push(Change {
            at,
            node: node.to_owned(),
            kind: ChangeKind::K8sEvent,
            summary,
            from: None,
            to: None,
            source: source.to_owned(),
            by: None,
            key: format!("event/{uid}"),
        });
    }
    changes
}

/// One page of a list call, answered with HTTP `status`: its items and the `continue` token of
/// the next page, if any.
///
/// # Errors
/// The API's `Status` object as `HTTP 403 Forbidden: events is forbidden: ...`; an answer that
/// is not a list, or not JSON, named by `path`.
pub fn page(path: &str, status: u16, body: &[u8]) -> Result<(Vec<Value>, Option<String>), String> {
    let snippet = || String::from_utf8_lossy(body).chars().take(200).collect::<String>().trim().to_owned();
    let mut answer: Value = match serde_json::from_slice(body) {
        Ok(answer) => answer,
        Err(_) if !(200..300).contains(&status) => {
            return Err(format!("HTTP {status} from {path}: {}", snippet()));
        }
        Err(e) => return Err(format!("{path}: not a Kubernetes API answer ({e}): {}", snippet())),
    };
    if answer.get("kind").and_then(Value::as_str) == Some("Status") || !(200..300).contains(&status) {
        let code = answer.get("code").and_then(Value::as_u64).unwrap_or(u64::from(status));
        let reason = answer.get("reason").and_then(Value::as_str).unwrap_or("");
        let message = answer.get("message").and_then(Value::as_str).unwrap_or("");
        let head = if reason.is_empty() { format!("HTTP {code}") } else { format!("HTTP {code} {reason}") };
        return Err(if message.is_empty() {
            format!("{head} from {path}")
        } else {
            format!("{head}: {message}")
        });
    }
    let next = str_at(&answer, &["metadata", "continue"]).filter(|c| !c.is_empty()).map(str::to_owned);
    let Some(Value::Array(items)) = answer.get_mut("items").map(Value::take) else {
        return Err(format!("{path}: not a Kubernetes list (no items)"));
    };
    Ok((items, next))
}

/// The API server of one change source: its client (trusting `ca_file` when given), base URL,
/// token and deadline per request.
struct Api {
    client: reqwest::Client,
    url: String,
    token: Option<HeaderValue>,
    timeout: Duration,
}

impl Api {
    /// Every item of the list at `path`, page after page.
    async fn list(&self, path: &str) -> Result<Vec<Value>, String> {
        let mut items = Vec::new();
        let mut next: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut url =
                reqwest::Url::parse(&format!("{}{path}", self.url)).map_err(|e| format!("{path}: {e}"))?;
            url.query_pairs_mut().append_pair("limit", PAGE);
            if let Some(token) = &next {
                url.query_pairs_mut().append_pair("continue", token);
            }
            let mut request = self.client.get(url).header("Accept", "application/json").timeout(self.timeout);
            if let Some(token) = &self.token {
                request = request.header(AUTHORIZATION, token.clone());
            }
            let response = request.send().await.map_err(|e| super::unreachable(path, self.timeout, e))?;
            let status = response.status().as_u16();
            let body = response.bytes().await.map_err(|e| super::unreachable(path, self.timeout, e))?;
            let (found, more) = page(path, status, &body)?;
            items.extend(found);
            match more {
                None => return Ok(items),
                Some(token) if next.as_ref() == Some(&token) => {
                    return Err(format!("{path}: the API server handed out the same continue token twice"));
                }
                Some(token) => next = Some(token),
            }
        }
        Err(format!("{path}: more than {MAX_PAGES} pages of {PAGE}"))
    }
}

/// The rollouts and events of the source's namespace in `window`.
///
/// # Errors
/// [`ChangeError`] naming the source: the token or CA file cannot be read, the API server is
/// unreachable or slower than the source's timeout, or it refuses (its `Status` message, e.g.
/// `HTTP 403 Forbidden: events is forbidden: ...`), or answers something that is not a list.
pub async fn changes(source: &ChangeSource, window: Window) -> Result<Vec<Change>, ChangeError> {
    let ChangeSourceKind::Kubernetes { url, namespace, node_label, token, ca_file } = &source.kind else {
        return Ok(Vec::new());
    };
    let fail = |e: &dyn std::fmt::Display| ChangeError::new(&source.name, e);
    let client = match ca_file {
        Some(path) => client_with_ca(path).map_err(|e| fail(&e))?,
        None => crate::sources::http::client_builder().build().map_err(|e| fail(&e))?,
    };
    let token = token.as_ref().map(super::bearer).transpose().map_err(|e| fail(&e))?;
    let api = Api { client, url: url.trim_end_matches('/').to_owned(), token, timeout: source.timeout };
    let replicasets =
        api.list(&format!("/apis/apps/v1/namespaces/{namespace}/replicasets")).await.map_err(|e| fail(&e))?;
    let events_list =
        api.list(&format!("/api/v1/namespaces/{namespace}/events")).await.map_err(|e| fail(&e))?;
    let nodes = Nodes::of(&replicasets, node_label);
    let mut found = rollouts(&replicasets, node_label, window, &source.name);
    found.extend(events(&events_list, &nodes, window, &source.name));
    Ok(found)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const REPLICASETS: &str = include_str!("../../tests/fixtures/kubernetes/replicasets_apps_v1.json");
    const EVENTS: &str = include_str!("../../tests/fixtures/kubernetes/events_core_v1.json");

    fn t(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
    }

    fn window(from: &str, to: &str) -> Window {
        Window { from: t(from), to: t(to) }
    }

    fn items(text: &str) -> Vec<Value> {
        page("/list", 200, text.as_bytes()).unwrap().0
    }

    /// The fixture's ReplicaSets plus one of revision 13 (listed first) with two containers.
    fn with_revision_13() -> Vec<Value> {
        let mut replicasets = items(REPLICASETS);
        let mut rs13 = replicasets[1].clone();
        rs13["metadata"]["name"] = json!("order-service-9a8b7c6d5");
        rs13["metadata"]["creationTimestamp"] = json!("2026-11-30T03:10:00Z");
        rs13["metadata"]["annotations"] = json!({ REVISION: "13" });
        rs13["spec"]["template"]["spec"]["containers"] = json!([{ "name": "order-service", "image": "order:2.15.1" }, { "name": "envoy", "image": "envoy:1.31" }]);
        replicasets.insert(0, rs13);
        replicasets
    }

    #[test]
    fn a_newer_revision_created_in_the_window_is_a_rollout_from_the_previous_images() {
        let found = rollouts(
            &items(REPLICASETS),
            "app",
            window("2026-11-30T02:00:00Z", "2026-11-30T04:00:00Z"),
            "k8s",
        );
        assert_eq!(found.len(), 1, "{found:?}");
        let r = &found[0];
        assert_eq!(r.at, t("2026-11-30T02:55:03Z"));
        assert_eq!(r.node, "order-service");
        assert_eq!(r.kind, ChangeKind::Rollout);
        assert_eq!(r.from.as_deref(), Some("registry.example.com/shop/order-service:2.14.0"));
        assert_eq!(r.to.as_deref(), Some("registry.example.com/shop/order-service:2.15.0"));
        assert_eq!(r.key, "rollout/order-service/12");
        assert_eq!(r.source, "k8s");
        assert_eq!(
            r.summary,
            "order-service rev 11 → 12: registry.example.com/shop/order-service:2.14.0 → \
             registry.example.com/shop/order-service:2.15.0: deploy 2.15.0: lower the DB pool to 20"
        );
    }

    #[test]
    fn the_lowest_revision_listed_is_a_baseline_never_a_rollout() {
        let found = rollouts(
            &items(REPLICASETS),
            "app",
            window("2026-11-28T00:00:00Z", "2026-11-30T23:00:00Z"),
            "k8s",
        );
        let keys: Vec<&str> = found.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(keys, ["rollout/order-service/12"]);
    }

    #[test]
    fn revisions_are_ordered_by_number_not_by_list_order_and_images_are_joined() {
        let found = rollouts(
            &with_revision_13(),
            "app",
            window("2026-11-30T02:00:00Z", "2026-11-30T04:00:00Z"),
            "k8s",
        );
        let keys: Vec<&str> = found.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(keys, ["rollout/order-service/12", "rollout/order-service/13"]);
        assert_eq!(found[1].at, t("2026-11-30T03:10:00Z"));
        assert_eq!(found[1].from.as_deref(), Some("registry.example.com/shop/order-service:2.15.0"));
        assert_eq!(found[1].to.as_deref(), Some("order:2.15.1, envoy:1.31"));
        assert!(!found[1].summary.contains("change-cause"), "{}", found[1].summary);
    }

    #[test]
    fn a_replicaset_without_the_node_label_is_skipped() {
        let mut replicasets = items(REPLICASETS);
        replicasets[1]["metadata"]["labels"] = json!({ "pod-template-hash": "7d9f8b6c5" });
        let found =
            rollouts(&replicasets, "app", window("2026-11-30T02:00:00Z", "2026-11-30T04:00:00Z"), "k8s");
        assert!(found.is_empty(), "{found:?}");
        // Another label names no node at all.
        let found = rollouts(
            &items(REPLICASETS),
            "team",
            window("2026-11-30T02:00:00Z", "2026-11-30T04:00:00Z"),
            "k8s",
        );
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn kept_events_are_dated_by_their_last_occurrence_on_the_node_of_their_deployment() {
        let nodes = Nodes::of(&items(REPLICASETS), "app");
        let found =
            events(&items(EVENTS), &nodes, window("2026-11-30T02:00:00Z", "2026-11-30T04:00:00Z"), "k8s");
        assert_eq!(found.len(), 2, "{found:?}");
        let backoff = &found[0];
        assert_eq!(backoff.at, t("2026-11-30T03:01:40Z"));
        assert_eq!(backoff.node, "order-service");
        assert_eq!(backoff.kind, ChangeKind::K8sEvent);
        assert_eq!(backoff.key, "event/5b0e2d8a-3f1c-4e6b-9a7d-2c4f8e1b6a30");
        assert_eq!(
            backoff.summary,
            "Warning BackOff on Pod/order-service-7d9f8b6c5-x2k4q: Back-off restarting failed container \
             order-service in pod order-service-7d9f8b6c5-x2k4q_shop (×7)"
        );
        let scaling = &found[1];
        assert_eq!(scaling.at, t("2026-11-30T02:55:03Z"));
        assert_eq!(scaling.node, "order-service");
        assert_eq!(scaling.key, "event/9e3a1c7b-2d4f-4b8a-8c6e-1f5a7d3b9c02");
        assert_eq!(
            scaling.summary,
            "Normal ScalingReplicaSet on Deployment/order-service: Scaled up replica set order-service-7d9f8b6c5 to 1"
        );
    }

    #[test]
    fn an_event_outside_the_window_is_dropped() {
        let nodes = Nodes::of(&items(REPLICASETS), "app");
        let found =
            events(&items(EVENTS), &nodes, window("2026-11-30T02:56:00Z", "2026-11-30T04:00:00Z"), "k8s");
        let keys: Vec<&str> = found.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(keys, ["event/5b0e2d8a-3f1c-4e6b-9a7d-2c4f8e1b6a30"]);
    }

    #[test]
    fn noise_and_events_of_unknown_objects_are_dropped_and_event_time_dates_new_style_events() {
        let mut replicasets = items(REPLICASETS);
        // A ReplicaSet no Deployment owns: its label value still names a node.
        replicasets.push(json!({ "metadata": { "name": "cart-x", "labels": { "app": "cart" } } }));
        let nodes = Nodes::of(&replicasets, "app");
        let event = |uid: &str, kind: &str, reason: &str, object: &str| {
            json!({
                "metadata": { "uid": uid },
                "involvedObject": { "kind": "Pod", "name": object },
                "type": kind, "reason": reason, "message": "m",
                "lastTimestamp": null, "eventTime": "2026-11-30T03:00:00.123456Z",
                "firstTimestamp": "2026-11-30T01:00:00Z",
            })
        };
        let list = [
            event("pulled", "Normal", "Pulled", "order-service-7d9f8b6c5-x2k4q"),
            event("killing", "Normal", "Killing", "order-service-7d9f8b6c5-x2k4q"),
            event("redis", "Warning", "BackOff", "redis-0"),
            event("cart", "Warning", "Unhealthy", "cart"),
        ];
        let found = events(&list, &nodes, window("2026-11-30T02:00:00Z", "2026-11-30T04:00:00Z"), "k8s");
        let got: Vec<(&str, &str)> = found.iter().map(|c| (c.key.as_str(), c.node.as_str())).collect();
        assert_eq!(got, [("event/killing", "order-service"), ("event/cart", "cart")]);
        assert_eq!(found[0].at, t("2026-11-30T03:00:00.123456Z"));
        assert!(!found[0].summary.contains('×'), "{}", found[0].summary);
    }

    #[test]
    fn an_object_belongs_to_the_longest_deployment_its_name_starts_with() {
        let rs = |deployment: &str, node: &str| {
            json!({ "metadata": {
                "labels": { "app": node },
                "annotations": { REVISION: "1" },
                "ownerReferences": [{ "kind": "Deployment", "name": deployment }],
            } })
        };
        let nodes = Nodes::of(&[rs("order", "order-api"), rs("order-service", "order-service")], "app");
        assert_eq!(nodes.node("order-service-7d9f8b6c5-x2k4q"), Some("order-service"));
        assert_eq!(nodes.node("order-5c4b7f9d8"), Some("order-api"));
        assert_eq!(nodes.node("order"), Some("order-api"));
        assert_eq!(nodes.node("orderly-1"), None);
    }

    #[test]
    fn a_status_answer_is_the_apis_message() {
        let body = br#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"events is forbidden: User \"system:serviceaccount:shop:warroom\" cannot list resource \"events\" in API group \"\" in the namespace \"shop\"","reason":"Forbidden","details":{"kind":"events"},"code":403}"#;
        let e = page("/api/v1/namespaces/shop/events", 403, body).unwrap_err();
        assert_eq!(
            e,
            "HTTP 403 Forbidden: events is forbidden: User \"system:serviceaccount:shop:warroom\" cannot list \
             resource \"events\" in API group \"\" in the namespace \"shop\""
        );
    }

    #[test]
    fn an_answer_that_is_not_the_apis_names_the_path() {
        let e = page("/api/v1/namespaces/shop/events", 200, b"<html>login</html>").unwrap_err();
        assert!(e.starts_with("/api/v1/namespaces/shop/events: not a Kubernetes API answer"), "{e}");
        let e = page("/api/v1/namespaces/shop/events", 502, b"Bad Gateway").unwrap_err();
        assert_eq!(e, "HTTP 502 from /api/v1/namespaces/shop/events: Bad Gateway");
        let e = page("/api/v1/namespaces/shop/events", 200, b"{\"kind\":\"EventList\"}").unwrap_err();
        assert!(e.contains("not a Kubernetes list"), "{e}");
    }

    #[test]
    fn a_page_gives_its_continue_token() {
        let body = br#"{"kind":"EventList","metadata":{"continue":"eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ=="},"items":[{}]}"#;
        let (found, next) = page("/x", 200, body).unwrap();
        assert_eq!((found.len(), next.as_deref()), (1, Some("eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ==")));
        let (_, next) = page("/x", 200, EVENTS.as_bytes()).unwrap();
        assert_eq!(next, None);
    }
}
