//! Runs a rule's own examples: every line of a `bad` example marked `# expect` must fire and no other
//! line may; a `good` example must produce nothing. The markers are stripped before the example is
//! checked, so they cannot change what the rule sees.

use super::Rule;
use super::registry::RuleSet;
use crate::discover::Input;
use crate::engine::{CheckOptions, check};
use std::collections::BTreeSet;
use std::sync::Arc;

const MARKER: &str = "# expect";

/// Checks every example of `rule`; returns one message per failure (empty when all pass).
pub fn run_examples(rule: &Arc<Rule>, known: &[String]) -> Vec<String> {
    let mut failures = Vec::new();
    for (i, example) in rule.examples.iter().enumerate() {
        let label = format!(
            "{} {} example #{} ({})",
            rule.meta.name,
            if example.good { "good" } else { "bad" },
            i + 1,
            example.path
        );
        let (code, expected) = strip_markers(&example.code);
        if example.good && !expected.is_empty() {
            failures.push(format!("{label}: a good example must not mark lines with `{MARKER}`"));
            continue;
        }
        if !example.good && expected.is_empty() {
            failures.push(format!("{label}: mark each line that must fire with a trailing `{MARKER}`"));
            continue;
        }
        let set = RuleSet { rules: vec![rule.clone()], known: known.to_vec() };
        let report = check(
            vec![Input::from_memory(&example.path, code.into_bytes())],
            &set,
            &CheckOptions { jobs: 1, ..CheckOptions::default() },
        );
        if report.files_checked == 0 {
            failures.push(format!("{label}: the path is not a file kind smelt checks"));
            continue;
        }
        for d in &report.diagnostics {
            let line = d.location.as_ref().map(|l| l.start.line).unwrap_or(0);
            failures.push(format!(
                "{label}: line {line}: {}: {}",
                serde_json::to_string(&d.code).unwrap_or_default(),
                d.message
            ));
        }
        let fired: BTreeSet<u32> = report.active_findings().map(|f| f.location.start.line).collect();
        for missing in expected.difference(&fired) {
            failures.push(format!("{label}: line {missing} is marked `{MARKER}` but the rule did not fire"));
        }
        for extra in fired.difference(&expected) {
            failures.push(format!("{label}: line {extra} fired but is not marked `{MARKER}`"));
        }
    }
    failures
}

/// Removes trailing `# expect` markers; returns the code and the 1-based lines that carried one.
pub fn strip_markers(code: &str) -> (String, BTreeSet<u32>) {
    let mut out = String::with_capacity(code.len());
    let mut lines = BTreeSet::new();
    for (i, line) in code.split_inclusive('\n').enumerate() {
        let (body, newline) = match line.strip_suffix('\n') {
            Some(b) => (b, "\n"),
            None => (line, ""),
        };
        match body.trim_end().strip_suffix(MARKER) {
            Some(rest) => {
                lines.insert(i as u32 + 1);
                out.push_str(rest.trim_end());
            }
            None => out.push_str(body),
        }
        out.push_str(newline);
    }
    (out, lines)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::registry::builtin;

    #[test]
    fn markers_are_stripped() {
        let (code, lines) = strip_markers("a = 1\nb = \"x\"  # expect\n# TODO later # expect\n");
        assert_eq!(code, "a = 1\nb = \"x\"\n# TODO later\n");
        assert_eq!(lines.into_iter().collect::<Vec<_>>(), [2, 3]);
    }

    /// Every built-in rule's examples hold: the docs cannot claim what the rule does not do.
    #[test]
    fn builtin_rule_examples_hold() {
        let rules = builtin().unwrap_or_else(|errs| panic!("built-in rules must load: {errs:#?}"));
        assert!(!rules.is_empty());
        let known: Vec<String> =
            rules.iter().flat_map(|r| [r.meta.name.clone(), r.meta.code.clone()]).collect();
        let failures: Vec<String> =
            rules.into_iter().map(Arc::new).flat_map(|r| run_examples(&r, &known)).collect();
        assert!(failures.is_empty(), "rule examples failed:\n{}", failures.join("\n"));
    }
}
