//! Shell scripts in CI pipelines (GitHub `run:`, GitLab `script:`), parsed with tree-sitter-bash.
//!
//! Rules see commands, their arguments as words (literal, expanded, or quoted with expansions inside),
//! pipelines and heredocs, instead of grepping text. Spans are byte offsets into the script text;
//! [`Embedded`] maps them back to the YAML file, through the indentation a block scalar's decoded
//! string lost.
//!
//! GitHub `${{ … }}` expressions are not shell: before parsing they are blanked to a same-length
//! placeholder (so offsets still match), and every word that touches one is *opaque* — its value is
//! unknown.
//!
//! Work is bounded: scripts over [`MAX_SCRIPT_BYTES`] are not parsed, parsing stops after
//! [`PARSE_BUDGET`], and at most [`MAX_COMMANDS`] commands are collected. Nothing here panics on input.

use crate::span::Span;
use std::ops::ControlFlow;
use std::time::{Duration, Instant};
use tree_sitter::{Node as TsNode, ParseOptions, Parser};

pub const MAX_SCRIPT_BYTES: usize = 256 * 1024;
pub const MAX_COMMANDS: usize = 10_000;
const PARSE_BUDGET: Duration = Duration::from_secs(2);

/// How much of a word is known before the script runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WordKind {
    /// No expansion at all: `--atomic`, `'$x'`, `"plain"`.
    Literal,
    /// An unquoted expansion somewhere in the word (`$X`, `${X}`, `$(cmd)`, `x$Y`), or a GitHub
    /// `${{ }}` expression: split and glob applies, the value is unknown.
    Expansion,
    /// Expansions only inside double quotes (`"$X"`, `"a ${X} b"`): one word, value unknown.
    QuotedExpansion,
}

/// A variable read inside a word.
#[derive(Clone, Debug, PartialEq)]
pub struct VarRef {
    pub name: String,
    /// The `$NAME` / `${NAME…}` text in the script.
    pub span: Span,
    /// Inside double quotes.
    pub quoted: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Word {
    pub span: Span,
    /// The source text, quotes included.
    pub raw: String,
    /// The value with quotes removed, when the word is [`WordKind::Literal`].
    pub value: Option<String>,
    pub kind: WordKind,
    pub vars: Vec<VarRef>,
    /// Touches a GitHub `${{ }}` expression.
    pub opaque: bool,
}

impl Word {
    /// The literal value, or the raw text when it is not literal (for prefix tests like `http://`).
    pub fn text(&self) -> &str {
        self.value.as_deref().unwrap_or(&self.raw)
    }

