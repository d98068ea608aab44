//! Every format rendered from one small hand-built report: two files, a finding of each family, one
//! suppressed, one with related locations in the same and in another file, a non-ASCII line, a
//! multi-line block, and two diagnostics (with and without a location).
#![allow(clippy::unwrap_used)]

use super::{Format, RenderOptions, render, summary};
use crate::finding::{Diagnostic, DiagnosticCode, Finding, Level, Location, Related, Report, Suppression};
use crate::rules::meta::{Family, Precision, RuleMeta, Severity, Smell};
use crate::span::{LineIndex, Span};
use std::collections::BTreeMap;
use std::sync::Arc;

const MAIN_TF: &str = r#"provider "aws" {
  region     = "eu-west-1"
  secret_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
}

resource "aws_db_instance" "main" {
  engine              = "postgres"
  password            = "hunter2" # smelt: ignore[hardcoded-secret] throwaway CI database
  skip_final_snapshot = true
}

resource "aws_security_group_rule" "ssh" {
  cidr_blocks = [var.admin_cidr]
}
"#;

const APP_YAML: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: café
spec:
  template:
    spec:
      containers:
        - {name: "wéb-🚀", image: "nginx:latest"}
        - name: sidecar
          image: "envoyproxy/envoy@sha256:3d5e0b1f"
          securityContext:
            runAsUser: 0
            privileged: true
"#;

const VARIABLES_TF: &str = r#"variable "admin_cidr" {
  default = "0.0.0.0/0"
}
"#;

const BROKEN_YAML: &str = "steps:\n  - run: echo \"unterminated\n";

/// The location of the `nth` (0-based) occurrence of `needle` in `text`.
fn loc_nth(path: &str, text: &str, needle: &str, nth: usize) -> Location {
    let start = text.match_indices(needle).nth(nth).map(|(i, _)| i).unwrap_or_else(|| {
        panic!("{needle:?} not found in {path}");
    });
    span_loc(path, text, Span::new(start, start + needle.len()))
}

fn loc(path: &str, text: &str, needle: &str) -> Location {
    loc_nth(path, text, needle, 0)
}

fn span_loc(path: &str, text: &str, span: Span) -> Location {
    let index = LineIndex::new(text);
    Location {
        path: path.to_string(),
        span,
        start: index.position(text, span.start),
        end: index.position(text, span.end),
    }
}

fn rule(code: &str, name: &str, smell: Smell, severity: Severity, precision: Precision) -> Arc<RuleMeta> {
    Arc::new(RuleMeta {
        code: code.to_string(),
        name: name.to_string(),
        family: smell.family(),
        smell,
        severity,
        precision,
        cwe: smell.cwe(),
        summary: format!("Summary of {name}."),
        help: format!("How to fix {name}."),
        docs: format!(
            "## What it flags\n\nThe `{name}` rule flags **this** smell\nacross two lines.\n\n\
             ## How to fix\n\n```hcl\nexample = true\n```\n\nSee [the guide](https://example.com/{name}).\n"
        ),
        origin: format!("rules/{name}.toml"),
        fix: None,
    })
}

fn finding(
    rule: &Arc<RuleMeta>,
    location: Location,
    message: &str,
    related: Vec<Related>,
    fingerprint: &str,
) -> Finding {
    Finding {
        rule: rule.clone(),
        location,
        message: message.to_string(),
        related,
        severity: rule.severity,
        fingerprint: fingerprint.to_string(),
        suppressed: None,
    }
}

