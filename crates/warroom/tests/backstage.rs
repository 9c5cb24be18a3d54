//! Backstage catalogs as real ones are written (issue 17): API relations, subcomponents, systems,
//! entrypoints without annotations, and catalogs spread over files by `Location` entities. The
//! demo catalog is Backstage's own (`tests/fixtures/backstage/demo`, see its NOTICE.md); the
//! edge cases are small inline catalogs.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use warroom::topology::{Group, Level, Strength, Topology, TopologySpec, parse_backstage, read};

fn demo() -> Topology {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/backstage/demo/all.yaml");
    read(&path).unwrap()
}

/// An inline catalog, built.
fn build(catalog: &str) -> Topology {
    parse_backstage(catalog).unwrap().build().unwrap()
}

fn entrypoints(topo: &Topology) -> Vec<&str> {
    let mut ids: Vec<&str> = topo.nodes().filter(|n| n.entrypoint).map(|n| n.id.as_str()).collect();
    ids.sort_unstable();
    ids
}

fn dependencies(topo: &Topology) -> Vec<(&str, &str, Strength)> {
    let mut deps: Vec<(&str, &str, Strength)> =
        topo.dependencies().into_iter().map(|d| (d.from, d.to, d.strength)).collect();
    deps.sort_by_key(|(from, to, _)| (*from, *to));
    deps
}

// ---- Backstage's demo catalog ------------------------------------------------------------

/// Read from its root `all.yaml` (nothing but Locations), the demo catalog's every file is
/// read: its 13 Components and 1 Resource are nodes (APIs, Systems, Domains are not), and its
/// dependencies are the API consumption, the two subcomponents and the one `dependsOn`, where
/// `dependsOn` alone gave one. Systems are kept on their nodes.
#[test]
fn the_demo_catalog_reads_every_file_its_locations_name() {
    let topo = demo();
    assert_eq!(topo.len(), 14);
    assert!(topo.warnings().is_empty(), "{:?}", topo.warnings());
    assert_eq!(
        dependencies(&topo),
        [
            ("artist-lookup", "artists-db", Strength::Hard),
            ("wayback-archive", "wayback-archive-ingestion", Strength::Soft),
            ("wayback-archive", "wayback-archive-storage", Strength::Soft),
            ("wayback-search", "wayback-archive", Strength::Hard),
        ]
    );
    assert!(topo.groups().is_empty(), "each API has one provider");
    let system = |id: &str| topo.node(id).unwrap().system.clone();
    assert_eq!(system("www-artist").as_deref(), Some("artist-engagement-portal"));
    assert_eq!(system("artists-db").as_deref(), Some("artist-engagement-portal"));
    assert_eq!(system("shuffle-api").as_deref(), Some("audio-playback"));
    assert_eq!(system("wayback-search"), None);
}

/// Failing the component that provides an API takes down its consumer, with the API relation
/// as the reason path; before, it impacted nothing.
#[test]
fn failing_the_provider_of_an_api_impacts_its_consumers_in_the_demo() {
    let radius = demo().what_if(&["wayback-archive"]);
    let impacted: Vec<(&str, Vec<String>)> =
        radius.impacted.iter().map(|i| (i.id.as_str(), i.reason.to_vec())).collect();
    assert_eq!(
        impacted,
        [("wayback-search", vec!["wayback-search".to_owned(), "wayback-archive".to_owned()])]
    );
    assert_eq!(radius.entrypoints_down, ["wayback-search"]);
}

/// A failing subcomponent degrades its parent, and what hard-depends on the parent, and takes
/// nothing down.
#[test]
fn a_failing_subcomponent_degrades_its_parent_in_the_demo() {
    let radius = demo().what_if(&["wayback-archive-storage"]);
    assert!(radius.impacted.is_empty(), "{radius:?}");
    assert_eq!(radius.degraded, ["wayback-archive", "wayback-search"]);
}

