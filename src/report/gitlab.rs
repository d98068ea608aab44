//! GitLab Code Quality (a subset of the Code Climate issue format): one JSON array of issues, read by
//! GitLab from a job's `artifacts:reports:codequality`.
//!
//! Only active findings are issues: suppressed findings and diagnostics are left out (they are in
//! `json` and `sarif`). The fingerprint is the finding's own (stable across edits above it and file
//! moves), so GitLab's merge request widget shows a moved file's findings as unchanged. GitLab needs
//! fingerprints to be unique within a report, and two files with identical lines share one; the second
//! and later of such twins get a fingerprint that also covers their path.

use super::RenderOptions;
use crate::finding::{Finding, Report};
use crate::rules::meta::Severity;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;

#[derive(Serialize)]
struct Issue<'a> {
    description: &'a str,
    check_name: &'a str,
    fingerprint: String,
    severity: &'static str,
    location: IssueLocation<'a>,
}

#[derive(Serialize)]
struct IssueLocation<'a> {
    path: &'a str,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: u32,
}

pub(super) fn render(report: &Report, _opts: &RenderOptions) -> String {
    let mut seen = BTreeSet::new();
    let issues: Vec<Issue<'_>> = report.active_findings().map(|f| issue(f, &mut seen)).collect();
    // Serializing structs of strings and numbers to a String cannot fail.
    let mut text = serde_json::to_string_pretty(&issues).unwrap_or_default();
    text.push('\n');
    text
}

fn issue<'a>(f: &'a Finding, seen: &mut BTreeSet<String>) -> Issue<'a> {
    let mut fingerprint = f.fingerprint.clone();
    if !seen.insert(fingerprint.clone()) {
        let digest = Sha256::digest(format!("{}\0{}", f.fingerprint, f.location.path).as_bytes());
        fingerprint = data_encoding::HEXLOWER.encode(digest.get(..16).unwrap_or_default());
        seen.insert(fingerprint.clone());
    }
    Issue {
        description: &f.message,
        check_name: &f.rule.name,
        fingerprint,
        severity: severity(f.severity),
        location: IssueLocation {
            path: &f.location.path,
            lines: Lines { begin: f.location.start.line.max(1) },
        },
    }
}

/// Code Climate's five severities.
fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "blocker",
        Severity::High => "critical",
        Severity::Medium => "major",
        Severity::Low => "minor",
        Severity::Info => "info",
    }
}