pub(super) fn sample_report() -> Report {
    let app = "deploy/web app.yaml";
    let main = "infra/main.tf";
    let vars = "infra/variables.tf";
    let unpinned = rule("D101", "unpinned-image", Smell::UnpinnedVersion, Severity::Medium, Precision::High);
    let final_snapshot = rule(
        "R104",
        "skip-final-snapshot",
        Smell::UnprotectedStatefulResource,
        Severity::Medium,
        Precision::VeryHigh,
    );
    let secret =
        rule("S101", "hardcoded-secret", Smell::HardcodedSecret, Severity::Critical, Precision::High);
    let open = rule("S105", "open-ingress", Smell::UnrestrictedNetwork, Severity::High, Precision::Medium);
    let privileged =
        rule("S110", "privileged-container", Smell::PrivilegedContainer, Severity::High, Precision::VeryHigh);

    let db_block_start = MAIN_TF.find("resource \"aws_db_instance\"").unwrap_or_default();
    let db_block_end = MAIN_TF.find("}\n\nresource \"aws_security").unwrap_or_default() + 1;
    let mut suppressed = finding(
        &secret,
        loc(main, MAIN_TF, "\"hunter2\""),
        "hardcoded password in `aws_db_instance.main`",
        vec![],
        "5e0f1c2d3b4a59687766554433221100",
    );
    suppressed.suppressed = Some(Suppression {
        reason: "throwaway CI database".to_string(),
        location: loc(main, MAIN_TF, "# smelt: ignore[hardcoded-secret] throwaway CI database"),
    });

    let findings = vec![
        finding(
            &unpinned,
            loc(app, APP_YAML, "nginx:latest"),
            "image `nginx:latest` is not pinned to a digest",
            vec![],
            "0a1b2c3d4e5f60718293a4b5c6d7e8f9",
        ),
        finding(
            &privileged,
            loc(app, APP_YAML, "privileged: true"),
            "container `sidecar` runs privileged",
            vec![Related {
                location: loc(app, APP_YAML, "runAsUser: 0"),
                message: "and as root".to_string(),
            }],
            "1f2e3d4c5b6a79881726354453627180",
        ),
        finding(
            &secret,
            loc(main, MAIN_TF, "\"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\""),
            "hardcoded AWS secret key in provider `aws`",
            vec![],
            "2b3c4d5e6f708192a3b4c5d6e7f80912",
        ),
        finding(
            &final_snapshot,
            span_loc(main, MAIN_TF, Span::new(db_block_start, db_block_end)),
            "`aws_db_instance.main` is destroyed without a final snapshot",
            vec![Related {
                location: loc(main, MAIN_TF, "skip_final_snapshot = true"),
                message: "set here".to_string(),
            }],
            "3c4d5e6f708192a3b4c5d6e7f8091a2b",
        ),
        suppressed,
        finding(
            &open,
            loc(main, MAIN_TF, "[var.admin_cidr]"),
            "SSH open to the whole internet",
            vec![Related {
                location: loc(vars, VARIABLES_TF, "\"0.0.0.0/0\""),
                message: "this default".to_string(),
            }],
            "4d5e6f708192a3b4c5d6e7f8091a2b3c",
        ),
    ];

    let diagnostics = vec![
        Diagnostic {
            code: DiagnosticCode::ParseError,
            level: Level::Error,
            path: ".github/workflows/broken.yaml".to_string(),
            location: Some(loc(".github/workflows/broken.yaml", BROKEN_YAML, "\"unterminated")),
            message: "unterminated double-quoted string".to_string(),
        },
        Diagnostic {
            code: DiagnosticCode::ReadError,
            level: Level::Warning,
            path: "secrets/locked.tf".to_string(),
            location: None,
            message: "permission denied".to_string(),
        },
    ];

    let sources = BTreeMap::from([
        (".github/workflows/broken.yaml".to_string(), Arc::from(BROKEN_YAML)),
        (app.to_string(), Arc::from(APP_YAML)),
        (main.to_string(), Arc::from(MAIN_TF)),
        (vars.to_string(), Arc::from(VARIABLES_TF)),
    ]);

    Report {
        findings,
        diagnostics,
        rules: vec![unpinned, final_snapshot, secret, open, privileged],
        sources,
        files_checked: 5,
        ..Report::default()
    }
}

fn opts() -> RenderOptions {
    RenderOptions { color: false, tool_version: "0.1.0-test", width: 100 }
}

#[test]
fn summary_counts_active_findings_by_family_and_severity() {
    let s = summary(&sample_report());
    assert_eq!((s.findings, s.suppressed, s.errors, s.warnings, s.files_checked), (5, 1, 1, 1, 5));
    assert_eq!(s.family(Family::Security), 3);
    assert_eq!(s.family(Family::Drift), 1);
    assert_eq!(s.family(Family::Rollback), 1);
    assert_eq!(s.severity(Severity::Critical), 1);
    assert_eq!(s.severity(Severity::High), 2);
    assert_eq!(s.severity(Severity::Medium), 2);
    assert_eq!(
        s.to_string(),
        "Found 5 findings (security 3, drift 1, rollback 1; critical 1, high 2, medium 2) in 5 files; \
         1 suppressed; 1 error, 1 warning"
    );
}

#[test]
fn summary_line_without_findings() {
    let report = Report { files_checked: 12, ..Report::default() };
    assert_eq!(summary(&report).to_string(), "No findings in 12 files.");
    let one = Report { files_checked: 1, ..Report::default() };
    assert_eq!(summary(&one).to_string(), "No findings in 1 file.");
}

#[test]
fn human() {
    insta::assert_snapshot!(render(&sample_report(), Format::Human, &opts()));
}

