//! SARIF 2.1.0 as GitHub code scanning reads it: one run, one rule per enabled rule, UTF-16 columns,
//! repo-relative URIs under `%SRCROOT%`, and a stable `partialFingerprints` entry per result.

use super::{RenderOptions, code_name, level_name};
use crate::finding::{Diagnostic, Finding, Location, Related, Report};
use crate::rules::meta::{Family, RuleMeta, Severity};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const INFORMATION_URI: &str = "https://github.com/smelt-lint/smelt";
const SRCROOT: &str = "%SRCROOT%";
/// The `partialFingerprints` key; bump the suffix if the fingerprint algorithm changes.
const FINGERPRINT_KEY: &str = "smelt/v1";

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool<'a>,
    invocations: [Invocation<'a>; 1],
    original_uri_base_ids: BTreeMap<&'static str, Empty>,
    column_kind: &'static str,
    results: Vec<SarifResult<'a>>,
}

#[derive(Serialize)]
struct Empty {}

#[derive(Serialize)]
struct Tool<'a> {
    driver: Driver<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver<'a> {
    name: &'static str,
    version: &'a str,
    information_uri: &'static str,
    rules: Vec<Rule<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    notifications: Vec<NotificationDescriptor>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule<'a> {
    id: &'a str,
    name: &'a str,
    short_description: Text,
    full_description: Text,
    help: Help<'a>,
    default_configuration: Configuration,
    properties: RuleProperties,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct Help<'a> {
    text: String,
    markdown: &'a str,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProperties {
    tags: Vec<String>,
    precision: String,
    #[serde(rename = "problem.severity")]
    problem_severity: &'static str,
    #[serde(rename = "security-severity", skip_serializing_if = "Option::is_none")]
    security_severity: Option<&'static str>,
}

#[derive(Serialize)]
struct NotificationDescriptor {
    id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation<'a> {
    execution_successful: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_execution_notifications: Vec<Notification<'a>>,
}

#[derive(Serialize)]
struct Notification<'a> {
    descriptor: DescriptorReference,
    level: &'static str,
    message: Text,
    locations: Vec<SarifLocation<'a>>,
}

#[derive(Serialize)]
struct DescriptorReference {
    id: String,
    index: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule_index: Option<usize>,
    level: &'static str,
    message: Text,
    locations: [SarifLocation<'a>; 1],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<RelatedLocation<'a>>,
    partial_fingerprints: BTreeMap<&'static str, &'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<SarifSuppression<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifLocation<'a> {
    physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RelatedLocation<'a> {
    id: usize,
    physical_location: PhysicalLocation,
    message: TextRef<'a>,
}

#[derive(Serialize)]
struct TextRef<'a> {
    text: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    uri_base_id: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
    start_column: u32,
    end_line: u32,
    end_column: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifSuppression<'a> {
    kind: &'static str,
    justification: &'a str,
    location: SarifLocation<'a>,
}

pub(super) fn render(report: &Report, opts: &RenderOptions) -> String {
    let rules = rule_list(report);
    let index: BTreeMap<&str, usize> = rules.iter().enumerate().map(|(i, r)| (r.code.as_str(), i)).collect();
    let notification_ids = notification_ids(&report.diagnostics);
    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: "smelt",
                    version: opts.tool_version,
                    information_uri: INFORMATION_URI,
                    rules: rules.iter().map(|r| rule(r)).collect(),
                    notifications: notification_ids
                        .iter()
                        .map(|id| NotificationDescriptor { id: id.clone() })
                        .collect(),
                },
            },
            invocations: [Invocation {
                execution_successful: !report
                    .diagnostics
                    .iter()
                    .any(|d| d.code == crate::finding::DiagnosticCode::InternalError),
                tool_execution_notifications: report
                    .diagnostics
                    .iter()
                    .map(|d| notification(d, &notification_ids))
                    .collect(),
            }],
            original_uri_base_ids: BTreeMap::from([(SRCROOT, Empty {})]),
            column_kind: "utf16CodeUnits",
            results: report
                .findings
                .iter()
                .map(|f| result(f, index.get(f.rule.code.as_str()).copied()))
                .collect(),
        }],
    };
    // Serializing structs of strings and numbers to a String cannot fail.
    let mut text = serde_json::to_string_pretty(&log).unwrap_or_default();
    text.push('\n');
    text
}

