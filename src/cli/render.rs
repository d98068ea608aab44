//! `smelt render`: a chart rendered as smelt checks it, printed the way `helm template` prints it.

use super::{EXIT_CLEAN, EXIT_FINDINGS, fail, write_stdout};
use crate::discover::display_path;
use crate::helm::chart::{Chart, SourceFile, read_dir};
use crate::helm::manifests::manifests;
use crate::helm::render::{RenderOptions, render};
use crate::helm::sourcemap::{locate, value_origins};
use crate::span::{LineIndex, Span};
use clap::Args;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// The chart folder (holding Chart.yaml).
    chart: PathBuf,

    /// A values file applied over the chart's values.yaml (repeatable; later files win).
    #[arg(long = "values", short = 'f', value_name = "FILE")]
    values: Vec<PathBuf>,

    /// A value set on the command line, as in Helm: `--set image.tag=1.2.3,replicas=3` (repeatable).
    #[arg(long, value_name = "KEY=VALUE")]
    set: Vec<String>,

    /// The release name templates see as `.Release.Name`.
    #[arg(long, default_value = "release-name")]
    release: String,

    /// The namespace templates see as `.Release.Namespace`.
    #[arg(long, short = 'n', default_value = "default")]
    namespace: String,

    /// Annotate each rendered line with the template line (and values lines) that produced it.
    #[arg(long)]
    show_origins: bool,
}

pub fn run(args: RenderArgs) -> u8 {
    let files = match read_dir(&args.chart) {
        Ok(f) => f,
        Err(e) => return fail(format!("{}: cannot read the chart: {e}", args.chart.display())),
    };
    let shown = display_path(&args.chart);
    let shown = if shown == "." { String::new() } else { shown.trim_end_matches('/').to_string() };
    let chart = match Chart::from_files(files, &shown, "") {
        Ok(c) => c,
        Err(e) => return fail(format!("{}: not a Helm chart: {}", e.path, e.message)),
    };
    let mut opts = RenderOptions {
        release: args.release,
        namespace: args.namespace,
        set: args.set,
        ..RenderOptions::default()
    };
    for path in &args.values {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let p: Arc<str> = Arc::from(display_path(path));
                opts.values.push(SourceFile { name: p.to_string(), path: p, text: Arc::from(text) });
            }
            Err(e) => return fail(format!("{}: {e}", path.display())),
        }
    }
    let rendered = render(&chart, &opts);
    let mut out = String::new();
    for m in manifests(&rendered.templates) {
        let _ = writeln!(out, "---\n# Source: {}", m.template.source.name);
        if !args.show_origins {
            let _ = writeln!(out, "{}", m.text());
            continue;
        }
        let width = m.text().lines().map(|l| l.chars().count()).max().unwrap_or(0);
        let mut at = m.span.start as usize;
        for line in m.text().split('\n') {
            let span = Span::new(at, at + line.len());
            at += line.len() + 1;
            let Some(origin) = locate(&m.template.segments, span) else {
                let _ = writeln!(out, "{line}");
                continue;
            };
            let mut note = place(&shown, &rendered.path_of(&origin.file), origin.span, &rendered);
            for v in value_origins(&m.template.segments, &m.template.output, span, &rendered.provenance) {
                let _ = write!(note, " ← {}", place(&shown, &v.file, v.span, &rendered));
            }
            let pad = width.saturating_sub(line.chars().count());
            let _ = writeln!(out, "{line}{:pad$}  # {note}", "");
        }
    }
    if write_stdout(&out).is_err() {
        return EXIT_CLEAN;
    }
    for e in &rendered.errors {
        let line = e.span.and_then(|s| {
            let text = rendered.sources.get(&e.path)?.text.clone();
            Some(LineIndex::new(&text).position(&text, s.start).line)
        });
        let at = line.map_or_else(|| e.path.to_string(), |l| format!("{}:{l}", e.path));
        let _ = fail(format!("{at}: {}", e.message));
    }
    if rendered.errors.is_empty() { EXIT_CLEAN } else { EXIT_FINDINGS }
}

/// `path:line` of a span in one of the chart's files, the path relative to the chart (`root`).
fn place(root: &str, path: &str, span: Span, rendered: &crate::helm::render::Rendered) -> String {
    match rendered.sources.get(path) {
        Some(s) => {
            let line = LineIndex::new(&s.text).position(&s.text, span.start).line;
            let short = path.strip_prefix(root).map_or(path, |p| p.trim_start_matches('/'));
            format!("{short}:{line}")
        }
        None => path.to_string(),
    }
}
