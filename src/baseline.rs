//! Baselines: record today's findings so a repository can adopt smelt now and see only new problems.
//!
//! `--write-baseline FILE` writes every active finding as an entry (rule name, path, fingerprint, and
//! the line and message for people reading the file). `--baseline FILE` drops each finding that an entry
//! matches, counts them, and lists the entries that matched nothing (stale: fixed or deleted code) so
//! they can be pruned by writing the baseline again.
//!
//! An entry matches a finding with the same rule and fingerprint (fingerprints leave out the path and
//! the line, see `fingerprint` in `engine.rs`) and the same path; or, when the entry's path no longer
//! exists, a finding anywhere with the same rule and fingerprint — the file moved with its content
//! unchanged. Each entry matches at most one finding and each finding at most one entry.

use crate::finding::Report;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;

/// Bumped when a field is removed or renamed, or its meaning changes.
pub const BASELINE_VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The rule's name, e.g. `hardcoded-secret`.
    pub rule: String,
    pub path: String,
    pub fingerprint: String,
    /// For people: where the finding was when the baseline was written. Not used for matching.
    #[serde(default)]
    pub line: u32,
    /// For people: the finding's message. Not used for matching.
    #[serde(default)]
    pub message: String,
}

#[derive(Serialize, Deserialize)]
struct BaselineFile {
    version: u32,
    tool: Tool,
    entries: Vec<Entry>,
}

#[derive(Serialize, Deserialize)]
struct Tool {
    name: String,
    version: String,
}

/// What applying a baseline did, for the outputs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Applied {
    /// The baseline file as the user named it.
    pub file: String,
    /// Findings the baseline matched (and that were dropped from the report).
    pub matched: usize,
    /// Entries that matched no finding, in file order (path, line, rule).
    pub stale: Vec<Entry>,
}

/// The baseline for a report's active findings: pretty JSON, entries sorted by path, line, rule and
/// fingerprint, ending with a newline. The same findings always give the same bytes.
pub fn write(report: &Report, tool_version: &str) -> String {
    let mut entries: Vec<Entry> = report
        .active_findings()
        .map(|f| Entry {
            rule: f.rule.name.clone(),
            path: f.location.path.clone(),
            fingerprint: f.fingerprint.clone(),
            line: f.location.start.line,
            message: f.message.clone(),
        })
        .collect();
    sort(&mut entries);
    let file = BaselineFile {
        version: BASELINE_VERSION,
        tool: Tool { name: "smelt".into(), version: tool_version.into() },
        entries,
    };
    // Serializing structs of strings and numbers to a String cannot fail.
    let mut text = serde_json::to_string_pretty(&file).unwrap_or_default();
    text.push('\n');
    text
}

/// Reads a baseline file; the error names the file and says what is wrong with it.
pub fn read(path: &Path) -> Result<Vec<Entry>, String> {
    let name = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read baseline {name}: {e}"))?;
    parse(&text).map_err(|e| format!("invalid baseline {name}: {e}"))
}

pub fn parse(text: &str) -> Result<Vec<Entry>, String> {
    let file: BaselineFile = serde_json::from_str(text).map_err(|e| e.to_string())?;
    if file.version != BASELINE_VERSION {
        return Err(format!(
            "version {} is not supported (this smelt reads version {BASELINE_VERSION}); write it again with --write-baseline",
            file.version
        ));
    }
    Ok(file.entries)
}

/// Drops the active findings of `report` that `entries` match and records what happened in
/// `report.baseline`. `exists` says whether an entry's path still exists (if not, the entry may match
/// a moved file); `in_scope` says whether an unmatched entry counts as stale in this run (its file was
/// checked, or it is gone) rather than belonging to files this run did not look at.
pub fn apply(
    report: &mut Report,
    file: &str,
    entries: &[Entry],
    exists: impl Fn(&str) -> bool,
    in_scope: impl Fn(&str) -> bool,
) {
    let mut by_key: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
    for (i, e) in entries.iter().enumerate() {
        by_key.entry((e.rule.as_str(), e.fingerprint.as_str())).or_default().push(i);
    }
    let mut used = vec![false; entries.len()];
    let mut dropped = vec![false; report.findings.len()];
    let gone: Vec<bool> = entries.iter().map(|e| !exists(&e.path)).collect();
    // Same path first, so a moved-file match never takes an entry that an unmoved finding needs.
    for moved in [false, true] {
        for (fi, f) in report.findings.iter().enumerate() {
            if dropped[fi] || f.suppressed.is_some() {
                continue;
            }
            let Some(candidates) = by_key.get(&(f.rule.name.as_str(), f.fingerprint.as_str())) else {
                continue;
            };
            let hit = candidates
                .iter()
                .copied()
                .find(|&i| !used[i] && if moved { gone[i] } else { entries[i].path == f.location.path });
            if let Some(i) = hit {
                used[i] = true;
                dropped[fi] = true;
            }
        }
    }
    let mut keep = dropped.iter().map(|d| !d);
    report.findings.retain(|_| keep.next().unwrap_or(true));
    let mut stale: Vec<Entry> = entries
        .iter()
        .zip(&used)
        .filter(|(e, used)| !**used && in_scope(&e.path))
        .map(|(e, _)| e.clone())
        .collect();
    sort(&mut stale);
    let matched = used.iter().filter(|u| **u).count();
    report.baseline = Some(Applied { file: file.to_string(), matched, stale });
}

