//! Code frames for people: miette's graphical handler, one frame per active finding, grouped by file,
//! then the diagnostics, then one summary line.

use super::{RenderOptions, code_name, level_name, summary};
use crate::finding::{Diagnostic, Finding, Level, Location, Report};
use crate::rules::meta::Severity;
use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents, SourceCode,
    SourceSpan, SpanContents,
};
use std::collections::HashMap;
use std::fmt::{self, Write as _};
use std::sync::Arc;

pub(super) fn render(report: &Report, opts: &RenderOptions) -> String {
    use rayon::prelude::*;
    let theme = if opts.color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(opts.width)
        .with_urls(false)
        .without_cause_chain();
    let lines = line_tables(report);
    // Each frame is drawn on its own (miette's layout is most of this output's cost: ~200 K
    // instructions a finding), on every thread, and the frames joined in order.
    let findings: Vec<&Finding> = report.active_findings().collect();
    let frames: Vec<String> = findings
        .par_iter()
        .enumerate()
        .map(|(i, finding)| {
            let mut out = String::new();
            let path = finding.location.path.as_str();
            if i == 0 || findings.get(i - 1).is_some_and(|f| f.location.path != path) {
                push_heading(&mut out, path, opts);
            }
            push_frame(&mut out, &handler, &finding_frame(report, finding, &lines));
            out
        })
        .collect();
    let diagnostics: Vec<String> = report
        .diagnostics
        .par_iter()
        .map(|diagnostic| {
            let mut out = String::new();
            push_frame(&mut out, &handler, &diagnostic_frame(report, diagnostic, &lines));
            out
        })
        .collect();
    let mut out =
        String::with_capacity(frames.iter().chain(&diagnostics).map(String::len).sum::<usize>() + 256);
    frames.iter().for_each(|f| out.push_str(f));
    if !report.diagnostics.is_empty() {
        push_heading(&mut out, "diagnostics", opts);
    }
    diagnostics.iter().for_each(|d| out.push_str(d));
    if let Some(applied) = &report.baseline {
        push_baseline(&mut out, applied, opts);
    }
    let line = summary(report).to_string();
    out.push_str(&bold(&line, opts.color));
    out.push('\n');
    out
}

/// Where each line starts in every text a frame shows, as miette counts lines (after `\n`, `\r\n`
/// or a lone `\r`): built once per file for all of its frames (see [`FileSource::read_span`]).
fn line_tables(report: &Report) -> HashMap<&str, Arc<[usize]>> {
    use rayon::prelude::*;
    let shown: std::collections::BTreeSet<&str> = report
        .active_findings()
        .map(|f| f.location.path.as_str())
        .chain(report.diagnostics.iter().filter_map(|d| d.location.as_ref()).map(|l| l.path.as_str()))
        .collect();
    shown
        .into_par_iter()
        .filter_map(|path| report.sources.get(path).map(|text| (path, line_starts(text))))
        .collect()
}

fn line_starts(text: &str) -> Arc<[usize]> {
    let bytes = text.as_bytes();
    let mut starts = vec![0];
    for at in memchr::memchr2_iter(b'\n', b'\r', bytes) {
        // `\r\n` is one break: the `\n` ends it.
        if bytes[at] == b'\n' || bytes.get(at + 1) != Some(&b'\n') {
            starts.push(at + 1);
        }
    }
    starts.into()
}

/// How many findings the baseline hid, and its stale entries (only when there are any).
fn push_baseline(out: &mut String, applied: &crate::baseline::Applied, opts: &RenderOptions) {
    if applied.stale.is_empty() {
        return;
    }
    push_heading(out, &format!("baseline {}", applied.file), opts);
    let _ = writeln!(
        out,
        "note  {} of the baseline match no finding any more (fixed, or their file is gone); write it again\n      with --write-baseline to prune them:\n",
        if applied.stale.len() == 1 {
            "1 entry".to_string()
        } else {
            format!("{} entries", applied.stale.len())
        }
    );
    for e in &applied.stale {
        let _ = writeln!(out, "  {}:{}  {}  {}", e.path, e.line, e.rule, e.message);
    }
    out.push('\n');
}

/// `── infra/main.tf ─────…`, as wide as the output (at most 80 columns).
fn push_heading(out: &mut String, title: &str, opts: &RenderOptions) {
    let used = title.chars().count() + 4;
    let fill = opts.width.min(80).saturating_sub(used).max(2);
    let heading = format!("── {title} {}", "─".repeat(fill));
    out.push_str(&bold(&heading, opts.color));
    out.push_str("\n\n");
}

fn bold(text: &str, color: bool) -> String {
    if color { format!("\u{1b}[1m{text}\u{1b}[0m") } else { text.to_string() }
}

