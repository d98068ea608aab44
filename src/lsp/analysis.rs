//! What a document is checked with, and how the engine's report becomes LSP diagnostics.
//!
//! A Terraform file is checked with its whole module folder: the other `.tf`/`.tf.json` files of the
//! folder are read from disk unless they are open in the editor, in which case the unsaved buffer is
//! used. A GitHub workflow or action is checked with the other open workflows and actions of its
//! repository, and the files they call or are called by (local reusable workflows and composite
//! actions) are read from the open buffers first, then the disk ([`buffers`]): an edit to a caller's
//! `with:` shows up in the called action's diagnostics, and the other way round. A GitLab pipeline
//! reads its local includes the same way. A Helm chart's templates, values files and subcharts are
//! checked by rendering the whole chart with the open buffers over the files on disk: an edit to
//! `values.yaml` re-renders the chart and updates the open templates' diagnostics. Every other file
//! is checked on its own.

use super::position::{self, Encoding};
use super::uri;
use crate::discover::{Input, Origin};
use crate::finding::{self, Finding, Level};
use crate::pipeline::github::calls;
use crate::rules::meta::Severity;
use crate::source::{Classified, FileKind, classify};
use crate::span::LineIndex;
use crate::workspace::Workspace;
use lsp_types::{
    CodeDescription, Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, DiagnosticTag,
    NumberOrString, Range, Uri,
};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

/// What the engine is given for one check, and which paths in it are the open documents.
pub enum Unit {
    /// Inputs for `engine::check`.
    Check(Vec<Input>),
    /// Not checked; the document gets this one note instead.
    Skip(String),
}

/// Builds the unit of the document at `path`. `open` maps the paths of all open documents to their
/// text; `too_large` is the size limit.
pub fn unit(path: &str, open: &BTreeMap<String, &str>, max_file_size: u64) -> Unit {
    let text = open.get(path).copied().unwrap_or("");
    if text.len() as u64 > max_file_size {
        return Unit::Skip(format!(
            "not checked: {} bytes is over the {max_file_size}-byte limit (maxFileSize)",
            text.len()
        ));
    }
    if let Some(root) = helm_root(path) {
        // The chart is rendered from its folder with the open buffers over the files on disk.
        let meta = format!("{root}/Chart.yaml");
        let class = Classified::Kind(FileKind::HelmChart, crate::source::Syntax::Yaml);
        return Unit::Check(vec![Input { origin: Origin::Disk(meta.clone().into()), path: meta, class }]);
    }
    let mine = Input::from_memory(path, text.as_bytes().to_vec());
    if let Some(root) = github_root(path) {
        let mut inputs = vec![mine];
        for (other, text) in open.iter().filter(|(p, _)| p.as_str() != path) {
            if github_root(other).as_deref() == Some(root.as_str()) && text.len() as u64 <= max_file_size {
                inputs.push(Input::from_memory(other, text.as_bytes().to_vec()));
            }
        }
        return Unit::Check(inputs);
    }
    if !matches!(classify(path), Classified::Kind(FileKind::Terraform, _)) {
        return Unit::Check(vec![mine]);
    }
    let dir = path.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
    let mut inputs = vec![mine];
    for (other, text) in open.range::<str, _>(..).filter(|(p, _)| p.as_str() != path) {
        if parent(other) == dir && is_terraform(other) {
            inputs.push(Input::from_memory(other, text.as_bytes().to_vec()));
        }
    }
    if !dir.is_empty()
        && let Ok(entries) = std::fs::read_dir(dir)
    {
        for entry in entries.flatten() {
            let Some(name) = entry.file_name().to_str().map(str::to_string) else { continue };
            let other = format!("{dir}/{name}");
            if !is_terraform(&other) || open.contains_key(&other) || !entry.path().is_file() {
                continue;
            }
            inputs.push(Input { class: classify(&other), path: other, origin: Origin::Disk(entry.path()) });
        }
    }
    Unit::Check(inputs)
}

/// The repository folder of a GitHub workflow or action (see [`calls::find_root`]), which groups the
/// documents checked together.
pub fn github_root(path: &str) -> Option<String> {
    let github =
        matches!(classify(path), Classified::Kind(FileKind::GithubWorkflow | FileKind::GithubAction, _));
    github.then(|| calls::find_root(&Workspace::default(), path)).flatten()
}

/// The open documents that stand in for files on disk when a check reads a file it was not given:
/// everything but Terraform, whose modules are passed as inputs.
pub fn buffers(open: &BTreeMap<String, &str>) -> BTreeMap<String, Arc<str>> {
    open.iter()
        .filter(|(p, _)| {
            !matches!(classify(p), Classified::Kind(FileKind::Terraform | FileKind::TerraformVars, _))
        })
        .map(|(p, t)| (p.clone(), Arc::from(*t)))
        .collect()
}

fn parent(path: &str) -> &str {
    path.rsplit_once('/').map(|(d, _)| d).unwrap_or("")
}

fn is_terraform(path: &str) -> bool {
    matches!(classify(path), Classified::Kind(FileKind::Terraform, _))
}