/// Every enabled rule, then any rule a finding names that the report's list lacks, so every result
/// has its `ruleIndex`.
fn rule_list(report: &Report) -> Vec<Arc<RuleMeta>> {
    let mut rules = report.rules.clone();
    for finding in &report.findings {
        if !rules.iter().any(|r| r.code == finding.rule.code) {
            rules.push(finding.rule.clone());
        }
    }
    rules
}

fn rule(meta: &RuleMeta) -> Rule<'_> {
    let text = markdown_to_text(&meta.docs);
    let first = first_paragraph(&meta.docs);
    Rule {
        id: &meta.code,
        name: &meta.name,
        short_description: Text { text: meta.summary.clone() },
        full_description: Text { text: if first.is_empty() { meta.summary.clone() } else { first } },
        help: Help {
            text: if text.is_empty() { meta.help.clone() } else { text },
            markdown: if meta.docs.is_empty() { &meta.help } else { &meta.docs },
        },
        default_configuration: Configuration { level: level(meta.severity) },
        properties: RuleProperties {
            tags: meta.tags(),
            precision: meta.precision.to_string(),
            problem_severity: problem_severity(meta.severity),
            security_severity: (meta.family == Family::Security).then(|| meta.severity.security_score()),
        },
    }
}

fn result(finding: &Finding, rule_index: Option<usize>) -> SarifResult<'_> {
    SarifResult {
        rule_id: &finding.rule.code,
        rule_index,
        level: level(finding.severity),
        message: Text { text: result_message(finding) },
        locations: [SarifLocation { physical_location: physical(&finding.location), message: None }],
        related_locations: finding.related.iter().enumerate().map(related).collect(),
        partial_fingerprints: BTreeMap::from([(FINGERPRINT_KEY, finding.fingerprint.as_str())]),
        suppressions: finding
            .suppressed
            .iter()
            .map(|s| SarifSuppression {
                kind: match finding.suppression_kind() {
                    Some(crate::finding::SuppressionKind::Config) => "external",
                    _ => "inSource",
                },
                justification: &s.reason,
                location: SarifLocation { physical_location: physical(&s.location), message: None },
            })
            .collect(),
    }
}

/// The message, then an embedded link to each related location: GitHub code scanning only shows
/// related locations that the message links to (`[text](id)`).
fn result_message(finding: &Finding) -> String {
    if finding.related.is_empty() {
        return finding.message.clone();
    }
    let links: Vec<String> = finding
        .related
        .iter()
        .enumerate()
        .map(|(i, r)| format!("[{}]({})", escape_link_text(&r.message), i + 1))
        .collect();
    format!("{} (see {})", finding.message, links.join(", "))
}

/// Brackets inside an embedded link's text must be escaped (SARIF §3.11.6).
fn escape_link_text(text: &str) -> String {
    text.replace('\\', "\\\\").replace('[', "\\[").replace(']', "\\]")
}

fn related((i, r): (usize, &Related)) -> RelatedLocation<'_> {
    RelatedLocation {
        id: i + 1,
        physical_location: physical(&r.location),
        message: TextRef { text: &r.message },
    }
}

fn notification<'a>(d: &'a Diagnostic, ids: &[String]) -> Notification<'a> {
    let id = code_name(d.code);
    let index = ids.iter().position(|i| *i == id).unwrap_or_default();
    let physical_location = match &d.location {
        Some(location) => physical(location),
        None => PhysicalLocation {
            artifact_location: ArtifactLocation { uri: encode_uri(&d.path), uri_base_id: SRCROOT },
            region: None,
        },
    };
    Notification {
        descriptor: DescriptorReference { id, index },
        level: level_name(d.level),
        message: Text { text: d.message.clone() },
        locations: vec![SarifLocation { physical_location, message: None }],
    }
}

/// The distinct diagnostic codes of the run, sorted: `tool.driver.notifications`.
fn notification_ids(diagnostics: &[Diagnostic]) -> Vec<String> {
    let mut codes: Vec<_> = diagnostics.iter().map(|d| d.code).collect();
    codes.sort();
    codes.dedup();
    codes.into_iter().map(code_name).collect()
}