/// The websites users see are entrypoints, and so are the components whose APIs are consumed
/// by nothing in the catalog; back-end services are not: neither the one whose API is consumed,
/// nor its subcomponents, nor services that provide no API (before, every Component nothing
/// `dependsOn` was one: 13 of 14 nodes).
#[test]
fn the_demo_websites_are_entrypoints_and_its_back_end_services_are_not() {
    let topo = demo();
    assert_eq!(entrypoints(&topo), ["petstore", "queue-proxy", "wayback-search", "www-artist"]);
    for back_end in
        ["wayback-archive", "wayback-archive-storage", "artist-lookup", "podcast-api", "artists-db"]
    {
        assert!(!topo.node(back_end).unwrap().entrypoint, "{back_end}");
    }
}

// ---- API relations -----------------------------------------------------------------------

const TWO_PROVIDERS: &str = r#"
kind: Component
metadata:
  name: web
spec:
  type: website
  consumesApis: [search]
---
kind: Component
metadata:
  name: search-a
spec:
  type: service
  providesApis: [search]
---
kind: Component
metadata:
  name: search-b
spec:
  type: service
  providesApis: ['api:default/search']
"#;

/// Two providers of one API are a redundancy group `api:<name>` that needs one: one provider
/// down leaves the consumer up but degraded, both down take it down through the group.
#[test]
fn several_providers_of_one_api_are_a_redundancy_group() {
    let topo = build(TWO_PROVIDERS);
    let group =
        Group { id: "api:search".into(), members: vec!["search-a".into(), "search-b".into()], needs: 1 };
    assert_eq!(topo.groups(), [group]);
    assert_eq!(dependencies(&topo), [("web", "api:search", Strength::Hard)]);

    let one = topo.what_if(&["search-a"]);
    assert!(one.impacted.is_empty() && one.entrypoints_down.is_empty(), "{one:?}");
    assert_eq!(one.degraded, ["web"]);
    let state = &one.groups[0];
    assert_eq!((state.healthy, state.members, state.down), (1, 2, false));

    let both = topo.what_if(&["search-a", "search-b"]);
    assert_eq!(both.entrypoints_down, ["web"]);
    assert_eq!(both.impacted[0].reason.to_vec()[..2], ["web".to_owned(), "api:search".to_owned()]);
}

/// One provider is a plain hard dependency: no group.
#[test]
fn a_single_provider_is_a_plain_hard_dependency() {
    let catalog = TWO_PROVIDERS.replace("providesApis: ['api:default/search']", "providesApis: [other]");
    let topo = build(&catalog);
    assert!(topo.groups().is_empty());
    assert_eq!(dependencies(&topo), [("web", "search-a", Strength::Hard)]);
    assert_eq!(topo.what_if(&["search-a"]).entrypoints_down, ["web"]);
}

/// A component that consumes the API it provides itself does not depend on itself (nor is
/// that an error).
#[test]
fn a_component_consuming_its_own_api_does_not_depend_on_itself() {
    let topo = build(
        "kind: Component\nmetadata:\n  name: bus\nspec:\n  type: service\n  providesApis: [events]\n  consumesApis: [events]\n",
    );
    assert!(topo.dependencies().is_empty());
    assert_eq!(entrypoints(&topo), ["bus"]);
}

/// `consumesApis: ['component:x']` names the component itself: a hard dependency on it.
#[test]
fn consumes_apis_may_name_a_component_directly() {
    let topo = build(
        "kind: Component\nmetadata:\n  name: www\nspec:\n  type: website\n  consumesApis: ['component:lookup']\n---\nkind: Component\nmetadata:\n  name: lookup\nspec:\n  type: service\n",
    );
    assert_eq!(dependencies(&topo), [("www", "lookup", Strength::Hard)]);
    assert_eq!(topo.what_if(&["lookup"]).entrypoints_down, ["www"]);
}

/// An API that nothing in the catalog provides is a warning at the line of the consumption, and
/// the consumption is ignored: the catalog still loads, and the warning reaches the topology.
#[test]
fn an_api_nothing_provides_is_a_warning_and_is_ignored() {
    let catalog =
        "kind: Component\nmetadata:\n  name: www\nspec:\n  type: website\n  consumesApis:\n    - payments\n";
    let parsed = parse_backstage(catalog).unwrap();
    let warnings: Vec<String> = parsed.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        warnings,
        ["line 7: warning: 'www' consumes API 'payments', which nothing in the catalog provides: ignored"]
    );
    let topo = parsed.build().unwrap();
    assert!(topo.dependencies().is_empty());
    assert_eq!(topo.warnings(), parsed.warnings.as_slice());
}

