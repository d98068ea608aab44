//! Renderers: one [`Report`] in, one `String` out, in the format the user asked for.
//!
//! Nothing here prints. Every format is built from the same [`Report`]; `json` and `sarif` build their
//! own output structs so a change to the internal model never changes a public format by accident.

mod github;
mod gitlab;
mod human;
mod json;
mod junit;
mod sarif;
#[cfg(test)]
mod tests;

use crate::finding::{DiagnosticCode, Level, Report};
use crate::rules::meta::{Family, Severity};
use std::fmt;

/// The output formats `render` knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// miette code frames for people, with a one-line summary at the end.
    Human,
    /// The versioned JSON schema documented in `docs/json-output.md`.
    Json,
    /// SARIF 2.1.0 for GitHub code scanning and other SARIF consumers.
    Sarif,
    /// GitLab Code Quality JSON (`artifacts:reports:codequality`).
    Gitlab,
    /// GitHub Actions workflow commands (`::error file=…,line=…::…`): annotations on the diff.
    Github,
    /// JUnit XML: one test suite per rule, one test case per finding.
    Junit,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RenderOptions {
    /// ANSI colours in `human` output (ignored by the machine formats).
    pub color: bool,
    /// smelt's version, written into `json` and `sarif` output.
    pub tool_version: &'static str,
    /// Terminal width `human` output wraps at; fixed in tests so snapshots are deterministic.
    pub width: usize,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions { color: false, tool_version: env!("CARGO_PKG_VERSION"), width: 100 }
    }
}

/// Renders the whole report; machine formats end with a newline.
pub fn render(report: &Report, format: Format, opts: &RenderOptions) -> String {
    match format {
        Format::Human => human::render(report, opts),
        Format::Json => json::render(report, opts),
        Format::Sarif => sarif::render(report, opts),
        Format::Gitlab => gitlab::render(report, opts),
        Format::Github => github::render(report, opts),
        Format::Junit => junit::render(report, opts),
    }
}

/// The families in the order every output lists them.
pub const FAMILIES: [Family; 3] = [Family::Security, Family::Drift, Family::Rollback];

/// The severities in the order every output lists them: most severe first.
pub const SEVERITIES: [Severity; 5] =
    [Severity::Critical, Severity::High, Severity::Medium, Severity::Low, Severity::Info];

/// Counts over a report. Finding counts cover active (unsuppressed) findings only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    pub files_checked: usize,
    /// Active findings.
    pub findings: usize,
    /// Findings silenced by a suppression comment.
    pub suppressed: usize,
    /// Findings dropped because `--baseline` matched them.
    pub baselined: usize,
    /// Baseline entries that matched nothing (fixed or deleted code).
    pub stale_baseline: usize,
    /// Active findings per family, every family listed, in [`FAMILIES`] order.
    pub by_family: [(Family, usize); 3],
    /// Active findings per severity, every severity listed, in [`SEVERITIES`] order.
    pub by_severity: [(Severity, usize); 5],
    /// Diagnostics at level error.
    pub errors: usize,
    /// Diagnostics at level warning.
    pub warnings: usize,
}

impl Summary {
    pub fn family(&self, family: Family) -> usize {
        self.by_family.iter().find(|(f, _)| *f == family).map_or(0, |(_, n)| *n)
    }

    pub fn severity(&self, severity: Severity) -> usize {
        self.by_severity.iter().find(|(s, _)| *s == severity).map_or(0, |(_, n)| *n)
    }
}

pub fn summary(report: &Report) -> Summary {
    let mut summary = Summary {
        files_checked: report.files_checked,
        findings: 0,
        suppressed: 0,
        baselined: report.baseline.as_ref().map_or(0, |b| b.matched),
        stale_baseline: report.baseline.as_ref().map_or(0, |b| b.stale.len()),
        by_family: FAMILIES.map(|f| (f, 0)),
        by_severity: SEVERITIES.map(|s| (s, 0)),
        errors: 0,
        warnings: 0,
    };
    for finding in &report.findings {
        if finding.suppressed.is_some() {
            summary.suppressed += 1;
            continue;
        }
        summary.findings += 1;
        for (family, n) in &mut summary.by_family {
            if *family == finding.rule.family {
                *n += 1;
            }
        }
        for (severity, n) in &mut summary.by_severity {
            if *severity == finding.severity {
                *n += 1;
            }
        }
    }
    for diagnostic in &report.diagnostics {
        match diagnostic.level {
            Level::Error => summary.errors += 1,
            Level::Warning => summary.warnings += 1,
            Level::Note => {}
        }
    }
    summary
}

/// The one-line summary `human` output ends with, e.g.
/// `Found 3 findings (security 2, rollback 1; high 2, medium 1) in 4 files; 1 suppressed; 1 error`.
impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let files = plural(self.files_checked, "file", "files");
        if self.findings == 0 {
            write!(f, "No findings in {files}")?;
        } else {
            let families = nonzero(&self.by_family);
            let severities = nonzero(&self.by_severity);
            let findings = plural(self.findings, "finding", "findings");
            write!(f, "Found {findings} ({families}; {severities}) in {files}")?;
        }
        if self.suppressed > 0 {
            write!(f, "; {} suppressed", self.suppressed)?;
        }
        if self.baselined > 0 {
            write!(f, "; {} matched by the baseline", self.baselined)?;
        }
        if self.stale_baseline > 0 {
            write!(f, "; {}", plural(self.stale_baseline, "stale baseline entry", "stale baseline entries"))?;
        }
        let mut problems = Vec::new();
        if self.errors > 0 {
            problems.push(plural(self.errors, "error", "errors"));
        }
        if self.warnings > 0 {
            problems.push(plural(self.warnings, "warning", "warnings"));
        }
        if !problems.is_empty() {
            write!(f, "; {}", problems.join(", "))?;
        }
        if self.findings == 0 {
            f.write_str(".")?;
        }
        Ok(())
    }
}

fn nonzero<T: fmt::Display>(counts: &[(T, usize)]) -> String {
    let parts: Vec<String> =
        counts.iter().filter(|(_, n)| *n > 0).map(|(what, n)| format!("{what} {n}")).collect();
    parts.join(", ")
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The kebab-case name of a diagnostic code (`parse-error`), as JSON and SARIF show it.
fn code_name(code: DiagnosticCode) -> String {
    match serde_json::to_value(code) {
        Ok(serde_json::Value::String(name)) => name,
        _ => format!("{code:?}"),
    }
}

fn level_name(level: Level) -> &'static str {
    match level {
        Level::Error => "error",
        Level::Warning => "warning",
        Level::Note => "note",
    }
}
