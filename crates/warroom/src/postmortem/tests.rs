//! The postmortem of a scripted incident whose every time is known, so the metrics can be
//! checked exactly; the Markdown is pinned by an insta snapshot and read back with
//! pulldown-cmark (GFM), the Mermaid block is checked against its grammar, the PNGs decoded.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use pulldown_cmark::{Event as Md, Parser, Tag, TagEnd};
use ulid::Ulid;

use super::*;
use crate::model::{
    ActionItem, ActionKind, ActionStatus, Audience, Event, EventKind, Health, Metric, Role, Sample, Severity,
    Stage,
};
use crate::replay::Replay;

const HOSTILE_NOTE: &str =
    "<script>alert('x')</script> [click](javascript:alert(1)) | broke | ![img](http://evil/x.png)\n# heading";
const HOSTILE_SUMMARY: &str = "<img src=x onerror=alert(1)> pool **exhausted**";

fn t(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, h, m, 0).unwrap()
}

fn incident_id() -> Ulid {
    Ulid::from_parts(1_790_000_000_000, 7)
}

struct Script {
    events: Vec<Event>,
}

impl Script {
    fn add(&mut self, at: DateTime<Utc>, origin: &str, by: Option<&str>, kind: EventKind) {
        let n = self.events.len() as u128;
        let mut event = Event::new(incident_id(), at, at, origin, by.map(str::to_owned), kind);
        event.id = Ulid::from_parts(at.timestamp_millis() as u64, n);
        // Two laptops: the commander's, and the one the drill and the other responders ran on;
        // each chains its events, as a log would.
        event.device = if by == Some("Mina") { "mina-laptop" } else { "ops-laptop" }.to_owned();
        event.prev = self.events.iter().rev().find(|e| e.device == event.device).map(|e| e.hash.clone());
        event.hash = crate::store::Row::of(&event).unwrap().seal();
        self.events.push(event);
    }

    fn note(&mut self, at: DateTime<Utc>, by: &str, text: &str) {
        self.add(at, "desktop", Some(by), EventKind::Note { text: text.to_owned() });
    }

    fn health(&mut self, at: DateTime<Utc>, node: &str, from: Health, to: Health, reason: &str) {
        let kind = EventKind::HealthChanged { node: node.into(), from, to, reason: reason.into() };
        self.add(at, "drill", None, kind);
    }
}

