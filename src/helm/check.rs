//! Checking a chart: render it, run the Kubernetes rules over each rendered manifest, and move every
//! finding back to the template line that wrote it, with a related location at the values entry that
//! set the offending value.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

use super::chart::{Chart, SourceFile, read_dir};
use super::render::{RenderOptions, Rendered, RenderedTemplate, render};
use super::sourcemap::{locate, value_origins};
use crate::engine::{Loaded, UnitResult, apply_suppressions, diag, finding, fingerprint, location};
use crate::finding::{Diagnostic, DiagnosticCode, Level, Location, Related};
use crate::parse::{self, yaml};
use crate::rules::registry::RuleSet;
use crate::rules::{FileView, OtherFile};
use crate::source::FileKind;
use crate::span::{LineIndex, Span};

/// Checks the chart whose `Chart.yaml` is `meta` (read from `dir` on disk).
/// `buffers` (the editor's unsaved documents, by display path) stand in for the chart's files on disk.
pub(crate) fn check_chart(
    meta: &Loaded,
    dir: &Path,
    rules: &RuleSet,
    opts: &RenderOptions,
    buffers: &BTreeMap<String, Arc<str>>,
) -> UnitResult {
    let shown = meta.path.strip_suffix("Chart.yaml").unwrap_or(&meta.path).trim_end_matches('/');
    let chart_err = |code, message: String| {
        (Vec::new(), vec![diag(code, Level::Error, &meta.path, None, message)], Vec::new(), BTreeMap::new())
    };
    let files = match read_dir(dir) {
        Ok(mut f) => {
            for (path, text) in buffers {
                let rel = if shown.is_empty() {
                    Some(path.as_str())
                } else {
                    path.strip_prefix(&format!("{shown}/"))
                };
                if let Some(rel) = rel.filter(|r| !r.starts_with('/') && !r.split('/').any(|c| c == "..")) {
                    f.files.insert(rel.to_string(), Arc::from(text.as_bytes()));
                }
            }
            f
        }
        Err(e) => return chart_err(DiagnosticCode::ReadError, format!("cannot read the chart: {e}")),
    };
    let chart = match Chart::from_files(files, shown, "") {
        Ok(c) => c,
        Err(e) => return chart_err(DiagnosticCode::ParseError, format!("not a Helm chart: {}", e.message)),
    };
    // smelt.toml's `[helm] values` for this chart: read from the chart folder (and only from there).
    let mut opts = opts.clone();
    let same =
        |a: &Path, b: &Path| a.canonicalize().ok().is_some_and(|a| b.canonicalize().is_ok_and(|b| a == b));
    let configured: Vec<String> =
        opts.chart_values.iter().filter(|(d, _)| same(d, dir)).flat_map(|(_, f)| f.clone()).collect();
    for rel in configured {
        let path = dir.join(&rel);
        let inside =
            path.canonicalize().ok().zip(dir.canonicalize().ok()).is_some_and(|(p, d)| p.starts_with(d));
        let shown_path: Arc<str> =
            if shown.is_empty() { Arc::from(rel.as_str()) } else { Arc::from(format!("{shown}/{rel}")) };
        match std::fs::read_to_string(&path) {
            Ok(text) if inside => opts.values.push(SourceFile {
                name: shown_path.to_string(),
                path: shown_path,
                text: Arc::from(text),
            }),
            Ok(_) => {
                let message = format!(
                    "values file `{rel}` (smelt.toml `[helm] values`) is outside the chart folder: not read"
                );
                return chart_err(DiagnosticCode::ReadError, message);
            }
            Err(e) => {
                let message = format!("cannot read values file `{rel}` (smelt.toml `[helm] values`): {e}");
                return chart_err(DiagnosticCode::ReadError, message);
            }
        }
    }
    check_rendered(&render(&chart, &opts), rules)
}