fn physical(location: &Location) -> PhysicalLocation {
    PhysicalLocation {
        artifact_location: ArtifactLocation { uri: encode_uri(&location.path), uri_base_id: SRCROOT },
        region: Some(Region {
            start_line: location.start.line.max(1),
            start_column: location.start.utf16_column.max(1),
            end_line: location.end.line.max(1),
            end_column: location.end.utf16_column.max(1),
        }),
    }
}

/// SARIF result level (and rule default level).
fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub code scanning's `problem.severity` for non-security views.
fn problem_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "recommendation",
    }
}

/// Percent-encodes a repo-relative path as a URI reference: unreserved characters and `/` stay,
/// every other byte of the UTF-8 becomes `%XX`.
fn encode_uri(path: &str) -> String {
    let mut uri = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b'/') {
            uri.push(char::from(byte));
        } else {
            uri.push_str(&format!("%{byte:02X}"));
        }
    }
    uri
}

/// The first paragraph of Markdown docs that is not a heading, as one line of plain text.
fn first_paragraph(markdown: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    for line in markdown.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            // "Found two ways:" says nothing alone: keep the list it introduces.
            let introduces = lines.last().is_some_and(|l| l.ends_with(':'));
            if lines.is_empty() || (introduces && trimmed.is_empty()) {
                continue;
            }
            break;
        }
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            break;
        }
        lines.push(inline_text(trimmed));
    }
    lines.join(" ")
}

/// Markdown as plain text: heading marks, code fences, backticks, emphasis and link syntax removed,
/// link targets kept in parentheses.
fn markdown_to_text(markdown: &str) -> String {
    let mut out = Vec::new();
    let mut in_fence = false;
    for line in markdown.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            out.push(format!("    {line}"));
            continue;
        }
        let heading = trimmed.trim_start_matches('#');
        if heading.len() < trimmed.len() && (heading.is_empty() || heading.starts_with(' ')) {
            out.push(inline_text(heading.trim()));
            continue;
        }
        out.push(inline_text(line));
    }
    out.join("\n").trim().to_string()
}

fn inline_text(line: &str) -> String {
    let line = line.replace("**", "").replace("__", "").replace('`', "");
    let mut out = String::with_capacity(line.len());
    let mut rest = line.as_str();
    while let Some(open) = rest.find('[') {
        let Some((text, url, after)) = split_link(&rest[open..]) else {
            out.push_str(&rest[..=open]);
            rest = &rest[open + 1..];
            continue;
        };
        out.push_str(&rest[..open]);
        out.push_str(text);
        if url != text {
            out.push_str(&format!(" ({url})"));
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

/// `[text](url)rest` → (text, url, rest).
fn split_link(s: &str) -> Option<(&str, &str, &str)> {
    let close = s.find(']')?;
    let text = s.get(1..close)?;
    if text.contains('[') || !s.get(close..)?.starts_with("](") {
        return None;
    }
    let tail = s.get(close + 2..)?;
    let end = tail.find(')')?;
    Some((text, tail.get(..end)?, tail.get(end + 1..)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(encode_uri("infra/main.tf"), "infra/main.tf");
        assert_eq!(encode_uri("my dir/a#b%c.yaml"), "my%20dir/a%23b%25c.yaml");
        assert_eq!(encode_uri("charts/café/values.yaml"), "charts/caf%C3%A9/values.yaml");
    }

    #[test]
    fn link_text_brackets_are_escaped() {
        assert_eq!(escape_link_text(r#"cidr ["0.0.0.0/0"] \ here"#), r#"cidr \["0.0.0.0/0"\] \\ here"#);
    }

    #[test]
    fn docs_become_plain_text() {
        let docs =
            "# Title\n\nFlags `x` and **y**,\nsee [the docs](https://e.com).\n\n```yaml\na: [1]\n```\n";
        assert_eq!(first_paragraph(docs), "Flags x and y, see the docs (https://e.com).");
        assert_eq!(
            first_paragraph("## What\n\nFound two ways:\n\n- token formats;\n- key names.\n\nMore."),
            "Found two ways: - token formats; - key names."
        );
        assert_eq!(
            markdown_to_text(docs),
            "Title\n\nFlags x and y,\nsee the docs (https://e.com).\n\n    a: [1]"
        );
        assert_eq!(inline_text("[a] [b](c) [d]("), "[a] b (c) [d](");
    }
}
