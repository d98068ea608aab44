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

/// The safe edit for a finding, if its rule has one (`[fix]` in the rule file) and the finding
/// underlines a value written literally as the fix expects: a variable, an expression or a Helm
/// template action is never rewritten. Rules get a `[fix]` only when applying it can never make the
/// configuration invalid or change behaviour beyond the finding (`skip_final_snapshot = false` also
/// needs a `final_snapshot_identifier`, pinning an action needs the commit of its tag: no fix).
pub fn safe_fix(finding: &Finding, text: &str) -> Option<Fix> {
    let fix = finding.rule.fix.as_ref()?;
    let written = text.get(finding.location.span.range())?;
    let bare = written.trim_matches(|c| c == '"' || c == '\'');
    let quoted = written.len() != bare.len();
    if !fix.when.iter().any(|w| w == bare) {
        return None;
    }
    // Keep the quoting style the file uses for strings; booleans and numbers stay bare.
    let new = if quoted { format!("\"{}\"", fix.replace) } else { fix.replace.clone() };
    Some(Fix { title: fix.title.clone(), edits: vec![(finding.location.span, new)] })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discover::Input;
    use crate::engine::{CheckOptions, check};
    use crate::rules::meta::Severity;
    use crate::rules::registry::{builtin, select};

    fn run(rules: &crate::rules::registry::RuleSet, path: &str, code: &str) -> crate::finding::Report {
        let opts = CheckOptions { jobs: 1, read_disk: false, ..CheckOptions::default() };
        check(vec![Input::from_memory(path, code.as_bytes().to_vec())], rules, &opts)
    }

    /// Every rule's `[fix]`, applied to every finding of its bad examples that it is offered for,
    /// removes that finding, and the fixed file still parses and gains no finding of any other smell
    /// (a finding of the same smell that the fixed one masked may appear: `privileged: false` leaves
    /// `allowPrivilegeEscalation` to be judged on its own).
    #[test]
    fn every_fix_removes_its_finding_and_nothing_else_changes() {
        let all = builtin().expect("built-in rules");
        let with_fix: Vec<String> =
            all.iter().filter(|r| r.meta.fix.is_some()).map(|r| r.meta.name.clone()).collect();
        assert!(with_fix.len() >= 5, "{with_fix:?}");
        let rules = select(all, &[], &[], Severity::Info).expect("select");
        let mut applied = 0;
        for rule in rules.rules.iter().filter(|r| r.meta.fix.is_some()) {
            for ex in rule.examples.iter().filter(|e| !e.good) {
                let before = run(&rules, &ex.path, &ex.code);
                let mut edits: Vec<(Span, String)> = before
                    .findings
                    .iter()
                    .filter(|f| f.rule.name == rule.meta.name)
                    .filter_map(|f| safe_fix(f, &ex.code))
                    .flat_map(|fix| fix.edits)
                    .collect();
                if edits.is_empty() {
                    continue;
                }
                edits.sort_by_key(|(span, _)| std::cmp::Reverse(span.start));
                let mut fixed = ex.code.clone();
                for (span, new) in &edits {
                    fixed.replace_range(span.range(), new);
                }
                let after = run(&rules, &ex.path, &fixed);
                let count = |r: &crate::finding::Report, name: &str| {
                    r.findings.iter().filter(|f| f.rule.name == name).count()
                };
                let name = &rule.meta.name;
                assert_eq!(count(&after, name), count(&before, name) - edits.len(), "{name}:\n{fixed}");
                assert!(after.diagnostics.is_empty(), "{name}: {:?}\n{fixed}", after.diagnostics);
                let others = rules.rules.iter().map(|r| &r.meta).filter(|m| m.smell != rule.meta.smell);
                for other in others.map(|m| &m.name) {
                    assert!(
                        count(&after, other) <= count(&before, other),
                        "{name}'s fix adds {other}:\n{fixed}"
                    );
                }
                applied += edits.len();
            }
        }
        assert!(applied >= with_fix.len(), "only {applied} fixes applied");
    }

    #[test]
    fn fixes_are_offered_only_for_literal_values_and_keep_quotes() {
        let mut meta = crate::rules::meta::RuleMeta::for_tests("x");
        meta.fix = Some(crate::rules::meta::ValueFix {
            title: "t".into(),
            replace: "true".into(),
            when: vec!["false".into()],
        });
        let rule = Arc::new(meta);
        let finding = |text: &str, at: &str| {
            let start = text.find(at).expect("in text");
            let index = LineIndex::new(text);
            let span = Span::new(start, start + at.len());
            Finding {
                rule: Arc::clone(&rule),
                location: crate::engine::location("f", text, &index, span),
                message: String::new(),
                related: Vec::new(),
                severity: Severity::High,
                fingerprint: String::new(),
                suppressed: None,
            }
        };
        let text = "a = false\nb = var.x\nc = \"false\"\n";
        let fix = |at: &str| safe_fix(&finding(text, at), text).map(|f| f.edits[0].1.clone());
        assert_eq!(fix("false"), Some("true".into()));
        assert_eq!(fix("var.x"), None);
        assert_eq!(fix("\"false\""), Some("\"true\"".into()));
        let template = "privileged: {{ .Values.p }}\n";
        assert!(safe_fix(&finding(template, "{{ .Values.p }}"), template).is_none());
    }
}