/// The Helm chart a document belongs to (its templates, values files, `Chart.yaml`, subcharts): the
/// outermost folder above it with a `Chart.yaml` on disk, since a subchart is rendered by its parent.
pub fn helm_root(path: &str) -> Option<String> {
    let mut root = None;
    let mut rest = path;
    while let Some((dir, _)) = rest.rsplit_once('/') {
        if !dir.is_empty() && Path::new(&format!("{dir}/Chart.yaml")).is_file() {
            root = Some(dir.to_string());
        }
        rest = dir;
    }
    let root = root?;
    let rel = &path[root.len() + 1..];
    let name = rel.rsplit('/').next().unwrap_or(rel);
    let part = rel.starts_with("templates/")
        || rel.starts_with("charts/")
        || rel == "Chart.yaml"
        || (name.starts_with("values") && (name.ends_with(".yaml") || name.ends_with(".yml")));
    part.then_some(root)
}

/// The open documents whose results a check of `inputs` produces: the inputs, and for a chart every
/// open document of that chart.
pub fn covered(inputs: &[Input], open: &BTreeMap<String, &str>) -> Vec<String> {
    let mut out: Vec<String> = inputs.iter().map(|i| i.path.clone()).collect();
    for i in inputs.iter().filter(|i| matches!(i.class, Classified::Kind(FileKind::HelmChart, _))) {
        let root = i.path.strip_suffix("/Chart.yaml").unwrap_or(&i.path);
        out.extend(open.keys().filter(|p| helm_root(p).as_deref() == Some(root)).cloned());
    }
    out
}

/// How findings are shown.
pub struct Style<'a> {
    pub enc: Encoding,
    /// `codeDescription` is `<base>/<rule>.md` when set, absent otherwise.
    pub docs_base_url: Option<&'a str>,
}

/// The LSP diagnostics of `path` (whose current text is `text`) in `report`. Suppressed findings are
/// left out.
pub fn diagnostics(report: &finding::Report, path: &str, text: &str, style: &Style<'_>) -> Vec<Diagnostic> {
    let index = LineIndex::new(text);
    let mut out = Vec::new();
    for f in report.active_findings().filter(|f| f.location.path == path) {
        out.push(finding_diagnostic(report, f, text, &index, style));
    }
    for d in report.diagnostics.iter().filter(|d| d.path == path) {
        let range =
            d.location.as_ref().map(|l| position::range(text, &index, l.span, style.enc)).unwrap_or_default();
        let code = serde_json::to_value(d.code).ok().and_then(|v| v.as_str().map(str::to_string));
        let unused = d.code == finding::DiagnosticCode::UnusedSuppression;
        out.push(Diagnostic {
            range,
            severity: Some(match d.level {
                Level::Error => DiagnosticSeverity::ERROR,
                Level::Warning => DiagnosticSeverity::WARNING,
                Level::Note => DiagnosticSeverity::INFORMATION,
            }),
            code: code.map(NumberOrString::String),
            source: Some("smelt".into()),
            message: d.message.clone(),
            tags: unused.then(|| vec![DiagnosticTag::UNNECESSARY]),
            ..Diagnostic::default()
        });
    }
    out
}

/// One informational diagnostic at the top of the document.
pub fn note(message: &str) -> Diagnostic {
    Diagnostic {
        severity: Some(DiagnosticSeverity::INFORMATION),
        code: Some(NumberOrString::String("not-checked".into())),
        source: Some("smelt".into()),
        message: message.to_string(),
        ..Diagnostic::default()
    }
}

pub fn severity(s: Severity) -> DiagnosticSeverity {
    match s {
        Severity::Critical | Severity::High => DiagnosticSeverity::ERROR,
        Severity::Medium => DiagnosticSeverity::WARNING,
        Severity::Low => DiagnosticSeverity::INFORMATION,
        Severity::Info => DiagnosticSeverity::HINT,
    }
}

fn finding_diagnostic(
    report: &finding::Report,
    f: &Finding,
    text: &str,
    index: &LineIndex,
    style: &Style<'_>,
) -> Diagnostic {
    let related: Vec<DiagnosticRelatedInformation> = f
        .related
        .iter()
        .filter_map(|r| {
            let uri = uri::from_path(&r.location.path)?;
            let range = if r.location.path == f.location.path {
                position::range(text, index, r.location.span, style.enc)
            } else {
                let other = report.sources.get(&r.location.path)?;
                position::range(other, &LineIndex::new(other), r.location.span, style.enc)
            };
            Some(DiagnosticRelatedInformation {
                location: lsp_types::Location { uri, range },
                message: r.message.clone(),
            })
        })
        .collect();
    let code_description = style
        .docs_base_url
        .and_then(|base| Uri::from_str(&format!("{}/{}.md", base.trim_end_matches('/'), f.rule.name)).ok())
        .map(|href| CodeDescription { href });
    Diagnostic {
        range: position::range(text, index, f.location.span, style.enc),
        severity: Some(severity(f.severity)),
        code: Some(NumberOrString::String(f.rule.name.clone())),
        code_description,
        source: Some("smelt".into()),
        message: f.message.clone(),
        related_information: (!related.is_empty()).then_some(related),
        data: Some(json!({ "rule": f.rule.name })),
        ..Diagnostic::default()
    }
}

/// Whether two ranges touch (a zero-width range at a finding's edge counts).
pub fn touches(a: Range, b: Range) -> bool {
    a.start <= b.end && b.start <= a.end
}