/// Renders one frame with miette, or as a plain `path:line:col: message` line if miette cannot read
/// the span (a stale or out-of-range location must not lose the finding).
fn push_frame(out: &mut String, handler: &GraphicalReportHandler, frame: &Frame) {
    let mut rendered = String::new();
    match handler.render_report(&mut rendered, frame) {
        Ok(()) => out.push_str(&rendered),
        Err(fmt::Error) => {
            let _ = writeln!(out, "{}\n\n  {}", frame.header, frame.message);
            if let Some(at) = &frame.fallback_at {
                let _ = writeln!(out, "  at {at}");
            }
            if let Some(help) = &frame.help {
                let _ = writeln!(out, "  help: {help}");
            }
        }
    }
    for note in &frame.notes {
        let _ = writeln!(out, "  note: {note}");
    }
    out.push('\n');
}

fn finding_frame(report: &Report, finding: &Finding, lines: &HashMap<&str, Arc<[usize]>>) -> Frame {
    let rule = &finding.rule;
    let source = report.sources.get(&finding.location.path);
    let mut frame = Frame {
        header: format!("{}  {} [{}]", finding.severity, rule.name, rule.code),
        message: finding.message.clone(),
        severity: miette_severity(finding.severity),
        help: Some(rule.help.clone()).filter(|h| !h.is_empty()),
        source: None,
        labels: Vec::new(),
        notes: Vec::new(),
        fallback_at: Some(at(&finding.location)),
    };
    let Some(text) = source else {
        frame.notes.push(format!("at {}", at(&finding.location)));
        frame.fallback_at = None;
        for related in &finding.related {
            frame.notes.push(format!("{} at {}", related.message, at(&related.location)));
        }
        return frame;
    };
    // The message is already the frame's headline; repeating it under the span is noise.
    frame.labels.push(LabeledSpan::new_primary_with_span(None, first_line(text, &finding.location)));
    for related in &finding.related {
        if related.location.path == finding.location.path {
            frame.labels.push(LabeledSpan::new_with_span(
                Some(related.message.clone()),
                first_line(text, &related.location),
            ));
        } else {
            frame.notes.push(format!("{} at {}", related.message, at(&related.location)));
        }
    }
    frame.source = Some(FileSource::new(&finding.location.path, text, lines));
    frame
}

fn diagnostic_frame(report: &Report, diagnostic: &Diagnostic, lines: &HashMap<&str, Arc<[usize]>>) -> Frame {
    let severity = match diagnostic.level {
        Level::Error => miette::Severity::Error,
        Level::Warning => miette::Severity::Warning,
        Level::Note => miette::Severity::Advice,
    };
    let mut frame = Frame {
        header: format!("{}  {}", level_name(diagnostic.level), code_name(diagnostic.code)),
        message: diagnostic.message.clone(),
        severity,
        help: None,
        source: None,
        labels: Vec::new(),
        notes: Vec::new(),
        fallback_at: None,
    };
    let Some(location) = &diagnostic.location else {
        frame.message = format!("{}: {}", diagnostic.path, diagnostic.message);
        return frame;
    };
    let Some(text) = report.sources.get(&location.path) else {
        frame.notes.push(format!("at {}", at(location)));
        return frame;
    };
    frame.fallback_at = Some(at(location));
    frame.labels.push(LabeledSpan::new_primary_with_span(None, first_line(text, location)));
    frame.source = Some(FileSource::new(&location.path, text, lines));
    frame
}

fn miette_severity(severity: Severity) -> miette::Severity {
    match severity {
        Severity::Critical | Severity::High => miette::Severity::Error,
        Severity::Medium => miette::Severity::Warning,
        Severity::Low | Severity::Info => miette::Severity::Advice,
    }
}

/// `path:line:column`, columns in characters.
fn at(location: &Location) -> String {
    format!("{}:{}:{}", location.path, location.start.line, location.start.column)
}

/// The location's byte span clamped to the text and to the end of its first line, so a finding on a
/// 40-line block shows one line, not forty.
fn first_line(text: &str, location: &Location) -> SourceSpan {
    let start = floor_char_boundary(text, location.span.start as usize);
    let end = floor_char_boundary(text, location.span.end as usize).max(start);
    let line_end = text.get(start..end).and_then(|s| s.find(['\n', '\r'])).map_or(end, |i| start + i);
    SourceSpan::new(start.into(), line_end - start)
}