/// A provider already in another group cannot join an API's group (a node is in one group):
/// the consumers then depend on each provider, and a warning says why. Providers that are
/// exactly an annotated group use that group.
#[test]
fn providers_already_grouped_are_used_as_they_are() {
    let catalog = r#"
kind: Component
metadata: { name: web }
spec: { type: website, consumesApis: [search, suggest, store] }
---
kind: Component
metadata: { name: a }
spec: { type: service, providesApis: [search, suggest] }
---
kind: Component
metadata: { name: b }
spec: { type: service, providesApis: [search] }
---
kind: Component
metadata: { name: c }
spec: { type: service, providesApis: [suggest] }
---
kind: Component
metadata:
  name: store-1
  annotations: { warroom.dev/redundancy-group: store }
spec: { type: service, providesApis: [store] }
---
kind: Component
metadata:
  name: store-2
  annotations: { warroom.dev/redundancy-group: store }
spec: { type: service, providesApis: [store] }
"#;
    let parsed = parse_backstage(catalog).unwrap();
    assert_eq!(parsed.warnings.len(), 1, "{:?}", parsed.warnings);
    assert_eq!(
        parsed.warnings[0].message,
        "API 'suggest': its providers a, c cannot be one redundancy group ('a' is in group 'api:search' already): its consumers depend on each of them"
    );
    let topo = parsed.build().unwrap();
    let ids: Vec<String> = topo.groups().into_iter().map(|g| g.id).collect();
    assert_eq!(ids, ["store", "api:search"]);
    // a dependency on c, and on a (that is: on a's group).
    let deps: Vec<&str> = dependencies(&topo).into_iter().map(|(_, to, _)| to).collect();
    assert_eq!(deps, ["api:search", "c", "store"]);
    assert_eq!(topo.what_if(&["c"]).entrypoints_down, ["web"]);
}

/// `warroom.dev/soft-depends-on` may name an API: consuming it only degrades.
#[test]
fn a_soft_annotation_may_name_an_api() {
    let catalog = TWO_PROVIDERS.replace(
        "metadata:\n  name: web\n",
        "metadata:\n  name: web\n  annotations:\n    warroom.dev/soft-depends-on: api:search\n",
    );
    let topo = build(&catalog);
    assert_eq!(dependencies(&topo), [("web", "api:search", Strength::Soft)]);
    assert!(topo.what_if(&["search-a", "search-b"]).entrypoints_down.is_empty());
}

// ---- Subcomponents, systems, entrypoints, references --------------------------------------

/// The parent depends softly on its subcomponent (`subcomponentOf` defaults to kind
/// component): the part failing degrades the whole, and takes nothing down.
#[test]
fn a_failing_subcomponent_degrades_its_parent() {
    let topo = build(
        "kind: Component\nmetadata:\n  name: archive\nspec:\n  type: website\n---\nkind: Component\nmetadata:\n  name: ingest\nspec:\n  type: service\n  subcomponentOf: archive\n",
    );
    assert_eq!(dependencies(&topo), [("archive", "ingest", Strength::Soft)]);
    let radius = topo.what_if(&["ingest"]);
    assert!(radius.impacted.is_empty() && radius.entrypoints_down.is_empty(), "{radius:?}");
    assert_eq!(radius.degraded, ["archive"]);
}

/// References take the defaults of their field and entity, as Backstage's: the namespace is the
/// entity's own, the kind `api` for API fields, `component` for `subcomponentOf`, `system` for
/// `system`; names compare case-insensitively. Outside the default namespace ids (of nodes,
/// groups, systems) carry the namespace.
#[test]
fn references_take_the_defaults_of_their_field() {
    let catalog = r#"
kind: System
metadata: { name: Shop, namespace: retail }
---
kind: Component
metadata: { name: cart, namespace: retail }
spec: { type: service, providesApis: [Cart-API], system: shop }
---
kind: Component
metadata: { name: cart-2, namespace: retail }
spec: { type: service, providesApis: ['api:retail/cart-api'] }
---
kind: Component
metadata: { name: cart-worker, namespace: retail }
spec: { type: service, subcomponentOf: cart }
---
kind: Component
metadata: { name: checkout, namespace: retail }
spec: { type: website, consumesApis: [cart-api], system: 'system:shop' }
---
kind: Component
metadata: { name: kiosk }
spec: { type: website, consumesApis: [retail/cart-api] }
"#;
    let topo = build(catalog);
    assert_eq!(
        dependencies(&topo),
        [
            ("kiosk", "api:retail/cart-api", Strength::Hard),
            ("retail/cart", "retail/cart-worker", Strength::Soft),
            ("retail/checkout", "api:retail/cart-api", Strength::Hard),
        ]
    );
    assert_eq!(topo.node("retail/cart").unwrap().system.as_deref(), Some("retail/Shop"));
    assert_eq!(topo.node("retail/checkout").unwrap().system.as_deref(), Some("retail/Shop"));
}