    pub fn is_literal(&self, s: &str) -> bool {
        self.value.as_deref() == Some(s)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Redirect {
    /// `>`, `>>`, `<`, `2>` …
    pub op: String,
    pub target: Word,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Heredoc {
    pub span: Span,
    /// Unquoted delimiter: the body's `$VAR`s are expanded when the heredoc is read.
    pub expands: bool,
    pub vars: Vec<VarRef>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Command {
    pub span: Span,
    /// `None` for a bare assignment (`X=1`).
    pub name: Option<Word>,
    pub args: Vec<Word>,
    pub redirects: Vec<Redirect>,
    pub heredocs: Vec<Heredoc>,
    /// Index of the pipeline this command is a stage of, and its position in it.
    pub pipeline: Option<(usize, usize)>,
}

impl Command {
    /// The command actually run, past wrappers that take a command (`sudo`, `env`, `exec`, `time`,
    /// `nohup`, `command`) and their options and assignments: `(name word, its arguments)`.
    pub fn invocation(&self) -> Option<(&Word, &[Word])> {
        let mut name = self.name.as_ref()?;
        let mut args: &[Word] = &self.args;
        for _ in 0..4 {
            let base = basename(name.text());
            if !matches!(base, "sudo" | "env" | "exec" | "time" | "nohup" | "command" | "doas") {
                break;
            }
            let skip = args
                .iter()
                .position(|w| !(w.text().starts_with('-') || (base == "env" && w.text().contains('='))))
                .unwrap_or(args.len());
            let Some((next, rest)) = args.get(skip..).and_then(<[Word]>::split_first) else { break };
            name = next;
            args = rest;
        }
        Some((name, args))
    }

    /// The program name without its folder (`/usr/bin/curl` → `curl`), when it is literal.
    pub fn program(&self) -> Option<&str> {
        let (name, _) = self.invocation()?;
        name.value.as_deref().map(basename)
    }

    pub fn args(&self) -> &[Word] {
        self.invocation().map(|(_, a)| a).unwrap_or(&[])
    }

    /// The first positional argument (a subcommand such as `apply`), skipping options; options in
    /// `takes_value` consume the next word when not written `--opt=value`. Returns its index in
    /// [`Command::args`] and the word.
    pub fn subcommand(&self, takes_value: &[&str]) -> Option<(usize, &Word)> {
        let args = self.args();
        let mut i = 0;
        while let Some(w) = args.get(i) {
            let t = w.text();
            if !t.starts_with('-') {
                return Some((i, w));
            }
            i += if takes_value.contains(&t) { 2 } else { 1 };
        }
        None
    }

    /// Whether an option is present, as `--opt`, `--opt=value` or (for short ones) `-o`.
    pub fn has_flag(&self, names: &[&str]) -> Option<&Word> {
        self.args().iter().find(|w| {
            let t = w.text();
            let head = t.split_once('=').map_or(t, |(h, _)| h);
            names.contains(&head)
        })
    }
}

/// A shell variable assignment (`X=1`, `export X="$Y"`).
#[derive(Clone, Debug, PartialEq)]
pub struct Assignment {
    pub name: String,
    pub value: Option<Word>,
    pub span: Span,
}

pub fn basename(s: &str) -> &str {
    // A byte search: every command of every script asks, several times over.
    memchr::memrchr(b'/', s.as_bytes()).and_then(|i| s.get(i + 1..)).unwrap_or(s)
}

#[derive(Clone, Debug, PartialEq)]
pub struct Pipeline {
    pub span: Span,
    /// Indices into [`Script::commands`], in order.
    pub commands: Vec<usize>,
}

/// A parsed script.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Script {
    /// Every simple command, nested ones included (`$(…)`, `if` bodies, subshells), in source order.
    pub commands: Vec<Command>,
    pub pipelines: Vec<Pipeline>,
    pub assignments: Vec<Assignment>,
    /// The script was too large, too slow or too big to collect in full.
    pub truncated: bool,
}

impl Script {
    /// The commands of the same pipeline after `cmd`.
    pub fn downstream(&self, cmd: &Command) -> impl Iterator<Item = &Command> {
        let rest: &[usize] = match cmd.pipeline {
            Some((p, i)) => self.pipelines.get(p).and_then(|p| p.commands.get(i + 1..)).unwrap_or(&[]),
            None => &[],
        };
        rest.iter().filter_map(|&i| self.commands.get(i))
    }
}

/// Parses a shell script. GitHub `${{ }}` expressions are opaque words.
pub fn parse(script: &str) -> Script {
    if script.len() > MAX_SCRIPT_BYTES {
        return Script { truncated: true, ..Script::default() };
    }
    let (blanked, exprs) = blank_expressions(script);
    let mut parser = Parser::new();
    if parser.set_language(&tree_sitter_bash::LANGUAGE.into()).is_err() {
        return Script { truncated: true, ..Script::default() };
    }
    let deadline = Instant::now() + PARSE_BUDGET;
    let mut progress = |_: &tree_sitter::ParseState| {
        if Instant::now() > deadline { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
    };
    let bytes = blanked.as_bytes();
    let mut read = |i: usize, _| bytes.get(i..).unwrap_or(&[]);
    let options = ParseOptions::new().progress_callback(&mut progress);
    let Some(tree) = parser.parse_with_options(&mut read, None, Some(options)) else {
        return Script { truncated: true, ..Script::default() };
    };
    let b = Builder { src: script, exprs: &exprs };
    b.collect(tree.root_node())
}

/// [`parse`], shared: a script already parsed on this thread is not parsed again. The pipeline view
/// and the GitHub permission and output checks all read a workflow's `run:` scripts; the parse is a
/// function of the text alone, so the result is the same.
pub fn parse_shared(script: &str) -> std::sync::Arc<Script> {
    /// Scripts kept per thread; the cache is emptied when it is full (files are checked one after
    /// another on a thread, so recent scripts are what is asked for again).
    const KEEP: usize = 512;
    thread_local! {
        static PARSED: std::cell::RefCell<std::collections::HashMap<Box<str>, std::sync::Arc<Script>>> =
            std::cell::RefCell::default();
    }
    if let Some(hit) = PARSED.with(|c| c.borrow().get(script).cloned()) {
        return hit;
    }
    let parsed = std::sync::Arc::new(parse(script));
    PARSED.with(|c| {
        let mut cache = c.borrow_mut();
        if cache.len() >= KEEP {
            cache.clear();
        }
        cache.insert(script.into(), parsed.clone());
    });
    parsed
}

/// Replaces each `${{ … }}` by `_` of the same length; returns the text and the replaced spans.
fn blank_expressions(script: &str) -> (String, Vec<Span>) {
    let mut out = String::with_capacity(script.len());
    let mut spans = Vec::new();
    let mut rest = script;
    let mut at = 0;
    while let Some(start) = rest.find("${{") {
        let end = rest.get(start..).and_then(|r| r.find("}}")).map_or(rest.len(), |e| start + e + 2);
        out.push_str(rest.get(..start).unwrap_or(""));
        out.extend(std::iter::repeat_n('_', end - start));
        spans.push(Span::new(at + start, at + end));
        at += end;
        rest = rest.get(end..).unwrap_or("");
    }
    out.push_str(rest);
    (out, spans)
}

struct Builder<'a> {
    src: &'a str,
    exprs: &'a [Span],
}

impl Builder<'_> {
    fn span(&self, n: TsNode) -> Span {
        Span::new(n.start_byte(), n.end_byte())
    }

    fn text(&self, n: TsNode) -> &str {
        self.src.get(n.byte_range()).unwrap_or("")
    }

    fn collect(&self, root: TsNode) -> Script {
        let mut script = Script::default();
        let mut command_ids: Vec<usize> = Vec::new();
        let mut pipeline_nodes: Vec<TsNode> = Vec::new();
        let mut cursor = root.walk();
        // Depth-first, pre-order, without recursion.
        'walk: loop {
            let n = cursor.node();
            match n.kind() {
                "command" => {
                    if script.commands.len() >= MAX_COMMANDS {
                        script.truncated = true;
                        break 'walk;
                    }
                    script.commands.push(self.command(n));
                    command_ids.push(n.id());
                }
                "pipeline" => pipeline_nodes.push(n),
                "variable_assignment" => {
                    if let Some(name) = n.child_by_field_name("name") {
                        script.assignments.push(Assignment {
                            name: self.text(name).to_string(),
                            value: n.child_by_field_name("value").map(|v| self.word(v)),
                            span: self.span(n),
                        });
                    }
                }
                _ => {}
            }
            if cursor.goto_first_child() {
                continue;
            }
            loop {
                if cursor.goto_next_sibling() {
                    continue 'walk;
                }
                if !cursor.goto_parent() {
                    break 'walk;
                }
            }
        }
        for p in pipeline_nodes {
            let mut c = p.walk();
            let stages: Vec<usize> = p
                .named_children(&mut c)
                .filter_map(|s| {
                    let cmd =
                        if s.kind() == "redirected_statement" { s.child_by_field_name("body")? } else { s };
                    command_ids.iter().position(|&id| id == cmd.id())
                })
                .collect();
            let index = script.pipelines.len();
            for (pos, &ci) in stages.iter().enumerate() {
                if let Some(cmd) = script.commands.get_mut(ci) {
                    cmd.pipeline = Some((index, pos));
                }
            }
            script.pipelines.push(Pipeline { span: self.span(p), commands: stages });
        }
        script
    }

    fn command(&self, n: TsNode) -> Command {
        let mut cmd = Command {
            span: self.span(n),
            name: None,
            args: Vec::new(),
            redirects: Vec::new(),
            heredocs: Vec::new(),
            pipeline: None,
        };
        let mut c = n.walk();
        for (i, child) in n.children(&mut c).enumerate() {
            match n.field_name_for_child(i as u32) {
                Some("name") => cmd.name = Some(self.word(child)),
                Some("argument") => cmd.args.push(self.word(child)),
                _ => {}
            }
        }
        // `cmd > file`, `cmd <<EOF`: the redirects sit on the enclosing statement.
        if let Some(parent) = n.parent().filter(|p| p.kind() == "redirected_statement") {
            let mut c = parent.walk();
            for r in parent.children_by_field_name("redirect", &mut c) {
                match r.kind() {
                    "file_redirect" => {
                        let Some(target) = r.child_by_field_name("destination") else { continue };
                        let op = (0..r.child_count())
                            .filter_map(|i| r.child(i))
                            .find(|k| !k.is_named())
                            .map(|k| self.text(k).to_string())
                            .unwrap_or_default();
                        cmd.redirects.push(Redirect { op, target: self.word(target) });
                    }
                    "heredoc_redirect" => {
                        let mut rc = r.walk();
                        let kids: Vec<TsNode> = r.named_children(&mut rc).collect();
                        let start = kids.iter().find(|k| k.kind() == "heredoc_start");
                        let quoted = start.is_some_and(|s| self.text(*s).contains(['\'', '"', '\\']));
                        if let Some(body) = kids.iter().find(|k| k.kind() == "heredoc_body") {
                            cmd.heredocs.push(Heredoc {
                                span: self.span(*body),
                                expands: !quoted,
                                vars: self.vars(*body, false),
                            });
                        }
                    }
                    _ => {}
                }
            }
        }
        cmd
    }

    fn word(&self, n: TsNode) -> Word {
        let n = if n.kind() == "command_name" { n.named_child(0).unwrap_or(n) } else { n };
        let span = self.span(n);
        let raw = self.text(n).to_string();
        let opaque = self.exprs.iter().any(|e| e.start < span.end && span.start < e.end);
        let (mut unquoted, mut quoted) = (false, false);
        let mut value = String::new();
        let mut cursor = n.walk();
        // Walk the word's subtree: literal pieces build the value, expansions mark the kind.
        let mut stack: Vec<(TsNode, bool)> = vec![(n, false)];
        while let Some((k, in_string)) = stack.pop() {
            match k.kind() {
                "simple_expansion"
                | "expansion"
                | "command_substitution"
                | "process_substitution"
                | "arithmetic_expansion" => {
                    if in_string {
                        quoted = true
                    } else {
                        unquoted = true
                    }
                }
                "string" => {
                    let kids: Vec<TsNode> = k.named_children(&mut cursor).collect();
                    if kids.is_empty() {
                        continue;
                    }
                    stack.extend(kids.into_iter().rev().map(|c| (c, true)));
                }
                "raw_string" => {
                    let t = self.text(k);
                    value.push_str(t.get(1..t.len().saturating_sub(1)).unwrap_or(""));
                }
                "ansi_c_string" => {
                    let t = self.text(k);
                    value.push_str(t.get(2..t.len().saturating_sub(1)).unwrap_or(""));
                }
                "concatenation" => {
                    let kids: Vec<TsNode> = k.children(&mut cursor).collect();
                    stack.extend(kids.into_iter().rev().map(|c| (c, in_string)));
                }
                "string_content" | "word" | "number" => {
                    let t = self.text(k);
                    if in_string {
                        value.push_str(t);
                    } else {
                        value.push_str(&unescape(t));
                    }
                }
                _ if !k.is_named() => value.push_str(self.text(k)),
                _ => unquoted = true,
            }
        }
        let kind = if unquoted || opaque {
            WordKind::Expansion
        } else if quoted {
            WordKind::QuotedExpansion
        } else {
            WordKind::Literal
        };
        Word {
            span,
            raw,
            value: (kind == WordKind::Literal).then_some(value),
            kind,
            vars: self.vars(n, false),
            opaque,
        }
    }

    /// Every `$NAME` / `${NAME…}` under `n`, with whether it sits inside double quotes.
    fn vars(&self, n: TsNode, quoted: bool) -> Vec<VarRef> {
        let mut out = Vec::new();
        let mut stack = vec![(n, quoted)];
        let mut cursor = n.walk();
        while let Some((k, q)) = stack.pop() {
            if matches!(k.kind(), "simple_expansion" | "expansion") {
                let mut c = k.walk();
                let name = k.named_children(&mut c).find(|v| v.kind() == "variable_name");
                if let Some(name) = name {
                    out.push(VarRef { name: self.text(name).to_string(), span: self.span(k), quoted: q });
                }
                continue;
            }
            // A command substitution starts a new quoting context.
            let inner = match k.kind() {
                "string" => true,
                "command_substitution" => false,
                _ => q,
            };
            let kids: Vec<TsNode> = k.named_children(&mut cursor).collect();
            stack.extend(kids.into_iter().rev().map(|c| (c, inner)));
        }
        out.sort_by_key(|v| v.span);
        out
    }
}

/// Removes backslash escapes from an unquoted word (`\-` → `-`).
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A script embedded in a YAML scalar, with the way back from script offsets to file offsets.
///
/// A block scalar (`run: |`) loses its indentation when decoded, so each decoded line is located in
/// the file text of the scalar, where it appears verbatim after the indentation. Lines that cannot be
/// found (folded `>` scalars, quoted scalars with escapes) map to the whole scalar.
#[derive(Clone, Debug)]
pub struct Embedded {
    /// Pieces of the decoded text found in the file, in order: `(start in text, length, start in
    /// file)`. A line of a block scalar is one piece; a line of a folded scalar (`>`), which joined
    /// several source lines with spaces, is one piece per source line.
    pieces: Vec<(usize, usize, Option<usize>)>,
    /// The scalar's span in the file.
    pub node_span: Span,
}

impl Embedded {
    /// `decoded` is the scalar's value, `file_text` the whole file, `node_span` the scalar's span.
    pub fn new(decoded: &str, file_text: &str, node_span: Span) -> Embedded {
        let region = file_text.get(node_span.range()).unwrap_or("");
        let base = node_span.start as usize;
        let mut pieces = Vec::new();
        let mut cursor = 0usize;
        let mut at = 0usize;
        for line in decoded.split('\n') {
            if !line.is_empty() {
                match region.get(cursor..).and_then(|r| find_line(r, line)).map(|i| cursor + i) {
                    Some(i) => {
                        pieces.push((at, line.len(), Some(base + i)));
                        cursor = i + line.len();
                    }
                    None => match folded(region, cursor, line) {
                        Some((found, end)) => {
                            pieces.extend(found.into_iter().map(|(d, len, f)| (at + d, len, Some(base + f))));
                            cursor = end;
                        }
                        None => pieces.push((at, line.len(), None)),
                    },
                }
            }
            at += line.len() + 1;
        }
        Embedded { pieces, node_span }
    }

