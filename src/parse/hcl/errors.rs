//! One iterative walk over the syntax tree: comments, and syntax issues worded for a Terraform user.
//!
//! tree-sitter reports a broken region as an ERROR node (text it could not fit) or a MISSING node
//! (a token it pretended to see). Only the outermost ERROR of a region is reported, and at most one
//! issue per line, so a mangled block yields one message instead of one per token.

use tree_sitter::{Node as TsNode, Tree};

use super::text::first_token;
use super::{Kind, MAX_ISSUES, kids, span_of};
use crate::model::{Comment, ParseIssue, ParseIssueKind};
use crate::span::Span;

#[derive(Default)]
pub(super) struct Scanned {
    pub comments: Vec<Comment>,
    pub issues: Vec<ParseIssue>,
    /// Byte ranges of whole lines (without their line break) worth blanking before a re-parse.
    pub broken_lines: Vec<(usize, usize)>,
}

/// Lines whose breakage may have swallowed intact text, for the repair loop.
pub(super) fn broken_lines(tree: &Tree, text: &str) -> Vec<(usize, usize)> {
    scan(tree, text).broken_lines
}

pub(super) fn scan(tree: &Tree, text: &str) -> Scanned {
    scan_after_rows(tree, text, 0)
}

/// [`scan`] of a text that starts `rows_before` lines into its file (a slice parsed on its own), so
/// the lines that messages name are the file's.
pub(super) fn scan_after_rows(tree: &Tree, text: &str, rows_before: usize) -> Scanned {
    let mut scanner = Scanner { text, out: Scanned::default(), last_row: None, quiet_row: None, rows_before };
    // The tree can be hundreds of thousands of levels deep: walk it with a cursor, never recurse.
    let mut cursor = tree.walk();
    let mut ancestors: Vec<TsNode> = Vec::new();
    // While inside a reported ERROR (or unterminated string), nested problems are the same problem.
    let mut quiet_below: Option<usize> = None;
    loop {
        let node = cursor.node();
        let mut enter_quiet = false;
        if node.ty() == "comment" {
            scanner.comment(node);
        } else if quiet_below.is_none() {
            // A missing `}` is a child of `block_end`, itself a child of the block it closes.
            let parent = ancestors.last().copied();
            let parent = match parent.map(|p| p.ty()) {
                Some("block_end" | "tuple_end" | "object_end") => ancestors.iter().rev().nth(1).copied(),
                _ => parent,
            };
            enter_quiet = scanner.check(node, parent);
        }
        if cursor.goto_first_child() {
            if enter_quiet {
                quiet_below = Some(ancestors.len());
            }
            ancestors.push(node);
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return scanner.out;
            }
            ancestors.pop();
            if quiet_below == Some(ancestors.len()) {
                quiet_below = None;
            }
        }
    }
}

struct Scanner<'a> {
    text: &'a str,
    out: Scanned,
    /// Row of the last issue: one issue per line is enough.
    last_row: Option<usize>,
    /// A row whose problems are the tail of an unterminated string already reported.
    quiet_row: Option<usize>,
    /// Lines of the file before `text` (see [`scan_after_rows`]).
    rows_before: usize,
}