/// Declared 03:04 (first alert started 03:00: detect 4 min); the scribe joins 03:06 (ack 2 min);
/// order-service down 03:05–03:25 takes the gateway with it (20 min of outage; mitigated 25 min
/// after the impact began); resolved 03:41 (37 min after the declaration); analysis from 03:45.
fn scripted() -> Vec<Event> {
    let mut s = Script { events: Vec::new() };
    let declared = EventKind::Declared {
        title: "Checkout <b>down</b>".into(),
        severity: Severity::Sev2,
        commander: Some("Mina".into()),
        local: false,
    };
    s.add(t(3, 4), "desktop", Some("Mina"), declared);
    let topology = crate::rehearsal::reference_topology().unwrap().spec();
    s.add(t(3, 4), "drill", None, EventKind::TopologyRecorded { topology, health: Default::default() });
    s.add(
        t(3, 4) + Duration::seconds(5),
        "drill",
        None,
        EventKind::AlertFired {
            name: "MySQLConnectionPoolNearlyExhausted".into(),
            node: "mysql-primary".into(),
            severity: "warning".into(),
            summary: HOSTILE_SUMMARY.into(),
            fingerprint: "fp-pool".into(),
            starts_at: t(3, 0),
        },
    );
    s.health(t(3, 5), "mysql-primary", Health::Healthy, Health::Degraded, "db_pool_ratio 99.0% > 90.0%");
    s.health(t(3, 5), "order-service", Health::Healthy, Health::Down, "http_5xx_ratio 20.0% > 2.0%");
    s.add(
        t(3, 6),
        "desktop",
        Some("Mina"),
        EventKind::RoleAssigned { role: Role::Scribe, name: "Jun".into() },
    );
    s.add(t(3, 8), "desktop", Some("Mina"), EventKind::StageEntered { stage: Stage::Identify });
    s.add(
        t(3, 9),
        "desktop",
        Some("Jun"),
        EventKind::RunbookAttached {
            runbook: "db-pool-exhaustion".into(),
            title: "DB connection pool exhaustion".into(),
            node: Some("mysql-primary".into()),
        },
    );
    s.add(t(3, 10), "desktop", Some("Mina"), EventKind::SeverityChanged { severity: Severity::Sev1 });
    s.add(
        t(3, 10),
        "desktop",
        Some("Jun"),
        EventKind::StepChecked {
            runbook: "db-pool-exhaustion".into(),
            step: "detect-1".into(),
            text: "Confirm the pool is saturated".into(),
            done: true,
        },
    );
    s.add(
        t(3, 10),
        "check",
        None,
        EventKind::CheckEvaluated {
            runbook: "db-pool-exhaustion".into(),
            step: "detect-2".into(),
            passed: Some(true),
            observed: "99.0%".into(),
        },
    );
    s.note(t(3, 12), "Jun", "#trigger A marketing push at 03:00 doubled checkout traffic");
    s.add(
        t(3, 13),
        "live",
        None,
        EventKind::ProviderIncident {
            name: "Card network | delays".into(),
            status: "identified".into(),
            impact: "minor".into(),
            url: Some("https://status.example/i/1".into()),
        },
    );
    s.note(t(3, 14), "Jun", "#Cause, The pool of 50 connections is too small for the peak #why");
    s.add(
        t(3, 15),
        "desktop",
        Some("Mina"),
        EventKind::StepsSkipped {
            stage: Stage::Identify,
            steps: vec!["db-pool-exhaustion/identify-2".into()],
            texts: vec!["Find the slow queries holding connections".into()],
        },
    );
    s.add(t(3, 15), "desktop", Some("Mina"), EventKind::StageEntered { stage: Stage::Isolate });
    s.note(t(3, 16), "Mina", "#why The pool limit was never load-tested");
    s.add(t(3, 20), "desktop", Some("Mina"), EventKind::StageEntered { stage: Stage::Recover });
    s.add(
        t(3, 21),
        "check",
        None,
        EventKind::CheckEvaluated {
            runbook: "db-pool-exhaustion".into(),
            step: "recover-1".into(),
            passed: Some(false),
            observed: "95.0%".into(),
        },
    );
    s.health(t(3, 25), "order-service", Health::Down, Health::Healthy, "all signals within thresholds");
    s.health(t(3, 25), "mysql-primary", Health::Degraded, Health::Healthy, "all signals within thresholds");
    s.note(t(3, 26), "Jun", "#fix Raised the pool to 200 and restarted order-service");
    s.add(
        t(3, 26),
        "drill",
        None,
        EventKind::AlertResolved {
            name: "MySQLConnectionPoolNearlyExhausted".into(),
            node: "mysql-primary".into(),
            fingerprint: "fp-pool".into(),
        },
    );
    s.add(t(3, 30), "desktop", Some("Mina"), EventKind::SeverityChanged { severity: Severity::Sev2 });
    s.note(t(3, 30), "Jun", "#lucky The replica stayed healthy");
    s.note(t(3, 31), "Jun", &format!("#wrong {HOSTILE_NOTE}"));
    s.add(t(3, 41), "desktop", Some("Mina"), EventKind::Resolved);
    s.add(t(3, 45), "desktop", Some("Mina"), EventKind::StageEntered { stage: Stage::Analyze });
    let action = |id: &str, title: &str, kind, status, owner: Option<&str>, due| ActionItem {
        id: id.into(),
        key: format!("key-{id}"),
        title: title.into(),
        kind,
        owner: owner.map(str::to_owned),
        ticket: (id == "A1").then(|| "OPS-12".to_owned()),
        status,
        due,
    };
    let due = NaiveDate::from_ymd_opt(2026, 12, 1);
    let a1 = action(
        "A1",
        "Alert when the pool passes 80%",
        ActionKind::Prevent,
        ActionStatus::Open,
        Some("Mina"),
        due,
    );
    s.add(t(3, 46), "desktop", Some("Mina"), EventKind::ActionItemSet { item: a1.clone() });
    let a2 = action(
        "A2",
        "Load-test checkout at twice the peak",
        ActionKind::Process,
        ActionStatus::Open,
        None,
        None,
    );
    s.add(t(3, 47), "desktop", Some("Mina"), EventKind::ActionItemSet { item: a2 });
    let a1 = ActionItem { status: ActionStatus::InProgress, ..a1 };
    s.add(t(3, 48), "desktop", Some("Mina"), EventKind::ActionItemSet { item: a1 });
    s.note(t(3, 50), "Mina", "#summary Checkout failed for 20 minutes after the database pool ran out");
    s.events
}

