//! Template text (quoted strings with `${…}`/`%{…}`, heredocs) assembled from byte ranges, shared
//! by both lowerings: the literal text always comes from the source between the parts, so the
//! tree-sitter and the hcl-edit lowering cannot disagree on escapes, strip markers or indentation.

use super::text;
use crate::model::{Expr, Node, Value};
use crate::span::Span;

/// Where a stretch of template text sits: the span its node gets, and whether the markers around
/// it strip the whitespace at its ends.
#[derive(Clone, Copy)]
pub(super) struct Edges {
    pub span: Span,
    pub trim_start: bool,
    pub trim_end: bool,
}

/// One interpolation or directive of a template: its byte range, and whether it strips the
/// whitespace before it (`${~`, `%{~`) and after it (`~}`).
#[derive(Clone, Copy)]
pub(super) struct PartAt {
    pub start: usize,
    pub end: usize,
    pub strips_left: bool,
    pub strips_right: bool,
}

/// Builds a `Str` (no parts) or a `Template` of the literal gaps of `text[start..end]` between
/// `parts` (in source order) and each part as `lower` makes it.
#[allow(clippy::too_many_arguments)]
pub(super) fn assemble<P>(
    text: &str,
    edges: Edges,
    (start, end): (usize, usize),
    parts: &[P],
    at: impl Fn(&P) -> PartAt,
    cuts: &[(usize, usize)],
    decode: fn(&str) -> String,
    mut lower: impl FnMut(&P) -> Node,
) -> Node {
    if parts.is_empty() {
        if !edges.trim_start && !edges.trim_end {
            let raw = raw_without(text, start, end, cuts);
            return Node::new(edges.span, Value::Str(decode(&raw)));
        }
        let value = literal_part(text, start, end, cuts, edges.trim_start, edges.trim_end, decode)
            .and_then(|n| n.as_str().map(str::to_string))
            .unwrap_or_default();
        return Node::new(edges.span, Value::Str(value));
    }
    let spans: Vec<PartAt> = parts.iter().map(&at).collect();
    let gaps = literal_gaps((start, end), spans.iter().map(|p| (p.start, p.end)));
    let mut out = Vec::new();
    let mut pending_gap = gaps.iter().peekable();
    for (i, (part, here)) in parts.iter().zip(&spans).enumerate() {
        while let Some(&&(s, e)) = pending_gap.peek() {
            if s >= here.start {
                break;
            }
            pending_gap.next();
            let prev_strips = match i.checked_sub(1).and_then(|j| spans.get(j)) {
                Some(p) => p.strips_right,
                None => edges.trim_start,
            };
            out.extend(literal_part(text, s, e, cuts, prev_strips, here.strips_left, decode));
        }
        out.push(lower(part));
    }
    let last_strips = spans.last().is_some_and(|p| p.strips_right);
    for &(s, e) in pending_gap {
        out.extend(literal_part(text, s, e, cuts, last_strips, edges.trim_end, decode));
    }
    Node::new(edges.span, Value::Expr(Box::new(Expr::Template(out))))
}

/// The indentation `<<-` strips from the heredoc content `text[start..end]`, as absolute byte
/// ranges. `leaves`: every interpolation and directive marker inside it (directive bodies opened
/// up), in source order: lines inside a `%{ for }`/`%{ if }` body are lines of the heredoc too.
pub(super) fn heredoc_cuts(
    text: &str,
    start: usize,
    end: usize,
    leaves: &[(usize, usize)],
) -> Vec<(usize, usize)> {
    let content = text.get(start..end).unwrap_or("");
    let literals: Vec<(usize, usize)> = literal_gaps((start, end), leaves.iter().copied())
        .into_iter()
        .map(|(s, e)| (s - start, e - start))
        .collect();
    let part_starts: Vec<usize> = leaves.iter().map(|p| p.0.saturating_sub(start)).collect();
    text::heredoc_indent_cuts(content, &literals, &part_starts)
        .into_iter()
        .map(|(s, e)| (s + start, e + start))
        .collect()
}

/// The byte ranges between `parts` inside `[start, end)`, empty ones left out.
fn literal_gaps(
    (start, end): (usize, usize),
    parts: impl IntoIterator<Item = (usize, usize)>,
) -> Vec<(usize, usize)> {
    let mut gaps = Vec::new();
    let mut at = start;
    for (part_start, part_end) in parts {
        if part_start > at {
            gaps.push((at, part_start.min(end)));
        }
        at = at.max(part_end);
    }
    if end > at {
        gaps.push((at, end));
    }
    gaps
}

/// A literal stretch of a template, with `~` strip markers applied to its ends.
fn literal_part(
    text: &str,
    start: usize,
    end: usize,
    cuts: &[(usize, usize)],
    trim_start: bool,
    trim_end: bool,
    decode: fn(&str) -> String,
) -> Option<Node> {
    let raw = text.get(start..end)?;
    let (mut s, mut e) = (start, end);
    if trim_start {
        s = end - raw.trim_start().len();
    }
    if trim_end {
        e = start + raw.trim_end().len().max(s - start);
    }
    if s >= e {
        return None;
    }
    let value = decode(&raw_without(text, s, e, cuts));
    Some(Node::new(Span::new(s, e), Value::Str(value)))
}

/// `text[start..end]` minus the `cuts` (heredoc indentation) inside it.
fn raw_without(text: &str, start: usize, end: usize, cuts: &[(usize, usize)]) -> String {
    let mut out = String::new();
    let mut at = start;
    for &(s, e) in cuts.iter().filter(|&&(s, e)| s >= start && e <= end) {
        out.push_str(text.get(at..s).unwrap_or(""));
        at = e.max(at);
    }
    out.push_str(text.get(at..end).unwrap_or(""));
    out
}