/// Without annotations a website is an entrypoint even when something depends on it; with a
/// `warroom.dev/entrypoint` annotation anywhere, only the annotated are.
#[test]
fn the_entrypoint_annotation_still_wins() {
    let plain = "kind: Component\nmetadata:\n  name: www\nspec:\n  type: website\n---\nkind: Component\nmetadata:\n  name: admin\nspec:\n  type: website\n  dependsOn: ['component:www']\n---\nkind: Component\nmetadata:\n  name: api\nspec:\n  type: service\n  providesApis: [public]\n";
    assert_eq!(entrypoints(&build(plain)), ["admin", "api", "www"]);
    let annotated =
        plain.replace("  name: api\n", "  name: api\n  annotations:\n    warroom.dev/entrypoint: \"true\"\n");
    assert_eq!(entrypoints(&build(&annotated)), ["api"]);
}

/// Every broken reference in the new fields is an error at its own line; nothing is unwrapped.
#[test]
fn an_unknown_reference_names_its_line() {
    let catalog = "kind: Component\nmetadata:\n  name: a\nspec:\n  consumesApis:\n    - component:ghost\n    - 'api:'\n  subcomponentOf: nothing\n  providesApis: {x: 1}\n  system: [s]\n";
    let got: Vec<String> = parse_backstage(catalog).unwrap_err().iter().map(ToString::to_string).collect();
    assert_eq!(
        got,
        [
            "line 6: error: 'a' refers to unknown 'component:ghost'",
            "line 7: error: 'a': 'api:' is not an entity reference ([kind:][namespace/]name)",
            "line 9: error: spec.providesApis: expected a list of entity references",
            "line 8: error: 'a' refers to unknown 'nothing'",
            "line 10: error: spec.system: expected an entity reference (text)",
        ]
    );
    let itself = "kind: Component\nmetadata:\n  name: a\nspec:\n  subcomponentOf: a\n";
    let got: Vec<String> = parse_backstage(itself).unwrap_err().iter().map(ToString::to_string).collect();
    assert_eq!(got, ["line 5: error: 'a' depends on itself"]);
}

// ---- Locations ---------------------------------------------------------------------------

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&path, text).unwrap();
    path
}

