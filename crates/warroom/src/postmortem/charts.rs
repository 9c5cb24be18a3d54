//! The postmortem's charts: the affected nodes' signals over the incident window, the ones that
//! crossed their threshold first, with the stage changes marked. Each is a PNG and an SVG.

use chrono::{DateTime, Duration, Utc};

use super::{Image, Metrics, Options, PostmortemError};
use crate::chart::Chart;
use crate::model::{Incident, Metric};
use crate::replay::Replay;

/// How far the charts reach before the impact and after the end: a tenth of the incident, at
/// least 30 s and at most 10 min.
fn margin(from: DateTime<Utc>, to: DateTime<Utc>) -> Duration {
    ((to - from) / 10).clamp(Duration::seconds(30), Duration::minutes(10))
}

/// The charts' size, in pixels.
pub const SIZE: (u32, u32) = (800, 300);

/// A series that may be charted: when it first crossed its threshold, if it did.
struct Candidate<'a> {
    crossed: Option<DateTime<Utc>>,
    node: &'a str,
    metric: Metric,
    points: Vec<(DateTime<Utc>, f64)>,
    limit: Option<f64>,
}

/// A drawn chart: its title and files.
pub struct Drawn {
    pub title: String,
    pub png: String,
    pub svg: String,
    pub files: Vec<Image>,
}

/// Draws up to `options.charts` charts.
pub fn draw(
    replay: &Replay,
    incident: &Incident,
    m: &Metrics,
    options: &Options,
) -> Result<Vec<Drawn>, PostmortemError> {
    let first = m.impact_start.unwrap_or(m.declared_at).min(m.declared_at);
    let (start, end) = (first - margin(first, m.end), m.end + margin(first, m.end));
    // Candidates: every kept series of an affected node, those that crossed their threshold
    // first (earliest crossing first), then the rest by node.
    let mut candidates: Vec<Candidate<'_>> = Vec::new();
    for node in &incident.affected {
        for metric in Metric::ALL {
            let points: Vec<(DateTime<Utc>, f64)> =
                replay.series(node, metric).iter().copied().filter(|p| p.0 >= start && p.0 <= end).collect();
            if points.is_empty() {
                continue;
            }
            let rule = options.thresholds.rule(node, metric);
            let limit = rule.and_then(|r| r.above.or(r.below));
            let crossed = rule.and_then(|r| points.iter().find(|p| r.breached(p.1)).map(|p| p.0));
            candidates.push(Candidate { crossed, node, metric, points, limit });
        }
    }
    candidates.sort_by(|a, b| match (a.crossed, b.crossed) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => (a.node, a.metric).cmp(&(b.node, b.metric)),
    });
    let stages: Vec<(DateTime<Utc>, String)> =
        incident.stage_log.iter().map(|v| (v.at, v.stage.name().to_owned())).collect();
    let changes = crate::changes::recorded(replay.events());
    let mut drawn = Vec::new();
    for (i, Candidate { node, metric, points, limit: threshold, .. }) in
        candidates.into_iter().take(options.charts).enumerate()
    {
        // The stage changes, and the changes made to this node (a deploy, a restart).
        let mut marks = stages.clone();
        marks.extend(changes.iter().filter(|c| c.node == node).map(crate::model::Change::chart_mark));
        marks.sort_by_key(|(at, _)| *at);
        let chart = Chart {
            node,
            metric,
            points: &points,
            threshold,
            marks: &marks,
            span: Some((start, end)),
            size: SIZE,
        };
        let node_part: String = node
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
            .take(40)
            .collect();
        let stem = format!("{}-chart-{}-{node_part}-{}", incident.id, i + 1, metric.name());
        let (png, svg) = (format!("{stem}.png"), format!("{stem}.svg"));
        let files = vec![
            Image { file: png.clone(), bytes: chart.png()? },
            Image { file: svg.clone(), bytes: chart.svg()?.into_bytes() },
        ];
        drawn.push(Drawn { title: format!("{node} · {}", metric.name()), png, svg, files });
    }
    Ok(drawn)
}