/// Every 30 s from 02:58 to 03:45: high between 03:00 and 03:25.
fn samples() -> Vec<Sample> {
    let mut out = Vec::new();
    let mut at = t(2, 58);
    while at <= t(3, 45) {
        let bad = at >= t(3, 0) && at < t(3, 25);
        out.push(Sample {
            node: "order-service".into(),
            metric: Metric::Http5xxRatio,
            value: if bad { 0.2 } else { 0.001 },
            at,
        });
        out.push(Sample {
            node: "mysql-primary".into(),
            metric: Metric::DbPoolRatio,
            value: if bad { 0.99 } else { 0.5 },
            at,
        });
        at += Duration::seconds(30);
    }
    out
}

fn options() -> Options {
    // An earlier incident ten days before, resolved after an hour: MTBF and MTTR over two.
    let earlier = Ulid::from_parts(1_789_000_000_000, 1);
    let event = |at, kind| Event::new(earlier, at, at, "cli", None, kind);
    let before = t(3, 4) - Duration::days(10);
    let history = vec![
        Incident::fold(&[
            event(
                before,
                EventKind::Declared {
                    title: "x".into(),
                    severity: Severity::Sev3,
                    commander: None,
                    local: false,
                },
            ),
            event(before + Duration::hours(1), EventKind::Resolved),
        ])
        .unwrap(),
        Incident::fold(&scripted()).unwrap(),
    ];
    Options { slo: 99.95, history, now: t(4, 0), ..Options::at(t(4, 0)) }
}

fn render_scripted() -> Postmortem {
    let replay = Replay::new(scripted(), samples()).unwrap();
    render(&replay, &options()).unwrap()
}

#[test]
fn the_metrics_are_exact() {
    let m = render_scripted().metrics;
    assert_eq!(m.impact_start, Some(t(3, 0)), "the first alert's own start");
    assert_eq!(m.time_to_detect(), Some(Duration::minutes(4)));
    assert_eq!(m.time_to_acknowledge(), Some(Duration::minutes(2)), "the scribe taking the role");
    assert_eq!(m.mitigated_at, Some(t(3, 25)));
    assert_eq!(m.time_to_mitigate(), Some(Duration::minutes(25)));
    assert_eq!(m.time_to_resolve(), Some(Duration::minutes(37)));
    assert_eq!(m.outages, [(t(3, 5), t(3, 25))]);
    assert_eq!(m.outage_secs, 20 * 60);
    assert!((m.budget_share(99.9) - 20.0 / 43.2 * 100.0).abs() < 1e-9);
    assert!((m.budget_share(99.99) - 20.0 / 4.32 * 100.0).abs() < 1e-9);
    let stages: Vec<(Stage, i64)> = m.stages.iter().map(|(s, secs)| (*s, secs / 60)).collect();
    assert_eq!(
        stages,
        [
            (Stage::Detect, 4),
            (Stage::Identify, 7),
            (Stage::Isolate, 5),
            (Stage::Recover, 25),
            (Stage::Analyze, 5)
        ]
    );
    let severities: Vec<(Severity, i64)> = m.severities.iter().map(|(s, secs)| (*s, secs / 60)).collect();
    assert_eq!(severities, [(Severity::Sev2, 6), (Severity::Sev1, 20), (Severity::Sev2, 11)]);
    let peak = m.peak.as_ref().unwrap();
    assert_eq!(peak.at, t(3, 5));
    assert_eq!(peak.radius.down, ["order-service"]);
    assert!(peak.radius.entrypoints_down.contains(&"api-gateway".to_owned()));
    assert_eq!(m.entrypoints_affected.iter().collect::<Vec<_>>(), ["api-gateway"]);
    assert_eq!(m.alerts.len(), 1);
    assert_eq!(m.alerts[0].resolved, Some(t(3, 26)));
    let a = m.availability.as_ref().unwrap();
    // Working time: from the earlier one's resolution to this one's declaration.
    assert_eq!(a.mtbf_secs, 10 * 24 * 3600 - 3600);
    assert_eq!(a.mttr_secs, (60 + 37) * 60 / 2);
    assert!((a.ratio - 860_400.0 / (860_400.0 + 2910.0)).abs() < 1e-12);
    assert_eq!(m.status_pages.len(), 1);
    assert_eq!(m.status_pages[0].status, "identified");
}