/// Findings and diagnostics of a rendered chart, located in its templates and values files.
pub(crate) fn check_rendered(rendered: &Rendered, rules: &RuleSet) -> UnitResult {
    let mut map = Mapper::new(rendered);
    let mut findings = Vec::new();
    let mut diagnostics: Vec<Diagnostic> = rendered.errors.iter().map(|e| map.error(e)).collect();
    for t in &rendered.templates {
        if t.output.trim().is_empty() {
            continue;
        }
        let parsed = yaml::parse(&t.output, &parse::Limits::default());
        let out = Loaded {
            path: t.source.path.to_string(),
            kind: FileKind::Kubernetes,
            index: LineIndex::new(&t.output),
            text: Arc::from(t.output.as_str()),
            parsed,
            disk: None,
        };
        for issue in &out.parsed.issues {
            let at = map.output_location(t, issue.span);
            diagnostics.push(diag(
                DiagnosticCode::ParseError,
                Level::Error,
                &at.path,
                Some(at.clone()),
                format!("the rendered manifest is not valid YAML here: {}", issue.message),
            ));
        }
        let workspace = crate::workspace::Workspace::default();
        let view = FileView::new(&out.path, out.kind, &out.text, &out.parsed, &workspace);
        let docs: Vec<&crate::model::Node> = out.parsed.docs.iter().collect();
        let mut file_findings = Vec::new();
        for rule in rules.rules.iter().filter(|r| r.applies_to(FileKind::Kubernetes)) {
            for raw in rule.run(&view, &docs) {
                let mut f = finding(rule, &out, &raw);
                for o in value_origins(&t.segments, &t.output, raw.span, &rendered.provenance) {
                    if let Some(at) = map.file_location(&o.file, o.span) {
                        let line = map.text_span(&o.file, o.span).lines().next().unwrap_or("").trim();
                        // `path: value` for a map entry or list item; only the path for a block.
                        let shown = match line.split_once(':') {
                            Some((_, v)) if !v.trim().is_empty() => format!("{}: {}", o.path, v.trim()),
                            Some(_) => o.path.clone(),
                            None => format!("{}: {}", o.path, line.trim_start_matches("- ")),
                        };
                        f.related.push(Related { location: at, message: format!("`{shown}` set here") });
                    }
                }
                file_findings.push(f);
            }
        }
        let mut suppression_diags = apply_suppressions(&out, &mut file_findings, &mut [], &[], rules);
        fingerprint(&out, &mut file_findings);
        for mut f in file_findings {
            f.location = map.output_location(t, f.location.span);
            // Related locations in the rendered output move too; those in values files already point home.
            for r in f.related.iter_mut().filter(|r| r.location.path == out.path) {
                r.location = map.output_location(t, r.location.span);
            }
            if let Some(s) = &mut f.suppressed {
                s.location = map.output_location(t, s.location.span);
            }
            findings.push(f);
        }
        for d in &mut suppression_diags {
            if let Some(l) = &d.location {
                let at = map.output_location(t, l.span);
                d.path = at.path.clone();
                d.location = Some(at);
            }
        }
        diagnostics.extend(suppression_diags);
    }
    let others = rendered
        .sources
        .values()
        .map(|s| Arc::new(OtherFile { path: s.path.to_string(), text: Arc::clone(&s.text) }))
        .collect();
    // Every file a chart reads is in its folder, which the cache key already covers: no reads outside.
    (findings, diagnostics, others, BTreeMap::new())
}

/// Locations in the chart's files, with each file's line index built once.
struct Mapper<'r> {
    rendered: &'r Rendered,
    indexes: HashMap<Arc<str>, LineIndex>,
}

impl<'r> Mapper<'r> {
    fn new(rendered: &'r Rendered) -> Mapper<'r> {
        Mapper { rendered, indexes: HashMap::new() }
    }

    fn text(&self, path: &str) -> &'r str {
        self.rendered.sources.get(path).map_or("", |s| &s.text)
    }

    fn text_span(&self, path: &str, span: Span) -> &'r str {
        self.text(path).get(span.range()).unwrap_or("")
    }

    /// A location in a chart file by its report path.
    fn file_location(&mut self, path: &str, span: Span) -> Option<Location> {
        let source = self.rendered.sources.get(path)?;
        let index =
            self.indexes.entry(Arc::clone(&source.path)).or_insert_with(|| LineIndex::new(&source.text));
        Some(location(&source.path, &source.text, index, span))
    }

    /// Where output `span` of template `t` came from; the template's first line if nothing maps.
    fn output_location(&mut self, t: &RenderedTemplate, span: Span) -> Location {
        let (path, span) = match locate(&t.segments, span) {
            Some(m) => (self.rendered.path_of(&m.file), m.span),
            None => (
                Arc::clone(&t.source.path),
                Span::new(0, t.source.text.find('\n').unwrap_or(t.source.text.len())),
            ),
        };
        self.file_location(&path, span).unwrap_or_else(|| Location {
            path: path.to_string(),
            span,
            start: Default::default(),
            end: Default::default(),
        })
    }

    fn error(&mut self, e: &super::render::RenderError) -> Diagnostic {
        let code = if e.limit { DiagnosticCode::LimitExceeded } else { DiagnosticCode::RenderError };
        let at = e.span.and_then(|s| self.file_location(&e.path, s));
        // A chart that needs values it was not given (`required`, `fail`) is not broken: a warning.
        let (level, message) = if e.user {
            (
                Level::Warning,
                format!(
                    "{} (the chart needs values its defaults do not give; this template was not checked)",
                    e.message
                ),
            )
        } else {
            (Level::Error, e.message.clone())
        };
        diag(code, level, &e.path, at, message)
    }
}
