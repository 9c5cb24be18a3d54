//! The dependency graph at the peak of the blast radius as a Mermaid flowchart: nodes down in
//! red, impacted in orange, degraded in yellow; hard dependencies as solid arrows, soft ones
//! dotted; redundancy groups as subgraphs.
//!
//! Node ids are generated (`n0`, `n1`, ...) and labels are quoted with every character Mermaid
//! could read as syntax or markup written as an entity code, so a node named
//! `"]; click n0 call evil()` stays a label.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;

use crate::model::Health;
use crate::topology::{BlastRadius, Strength, Topology};

/// The flowchart, without the code fence.
pub fn flowchart(topology: &Topology, radius: &BlastRadius, health: &BTreeMap<String, Health>) -> String {
    let mut out = String::from("flowchart LR\n");
    let ids: HashMap<&str, String> =
        topology.nodes().enumerate().map(|(i, n)| (n.id.as_str(), format!("n{i}"))).collect();
    let groups: HashMap<String, String> =
        topology.groups().into_iter().enumerate().map(|(i, g)| (g.id, format!("g{i}"))).collect();
    let mut in_group: BTreeMap<Option<&str>, Vec<&crate::topology::Node>> = BTreeMap::new();
    for node in topology.nodes() {
        in_group.entry(node.group.as_deref()).or_default().push(node);
    }
    for (group, nodes) in &in_group {
        let indent = if group.is_some() { "    " } else { "" };
        if let Some(g) = group {
            let _ = writeln!(
                out,
                "    subgraph {}[\"{}\"]",
                groups.get(*g).map_or("g", String::as_str),
                label(g)
            );
        }
        for node in nodes {
            let mut text = label(&node.name);
            if node.entrypoint {
                text.push_str(" #40;entrypoint#41;");
            }
            let _ = writeln!(out, "{indent}    {}[\"{text}\"]", ids[node.id.as_str()]);
        }
        if group.is_some() {
            let _ = writeln!(out, "    end");
        }
    }
    for crate::topology::Dependency { from, to, strength } in topology.dependencies() {
        let Some(from) = ids.get(from) else { continue };
        let Some(to) = ids.get(to).or_else(|| groups.get(to)) else { continue };
        let arrow = match strength {
            Strength::Hard => "-->",
            Strength::Soft => "-.->",
        };
        let _ = writeln!(out, "    {from} {arrow} {to}");
    }
    out.push_str("    classDef down fill:#dc2626,stroke:#7f1d1d,color:#ffffff\n");
    out.push_str("    classDef impacted fill:#f97316,stroke:#7c2d12,color:#ffffff\n");
    out.push_str("    classDef degraded fill:#facc15,stroke:#713f12,color:#000000\n");
    let impacted: Vec<&str> = radius.impacted.iter().map(|i| i.id.as_str()).collect();
    let degraded: Vec<&str> = radius
        .degraded
        .iter()
        .map(String::as_str)
        .chain(health.iter().filter(|(_, h)| **h == Health::Degraded).map(|(n, _)| n.as_str()))
        .filter(|n| !radius.down.iter().any(|d| d == n) && !impacted.contains(n))
        .collect();
    let class = |class: &str, members: Vec<&str>, out: &mut String| {
        let mut members: Vec<&str> =
            members.into_iter().filter_map(|n| ids.get(n).map(String::as_str)).collect();
        members.sort_unstable();
        members.dedup();
        if !members.is_empty() {
            let _ = writeln!(out, "    class {} {class}", members.join(","));
        }
    };
    class("down", radius.down.iter().map(String::as_str).collect(), &mut out);
    class("impacted", impacted, &mut out);
    class("degraded", degraded, &mut out);
    out
}

/// Text inside a quoted Mermaid label: letters, digits, spaces and `-_./:` as they are, every
/// other character as its `#code;` entity.
fn label(text: &str) -> String {
    crate::text::single_spaced(text)
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || " -_./:".contains(c) {
                c.to_string()
            } else {
                format!("#{};", u32::from(c))
            }
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Checks a flowchart against the grammar of what [`flowchart`] writes: every line is a
    /// header, a node, a subgraph start or end, an edge between declared ids, or a class line.
    /// (No Mermaid parser runs here: it needs a browser. This is the subset's grammar.)
    pub(crate) fn check_grammar(chart: &str) -> Result<(), String> {
        let id = r"[ng]\d+";
        let quoted = r#""[^"\[\]<>`;]*(?:#\d+;[^"\[\]<>`;]*)*""#;
        let node = regex::Regex::new(&format!(r"^\s*({id})\[{quoted}\]$")).map_err(|e| e.to_string())?;
        let subgraph =
            regex::Regex::new(&format!(r"^\s*subgraph ({id})\[{quoted}\]$")).map_err(|e| e.to_string())?;
        let edge =
            regex::Regex::new(&format!(r"^\s*({id}) (-->|-\.->) ({id})$")).map_err(|e| e.to_string())?;
        let class_def = regex::Regex::new(
            r"^\s*classDef \w+ (fill|stroke|color):#[0-9a-f]{6}(,(fill|stroke|color):#[0-9a-f]{6})*$",
        )
        .map_err(|e| e.to_string())?;
        let class = regex::Regex::new(&format!(r"^\s*class {id}(,{id})* (down|impacted|degraded)$"))
            .map_err(|e| e.to_string())?;
        let mut lines = chart.lines();
        if lines.next() != Some("flowchart LR") {
            return Err("the first line must be `flowchart LR`".to_owned());
        }
        let mut declared = std::collections::HashSet::new();
        let mut open = 0_i32;
        for line in lines {
            if let Some(c) = node.captures(line).or_else(|| subgraph.captures(line)) {
                if line.trim_start().starts_with("subgraph") {
                    open += 1;
                }
                declared.insert(c[1].to_owned());
            } else if line.trim() == "end" {
                open -= 1;
            } else if let Some(c) = edge.captures(line) {
                for id in [&c[1], &c[3]] {
                    if !declared.contains(id) {
                        return Err(format!("edge to undeclared {id}: {line}"));
                    }
                }
            } else if !class_def.is_match(line) && !class.is_match(line) {
                return Err(format!("not Mermaid this writer knows: {line}"));
            }
            if open < 0 {
                return Err("`end` without `subgraph`".to_owned());
            }
        }
        if open != 0 { Err("a subgraph is not closed".to_owned()) } else { Ok(()) }
    }

    #[test]
    fn hostile_names_stay_labels() {
        assert_eq!(label("orders-db"), "orders-db");
        assert_eq!(label("a\"]; click n0 call evil()"), "a#34;#93;#59; click n0 call evil#40;#41;");
        assert_eq!(label("<b>x</b>"), "#60;b#62;x#60;/b#62;");
    }
}