fn sort(entries: &mut [Entry]) {
    entries.sort_by(|a, b| {
        (&a.path, a.line, &a.rule, &a.fingerprint).cmp(&(&b.path, b.line, &b.rule, &b.fingerprint))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Finding, Location, Suppression};
    use crate::rules::meta::{RuleMeta, Severity};
    use crate::span::{Position, Span};
    use std::sync::Arc;

    fn meta(name: &str) -> Arc<RuleMeta> {
        Arc::new(RuleMeta::for_tests(name))
    }

    fn finding(rule: &str, path: &str, line: u32, fingerprint: &str) -> Finding {
        let at = Position { line, column: 1, utf16_column: 1 };
        Finding {
            rule: meta(rule),
            location: Location { path: path.into(), span: Span::new(0, 1), start: at, end: at },
            message: format!("{rule} at {line}"),
            related: Vec::new(),
            severity: Severity::High,
            fingerprint: fingerprint.into(),
            suppressed: None,
        }
    }

    fn report(findings: Vec<Finding>) -> Report {
        Report { findings, ..Report::default() }
    }

    fn roundtrip(r: &Report) -> Vec<Entry> {
        parse(&write(r, "0.0.0")).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn writes_sorted_deterministic_entries_of_active_findings_only() {
        let mut suppressed = finding("r", "a.tf", 1, "f0");
        suppressed.suppressed =
            Some(Suppression { reason: "x".into(), location: suppressed.location.clone() });
        let r = report(vec![finding("r", "b.tf", 1, "f1"), finding("r", "a.tf", 9, "f2"), suppressed]);
        let text = write(&r, "0.0.0");
        assert!(text.ends_with("}\n"));
        assert!(text.starts_with("{\n  \"version\": 1,\n  \"tool\": {\n    \"name\": \"smelt\""));
        let entries = roundtrip(&r);
        let order: Vec<&str> = entries.iter().map(|e| e.fingerprint.as_str()).collect();
        assert_eq!(order, ["f2", "f1"]);
        assert_eq!(entries[0].message, "r at 9");
    }

    #[test]
    fn rejects_malformed_and_future_baselines() {
        assert!(parse("not json").is_err());
        assert!(parse("{\"version\": 1}").is_err());
        let future = "{\"version\": 2, \"tool\": {\"name\": \"smelt\", \"version\": \"9\"}, \"entries\": []}";
        assert!(parse(future).err().unwrap_or_default().contains("version 2"));
    }

    #[test]
    fn matches_by_rule_fingerprint_and_path_and_lists_stale_entries() {
        let entries = roundtrip(&report(vec![finding("r", "a.tf", 3, "f1"), finding("r", "a.tf", 5, "f2")]));
        // f1 moved down a line (still matched), f2 was fixed (stale), f3 and an f1 from another rule are new.
        let mut now = report(vec![
            finding("r", "a.tf", 4, "f1"),
            finding("other", "a.tf", 4, "f1"),
            finding("r", "a.tf", 8, "f3"),
        ]);
        apply(&mut now, "b.json", &entries, |_| true, |_| true);
        let left: Vec<(&str, &str)> =
            now.findings.iter().map(|f| (f.rule.name.as_str(), f.fingerprint.as_str())).collect();
        assert_eq!(left, [("other", "f1"), ("r", "f3")]);
        let applied = now.baseline.unwrap_or_else(|| panic!("applied"));
        assert_eq!(applied.matched, 1);
        assert_eq!(applied.stale.iter().map(|e| e.fingerprint.as_str()).collect::<Vec<_>>(), ["f2"]);
    }

    #[test]
    fn a_moved_file_still_matches_but_a_copy_does_not() {
        let entries = roundtrip(&report(vec![finding("r", "old/a.tf", 3, "f1")]));
        let mut moved = report(vec![finding("r", "new/a.tf", 3, "f1")]);
        apply(&mut moved, "b.json", &entries, |p| p != "old/a.tf", |_| true);
        assert!(moved.findings.is_empty());
        assert_eq!(moved.baseline.as_ref().map(|b| b.matched), Some(1));

        let mut copied = report(vec![finding("r", "old/a.tf", 3, "f1"), finding("r", "new/a.tf", 3, "f1")]);
        apply(&mut copied, "b.json", &entries, |_| true, |_| true);
        assert_eq!(copied.findings.len(), 1);
        assert_eq!(copied.findings[0].location.path, "new/a.tf");
    }

    #[test]
    fn entries_outside_the_run_are_not_stale() {
        let entries = roundtrip(&report(vec![finding("r", "elsewhere.tf", 3, "f1")]));
        let mut r = report(Vec::new());
        apply(&mut r, "b.json", &entries, |_| true, |p| p != "elsewhere.tf");
        assert_eq!(r.baseline.map(|b| b.stale.len()), Some(0));
    }
}
