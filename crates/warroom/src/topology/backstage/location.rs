//! Following a catalog's `Location` entities from file to file.
//!
//! A Backstage catalog is often one small file of `kind: Location` entities whose
//! `spec.target` / `spec.targets` name the files that hold the rest, relative to the file that
//! names them (Backstage's own demo catalog is built that way). Read from a file, warroom reads
//! those too, breadth first, each file once however many Locations name it. A URL or a glob
//! pattern cannot be read from here: it is a warning and is not followed. Every file goes
//! through [`crate::files::read_to_string`], so each is size-capped, and the number of files is
//! capped too: a catalog cannot make warroom read without end.

use std::collections::{HashSet, VecDeque};
use std::path::{Component, Path, PathBuf};

use saphyr::{LoadableYamlNode, MarkedYaml};

use super::super::problem::{Level, Problem};
use super::reference::{error, get, line, string_list, text, warning};

/// The most files one catalog may spread over.
const MAX_FILES: usize = 1_000;

/// The files of a catalog, the one the caller named first.
pub(super) struct Loaded {
    pub files: Vec<LoadedFile>,
    /// Targets not followed (URLs, patterns, other location types).
    pub warnings: Vec<Problem>,
}

/// One file of a catalog and its text.
pub(super) struct LoadedFile {
    /// `None` for the file the caller named (problems in it are located by the caller).
    pub path: Option<PathBuf>,
    pub text: String,
}

/// Where a file was named: the file (`None`: the caller's) and line of the target.
type Referrer = (Option<PathBuf>, usize);

/// Reads `root` and every file its Locations name, transitively.
///
/// # Errors
/// Every problem found: a file that cannot be read (the root without a line, any other at the
/// line of the target that names it), or more than [`MAX_FILES`] files; warnings with them.
pub(super) fn load(root: &Path) -> Result<Loaded, Vec<Problem>> {
    let mut files: Vec<LoadedFile> = Vec::new();
    let mut problems: Vec<Problem> = Vec::new();
    let mut seen: HashSet<PathBuf> = HashSet::new();
    let mut queue: VecDeque<(PathBuf, Option<Referrer>)> = VecDeque::from([(root.to_path_buf(), None)]);
    while let Some((path, referrer)) = queue.pop_front() {
        // The same file by two names (`a/../b.yaml`, a link) is still one file.
        if !seen.insert(std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone())) {
            continue;
        }
        if files.len() == MAX_FILES {
            let message =
                format!("more than {MAX_FILES} catalog files: {} and the rest not read", path.display());
            problems.push(match &referrer {
                Some((file, at)) => error(file.as_deref(), *at, message),
                None => Problem::error(None, message),
            });
            break;
        }
        let text = match crate::files::read_to_string(&path) {
            Ok(text) => text,
            Err(e) => {
                problems.push(match &referrer {
                    Some((file, at)) => error(
                        file.as_deref(),
                        *at,
                        format!("Location target {}: cannot read: {e}", path.display()),
                    ),
                    None => Problem::error(None, format!("cannot read {}: {e}", path.display())),
                });
                continue;
            }
        };
        let name = referrer.as_ref().map(|_| path.clone());
        for (target, at) in targets(&text, name.as_deref(), &mut problems) {
            queue.push_back((beside(&path, &target), Some((name.clone(), at))));
        }
        files.push(LoadedFile { path: name, text });
    }
    if problems.iter().any(|p| p.level == Level::Error) {
        return Err(problems);
    }
    Ok(Loaded { files, warnings: problems })
}

/// The file targets of the Locations in one file's text, each with its line. A file that is not
/// YAML has none here: parsing it reports its syntax error.
fn targets(source: &str, file: Option<&Path>, problems: &mut Vec<Problem>) -> Vec<(String, usize)> {
    let Ok(docs) = MarkedYaml::load_from_str(source) else { return Vec::new() };
    let mut found = Vec::new();
    for doc in &docs {
        if !text(doc, &["kind"]).is_some_and(|k| k.eq_ignore_ascii_case("location")) {
            continue;
        }
        if let Some(kind) = text(doc, &["spec", "type"])
            && !matches!(kind.trim().to_lowercase().as_str(), "url" | "file")
        {
            let message = format!("a Location of type '{kind}' is not followed: warroom reads files");
            problems.push(warning(file, line(doc), message));
            continue;
        }
        let mut listed: Vec<(&str, usize)> = Vec::new();
        if let Some(target) = get(doc, &["spec", "target"]) {
            match target.data.as_str() {
                Some(t) => listed.push((t, line(target))),
                None => problems.push(error(file, line(target), "spec.target: expected a path (text)")),
            }
        }
        if let Some(list) = get(doc, &["spec", "targets"]) {
            listed.extend(string_list(list, "spec.targets", file, problems));
        }
        if listed.is_empty() {
            problems.push(warning(file, line(doc), "a Location without spec.target or spec.targets"));
        }
        for (target, at) in listed {
            let target = target.trim();
            if target.contains("://") {
                let message =
                    format!("Location target '{target}' is a URL: not followed (warroom reads files)");
                problems.push(warning(file, at, message));
            } else if target.contains(['*', '?', '[']) {
                let message =
                    format!("Location target '{target}' is a pattern: not followed (list the files)");
                problems.push(warning(file, at, message));
            } else if target.is_empty() {
                problems.push(error(file, at, "an empty Location target"));
            } else {
                found.push((target.to_owned(), at));
            }
        }
    }
    found
}

/// `target` as a path: relative to the folder of the file that names it, `./` dropped.
fn beside(file: &Path, target: &str) -> PathBuf {
    let joined = file.parent().unwrap_or(Path::new("")).join(target);
    joined.components().filter(|c| *c != Component::CurDir).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_target_is_read_beside_the_file_that_names_it() {
        assert_eq!(beside(Path::new("cat/all.yaml"), "./apis/a.yaml"), PathBuf::from("cat/apis/a.yaml"));
        assert_eq!(beside(Path::new("all.yaml"), "./a.yaml"), PathBuf::from("a.yaml"));
        assert_eq!(beside(Path::new("cat/all.yaml"), "../b.yaml"), PathBuf::from("cat/../b.yaml"));
    }

    #[test]
    fn urls_and_patterns_are_warned_about_and_not_followed() {
        let yaml =
            "kind: Location\nspec:\n  targets:\n    - ./a.yaml\n    - https://x/y.yaml\n    - ./c/*.yaml\n";
        let mut problems = Vec::new();
        let found = targets(yaml, None, &mut problems);
        assert_eq!(found, [("./a.yaml".to_owned(), 4)]);
        let lines: Vec<(Level, Option<usize>)> = problems.iter().map(|p| (p.level, p.line)).collect();
        assert_eq!(lines, [(Level::Warning, Some(5)), (Level::Warning, Some(6))]);
    }
}
