//! Comments that admit unfinished or known-broken work (TODO, FIXME, HACK, XXX, BUG) in deployment
//! configuration: Rahman et al. found them in defect-prone IaC scripts far more often than elsewhere.

use crate::rules::{FileView, RawFinding};
use crate::span::Span;
use regex::Regex;
use std::sync::LazyLock;

// Upper-case markers only: "todo" in prose ("a to-do list app") is not an admission of anything.
static MARKER: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"\b(TODO|FIXME|HACK|XXX|BUG|KLUDGE)\b").ok());

pub fn check(file: &FileView<'_>) -> Vec<RawFinding> {
    let Some(marker) = MARKER.as_ref() else { return Vec::new() };
    let mut out = Vec::new();
    for comment in &file.parsed.comments {
        let Some(found) = marker.find(&comment.text) else { continue };
        if comment.text.contains("smelt:") {
            continue;
        }
        // Point at the marker word to the end of the comment's first line.
        let start = comment.span.start as usize + found.start();
        let first_line_end = comment.text.find('\n').unwrap_or(comment.text.len());
        let end = comment.span.start as usize + first_line_end.max(found.end());
        out.push(RawFinding {
            span: Span::new(start, end),
            value: Some(found.as_str().to_string()),
            ..RawFinding::default()
        });
    }
    out
}