/// A Location's targets are read relative to its file, each file once however often it is
/// named; a URL target is a warning, not followed. A problem in a target names that file and its
/// own line (located as `file:line`), and a target that cannot be read names the Location's line.
#[test]
fn locations_are_followed_and_problems_name_their_file() {
    let dir = tempfile::tempdir().unwrap();
    let services =
        "kind: Component\nmetadata:\n  name: web\nspec:\n  type: website\n  dependsOn: ['resource:db']\n";
    write(dir.path(), "parts/services.yaml", services);
    write(dir.path(), "parts/db.yaml", "kind: Resource\nmetadata:\n  name: db\n");
    write(
        dir.path(),
        "parts/more.yaml",
        "kind: Location\nspec:\n  targets: [./db.yaml, ../parts/services.yaml]\n",
    );
    let root_text = "kind: Location\nspec:\n  targets:\n    - ./parts/services.yaml\n    - ./parts/more.yaml\n    - https://example.com/catalog-info.yaml\n";
    let root = write(dir.path(), "all.yaml", root_text);

    let topo = read(&root).unwrap();
    assert_eq!(dependencies(&topo), [("web", "db", Strength::Hard)]);
    let warnings: Vec<String> =
        topo.warnings().iter().map(|w| warroom::topology::located(&root, w)).collect();
    assert_eq!(
        warnings,
        [format!(
            "{}:6: warning: Location target 'https://example.com/catalog-info.yaml' is a URL: not followed (warroom reads files)",
            root.display()
        )]
    );

    write(
        dir.path(),
        "parts/db.yaml",
        "kind: Resource\nmetadata:\n  name: db\nspec:\n  dependsOn: [component:nowhere]\n",
    );
    write(dir.path(), "all.yaml", &root_text.replace("./parts/more.yaml", "./parts/gone.yaml"));
    write(dir.path(), "parts/services.yaml", &format!("{services}  dependencyOf: [component:api]\n"));
    let problems = read(&root).unwrap_err().problems;
    let errors: Vec<(Option<&Path>, Option<usize>)> =
        problems.iter().filter(|p| p.level == Level::Error).map(|p| (p.file.as_deref(), p.line)).collect();
    assert_eq!(errors, [(None, Some(5))], "{problems:?}");
    assert!(
        problems.iter().any(|p| p.message.starts_with("Location target ") && p.message.contains("gone.yaml"))
    );

    write(dir.path(), "all.yaml", root_text);
    let problems = read(&root).unwrap_err().problems;
    let db = dir.path().join("parts/db.yaml");
    let services = dir.path().join("parts/services.yaml");
    let located: Vec<String> = problems
        .iter()
        .filter(|p| p.level == Level::Error)
        .map(|p| warroom::topology::located(&root, p))
        .collect();
    assert_eq!(
        located,
        [
            format!("{}:7: error: 'web' refers to unknown 'component:api'", services.display()),
            format!("{}:5: error: 'db' refers to unknown 'component:nowhere'", db.display()),
        ]
    );
}

/// A dependency cycle across files is warned about at the line of its first node, in that
/// node's own file.
#[test]
fn a_cycle_in_another_file_names_that_file() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(
        dir.path(),
        "a.yaml",
        "kind: Component\nmetadata:\n  name: a\nspec:\n  dependsOn: [component:b]\n",
    );
    write(
        dir.path(),
        "b.yaml",
        "\n\nkind: Component\nmetadata:\n  name: b\nspec:\n  dependsOn: [component:a]\n",
    );
    let root = write(dir.path(), "all.yaml", "kind: Location\nspec:\n  targets: [a.yaml, b.yaml]\n");
    let topo = read(&root).unwrap();
    let cycle: Vec<(Option<&Path>, Option<usize>, &str)> =
        topo.warnings().iter().map(|w| (w.file.as_deref(), w.line, w.message.as_str())).collect();
    assert_eq!(cycle, [(Some(a.as_path()), Some(1), "dependency cycle: a, b")]);
}

/// Parsed from text there is no file to be relative to: a Location is a warning, not an error.
#[test]
fn a_location_in_text_is_only_warned_about() {
    let parsed = parse_backstage("kind: Location\nspec:\n  target: ./x.yaml\n").unwrap();
    assert_eq!(parsed.warnings.len(), 1);
    assert_eq!(parsed.warnings[0].level, Level::Warning);
    assert_eq!(parsed.warnings[0].line, Some(1));
    assert!(parsed.spec.nodes.is_empty());
}

// ---- The system field ----------------------------------------------------------------------

/// `system` is optional everywhere: logs written before it load (no system), a spec without
/// one is written as before (no key), a TOML topology may set it, and the graph gives it back.
#[test]
fn the_system_field_is_optional_and_round_trips() {
    let old: TopologySpec =
        serde_json::from_str(r#"{"nodes":[{"id":"a","name":"A","kind":"service"}]}"#).unwrap();
    assert_eq!(old.nodes[0].system, None);
    assert!(!serde_json::to_string(&old).unwrap().contains("system"));

    let spec = warroom::topology::parse_toml("[[node]]\nid = \"a\"\nsystem = \"shop\"\n").unwrap();
    let topo = Topology::build(&spec).unwrap();
    assert_eq!(topo.node("a").unwrap().system.as_deref(), Some("shop"));
    let again = topo.spec();
    assert_eq!(again.nodes[0].system.as_deref(), Some("shop"));
    assert!(serde_json::to_string(&again).unwrap().contains(r#""system":"shop""#));
}