#[test]
fn human_without_findings() {
    let report = Report { files_checked: 12, ..Report::default() };
    assert_eq!(render(&report, Format::Human, &opts()), "No findings in 12 files.\n");
}

#[test]
fn human_color_uses_ansi_and_nocolor_does_not() {
    let report = sample_report();
    assert!(!render(&report, Format::Human, &opts()).contains('\u{1b}'));
    let color = RenderOptions { color: true, ..opts() };
    assert!(render(&report, Format::Human, &color).contains('\u{1b}'));
}

#[test]
fn human_survives_locations_outside_the_source() {
    let mut report = sample_report();
    let first = &mut report.findings[0];
    first.location.span = Span::new(10_000, 10_010);
    report.sources.remove("infra/variables.tf");
    let out = render(&report, Format::Human, &opts());
    assert!(out.contains("image `nginx:latest` is not pinned to a digest"), "{out}");
    assert!(out.contains("note: this default at infra/variables.tf:2:13"), "{out}");
}

#[test]
fn json() {
    insta::assert_snapshot!(render(&sample_report(), Format::Json, &opts()));
}

#[test]
fn json_field_names_and_order() {
    let out = render(&sample_report(), Format::Json, &opts());
    let value: serde_json::Value = serde_json::from_str(&out).unwrap();
    let keys =
        |v: &serde_json::Value| -> Vec<String> { v.as_object().unwrap().keys().cloned().collect::<Vec<_>>() };
    // serde_json's Map is sorted unless preserve_order is on, so check order on the text too.
    let top = ["\"version\"", "\"tool\"", "\"findings\"", "\"errors\"", "\"summary\""];
    let positions: Vec<usize> = top.iter().map(|k| out.find(k).unwrap()).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
    let finding = &value["findings"][0];
    let mut expected = vec![
        "path",
        "line",
        "column",
        "end_line",
        "end_column",
        "rule",
        "name",
        "family",
        "smell",
        "severity",
        "precision",
        "cwe",
        "message",
        "help",
        "fingerprint",
        "related",
        "suppressed",
    ];
    let mut got = keys(finding);
    got.sort();
    expected.sort();
    assert_eq!(got, expected);
    assert!(out.ends_with("}\n"));
}

#[test]
fn json_columns_count_characters() {
    let out = render(&sample_report(), Format::Json, &opts());
    let value: serde_json::Value = serde_json::from_str(&out).unwrap();
    let unpinned = &value["findings"][0];
    // `        - {name: "wéb-🚀", image: "` is 34 characters before the image.
    assert_eq!(unpinned["column"], 35);
    assert_eq!(unpinned["end_column"], 47);
}

#[test]
fn sarif() {
    insta::assert_snapshot!(render(&sample_report(), Format::Sarif, &opts()));
}

#[test]
fn sarif_columns_count_utf16_units() {
    let out = render(&sample_report(), Format::Sarif, &opts());
    let value: serde_json::Value = serde_json::from_str(&out).unwrap();
    let region = &value["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"];
    // 🚀 is one character but two UTF-16 code units.
    assert_eq!(region["startColumn"], 36);
    assert_eq!(region["endColumn"], 48);
    let uri = &value["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"];
    assert_eq!(uri, "deploy/web%20app.yaml");
}

#[test]
fn sarif_validates_against_the_schema() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/sarif-schema-2.1.0.json");
    let schema: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    for report in [sample_report(), Report::default()] {
        let sarif: serde_json::Value =
            serde_json::from_str(&render(&report, Format::Sarif, &opts())).unwrap();
        let errors: Vec<String> =
            validator.iter_errors(&sarif).map(|e| format!("{}: {e}", e.instance_path)).collect();
        assert!(errors.is_empty(), "{errors:#?}");
    }
}

#[test]
fn sarif_execution_fails_only_on_internal_errors() {
    let mut report = sample_report();
    let run = |r: &Report| -> serde_json::Value {
        serde_json::from_str(&render(r, Format::Sarif, &opts())).unwrap()
    };
    assert_eq!(run(&report)["runs"][0]["invocations"][0]["executionSuccessful"], true);
    report.diagnostics.push(Diagnostic {
        code: DiagnosticCode::InternalError,
        level: Level::Error,
        path: "infra/main.tf".to_string(),
        location: None,
        message: "panic in rule".to_string(),
    });
    assert_eq!(run(&report)["runs"][0]["invocations"][0]["executionSuccessful"], false);
}

#[test]
fn machine_formats_are_deterministic() {
    for format in [Format::Human, Format::Json, Format::Sarif] {
        assert_eq!(render(&sample_report(), format, &opts()), render(&sample_report(), format, &opts()));
    }
}