#[test]
fn the_markdown_is_pinned() {
    insta::assert_snapshot!("scripted_postmortem", render_scripted().markdown);
}

/// The Markdown read back as GFM: its headings, its tables (each row as wide as its header),
/// its images and its text.
struct ReadBack {
    headings: Vec<String>,
    tables: Vec<Vec<usize>>,
    images: Vec<String>,
    text: String,
    html: Vec<String>,
    links: Vec<String>,
    code: Vec<(String, String)>,
}

fn read_back(md: &str) -> ReadBack {
    let mut r = ReadBack {
        headings: Vec::new(),
        tables: Vec::new(),
        images: Vec::new(),
        text: String::new(),
        html: Vec::new(),
        links: Vec::new(),
        code: Vec::new(),
    };
    let mut heading: Option<String> = None;
    let mut cells = 0;
    let mut code: Option<(String, String)> = None;
    for event in Parser::new_ext(md, markdown::tests::gfm()) {
        match event {
            Md::Start(Tag::Heading { .. }) => heading = Some(String::new()),
            Md::End(TagEnd::Heading(_)) => r.headings.extend(heading.take()),
            Md::Start(Tag::Table(_)) => r.tables.push(Vec::new()),
            Md::Start(Tag::TableHead | Tag::TableRow) => cells = 0,
            Md::Start(Tag::TableCell) => cells += 1,
            Md::End(TagEnd::TableHead | TagEnd::TableRow) => {
                if let Some(table) = r.tables.last_mut() {
                    table.push(cells);
                }
            }
            Md::Start(Tag::Image { dest_url, .. }) => r.images.push(dest_url.to_string()),
            Md::Start(Tag::Link { dest_url, .. }) => r.links.push(dest_url.to_string()),
            Md::Start(Tag::CodeBlock(pulldown_cmark::CodeBlockKind::Fenced(lang))) => {
                code = Some((lang.to_string(), String::new()));
            }
            Md::End(TagEnd::CodeBlock) => r.code.extend(code.take()),
            Md::Html(h) | Md::InlineHtml(h) => r.html.push(h.to_string()),
            Md::End(TagEnd::Paragraph | TagEnd::TableCell | TagEnd::Item) => r.text.push('\n'),
            Md::Text(t) | Md::Code(t) => {
                if let Some((_, body)) = code.as_mut() {
                    body.push_str(&t);
                } else if let Some(h) = heading.as_mut() {
                    h.push_str(&t);
                } else {
                    r.text.push_str(&t);
                }
            }
            _ => {}
        }
    }
    r
}

#[test]
fn the_markdown_reads_back_as_gfm_with_every_section_and_whole_tables() {
    let postmortem = render_scripted();
    let r = read_back(&postmortem.markdown);
    assert!(r.html.is_empty(), "no HTML at all: {:?}", r.html);
    let expected = [
        "Postmortem: Checkout <b>down</b>",
        "Summary",
        "Leadup",
        "Fault / what happened",
        "Trigger",
        "Root causes and contributing factors",
        "Five whys",
        "Detection",
        "Response",
        "Recovery / resolution",
        "Metrics",
        "Time in each stage",
        "Availability and error budget",
        "Impact",
        "Alerts",
        "Provider status incidents",
        "Dependency graph at the peak (03:05:00)",
        "Charts",
        "Stakeholder updates",
        "Timeline",
        "Full log",
        "Runbook record",
        "DB connection pool exhaustion (db-pool-exhaustion) for mysql-primary",
        "What went well",
        "What went wrong",
        "Where we got lucky",
        "Action items",
        "Supporting information",
        "Where this comes from",
    ];
    assert_eq!(r.headings, expected);
    // header, metrics, stages, budget, impact, alerts, providers, key events, full log,
    // runbook, actions, chain heads
    assert_eq!(r.tables.len(), 12, "{:?}", r.tables);
    for table in &r.tables {
        assert!(table.len() >= 2, "a header and at least one row: {table:?}");
        assert!(table.iter().all(|w| *w == table[0]), "every row as wide as the header: {table:?}");
    }
    let widths: Vec<usize> = r.tables.iter().map(|t| t[0]).collect();
    assert_eq!(widths, [2, 5, 3, 4, 3, 6, 4, 3, 4, 5, 7, 3]);
    let log_rows = r.tables[8].len() - 1;
    assert_eq!(log_rows, scripted().len(), "one row of the full log per event");
    // The key events: no check noise, every person's event, the outage's edges.
    let key_rows = r.tables[7].len() - 1;
    assert!(key_rows < log_rows, "{key_rows} key events of {log_rows}");
    assert!(r.text.contains("users see an outage") && r.text.contains("users are served again"));
    // The hostile note and alert summary are there, as text.
    assert!(r.text.contains(&crate::text::single_spaced(HOSTILE_NOTE)), "{}", r.text);
    assert!(r.text.contains(HOSTILE_SUMMARY));
    // The only links are the SVGs, the only images the PNGs: the note's are text.
    let pngs: Vec<&str> =
        postmortem.images.iter().filter(|i| i.file.ends_with(".png")).map(|i| i.file.as_str()).collect();
    assert_eq!(r.images, pngs);
    let svgs: Vec<&str> =
        postmortem.images.iter().filter(|i| i.file.ends_with(".svg")).map(|i| i.file.as_str()).collect();
    assert_eq!(r.links, svgs);
    // Tagged notes land in their sections; untagged sections are prompts.
    assert!(r.text.contains("A marketing push at 03:00 doubled checkout traffic"));
    assert!(r.text.contains("To fill in: the changes and circumstances that led up to it"));
}

