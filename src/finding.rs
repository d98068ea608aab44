//! The one finding model every output format and the language server are built from.

use crate::rules::meta::{RuleMeta, Severity};
use crate::span::{Position, Span};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// A place in a file: repo-relative path (forward slashes), byte span, and its start/end positions.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Location {
    pub path: String,
    pub span: Span,
    pub start: Position,
    pub end: Position,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Related {
    pub location: Location,
    pub message: String,
}

/// Where a suppression was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SuppressionKind {
    /// A `# smelt: ignore[…]` comment in the finding's own file.
    InSource,
    /// Outside the source: a `[[ignore-paths]]` entry of `smelt.toml`.
    Config,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Suppression {
    pub reason: String,
    /// The comment that suppressed the finding.
    pub location: Location,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    pub rule: Arc<RuleMeta>,
    /// Exactly one primary location: the key, attribute or value to change.
    pub location: Location,
    pub message: String,
    /// Annotated secondary locations ("this variable default", "this values line").
    pub related: Vec<Related>,
    pub severity: Severity,
    /// Stable across unrelated edits above the finding and across file moves (see `fingerprint`).
    pub fingerprint: String,
    pub suppressed: Option<Suppression>,
}

/// Problems with the input or the run that are not rule findings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DiagnosticCode {
    /// A file that does not parse in its language.
    ParseError,
    /// A safety limit (size, nesting depth, alias expansion) stopped lowering part of a file.
    LimitExceeded,
    /// A path that cannot be read.
    ReadError,
    /// A file of a checked kind that holds binary data.
    BinaryFile,
    /// A file with bytes that are not UTF-8; they were replaced and the file was still checked.
    InvalidUtf8,
    /// A file over the size limit, skipped.
    FileTooLarge,
    /// A bug in smelt while checking this file; the rest of the run went on.
    InternalError,
    /// `# smelt: ignore[…]` with no reason.
    SuppressionWithoutReason,
    /// A suppression that names an unknown rule or is malformed.
    InvalidSuppression,
    /// A suppression that matched no finding.
    UnusedSuppression,
    /// A suppression whose `until=` date has passed: its findings are reported again.
    ExpiredSuppression,
    /// A suppression of a rule that policy (rule file or `smelt.toml`) makes unsuppressible.
    SuppressionNotAllowed,
    /// Something found that could not be checked (a Helm chart given without its folder).
    NotChecked,
    /// A Helm template that failed to render (`fail`, `required`, an unknown function, a type error).
    RenderError,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    Error,
    Warning,
    Note,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub code: DiagnosticCode,
    pub level: Level,
    pub path: String,
    /// Where in the file, when there is a where.
    pub location: Option<Location>,
    pub message: String,
}

/// What one `smelt check` run found, sorted and ready for any renderer.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Sorted by path, line, column, rule name; suppressed findings included (see `Finding::suppressed`).
    pub findings: Vec<Finding>,
    /// Sorted by path, line, column, code.
    pub diagnostics: Vec<Diagnostic>,
    /// Every rule that was enabled for the run, sorted by code.
    pub rules: Vec<Arc<RuleMeta>>,
    /// Text of every file a finding or diagnostic points into (for code frames).
    pub sources: BTreeMap<String, Arc<str>>,
    /// How many files were checked.
    pub files_checked: usize,
    /// What `--baseline` matched and left stale; `None` without a baseline.
    pub baseline: Option<crate::baseline::Applied>,
    /// Files outside the checked units that the check read (Terraform module folders, `file()`
    /// paths), as `file:PATH` / `dir:PATH` with a hash of what was there: `--cache` keys on them.
    pub reads: BTreeMap<String, Option<String>>,
}

impl Finding {
    /// An in-source suppression sits in the finding's own file; any other (a `smelt.toml` entry, whose
    /// location is that line of the configuration file) is a configuration suppression.
    pub fn suppression_kind(&self) -> Option<SuppressionKind> {
        let s = self.suppressed.as_ref()?;
        Some(if s.location.path == self.location.path {
            SuppressionKind::InSource
        } else {
            SuppressionKind::Config
        })
    }
}

impl Report {
    pub fn active_findings(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.suppressed.is_none())
    }
}