impl Scanner<'_> {
    /// 1-based line of the file where `node` starts.
    fn line_of(&self, node: TsNode) -> usize {
        node.start_position().row + 1 + self.rows_before
    }

    fn src(&self, node: TsNode) -> &str {
        self.text.get(node.byte_range()).unwrap_or("")
    }

    fn comment(&mut self, node: TsNode) {
        // A `#`/`//` comment ends before the line break; with CRLF the `\r` is not part of it.
        let text = self.src(node).trim_end_matches(['\r', '\n']);
        let span = Span::new(node.start_byte(), node.start_byte() + text.len());
        self.out.comments.push(Comment { span, text: text.to_string() });
    }

    /// Reports `node` if it is broken; returns whether its subtree should stay quiet.
    fn check(&mut self, node: TsNode, parent: Option<TsNode>) -> bool {
        if node.is_error() {
            if self.quiet_row == Some(node.start_position().row) {
                // The tail of an unterminated string: its line is intact once the string's is blanked.
                return true;
            }
            // A region that swallowed the rest of the file usually starts at the block around an
            // unterminated string or heredoc: point at the string, which is what needs fixing.
            if node.end_position().row > node.start_position().row
                && let Some((span, row, message)) = self.unterminated_within(node)
            {
                self.broken_line(span.start as usize);
                self.report(span, row, message);
                return true;
            }
            let message = self.error_message(node, parent);
            let row = node.start_position().row;
            // Blank the line only where recovery may have swallowed text: at the level of blocks
            // and attributes, or when the broken region runs across lines.
            let structural = parent.is_none_or(|p| matches!(p.ty(), "config_file" | "body" | "block"));
            if structural || node.end_position().row > row {
                self.broken_line(node.start_byte());
            }
            self.report(span_of(node), row, message);
            return true;
        }
        if node.is_missing() {
            let message = self.missing_message(node, parent);
            // A heredoc's missing end marker is "found" at the end of the file; the fix belongs
            // where the heredoc opens.
            if let (true, Some(heredoc)) = (node.ty() == "heredoc_identifier", parent) {
                let start = heredoc.start_byte();
                self.report(Span::new(start, self.line_end(start)), heredoc.start_position().row, message);
                return false;
            }
            self.report(span_of(node), node.start_position().row, message);
            return false;
        }
        if matches!(node.ty(), "string_lit" | "quoted_template") && self.unterminated(node) {
            let start = node.start_byte();
            let line_end = self.line_end(start);
            self.broken_line(start);
            self.report(
                Span::new(start, line_end),
                node.start_position().row,
                "unterminated string — add the closing '\"' before the end of the line".to_string(),
            );
            self.quiet_row = Some(node.end_position().row);
            return true;
        }
        false
    }

    /// HCL strings end on their line; tree-sitter lets them run on, even to the end of the file.
    fn unterminated(&self, node: TsNode) -> bool {
        kids(node).into_iter().any(|k| {
            (k.ty() == "template_literal" && self.src(k).contains('\n'))
                || (k.ty() == "quoted_template_end" && k.is_missing())
        })
    }

    fn report(&mut self, span: Span, row: usize, message: String) {
        if self.out.issues.len() >= MAX_ISSUES || self.last_row == Some(row) || self.quiet_row == Some(row) {
            return;
        }
        self.last_row = Some(row);
        self.out.issues.push(ParseIssue { span, message, kind: ParseIssueKind::Syntax });
    }

    /// The first line inside `node` that opens a string it never closes, or a heredoc whose marker
    /// never comes: its span (to the end of that line), row and message.
    fn unterminated_within(&self, node: TsNode) -> Option<(Span, usize, String)> {
        let region = self.src(node);
        let base = node.start_byte();
        let first_row = node.start_position().row;
        let mut offset = 0;
        let lines: Vec<&str> = region.split_inclusive('\n').collect();
        for (i, line) in lines.iter().enumerate() {
            let code = line.trim_end_matches(['\r', '\n']);
            let start = base + offset;
            offset += line.len();
            let trimmed = code.trim_start();
            if trimmed.starts_with('#') || trimmed.starts_with("//") {
                continue;
            }
            if let Some(marker) = heredoc_marker(code) {
                let closed = lines.iter().skip(i + 1).any(|l| l.trim() == marker);
                if !closed {
                    let at = code.find("<<").unwrap_or(0);
                    let span = Span::new(start + at, start + code.len());
                    return Some((
                        span,
                        first_row + i,
                        format!(
                            "heredoc `{marker}` opened here is never closed: add a line with just `{marker}`"
                        ),
                    ));
                }
                continue;
            }
            if let Some(at) = open_quote(code) {
                let span = Span::new(start + at, start + code.len());
                return Some((
                    span,
                    first_row + i,
                    "unterminated string — add the closing '\"' before the end of the line".to_string(),
                ));
            }
        }
        None
    }

    fn line_end(&self, offset: usize) -> usize {
        let rest = self.text.get(offset..).unwrap_or("");
        offset + rest.find(['\r', '\n']).unwrap_or(rest.len())
    }

    fn broken_line(&mut self, offset: usize) {
        let start = self.text.get(..offset).and_then(|s| s.rfind('\n')).map_or(0, |i| i + 1);
        let line = (start, self.line_end(offset));
        if !self.out.broken_lines.contains(&line) {
            self.out.broken_lines.push(line);
        }
    }

    /// `unexpected X — expected Y`, with Y taken from where in the grammar the error sits.
    fn error_message(&self, node: TsNode, parent: Option<TsNode>) -> String {
        let rest = self.text.get(node.start_byte()..).unwrap_or("");
        let parent_kind = parent.map_or("config_file", |p| p.ty());
        if parent_kind == "attribute" {
            return self.attribute_error(rest, parent);
        }
        let unexpected = match first_token(rest) {
            Some(token) => format!("unexpected '{token}'"),
            None => "unexpected end of file".to_string(),
        };
        let expected = match (parent_kind, parent) {
            ("config_file", _) => "expected an attribute name or block".to_string(),
            ("body", Some(body)) => self.body_expectation(body),
            ("block", Some(block)) => {
                let opened = kids(block)
                    .into_iter()
                    .any(|k| k.ty() == "block_start" && k.end_byte() <= node.start_byte());
                if opened {
                    format!("expected an attribute, a block or '}}' in {}", self.block_name(block))
                } else {
                    format!("expected a label or '{{' after {}", self.block_name(block))
                }
            }
            ("tuple", Some(p)) => {
                format!("expected ',' or ']' in the list opened on line {}", self.line_of(p))
            }
            ("object", Some(p)) => {
                format!(
                    "expected 'key = value', ',' or '}}' in the object opened on line {}",
                    self.line_of(p)
                )
            }
            ("function_arguments", Some(p)) => {
                format!("expected ',' or ')' in the function call opened on line {}", self.line_of(p))
            }
            ("function_call", Some(p)) => {
                format!(
                    "expected ',' or ')' in the call to {}()",
                    kids(p).first().map_or("", |n| self.src(*n))
                )
            }
            (kind, _) if kind.starts_with("template") || kind.ends_with("template") => {
                "expected an expression or the end of the template".to_string()
            }
            _ => "expected an expression".to_string(),
        };
        format!("{unexpected} — {expected}")
    }

    /// An ERROR inside an attribute usually holds its `=`: `b = ` with nothing after it reads as
    /// `b`, ERROR(`= c`), `= 3` when the next line is `c = 3`.
    fn attribute_error(&self, rest: &str, attr: Option<TsNode>) -> String {
        let name = attr.and_then(|a| kids(a).into_iter().next()).map_or("", |n| self.src(n));
        let after_eq = rest.trim_start().strip_prefix('=').unwrap_or(rest);
        let same_line = after_eq.trim_start_matches([' ', '\t']);
        if same_line.is_empty() || same_line.starts_with(['\n', '\r', '#']) || same_line.starts_with("//") {
            return format!("missing value for \"{name}\" — expected an expression after '='");
        }
        match first_token(after_eq) {
            Some(token) => {
                format!("unexpected '{token}' — expected an expression as the value of \"{name}\"")
            }
            None => format!("missing value for \"{name}\" — expected an expression after '='"),
        }
    }

    fn body_expectation(&self, body: TsNode) -> String {
        // The body's own parent is not at hand; a body inside a block starts after its `{`.
        let in_block = self.text.get(..body.start_byte()).is_some_and(|s| s.trim_end().ends_with('{'));
        if in_block {
            "expected an attribute, a block or '}'".to_string()
        } else {
            "expected an attribute name or block".to_string()
        }
    }

    /// `the block "resource" "aws_s3_bucket" "b"`: the type and labels as the user wrote them.
    fn block_name(&self, block: TsNode) -> String {
        let mut name = String::from("the block");
        for (i, part) in kids(block).into_iter().take_while(|k| k.ty() != "block_start").enumerate() {
            let text = self.src(part);
            if i == 0 {
                name.push_str(&format!(" \"{text}\""));
            } else {
                name.push(' ');
                name.push_str(text);
            }
        }
        name
    }

    /// A token tree-sitter had to pretend was there: name it and what it should have closed.
    fn missing_message(&self, node: TsNode, parent: Option<TsNode>) -> String {
        let opened = parent.map_or(1 + self.rows_before, |p| self.line_of(p));
        match (node.ty(), parent.map(|p| p.ty())) {
            ("block_end" | "}", Some("block")) => match parent {
                Some(block) => {
                    format!("expected '}}' to close {} opened on line {opened}", self.block_name(block))
                }
                None => "expected '}'".to_string(),
            },
            ("tuple_end" | "]", _) => {
                format!("expected ']' to close the list opened on line {opened}")
            }
            ("object_end" | "}", Some("object")) => {
                format!("expected '}}' to close the object opened on line {opened}")
            }
            (")", Some("function_call")) => {
                let name = parent.and_then(|p| kids(p).into_iter().next()).map_or("", |n| self.src(n));
                format!("expected ')' to close the call to {name}() opened on line {opened}")
            }
            (")", _) => format!("expected ')' to close the '(' opened on line {opened}"),
            ("template_interpolation_end", _) => {
                format!("expected '}}' to close the '${{' opened on line {opened}")
            }
            ("template_directive_end", _) => {
                format!("expected '}}' to close the '%{{' opened on line {opened}")
            }
            ("quoted_template_end", _) => "unterminated string — add the closing '\"'".to_string(),
            ("heredoc_identifier", _) => {
                format!(
                    "unterminated heredoc opened on line {opened} — expected its closing marker on a line of its own"
                )
            }
            ("identifier", _) => "expected a name".to_string(),
            ("=", _) => "expected '=' after the attribute name".to_string(),
            (kind, _) => format!("expected '{kind}'"),
        }
    }
}

/// `x = <<EOT` / `<<-EOT` at the end of a line: the marker.
fn heredoc_marker(line: &str) -> Option<&str> {
    let at = line.find("<<")?;
    let marker = line.get(at + 2..)?.trim_start_matches('-').trim_end();
    (!marker.is_empty() && marker.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')).then_some(marker)
}

/// Byte offset of a `"` that the line opens and never closes (escapes and `${…}` quotes respected
/// roughly: only an odd count of unescaped quotes counts).
fn open_quote(line: &str) -> Option<usize> {
    let mut open: Option<usize> = None;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match c {
            '\\' if open.is_some() => escaped = !escaped,
            '"' if !escaped => open = if open.is_some() { None } else { Some(i) },
            '#' if open.is_none() => return None,
            _ => escaped = false,
        }
        if c != '\\' {
            escaped = false;
        }
    }
    open
}
