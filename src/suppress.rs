//! In-source suppressions: `# smelt: ignore[rule-name, other-rule] the reason`.
//!
//! A suppression at the end of a line covers that line, and the whole block or key that starts there.
//! On a line of its own it covers the next line of code and the block or key that starts there. The
//! reason is required: a suppression is a decision someone must be able to read later.
//!
//! `# smelt: ignore[rule] until=2026-12-31 reason` expires: from the day after that date (UTC) it no
//! longer applies, and the engine says so.

use crate::date::Date;
use crate::finding::DiagnosticCode;
use crate::model::ParsedFile;
use crate::span::{LineIndex, Span};
use regex::Regex;
use std::collections::HashMap;
use std::sync::LazyLock;

static DIRECTIVE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"^(?:#|//|/\*)\s*smelt:\s*ignore\[([^\]]*)\]\s*(?:(?:--|[-:—])\s*)?(.*?)\s*(?:\*/)?\s*$").ok()
});

#[derive(Clone, Debug, PartialEq)]
pub struct Suppression {
    pub rules: Vec<String>,
    pub reason: String,
    /// The comment itself.
    pub span: Span,
    /// 0-based first and last line covered.
    pub lines: (usize, usize),
    pub used: bool,
    /// `until=YYYY-MM-DD`: the last day the suppression applies.
    pub until: Option<Date>,
}

/// A malformed suppression or one without a reason.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    pub span: Span,
    pub code: DiagnosticCode,
    pub message: String,
}

/// Finds the suppressions in a file. `known` tells whether a rule name or code exists.
pub fn collect(
    text: &str,
    index: &LineIndex,
    parsed: &ParsedFile,
    known: impl Fn(&str) -> bool,
) -> (Vec<Suppression>, Vec<Problem>) {
    let Some(directive) = DIRECTIVE.as_ref() else { return (Vec::new(), Vec::new()) };
    let mut extents: Option<HashMap<usize, usize>> = None;
    let mut found = Vec::new();
    let mut problems = Vec::new();
    for comment in &parsed.comments {
        if !comment.text.contains("smelt:") {
            continue;
        }
        let first_line = comment.text.lines().next().unwrap_or("");
        let Some(caps) = directive.captures(first_line) else {
            problems.push(Problem {
                span: comment.span,
                code: DiagnosticCode::InvalidSuppression,
                message: "malformed suppression: write `# smelt: ignore[rule-name] reason`".to_string(),
            });
            continue;
        };
        let rules: Vec<String> = caps
            .get(1)
            .map(|m| m.as_str().split(',').map(|r| r.trim().to_string()).filter(|r| !r.is_empty()).collect())
            .unwrap_or_default();
        let text_after = caps.get(2).map(|m| m.as_str().trim()).unwrap_or_default();
        let (until, reason) = match expiry(text_after) {
            Ok(x) => x,
            Err(message) => {
                problems.push(Problem {
                    span: comment.span,
                    code: DiagnosticCode::InvalidSuppression,
                    message,
                });
                continue;
            }
        };
        if rules.is_empty() {
            problems.push(Problem {
                span: comment.span,
                code: DiagnosticCode::InvalidSuppression,
                message: "suppression names no rule: write `# smelt: ignore[rule-name] reason`".to_string(),
            });
            continue;
        }
        if let Some(unknown) = rules.iter().find(|r| !known(r)) {
            problems.push(Problem {
                span: comment.span,
                code: DiagnosticCode::InvalidSuppression,
                message: format!("suppression names unknown rule `{unknown}`"),
            });
        }
        if reason.is_empty() {
            problems.push(Problem {
                span: comment.span,
                code: DiagnosticCode::SuppressionWithoutReason,
                message: format!(
                    "suppression of `{}` has no reason: add one after the `]` so reviewers know why",
                    rules.join(", ")
                ),
            });
        }
        let extents = extents.get_or_insert_with(|| block_extents(index, parsed));
        let line = index.line_of(comment.span.start);
        let own_line = text
            .get(index.line_start(line) as usize..comment.span.start as usize)
            .is_some_and(|p| p.trim().is_empty());
        let target = if own_line { next_code_line(text, index, line) } else { line };
        let end = extents.get(&target).copied().unwrap_or(target).max(target);
        found.push(Suppression {
            rules,
            reason,
            span: comment.span,
            lines: (target, end),
            used: false,
            until,
        });
    }
    (found, problems)
}

