//! `smelt test-rules`: runs the `bad`/`good` examples of a rule pack (or of the built-in rules) and
//! reports each failure with the example's code around the failing line.

use super::{EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, fail, write_stdout};
use crate::rules::examples::{ExampleOutcome, check_examples, example_label};
use crate::rules::registry::{builtin, combine, load_dir};
use crate::rules::{LoadError, Rule};
use clap::{Args, ValueEnum};
use serde::Serialize;
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Args)]
pub struct TestRulesArgs {
    /// Folders of rule files to test (same format as the built-in `rules/`); none: the built-in rules.
    #[arg(value_name = "DIR")]
    dirs: Vec<PathBuf>,
    /// `text` for people, `json` for tools.
    #[arg(long, value_enum, default_value_t = TestFormat::Text)]
    format: TestFormat,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum TestFormat {
    Text,
    Json,
}

/// Lines of example code shown before and after a failing line.
const CONTEXT: u32 = 2;

pub fn run(args: TestRulesArgs) -> u8 {
    let Loaded { rules, known } = match load(&args.dirs) {
        Ok(loaded) => loaded,
        Err(errors) => return load_failed(&errors, args.format),
    };
    let results: Vec<(Arc<Rule>, Vec<ExampleOutcome>)> = rules
        .into_iter()
        .map(|rule| {
            let outcomes = check_examples(&rule, &known);
            (rule, outcomes)
        })
        .collect();
    let text = match args.format {
        TestFormat::Text => text(&results),
        TestFormat::Json => match serde_json::to_string_pretty(&json(&results)) {
            Ok(s) => s + "\n",
            Err(e) => return fail(e),
        },
    };
    if let Err(e) = write_stdout(&text) {
        return fail(e);
    }
    let all_passed = results.iter().all(|(_, outcomes)| outcomes.iter().all(ExampleOutcome::passed));
    if all_passed { EXIT_CLEAN } else { EXIT_FINDINGS }
}

/// The rules to test (the folders' rules, or every built-in one) and the names and codes of every
/// loaded rule (suppressions in examples may name any of them). A pack is checked against the built-in
/// rules too: `smelt check --rules` loads both, so a name or code they share is an error here as well.
fn load(dirs: &[PathBuf]) -> Result<Loaded, Vec<LoadError>> {
    let builtin = builtin()?;
    let mut user = Vec::new();
    let mut errors = Vec::new();
    for dir in dirs {
        if !dir.is_dir() {
            let origin = dir.display().to_string();
            errors.push(LoadError { origin, line: 1, message: "no such folder".into() });
            continue;
        }
        match load_dir(dir) {
            Ok(rules) if rules.is_empty() => errors.push(LoadError {
                origin: dir.display().to_string(),
                line: 1,
                message: "no rule files (`*.toml`) in this folder".into(),
            }),
            Ok(rules) => user.extend(rules),
            Err(mut e) => errors.append(&mut e),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let tested: BTreeSet<String> = if dirs.is_empty() {
        builtin.iter().map(|r| r.meta.name.clone()).collect()
    } else {
        user.iter().map(|r| r.meta.name.clone()).collect()
    };
    let all = combine(builtin, user)?;
    let mut known: Vec<String> =
        all.iter().flat_map(|r| [r.meta.name.clone(), r.meta.code.clone()]).collect();
    known.sort();
    let rules = all.into_iter().filter(|r| tested.contains(&r.meta.name)).map(Arc::new).collect();
    Ok(Loaded { rules, known })
}

struct Loaded {
    rules: Vec<Arc<Rule>>,
    known: Vec<String>,
}

fn load_failed(errors: &[LoadError], format: TestFormat) -> u8 {
    if let TestFormat::Json = format {
        let items: Vec<_> = errors
            .iter()
            .map(|e| serde_json::json!({ "file": e.origin, "line": e.line, "message": e.message }))
            .collect();
        if let Ok(s) = serde_json::to_string_pretty(&serde_json::json!({ "version": 1, "errors": items })) {
            let _ = write_stdout(&(s + "\n"));
        }
    }
    let message = errors
        .iter()
        .map(|e| match e.origin.ends_with(".toml") {
            true => format!("invalid rule: {e}"),
            false => format!("{}: {}", e.origin, e.message),
        })
        .collect::<Vec<_>>()
        .join("\n");
    fail(message);
    EXIT_ERROR
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 { format!("{n} {word}") } else { format!("{n} {word}s") }
}

fn lines(set: impl IntoIterator<Item = u32>) -> String {
    let v: Vec<String> = set.into_iter().map(|l| l.to_string()).collect();
    match v.len() {
        0 => "nothing".into(),
        1 => format!("line {}", v[0]),
        _ => format!("lines {}", v.join(", ")),
    }
}

/// The human report: one line per rule, each failure under its rule, and a summary.
fn text(results: &[(Arc<Rule>, Vec<ExampleOutcome>)]) -> String {
    let mut out = String::new();
    let (mut passed, mut failed) = (0, 0);
    for (rule, outcomes) in results {
        let bad = outcomes.iter().filter(|o| !o.passed()).count();
        passed += outcomes.len() - bad;
        failed += bad;
        let count = plural(outcomes.len(), "example");
        if bad == 0 {
            let _ = writeln!(out, "ok   {} ({count})", rule.meta.name);
            continue;
        }
        let _ = writeln!(out, "FAIL {} ({count}, {bad} failed)", rule.meta.name);
        for o in outcomes.iter().filter(|o| !o.passed()) {
            write_failed_example(&mut out, rule, o);
        }
    }
    let _ = writeln!(
        out,
        "\n{}, {}: {passed} passed, {failed} failed",
        plural(results.len(), "rule"),
        plural(passed + failed, "example")
    );
    out
}

fn write_failed_example(out: &mut String, rule: &Rule, o: &ExampleOutcome) {
    let Some(example) = rule.examples.get(o.index) else { return };
    let at =
        if example.line > 0 { format!(" at {}:{}", rule.meta.origin, example.line) } else { String::new() };
    let _ = writeln!(out, "  {}{at}", example_label(rule, o));
    let has_run = o.failures.iter().any(|f| f.line.is_some());
    if has_run {
        let _ = writeln!(out, "    expected to fire on: {}", lines(o.expected.iter().copied()));
        let fired: BTreeSet<u32> = o.fired.iter().map(|(l, _)| *l).collect();
        let _ = writeln!(out, "    fired on:            {}", lines(fired));
    }
    let code: Vec<&str> = example.code.lines().collect();
    for f in &o.failures {
        let _ = writeln!(out, "    {f}");
        let Some(line) = f.line.filter(|&l| l >= 1) else { continue };
        if example.line > 0 {
            let _ = writeln!(out, "    --> {}:{}", rule.meta.origin, example.line + line as usize - 1);
        }
        let first = line.saturating_sub(CONTEXT).max(1);
        let last = (line + CONTEXT).min(code.len() as u32);
        for n in first..=last {
            let mark = if n == line { '>' } else { '|' };
            let src = code.get(n as usize - 1).copied().unwrap_or_default();
            let _ = writeln!(out, "{}", format!("      {n:>3} {mark} {src}").trim_end());
        }
    }
}

#[derive(Serialize)]
struct JsonReport<'a> {
    version: u32,
    rules: Vec<JsonRule<'a>>,
    summary: JsonSummary,
}

#[derive(Serialize)]
struct JsonSummary {
    rules: usize,
    examples: usize,
    passed: usize,
    failed: usize,
}

#[derive(Serialize)]
struct JsonRule<'a> {
    name: &'a str,
    code: &'a str,
    origin: &'a str,
    passed: bool,
    examples: Vec<JsonExample<'a>>,
}

#[derive(Serialize)]
struct JsonExample<'a> {
    kind: &'static str,
    number: usize,
    path: &'a str,
    /// Line of the rule file where the example's code starts.
    line: usize,
    passed: bool,
    expected: Vec<u32>,
    fired: Vec<JsonFired<'a>>,
    failures: Vec<JsonFailure>,
}