#[test]
fn the_mermaid_graph_is_valid_and_styles_the_peak() {
    let r = read_back(&render_scripted().markdown);
    let (_, chart) = r.code.iter().find(|(lang, _)| lang == "mermaid").expect("a mermaid block");
    mermaid::tests::check_grammar(chart).unwrap();
    let id_of = |name: &str| {
        chart
            .lines()
            .find(|l| l.contains(&format!("[\"{name}")))
            .and_then(|l| l.trim().split('[').next())
            .map(str::to_owned)
            .unwrap()
    };
    let order = id_of("Order service");
    assert!(chart.lines().any(|l| l.trim() == format!("class {order} down")), "{chart}");
    let gateway = id_of("API gateway");
    assert!(
        chart
            .lines()
            .any(|l| l.trim().starts_with("class ") && l.contains(&gateway) && l.ends_with(" impacted")),
        "{chart}"
    );
}

#[test]
fn the_charts_decode_at_their_size_and_are_written_beside_the_markdown() {
    let postmortem = render_scripted();
    assert_eq!(postmortem.images.len(), 4, "two affected series, a PNG and an SVG each");
    for image in postmortem.images.iter().filter(|i| i.file.ends_with(".png")) {
        let decoder = png::Decoder::new(std::io::Cursor::new(&image.bytes));
        let reader = decoder.read_info().unwrap();
        let info = reader.info();
        assert_eq!((info.width, info.height), charts::SIZE, "{}", image.file);
    }
    for image in postmortem.images.iter().filter(|i| i.file.ends_with(".svg")) {
        let svg = String::from_utf8(image.bytes.clone()).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("recover"), "stage marks are drawn: {}", image.file);
    }
    let dir = tempfile::tempdir().unwrap();
    let written = write(dir.path(), "x", &postmortem).unwrap();
    assert_eq!(written[0], dir.path().join("x.md"));
    assert_eq!(written.len(), 5);
    for path in &written {
        assert!(path.is_file(), "{}", path.display());
    }
    assert!(!dir.path().join("x.partial").exists(), "no temporary file is left");
}

#[test]
fn an_unwritable_folder_is_named_in_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, "").unwrap();
    let err = write(&blocker.join("sub"), "x", &render_scripted()).unwrap_err().to_string();
    assert!(err.contains("cannot write") && err.contains("file/sub"), "{err}");
}

