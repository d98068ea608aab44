//! Runs a rule's own examples: every line of a `bad` example marked `# expect` must fire and no other
//! line may; a `good` example must produce nothing. The markers are stripped before the example is
//! checked, so they cannot change what the rule sees.

use super::Rule;
use super::registry::RuleSet;
use crate::discover::Input;
use crate::engine::{CheckOptions, check};
use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

const MARKER: &str = "# expect";

/// What happened to one example of a rule.
#[derive(Clone, Debug, PartialEq)]
pub struct ExampleOutcome {
    /// Index into `rule.examples`.
    pub index: usize,
    /// 1-based number among the examples of the same kind (`bad example #2`).
    pub number: usize,
    /// Lines marked `# expect` (1-based, in the example's code).
    pub expected: BTreeSet<u32>,
    /// Lines the rule fired on, with the finding's message, in line order.
    pub fired: Vec<(u32, String)>,
    /// Empty when the example holds.
    pub failures: Vec<ExampleFailure>,
}

impl ExampleOutcome {
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// One way an example did not hold.
#[derive(Clone, Debug, PartialEq)]
pub struct ExampleFailure {
    /// The 1-based line of the example's code it is about, when there is one.
    pub line: Option<u32>,
    pub problem: Problem,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Problem {
    /// A line marked `# expect` on which the rule did not fire.
    Missed,
    /// The rule fired on a line not marked `# expect`; the finding's message.
    Unexpected(String),
    /// The example produced a diagnostic (a parse error, a suppression problem): its code and message.
    Diagnostic { code: String, message: String },
    /// The example itself is wrong: markers in a good example, none in a bad one, a path smelt does
    /// not check.
    Invalid(String),
}

impl Problem {
    /// A stable tag for tools (`missed`, `unexpected`, `diagnostic`, `invalid`).
    pub fn tag(&self) -> &'static str {
        match self {
            Problem::Missed => "missed",
            Problem::Unexpected(_) => "unexpected",
            Problem::Diagnostic { .. } => "diagnostic",
            Problem::Invalid(_) => "invalid",
        }
    }
}

impl fmt::Display for ExampleFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let line = self.line.unwrap_or(0);
        match &self.problem {
            Problem::Missed => write!(f, "line {line} is marked `{MARKER}` but the rule did not fire"),
            Problem::Unexpected(message) => {
                write!(f, "line {line} fired but is not marked `{MARKER}`: {message}")
            }
            Problem::Diagnostic { code, message } => write!(f, "line {line}: {code}: {message}"),
            Problem::Invalid(message) => f.write_str(message),
        }
    }
}

/// Checks every example of `rule`; returns one outcome per example, in the rule's order (bad ones
/// first).
pub fn check_examples(rule: &Arc<Rule>, known: &[String]) -> Vec<ExampleOutcome> {
    let mut counts = [0usize; 2];
    let mut outcomes = Vec::with_capacity(rule.examples.len());
    for (index, example) in rule.examples.iter().enumerate() {
        counts[usize::from(example.good)] += 1;
        let (code, expected) = strip_markers(&example.code);
        let mut outcome = ExampleOutcome {
            index,
            number: counts[usize::from(example.good)],
            expected,
            fired: Vec::new(),
            failures: Vec::new(),
        };
        let invalid = if example.good && !outcome.expected.is_empty() {
            Some(format!("a good example must not mark lines with `{MARKER}`"))
        } else if let Some((path, _)) = example.also.iter().find(|(_, c)| !strip_markers(c).1.is_empty()) {
            Some(format!(
                "`{path}` is checked with the example: mark lines with `{MARKER}` in the example itself"
            ))
        } else if !example.good && outcome.expected.is_empty() {
            Some(format!("mark each line that must fire with a trailing `{MARKER}`"))
        } else {
            None
        };
        if let Some(message) = invalid {
            outcome.failures.push(ExampleFailure { line: None, problem: Problem::Invalid(message) });
            outcomes.push(outcome);
            continue;
        }
        let set = RuleSet::new(vec![rule.clone()], known.to_vec());
        let mut inputs = vec![Input::from_memory(&example.path, code.into_bytes())];
        inputs.extend(
            example.also.iter().map(|(path, code)| Input::from_memory(path, code.as_bytes().to_vec())),
        );
        let report =
            check(inputs, &set, &CheckOptions { jobs: 1, read_disk: false, ..CheckOptions::default() });
        // A cross-unit rule also reads files no per-unit rule checks (Helm values files).
        if report.files_checked == 0 && !rule.is_cross_unit() {
            let message = format!("`{}` is not a file kind smelt checks", example.path);
            outcome.failures.push(ExampleFailure { line: None, problem: Problem::Invalid(message) });
            outcomes.push(outcome);
            continue;
        }
        for d in &report.diagnostics {
            let code = serde_json::to_value(d.code)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_else(|| format!("{:?}", d.code));
            outcome.failures.push(ExampleFailure {
                line: d.location.as_ref().map(|l| l.start.line),
                problem: Problem::Diagnostic { code, message: d.message.clone() },
            });
        }
        for f in report.active_findings().filter(|f| f.location.path != example.path) {
            let message =
                format!("fired in `{}` line {}: {}", f.location.path, f.location.start.line, f.message);
            outcome.failures.push(ExampleFailure { line: None, problem: Problem::Unexpected(message) });
        }
        outcome.fired = report
            .active_findings()
            .filter(|f| f.location.path == example.path)
            .map(|f| (f.location.start.line, f.message.clone()))
            .collect();
        outcome.fired.sort();
        let fired: BTreeSet<u32> = outcome.fired.iter().map(|(l, _)| *l).collect();
        let mut problems: Vec<ExampleFailure> = outcome
            .expected
            .difference(&fired)
            .map(|&l| ExampleFailure { line: Some(l), problem: Problem::Missed })
            .collect();
        for (line, message) in &outcome.fired {
            if !outcome.expected.contains(line) {
                problems.push(ExampleFailure {
                    line: Some(*line),
                    problem: Problem::Unexpected(message.clone()),
                });
            }
        }
        problems.sort_by_key(|p| p.line);
        outcome.failures.extend(problems);
        outcomes.push(outcome);
    }
    outcomes
}

/// A label for an example in messages: `bad example #1 (s3.tf)`.
pub fn example_label(rule: &Rule, outcome: &ExampleOutcome) -> String {
    match rule.examples.get(outcome.index) {
        Some(e) => {
            format!("{} example #{} ({})", if e.good { "good" } else { "bad" }, outcome.number, e.path)
        }
        None => format!("example #{}", outcome.index + 1),
    }
}

/// Checks every example of `rule`; returns one message per failure (empty when all pass).
pub fn run_examples(rule: &Arc<Rule>, known: &[String]) -> Vec<String> {
    check_examples(rule, known)
        .iter()
        .flat_map(|o| {
            let label = format!("{} {}", rule.meta.name, example_label(rule, o));
            o.failures.iter().map(move |f| format!("{label}: {f}"))
        })
        .collect()
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