    /// The file span of a span in the script; the whole scalar when its text could not be located.
    pub fn source_span(&self, s: Span) -> Span {
        let start = s.start as usize;
        let idx = self.pieces.partition_point(|(at, _, _)| *at <= start).saturating_sub(1);
        let Some(&(piece_start, len, Some(file_start))) = self.pieces.get(idx) else { return self.node_span };
        if start > piece_start + len {
            return self.node_span;
        }
        let from = file_start + (start - piece_start);
        // A span running past its piece (a line, or a folded line's source line) ends with it.
        let end = (s.end as usize).min(piece_start + len);
        Span::new(from, file_start + end.saturating_sub(piece_start))
    }
}

/// `(offset in the decoded line, length, offset in the scalar's source)`.
type Piece = (usize, usize, usize);

/// A line of a folded scalar: successive source lines from `cursor`, trimmed, that joined with single
/// spaces make `line`. Returns the pieces `(offset in line, length, offset in region)` and where the
/// last one ends.
fn folded(region: &str, cursor: usize, line: &str) -> Option<(Vec<Piece>, usize)> {
    let mut pieces = Vec::new();
    let mut matched = 0usize;
    let mut pos = cursor;
    for raw in region.get(cursor..)?.split_inclusive('\n') {
        let raw_start = pos;
        pos += raw.len();
        let content = raw.trim_end_matches(['\n', '\r']);
        let trimmed = content.trim_start();
        if trimmed.is_empty() {
            // Blank lines end a folded paragraph; skip the ones before it starts.
            if matched == 0 {
                continue;
            }
            return None;
        }
        let rest = line.get(matched..)?;
        if !rest.starts_with(trimmed) {
            // Before the paragraph starts: the scalar's `>` header, or lines of earlier paragraphs.
            if matched == 0 {
                continue;
            }
            return None;
        }
        let take = trimmed.len();
        let file_at = raw_start + (content.len() - trimmed.len());
        pieces.push((matched, take, file_at));
        matched += take;
        if matched == line.len() {
            return Some((pieces, file_at + take));
        }
        // The fold put one space where the line break was.
        if line.as_bytes().get(matched) != Some(&b' ') {
            return None;
        }
        matched += 1;
        if pieces.len() > 1000 {
            return None;
        }
    }
    None
}

/// Where `line` appears in `region` as a whole line's content: followed by a line end, the end of
/// the region, or a closing quote.
fn find_line(region: &str, line: &str) -> Option<usize> {
    let ends_line = |at: usize| {
        matches!(region.as_bytes().get(at + line.len()), None | Some(b'\n' | b'\r' | b'"' | b'\''))
    };
    // The line is nearly always the next one, after the indentation: try the starts up to there
    // before a substring search (whose setup was most of this function's cost).
    let gap = region.bytes().take_while(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r')).count();
    for at in 0..=gap.min(region.len()) {
        if region.get(at..).is_some_and(|r| r.starts_with(line)) && ends_line(at) {
            return Some(at);
        }
    }
    let mut from = gap + 1;
    while from < region.len() && !region.is_char_boundary(from) {
        from += 1;
    }
    while let Some(i) = region.get(from..).and_then(|r| r.find(line)) {
        let at = from + i;
        if ends_line(at) {
            return Some(at);
        }
        from = at + 1;
        while from < region.len() && !region.is_char_boundary(from) {
            from += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basename_is_the_last_part_of_a_path() {
        for (path, base) in
            [("/usr/bin/curl", "curl"), ("curl", "curl"), ("./bin/x", "x"), ("dir/", ""), ("", "")]
        {
            assert_eq!(basename(path), base, "{path}");
        }
    }

    /// `find_line` tries the starts up to the next line's text before searching: it must find what a
    /// plain search for the first occurrence followed by an end of line finds.
    #[test]
    fn find_line_finds_the_first_occurrence_a_search_finds() {
        fn searched(region: &str, line: &str) -> Option<usize> {
            region.match_indices(line).map(|(at, _)| at).find(|&at| {
                matches!(region.as_bytes().get(at + line.len()), None | Some(b'\n' | b'\r' | b'"' | b'\''))
            })
        }
        let regions = [
            "|\n  echo hi\n  echo hi\n",
            "\n    echo hi\n",
            "  echo hi there\n  echo hi\n",
            "\n\t  indented\n  indented\n",
            "\"echo hi\"",
            "'échoé'\n  échoé\n",
            "\r\n  a\r\n  ab\n  a\n",
            "",
            "   ",
            "x\n  make deploy ENV=prod\n",
        ];
        let lines =
            ["echo hi", "  indented", "indented", "a", "ab", "échoé", "missing", "make deploy ENV=prod", " "];
        for region in regions {
            for line in lines {
                assert_eq!(find_line(region, line), searched(region, line), "{line:?} in {region:?}");
            }
        }
    }

    fn words(s: &Script, i: usize) -> Vec<(String, WordKind)> {
        s.commands[i].args.iter().map(|w| (w.text().to_string(), w.kind)).collect()
    }

    #[test]
    fn commands_words_and_pipelines() {
        let s = parse("curl -fsSL http://x.io/i.sh | sudo bash -s -- \"a $B\" 'c' d$E\n");
        assert_eq!(s.commands.len(), 2);
        assert_eq!(s.commands[0].program(), Some("curl"));
        assert_eq!(s.commands[1].program(), Some("bash"));
        assert_eq!(s.pipelines.len(), 1);
        assert_eq!(s.downstream(&s.commands[0]).count(), 1);
        let w = words(&s, 1);
        assert_eq!(w[3], ("\"a $B\"".into(), WordKind::QuotedExpansion));
        assert_eq!(w[4], ("c".into(), WordKind::Literal));
        assert_eq!(w[5].1, WordKind::Expansion);
        assert_eq!(s.commands[1].args()[2].vars[0].name, "B");
        assert!(s.commands[1].args()[2].vars[0].quoted);
    }

    #[test]
    fn heredocs_redirects_and_nesting() {
        let s = parse("cat > run.sh <<EOF\necho $MSG\nEOF\nif true; then echo \"$(eval $X)\"; fi\n");
        assert_eq!(s.commands[0].redirects[0].target.text(), "run.sh");
        assert!(s.commands[0].heredocs[0].expands);
        assert_eq!(s.commands[0].heredocs[0].vars[0].name, "MSG");
        assert!(s.commands.iter().any(|c| c.program() == Some("eval")));
    }

    #[test]
    fn github_expressions_are_opaque() {
        let s = parse("echo ${{ github.event.issue.title }} ok\n");
        assert!(s.commands[0].args[0].opaque);
        assert_eq!(s.commands[0].args[0].kind, WordKind::Expansion);
        assert_eq!(s.commands[0].args[1].value.as_deref(), Some("ok"));
    }

    #[test]
    fn hostile_input_does_not_panic() {
        for s in ["$(((((", "\"unterminated", "cat <<EOF", "${{", "a | | b", &"(".repeat(5000)] {
            let _ = parse(s);
        }
        assert!(parse(&"x".repeat(MAX_SCRIPT_BYTES + 1)).truncated);
    }

    #[test]
    fn block_scalars_map_back_to_their_lines() {
        let file = "run: |\n  echo one\n  curl http://x\n";
        let start = file.find("|").unwrap_or(0);
        let script = "echo one\ncurl http://x\n";
        let e = Embedded::new(script, file, Span::new(start, file.len()));
        let at = script.find("http").unwrap_or(0);
        let s = e.source_span(Span::new(at, at + 8));
        assert_eq!(&file[s.range()], "http://x");
        // A folded scalar joined two source lines: each word maps to its own line.
        let file = "run: >\n  helm upgrade web ./chart\n  --set replicaCount=3\n";
        let script = "helm upgrade web ./chart --set replicaCount=3\n";
        let folded = Embedded::new(script, file, Span::new(5, file.len()));
        let at = script.find("--set").unwrap_or(0);
        assert_eq!(&file[folded.source_span(Span::new(at, at + 5)).range()], "--set");
        assert_eq!(&file[folded.source_span(Span::new(0, 4)).range()], "helm");
        // Text the file does not hold verbatim maps to the whole scalar.
        let escaped = Embedded::new("a\tb", "run: \"a\\tb\"\n", Span::new(5, 13));
        assert_eq!(escaped.source_span(Span::new(0, 1)), Span::new(5, 13));
    }
}