/// Outside names everywhere at once: a topology whose node names, ids and group hold Markdown,
/// HTML and line breaks, a runbook id with a line break and a fence, a commander's name with a
/// pipe. The export stays GFM without HTML, every table keeps its width, the Mermaid block
/// keeps its grammar.
#[test]
fn hostile_names_stay_text_through_the_whole_export() {
    use crate::model::topology::{DependencySpec, GroupSpec, NodeSpec, TopologySpec};
    use crate::topology::Strength;
    let node = |id: &str, name: &str, entrypoint, deps: &[&str]| NodeSpec {
        name: name.into(),
        owner: Some("<b>team</b>".into()),
        entrypoint,
        depends_on: deps.iter().map(|d| DependencySpec::on(*d, Strength::Hard)).collect(),
        ..NodeSpec::service(id)
    };
    let topology = TopologySpec {
        nodes: vec![
            node("gw|1", "Gateway <script>x</script>\n# title", true, &["db`x"]),
            node("db`x", "DB \"]; click n0 evil", false, &[]),
            node("db-2", "[replica](javascript:x)", false, &[]),
        ],
        groups: vec![GroupSpec {
            id: "grp\n```".into(),
            members: vec!["db`x".into(), "db-2".into()],
            needs: 2,
            line: None,
        }],
    };
    let mut s = Script { events: Vec::new() };
    let declared = EventKind::Declared {
        title: "```\n<img src=x>".into(),
        severity: Severity::Sev1,
        commander: Some("Ann | Bob".into()),
        local: false,
    };
    s.add(t(3, 0), "desktop", Some("x|y"), declared);
    s.add(t(3, 0), "drill", None, EventKind::TopologyRecorded { topology, health: Default::default() });
    s.health(t(3, 1), "db`x", Health::Healthy, Health::Down, "down\n| x |");
    s.add(
        t(3, 2),
        "desktop",
        None,
        EventKind::RunbookAttached {
            runbook: "rb\n```\n<b>".into(),
            title: "T\n# x".into(),
            node: Some("db`x".into()),
        },
    );
    s.add(t(3, 9), "desktop", None, EventKind::Resolved);
    let replay = Replay::new(s.events, Vec::new()).unwrap();
    let postmortem = render(&replay, &Options::at(t(4, 0))).unwrap();
    let r = read_back(&postmortem.markdown);
    assert!(r.html.is_empty(), "{:?}\n{}", r.html, postmortem.markdown);
    for table in &r.tables {
        assert!(table.iter().all(|w| *w == table[0]), "{table:?}\n{}", postmortem.markdown);
    }
    let fences: Vec<&(String, String)> = r.code.iter().collect();
    assert_eq!(fences.len(), 1, "only the Mermaid block is a code block: {fences:?}");
    mermaid::tests::check_grammar(&fences[0].1).unwrap();
    assert!(r.headings.contains(&"T # x (rb ``` <b>) for db`x".to_owned()), "{:?}", r.headings);
    assert!(r.text.contains("Ann | Bob"));
}

/// One impact start for every metric (regression: "Time to detect" ran from an impact start
/// after the declaration and said 0 s, while "Time to mitigate" counted from the declaration):
/// the earliest of the first alert, the first entrypoint down, or a note tagged
/// `#impact-start`, stated in the document.
#[test]
fn every_metric_counts_from_one_impact_start_and_the_document_says_which() {
    let mut events: Vec<Event> = scripted()
        .into_iter()
        .filter(|e| !matches!(e.kind, EventKind::AlertFired { .. } | EventKind::AlertResolved { .. }))
        .collect();
    // Without the alert, the impact starts when the gateway went down (03:05), after the
    // declaration (03:04): detection came first, and mitigation counts from 03:05.
    let replay = Replay::new(events.clone(), samples()).unwrap();
    let whole = replay.at(replay.last()).unwrap().incident;
    let m = metrics::compute(&replay, &whole, &[]);
    assert_eq!(m.impact_start, Some(t(3, 5)));
    assert_eq!(m.time_to_detect(), Some(Duration::zero()));
    assert_eq!(
        m.time_to_mitigate(),
        Some(Duration::minutes(20)),
        "from the impact start, not the declaration"
    );
    let md = render(&replay, &Options::at(t(4, 0))).unwrap().markdown;
    assert!(md.contains("Impact start, for every metric below: 03:05:00 UTC, from the first instant an entrypoint was down or impacted"), "{md}");
    assert!(md.contains("It came after the declaration"));

    // A responder's note says when it began: the earliest wins.
    let mut s = Script { events: Vec::new() };
    s.note(t(2, 50), "Mina", "#impact-start customers wrote in from 02:50");
    events.extend(s.events);
    let replay = Replay::new(events, samples()).unwrap();
    let whole = replay.at(replay.last()).unwrap().incident;
    let m = metrics::compute(&replay, &whole, &[]);
    assert_eq!(m.impact_start, Some(t(2, 50)));
    assert_eq!(m.impact_start_from, Some("a note tagged #impact-start"));
    assert_eq!(m.time_to_detect(), Some(Duration::minutes(14)));
    assert_eq!(m.time_to_mitigate(), Some(Duration::minutes(35)));
}

