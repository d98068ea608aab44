//! The versioned JSON output (`docs/json-output.md`), built from its own structs: field order here is
//! the key order in the output, and a field is only ever added within a version.

use super::{RenderOptions, code_name, level_name, summary};
use crate::finding::{Diagnostic, Finding, Location, Related, Report};
use serde::Serialize;

/// Bumped when a field is removed or renamed, or its meaning changes.
pub const JSON_VERSION: u32 = 1;

#[derive(Serialize)]
struct Output<'a> {
    version: u32,
    tool: Tool<'a>,
    findings: Vec<JsonFinding<'a>>,
    errors: Vec<JsonError<'a>>,
    summary: JsonSummary,
    /// Only with `--baseline`.
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline: Option<JsonBaseline<'a>>,
}

#[derive(Serialize)]
struct JsonBaseline<'a> {
    file: &'a str,
    matched: usize,
    stale: Vec<JsonStaleEntry<'a>>,
}

#[derive(Serialize)]
struct JsonStaleEntry<'a> {
    rule: &'a str,
    path: &'a str,
    line: u32,
    fingerprint: &'a str,
    message: &'a str,
}

#[derive(Serialize)]
struct Tool<'a> {
    name: &'static str,
    version: &'a str,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    path: &'a str,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
    rule: &'a str,
    name: &'a str,
    family: String,
    smell: String,
    severity: String,
    precision: String,
    cwe: Option<u32>,
    message: &'a str,
    help: &'a str,
    fingerprint: &'a str,
    related: Vec<JsonRelated<'a>>,
    suppressed: Option<JsonSuppression<'a>>,
}

#[derive(Serialize)]
struct JsonRelated<'a> {
    path: &'a str,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
    message: &'a str,
}

#[derive(Serialize)]
struct JsonSuppression<'a> {
    /// `in-source` (a comment) or `config` (a `smelt.toml` `[[ignore-paths]]` entry).
    kind: &'static str,
    reason: &'a str,
    path: &'a str,
    line: u32,
}

#[derive(Serialize)]
struct JsonError<'a> {
    code: String,
    level: &'static str,
    path: &'a str,
    line: Option<u32>,
    column: Option<u32>,
    message: &'a str,
}

#[derive(Serialize)]
struct JsonSummary {
    files_checked: usize,
    findings: usize,
    suppressed: usize,
    by_family: ByFamily,
    by_severity: BySeverity,
    errors: usize,
    warnings: usize,
}

#[derive(Serialize)]
struct ByFamily {
    security: usize,
    drift: usize,
    rollback: usize,
}

#[derive(Serialize)]
struct BySeverity {
    critical: usize,
    high: usize,
    medium: usize,
    low: usize,
    info: usize,
}

pub(super) fn render(report: &Report, opts: &RenderOptions) -> String {
    let output = Output {
        version: JSON_VERSION,
        tool: Tool { name: "smelt", version: opts.tool_version },
        findings: report.findings.iter().map(finding).collect(),
        errors: report.diagnostics.iter().map(error).collect(),
        summary: json_summary(report),
        baseline: report.baseline.as_ref().map(|b| JsonBaseline {
            file: &b.file,
            matched: b.matched,
            stale: b
                .stale
                .iter()
                .map(|e| JsonStaleEntry {
                    rule: &e.rule,
                    path: &e.path,
                    line: e.line,
                    fingerprint: &e.fingerprint,
                    message: &e.message,
                })
                .collect(),
        }),
    };
    // Serializing structs of strings and numbers to a String cannot fail.
    let mut text = serde_json::to_string_pretty(&output).unwrap_or_default();
    text.push('\n');
    text
}

fn finding(f: &Finding) -> JsonFinding<'_> {
    let (line, column, end_line, end_column) = range(&f.location);
    JsonFinding {
        path: &f.location.path,
        line,
        column,
        end_line,
        end_column,
        rule: &f.rule.code,
        name: &f.rule.name,
        family: f.rule.family.to_string(),
        smell: f.rule.smell.to_string(),
        severity: f.severity.to_string(),
        precision: f.rule.precision.to_string(),
        cwe: f.rule.cwe,
        message: &f.message,
        help: &f.rule.help,
        fingerprint: &f.fingerprint,
        related: f.related.iter().map(related).collect(),
        suppressed: f.suppressed.as_ref().map(|s| JsonSuppression {
            kind: match f.suppression_kind() {
                Some(crate::finding::SuppressionKind::Config) => "config",
                _ => "in-source",
            },
            reason: &s.reason,
            path: &s.location.path,
            line: s.location.start.line,
        }),
    }
}

fn related(r: &Related) -> JsonRelated<'_> {
    let (line, column, end_line, end_column) = range(&r.location);
    JsonRelated { path: &r.location.path, line, column, end_line, end_column, message: &r.message }
}

/// 1-based lines, 1-based columns in Unicode scalar values; the end is exclusive.
fn range(location: &Location) -> (u32, u32, u32, u32) {
    (location.start.line, location.start.column, location.end.line, location.end.column)
}

fn error(d: &Diagnostic) -> JsonError<'_> {
    JsonError {
        code: code_name(d.code),
        level: level_name(d.level),
        path: &d.path,
        line: d.location.as_ref().map(|l| l.start.line),
        column: d.location.as_ref().map(|l| l.start.column),
        message: &d.message,
    }
}

fn json_summary(report: &Report) -> JsonSummary {
    use crate::rules::meta::{Family, Severity};
    let s = summary(report);
    JsonSummary {
        files_checked: s.files_checked,
        findings: s.findings,
        suppressed: s.suppressed,
        by_family: ByFamily {
            security: s.family(Family::Security),
            drift: s.family(Family::Drift),
            rollback: s.family(Family::Rollback),
        },
        by_severity: BySeverity {
            critical: s.severity(Severity::Critical),
            high: s.severity(Severity::High),
            medium: s.severity(Severity::Medium),
            low: s.severity(Severity::Low),
            info: s.severity(Severity::Info),
        },
        errors: s.errors,
        warnings: s.warnings,
    }
}