#[derive(Serialize)]
struct JsonFired<'a> {
    line: u32,
    message: &'a str,
}

#[derive(Serialize)]
struct JsonFailure {
    problem: &'static str,
    /// Line in the example's code.
    line: Option<u32>,
    /// The same line in the rule file.
    file_line: Option<usize>,
    message: String,
}

fn json(results: &[(Arc<Rule>, Vec<ExampleOutcome>)]) -> JsonReport<'_> {
    let mut summary = JsonSummary { rules: results.len(), examples: 0, passed: 0, failed: 0 };
    let rules = results
        .iter()
        .map(|(rule, outcomes)| {
            let examples: Vec<JsonExample<'_>> = outcomes
                .iter()
                .filter_map(|o| {
                    let e = rule.examples.get(o.index)?;
                    Some(JsonExample {
                        kind: if e.good { "good" } else { "bad" },
                        number: o.number,
                        path: &e.path,
                        line: e.line,
                        passed: o.passed(),
                        expected: o.expected.iter().copied().collect(),
                        fired: o
                            .fired
                            .iter()
                            .map(|(line, message)| JsonFired { line: *line, message })
                            .collect(),
                        failures: o
                            .failures
                            .iter()
                            .map(|f| JsonFailure {
                                problem: f.problem.tag(),
                                line: f.line,
                                file_line: f
                                    .line
                                    .filter(|&l| l >= 1 && e.line > 0)
                                    .map(|l| e.line + l as usize - 1),
                                message: f.to_string(),
                            })
                            .collect(),
                    })
                })
                .collect();
            summary.examples += examples.len();
            let failed = examples.iter().filter(|e| !e.passed).count();
            summary.failed += failed;
            summary.passed += examples.len() - failed;
            JsonRule {
                name: &rule.meta.name,
                code: &rule.meta.code,
                origin: &rule.meta.origin,
                passed: failed == 0,
                examples,
            }
        })
        .collect();
    JsonReport { version: 1, rules, summary }
}