/// The scripted incident with three stakeholder updates: public at 03:10 (sent), exec at 03:12
/// (refused by the mail server), responders at 03:35 (sent). The impact began at 03:00: the
/// first public update came 10 min after; the longest gap is 03:12 → 03:35 (23 min), within the
/// SEV2 cadence of 30 min and over one of 15 min. Every update is listed, its text as text.
#[test]
fn the_postmortem_reports_every_update_and_the_cadence_kept() {
    let mut s = Script { events: scripted() };
    let queued = |update: &str, audience: Audience, channel: &str, text: &str| EventKind::UpdateQueued {
        update: update.into(),
        audience,
        channel: channel.into(),
        subject: "Checkout failing".into(),
        text: text.into(),
    };
    s.add(
        t(3, 10),
        "desktop",
        Some("Jun"),
        queued("U1", Audience::Public, "status", "We are investigating."),
    );
    s.add(
        t(3, 10),
        "outbox",
        None,
        EventKind::UpdateSent { update: "U1".into(), remote: Some("p31".into()) },
    );
    s.add(t(3, 12), "desktop", Some("Jun"), queued("U2", Audience::Exec, "exec-mail", HOSTILE_NOTE));
    s.add(
        t(3, 13),
        "outbox",
        None,
        EventKind::UpdateFailed { update: "U2".into(), error: "550 no such user".into() },
    );
    s.add(
        t(3, 35),
        "desktop",
        Some("Jun"),
        queued("U3", Audience::Responders, "slack", "Pool raised to 400."),
    );
    s.add(t(3, 35), "outbox", None, EventKind::UpdateSent { update: "U3".into(), remote: None });
    s.events.sort_by_key(|e| (e.at, e.id));
    let replay = Replay::new(s.events, samples()).unwrap();
    let md = render(&replay, &options()).unwrap().markdown;
    let section = &md[md.find("## Stakeholder updates").expect("the section")..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)];
    assert!(section.contains("| Time to the first public update | impact start → first update to the public | 10 min (at 03:10:00 UTC) |"), "{section}");
    assert!(
        section.contains("23 min (03:12:00 → 03:35:00 UTC), within the cadence of 30 min for SEV2"),
        "{section}"
    );
    for (at, audience, channel, state) in [
        ("03:10:00", "public", "status", "sent 03:10:00"),
        ("03:12:00", "exec", "exec-mail", "failed: 550 no such user"),
        ("03:35:00", "responders", "slack", "sent 03:35:00"),
    ] {
        assert!(
            section.contains(&format!("### {at} UTC · {audience} · {channel} ({state}, by Jun)")),
            "{at}: {section}"
        );
    }
    assert!(section.contains("> We are investigating."));
    assert!(!section.contains("<script>"), "the text is text: {section}");
    let read = read_back(&md);
    assert!(read.html.is_empty(), "no HTML reaches the Markdown: {:?}", read.html);

    let strict = Options {
        cadence: crate::updates::Cadence {
            sev2: Some(std::time::Duration::from_secs(15 * 60)),
            ..Default::default()
        },
        ..options()
    };
    let md = render(&replay, &strict).unwrap().markdown;
    assert!(md.contains("23 min (03:12:00 → 03:35:00 UTC), over the cadence of 15 min for SEV2"));
}

/// Issue 17: the metrics ask `has_tag` of every note instead of splitting it into tags and text;
/// both must read a note's tags alike (case, trailing punctuation, a `#` alone, unknown tags).
#[test]
fn has_tag_reads_tags_as_tags_and_text_does() {
    for text in [
        "#impact-start users saw errors",
        "users saw errors #Impact-Start,",
        "#impact-start.",
        "# impact-start",
        "#impact-started",
        "impact-start",
        "x #cause #impact-start! y",
        "",
        "#",
        "##impact-start",
    ] {
        let (tags, _) = tags_and_text(text);
        assert_eq!(has_tag(text, "impact-start"), tags.iter().any(|t| t == "impact-start"), "{text:?}");
    }
}