fn floor_char_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// One miette report: a finding or a diagnostic.
#[derive(Debug)]
struct Frame {
    /// `high  hardcoded-secret [S101]`, shown as miette's `code`.
    header: String,
    message: String,
    severity: miette::Severity,
    help: Option<String>,
    source: Option<FileSource>,
    labels: Vec<LabeledSpan>,
    /// Lines printed under the frame: related locations in other files.
    notes: Vec<String>,
    /// Where to point when the frame cannot be drawn.
    fallback_at: Option<String>,
}

impl fmt::Display for Frame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Frame {}

impl miette::Diagnostic for Frame {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(&self.header))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display + 'a>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            return None;
        }
        Some(Box::new(self.labels.iter().cloned()))
    }
}

/// A named file whose frame header counts columns in characters (miette counts bytes), so the
/// `╭─[path:line:column]` it prints matches JSON output and the editor's status bar.
#[derive(Debug)]
struct FileSource {
    name: String,
    text: Arc<str>,
    /// [`line_starts`] of `text`.
    lines: Arc<[usize]>,
}

impl FileSource {
    fn new(name: &str, text: &Arc<str>, tables: &HashMap<&str, Arc<[usize]>>) -> FileSource {
        let lines = tables.get(name).cloned().unwrap_or_else(|| line_starts(text));
        FileSource { name: name.to_string(), text: text.clone(), lines }
    }
}

impl SourceCode for FileSource {
    /// miette's own reading of a `str`, started a few lines above the span instead of at the top of
    /// the file: it walks every byte up to the span, for every label of every frame, which on a
    /// file with many findings was most of this output's cost. It starts one line further up than
    /// the context it shows, so its state there (which lines it keeps as context, whether it is past
    /// an empty span that starts a line) is what a walk from the top would have; its line numbers
    /// and offsets are then moved by the lines and bytes skipped. A test compares the two on every
    /// span of texts with `\n`, `\r\n` and lone `\r` breaks.
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let text: &'a str = &self.text;
        let line = self.lines.partition_point(|&start| start <= span.offset()).saturating_sub(1);
        let skipped = line.saturating_sub(context_lines_before + 1);
        let from = self.lines.get(skipped).copied().unwrap_or(0);
        let rest = text.get(from..).unwrap_or_default();
        let shifted = SourceSpan::new((span.offset() - from).into(), span.len());
        let inner = rest.read_span(&shifted, context_lines_before, context_lines_after)?;
        let mut column = inner.column();
        if context_lines_before == 0 {
            let offset = floor_char_boundary(text, span.offset());
            let line_start = text[..offset].rfind(['\n', '\r']).map_or(0, |i| i + 1);
            column = text[line_start..offset].chars().count();
        }
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            SourceSpan::new((inner.span().offset() + from).into(), inner.span().len()),
            inner.line() + skipped,
            column,
            inner.line_count() + skipped,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reading that starts near the span gives exactly what miette's reading of the whole text
    /// gives: every span inside the text (empty ones too; `first_line` clamps every label to the
    /// text) of texts with every kind of line break, with and without context lines.
    #[test]
    fn reading_near_the_span_matches_reading_from_the_top() {
        let texts = [
            "a: 1\nb: 2\n\nc: 3\n",
            "one\r\ntwo\r\n\r\nthree",
            "x\ry\r\rz\n\r\nw",
            "\n\n\nlast",
            "é: ü\n𝄞: x\r\nend\n",
            "",
            "no break at all",
        ];
        for text in texts {
            let arc: Arc<str> = Arc::from(text);
            let source = FileSource::new("f", &arc, &HashMap::new());
            for offset in 0..=text.len() {
                for len in 0..=(text.len() - offset).min(6) {
                    for (before, after) in [(0, 0), (1, 1), (2, 0), (0, 2), (3, 3)] {
                        let span = SourceSpan::new(offset.into(), len);
                        let ours = source.read_span(&span, before, after);
                        let theirs = text.read_span(&span, before, after);
                        match (ours, theirs) {
                            (Ok(ours), Ok(theirs)) => {
                                let at = format!("{text:?} at {offset}+{len}, context {before}/{after}");
                                assert_eq!(ours.data(), theirs.data(), "{at}");
                                assert_eq!(ours.span(), theirs.span(), "{at}");
                                assert_eq!(ours.line(), theirs.line(), "{at}");
                                assert_eq!(ours.line_count(), theirs.line_count(), "{at}");
                                if before > 0 {
                                    assert_eq!(ours.column(), theirs.column(), "{at}");
                                }
                            }
                            (Err(_), Err(_)) => {}
                            (ours, theirs) => panic!(
                                "{text:?} at {offset}+{len}, context {before}/{after}: {:?} against {:?}",
                                ours.is_ok(),
                                theirs.is_ok()
                            ),
                        }
                    }
                }
            }
        }
    }
}
