//! Code actions ("suppress with a reason", safe fixes) and hover.

use super::position::{self, Encoding};
use crate::finding::Finding;
use crate::rules::Rule;
use crate::rules::docs::render_markdown;
use crate::span::{LineIndex, Span};
use lsp_types::{Hover, HoverContents, MarkupContent, MarkupKind, Position, Range, Uri};
use serde_json::{Value, json};
use std::sync::Arc;

/// The command a plain-text suppression runs afterwards, so the editor selects the word `reason`.
pub const SELECT_COMMAND: &str = "smelt.selectRange";

/// How the client can be asked to put the cursor on the reason.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cursor {
    /// LSP 3.18 `SnippetTextEdit` in workspace edits: `${1:reason}` is a placeholder.
    Snippet,
    /// A plain edit, then [`SELECT_COMMAND`], which asks the client (`window/showDocument`) to select
    /// the word.
    ShowDocument,
    /// A plain edit; the reason is the literal word `reason`.
    Plain,
}

/// A safe, mechanical edit a rule offers for one finding.
pub struct Fix {
    pub title: String,
    pub edits: Vec<(Span, String)>,
}

/// The fix hook: the safe edit for a finding, if its rule has one. None do yet, on purpose: every
/// candidate so far needs a choice only the user can make (`skip_final_snapshot = false` also needs a
/// `final_snapshot_identifier`; pinning an action needs the commit of the tag). A fix is added here only
/// when applying it can never make the configuration invalid or change behaviour beyond the finding.
pub fn safe_fix(_finding: &Finding, _text: &str) -> Option<Fix> {
    None
}

/// The code actions for the findings of one document that touch `range`, as JSON (snippet edits are
/// not in lsp-types 0.97).
pub fn code_actions(
    uri: &Uri,
    version: i32,
    text: &str,
    findings: &[Finding],
    range: Range,
    enc: Encoding,
    cursor: Cursor,
) -> Vec<Value> {
    let index = LineIndex::new(text);
    let mut out = Vec::new();
    let mut seen = Vec::new();
    for f in findings.iter().filter(|f| f.suppressed.is_none()) {
        let frange = position::range(text, &index, f.location.span, enc);
        if !super::analysis::touches(frange, range) {
            continue;
        }
        let line = (f.location.start.line as usize).saturating_sub(1);
        if seen.contains(&(line, &f.rule.name)) {
            continue;
        }
        seen.push((line, &f.rule.name));
        let diagnostic =
            json!({ "range": frange, "code": f.rule.name, "source": "smelt", "message": f.message });
        if let Some(fix) = safe_fix(f, text) {
            let edits: Vec<Value> = fix
                .edits
                .iter()
                .map(|(span, new)| json!({ "range": position::range(text, &index, *span, enc), "newText": new }))
                .collect();
            out.push(json!({
                "title": fix.title,
                "kind": "quickfix",
                "diagnostics": [diagnostic],
                "isPreferred": true,
                "edit": { "documentChanges": [ { "textDocument": { "uri": uri, "version": version }, "edits": edits } ] },
            }));
        }
        out.push(suppress_action(uri, version, text, &index, line, f, diagnostic, enc, cursor));
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn suppress_action(
    uri: &Uri,
    version: i32,
    text: &str,
    index: &LineIndex,
    line: usize,
    f: &Finding,
    diagnostic: Value,
    enc: Encoding,
    cursor: Cursor,
) -> Value {
    let content = text.get(index.line_span(text, line).range()).unwrap_or("");
    let indent: String = content.chars().take_while(|c| *c == ' ' || *c == '\t').collect();
    let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let rule = &f.rule.name;
    let at = Position { line: u32::try_from(line).unwrap_or(u32::MAX), character: 0 };
    let insert = Range { start: at, end: at };
    let head = format!("{indent}# smelt: ignore[{rule}] ");
    let title = format!("Suppress `{rule}` with a reason");
    let doc = json!({ "uri": uri, "version": version });
    let mut action = json!({ "title": title, "kind": "quickfix", "diagnostics": [diagnostic] });
    if cursor == Cursor::Snippet {
        let snippet = format!("{}${{1:reason}}{eol}", escape_snippet(&head));
        action["edit"] = json!({ "documentChanges": [ { "textDocument": doc, "edits": [
            { "range": insert, "snippet": { "kind": "snippet", "value": snippet } }
        ] } ] });
        return action;
    }
    action["edit"] = json!({ "documentChanges": [ { "textDocument": doc, "edits": [
        { "range": insert, "newText": format!("{head}reason{eol}") }
    ] } ] });
    if cursor == Cursor::ShowDocument {
        let start = Position { line: at.line, character: enc.len(&head) };
        let end = Position { line: at.line, character: start.character + 6 };
        action["command"] = json!({
            "title": "Select the reason",
            "command": SELECT_COMMAND,
            "arguments": [uri, { "start": start, "end": end }],
        });
    }
    action
}

fn escape_snippet(s: &str) -> String {
    s.replace('\\', "\\\\").replace('$', "\\$").replace('}', "\\}")
}

/// The docs of every rule with a finding under `offset`.
pub fn hover(
    text: &str,
    findings: &[Finding],
    rules: &[Arc<Rule>],
    offset: usize,
    enc: Encoding,
) -> Option<Hover> {
    let offset = u32::try_from(offset).unwrap_or(u32::MAX);
    let under: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.location.span.start <= offset && offset <= f.location.span.end)
        .collect();
    let first = under.first()?;
    let mut names: Vec<&str> = under.iter().map(|f| f.rule.name.as_str()).collect();
    names.dedup();
    let pages: Vec<String> = names
        .iter()
        .filter_map(|n| rules.iter().find(|r| r.meta.name == *n))
        .map(|r| render_markdown(r))
        .collect();
    if pages.is_empty() {
        return None;
    }
    let index = LineIndex::new(text);
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: pages.join("\n---\n\n"),
        }),
        range: Some(position::range(text, &index, first.location.span, enc)),
    })
}