/// Splits `until=2026-12-31 the reason` into the date and the reason.
fn expiry(text: &str) -> Result<(Option<Date>, String), String> {
    let Some(rest) = text.strip_prefix("until=") else { return Ok((None, text.to_string())) };
    let (date, reason) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    match Date::parse(date) {
        Some(d) => Ok((Some(d), reason.trim().to_string())),
        None => Err(format!(
            "malformed expiry date `{date}`: write `until=YYYY-MM-DD` (a real date), then the reason"
        )),
    }
}

/// For each line where a map entry, block or list item starts, the last line it spans.
fn block_extents(index: &LineIndex, parsed: &ParsedFile) -> HashMap<usize, usize> {
    let mut extents: HashMap<usize, usize> = HashMap::new();
    let mut record = |span: Span| {
        let start = index.line_of(span.start);
        let end = index.line_of(span.end.saturating_sub(1).max(span.start));
        let e = extents.entry(start).or_insert(start);
        *e = (*e).max(end);
    };
    for doc in &parsed.docs {
        doc.walk_entries(&mut |e| record(e.span()));
        doc.walk(&mut |n| {
            for item in n.items() {
                record(item.span);
            }
        });
    }
    extents
}

/// The first line after `line` that is neither blank nor only a comment.
fn next_code_line(text: &str, index: &LineIndex, line: usize) -> usize {
    let mut l = line + 1;
    while l < index.line_count() {
        let content = text.get(index.line_span(text, l).range()).unwrap_or("").trim_start();
        if !comment_only(content) {
            return l;
        }
        l += 1;
    }
    line
}

/// Whether a line holds nothing but comments: `/* note */ x = 1` is a line of code.
fn comment_only(mut content: &str) -> bool {
    loop {
        if content.is_empty() || content.starts_with('#') || content.starts_with("//") {
            return true;
        }
        let Some(rest) = content.strip_prefix("/*") else { return false };
        let Some(end) = rest.find("*/") else { return true };
        content = rest[end + 2..].trim_start();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Comment;

    fn parsed_with(text: &str) -> ParsedFile {
        let mut comments = Vec::new();
        let mut offset = 0;
        for line in text.split_inclusive('\n') {
            if let Some(i) = line.find('#') {
                let body = line[i..].trim_end();
                comments.push(Comment {
                    span: Span::new(offset + i, offset + i + body.len()),
                    text: body.to_string(),
                });
            }
            offset += line.len();
        }
        ParsedFile { comments, ..ParsedFile::default() }
    }

    #[test]
    fn parses_expiry_dates() {
        let text = "# smelt: ignore[a] until=2026-12-31 legacy\nx: 1\n# smelt: ignore[a] until=2026-02-30 oops\ny: 2\n# smelt: ignore[a] until=2026-01-01\nz: 3\n";
        let idx = LineIndex::new(text);
        let (found, problems) = collect(text, &idx, &parsed_with(text), |_| true);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].until, Date::parse("2026-12-31"));
        assert_eq!(found[0].reason, "legacy");
        assert_eq!(found[1].reason, "");
        let got: Vec<_> = problems.iter().map(|p| (p.code, p.message.as_str())).collect();
        assert_eq!(got[0].0, DiagnosticCode::InvalidSuppression);
        assert!(got[0].1.contains("`2026-02-30`"), "{}", got[0].1);
        assert_eq!(got[1].0, DiagnosticCode::SuppressionWithoutReason);
    }

    #[test]
    fn parses_rules_and_reasons() {
        let text =
            "# smelt: ignore[a, b] -- legacy bucket\nx: 1\ny: 2 # smelt: ignore[c]\n# smelt: ignore a\n";
        let idx = LineIndex::new(text);
        let (found, problems) = collect(text, &idx, &parsed_with(text), |r| r != "c");
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].rules, ["a", "b"]);
        assert_eq!(found[0].reason, "legacy bucket");
        assert_eq!(found[0].lines, (1, 1));
        assert_eq!(found[1].lines, (2, 2));
        let codes: Vec<_> = problems.iter().map(|p| p.code).collect();
        assert_eq!(
            codes,
            [
                DiagnosticCode::InvalidSuppression,
                DiagnosticCode::SuppressionWithoutReason,
                DiagnosticCode::InvalidSuppression
            ]
        );
    }

    #[test]
    fn a_line_after_a_block_comment_is_code() {
        let text = "# smelt: ignore[a] noted\n/* aside */\n/* note */ x: 1\n";
        let idx = LineIndex::new(text);
        let (found, _) = collect(text, &idx, &parsed_with(text), |_| true);
        assert_eq!(found[0].lines, (2, 2));
        assert!(comment_only("/* a */ /* b */ # c"));
        assert!(!comment_only("/* a */ x"));
    }
}
