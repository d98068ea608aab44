//! YAML (and JSON, which is YAML) lowered into the [`crate::model`] through tree-sitter-yaml.
//!
//! tree-sitter gives spans and error recovery but no YAML semantics, so this module adds them: scalar
//! typing (core schema), escape decoding and line folding, block scalars, anchors/aliases with a clone
//! budget, merge keys and a nesting-depth bound. Scalar decoding lives in `yaml/scalar.rs`.
//!
//! tree-sitter-yaml's recovery tends to stop at the first error and drop the rest of the stream, so
//! when a file has errors it is re-parsed one document at a time: a broken document cannot hide the
//! good ones after it.

mod events;
mod lower;
mod scalar;

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use tree_sitter::{Node as TsNode, ParseOptions, Parser, Tree};

use super::Limits;
use crate::model::{Comment, Expr, Node, ParseIssue, ParseIssueKind, ParsedFile, Value};
use crate::span::Span;

static KINDS: super::NodeKinds = super::NodeKinds::new(|| tree_sitter_yaml::LANGUAGE.into());

/// `kind()` through [`super::NodeKinds`].
trait Kind<'t> {
    fn ty(&self) -> &'t str;
}

impl<'t> Kind<'t> for TsNode<'t> {
    fn ty(&self) -> &'t str {
        KINDS.of(*self)
    }
}

/// At most this many syntax issues per file: the first one matters, the rest is mostly fallout.
const MAX_SYNTAX_ISSUES: usize = 10;
/// tree-sitter-yaml's scanner serialises its indentation stack into a 1 KiB buffer and *aborts the
/// process* (a C assert) once about 254 block levels are open. Block levels need distinct columns, so
/// lines whose structure starts this far right are cut before tree-sitter ever sees them.
const MAX_BLOCK_COLUMN: usize = 100;
/// Parsing is linear in practice; this only guards against a pathological grammar path.
const PARSE_BUDGET: Duration = Duration::from_secs(5);

/// How plain scalars are typed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Schema {
    /// YAML 1.2's core schema (what Kubernetes, GitHub Actions and GitLab read).
    #[default]
    Core,
    /// YAML 1.1 as go-yaml v2 reads it (Helm's values and `fromYaml`): `yes`/`no`/`on`/`off` are
    /// booleans, `0755` is octal, `1_000` is a number.
    Yaml11,
}

pub fn parse(text: &str, limits: &Limits) -> ParsedFile {
    parse_with_schema(text, limits, Schema::Core)
}

/// What a plain (unquoted) scalar means in YAML 1.1 (go-yaml v2): for map keys, which the model keeps
/// as text, when a consumer needs them typed (Helm turns a `yes:` key into `"true"`).
pub fn plain_scalar_yaml11(s: &str) -> Value {
    scalar::plain_value_yaml11(s.to_string())
}

/// [`parse`] with plain scalars typed by `schema`. Files saphyr-parser reads cleanly take its
/// event stream (`yaml/events.rs`), several times faster; the rest go through tree-sitter, which
/// recovers from errors and explains them. Both give the same result wherever both apply.
pub fn parse_with_schema(text: &str, limits: &Limits, schema: Schema) -> ParsedFile {
    events::lower(text, limits, schema).unwrap_or_else(|| parse_tree_sitter(text, limits, schema))
}

/// The fast lowering alone: `None` where it defers to tree-sitter. For differential tests and
/// fuzzing.
#[doc(hidden)]
pub fn parse_events(text: &str, limits: &Limits, schema: Schema) -> Option<ParsedFile> {
    events::lower(text, limits, schema)
}

/// The tree-sitter lowering alone, as [`parse_with_schema`] would give it for a broken file. For
/// differential tests and fuzzing.
#[doc(hidden)]
pub fn parse_tree_sitter(text: &str, limits: &Limits, schema: Schema) -> ParsedFile {
    let mut low = Lowerer::new(text, limits);
    low.schema = schema;
    let deadline = Instant::now() + PARSE_BUDGET;
    let whole = if deep_block_line(text).is_none() { parse_ts(text, deadline) } else { None };
    match whole {
        Some(tree) if !tree.root_node().has_error() => low.tree(&tree, 0),
        _ => {
            for (start, end) in doc_chunks(text) {
                let cut = deep_block_line(text.get(start..end).unwrap_or("")).map(|at| start + at);
                if let Some(at) = cut {
                    let msg = format!(
                        "nesting deeper than {} levels (or indented past column {MAX_BLOCK_COLUMN}); the rest of this document was not read",
                        limits.max_depth
                    );
                    low.limit(Span::new(at, line_end(text, at)), msg);
                }
                let chunk = text.get(start..cut.unwrap_or(end)).unwrap_or("");
                match parse_ts(chunk, deadline) {
                    Some(tree) => low.tree(&tree, start),
                    None => {
                        let span = Span::new(start, start);
                        low.limit(span, "parsing took too long and was stopped".into());
                        break;
                    }
                }
            }
        }
    }
    low.finish()
}

fn parse_ts(text: &str, deadline: Instant) -> Option<Tree> {
    let mut parser = Parser::new();
    parser.set_language(&tree_sitter_yaml::LANGUAGE.into()).ok()?;
    let bytes = text.as_bytes();
    let mut read = |i: usize, _| bytes.get(i..).unwrap_or(&[]);
    let mut progress = |_: &tree_sitter::ParseState| {
        if Instant::now() > deadline { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
    };
    let options = ParseOptions::new().progress_callback(&mut progress);
    parser.parse_with_options(&mut read, None, Some(options))
}

/// Byte ranges of the documents of a stream. YAML forbids `---` and `...` at column 0 inside any
/// scalar, so splitting on them is exact, even in a broken file.
fn doc_chunks(text: &str) -> Vec<(usize, usize)> {
    let mut chunks = Vec::new();
    let (mut start, mut has_content, mut pos) = (0, false, 0);
    for line in text.split_inclusive('\n') {
        let marker = |m: &str| {
            line.strip_prefix(m).is_some_and(|r| r.is_empty() || r.starts_with([' ', '\t', '\r', '\n']))
        };
        if marker("---") && has_content {
            chunks.push((start, pos));
            start = pos;
        }
        pos += line.len();
        if marker("...") {
            chunks.push((start, pos));
            (start, has_content) = (pos, false);
            continue;
        }
        // Directives and comments belong to the document that follows them.
        let t = line.trim_start();
        has_content |= !(t.is_empty() || t.starts_with('#') || t.starts_with('%'));
    }
    if start < text.len() {
        chunks.push((start, text.len()));
    }
    chunks
}

/// Offset of the first line whose block structure (indentation, `- `, `? `, `: `, anchors, tags)
/// reaches past [`MAX_BLOCK_COLUMN`]; see there for why.
fn deep_block_line(text: &str) -> Option<usize> {
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        if block_column(line.as_bytes()) > MAX_BLOCK_COLUMN {
            return Some(pos);
        }
        pos += line.len();
    }
    None
}

/// The column where a line's content starts after its indentation and block structure (`- `,
/// `? `, `: `, anchors, tags).
fn block_column(b: &[u8]) -> usize {
    let mut i = 0;
    loop {
        while matches!(b.get(i), Some(b' ' | b'\t')) {
            i += 1;
        }
        let next_ws = |j: usize| matches!(b.get(j), None | Some(b' ' | b'\t' | b'\r' | b'\n'));
        match b.get(i) {
            Some(b'-' | b'?' | b':') if next_ws(i + 1) => i += 1,
            Some(b'&' | b'!') => {
                while !next_ws(i) {
                    i += 1;
                }
            }
            _ => return i,
        }
    }
}

fn line_end(text: &str, at: usize) -> usize {
    text.get(at..).and_then(|r| r.find(['\r', '\n'])).map_or(text.len(), |n| at + n)
}

struct Lowerer<'a> {
    text: &'a str,
    limits: Limits,
    schema: Schema,
    /// Offset of the parsed chunk inside `text`: tree-sitter offsets are relative to the chunk.
    base: usize,
    anchors: HashMap<String, lower::Anchor>,
    anchor_nodes_kept: usize,
    alias_budget_used: usize,
    alias_limit_hit: bool,
    depth_limit_hit: bool,
    out: ParsedFile,
}

impl<'a> Lowerer<'a> {
    fn new(text: &'a str, limits: &Limits) -> Lowerer<'a> {
        Lowerer {
            text,
            limits: *limits,
            schema: Schema::Core,
            base: 0,
            anchors: HashMap::new(),
            anchor_nodes_kept: 0,
            alias_budget_used: 0,
            alias_limit_hit: false,
            depth_limit_hit: false,
            out: ParsedFile::default(),
        }
    }

    fn finish(mut self) -> ParsedFile {
        self.out.comments.sort_by_key(|c| c.span.start);
        // Keep the first syntax issues in source order; limit issues are already one per kind.
        self.out.issues.sort_by_key(|i| i.span.start);
        let mut syntax = 0;
        self.out.issues.retain(|i| {
            syntax += usize::from(i.kind == ParseIssueKind::Syntax);
            i.kind == ParseIssueKind::Limit || syntax <= MAX_SYNTAX_ISSUES
        });
        self.out
    }

    fn span(&self, n: TsNode) -> Span {
        Span::new(self.base + n.start_byte(), self.base + n.end_byte())
    }

    fn src(&self, n: TsNode) -> &'a str {
        self.text.get(self.base + n.start_byte()..self.base + n.end_byte()).unwrap_or("")
    }

    fn limit(&mut self, span: Span, message: String) {
        self.out.issues.push(ParseIssue { span, message, kind: ParseIssueKind::Limit });
    }

    fn syntax(&mut self, span: Span, message: String) {
        self.out.issues.push(ParseIssue { span, message, kind: ParseIssueKind::Syntax });
    }

    fn unknown(span: Span, text: &str) -> Node {
        let short: String = text.chars().take(64).collect();
        Node::new(span, Value::Expr(Box::new(Expr::Other(short))))
    }

    fn tree(&mut self, tree: &Tree, base: usize) {
        self.base = base;
        self.scan_comments_and_errors(tree);
        let root = tree.root_node();
        if root.is_error() {
            // The whole chunk failed; salvage whatever complete pieces it holds.
            self.anchors.clear();
            if let Some(doc) = self.lower(root) {
                self.out.docs.push(doc);
            }
            return;
        }
        let mut cursor = root.walk();
        for child in root.named_children(&mut cursor) {
            self.anchors.clear(); // anchors are scoped to their document
            let doc = match child.ty() {
                "document" | "ERROR" => self.lower(child),
                _ => None,
            };
            self.out.docs.extend(doc);
        }
    }

    /// One pass over the whole syntax tree with a cursor (no recursion: the tree can be 100k deep).
    fn scan_comments_and_errors(&mut self, tree: &Tree) {
        let mut cursor = tree.walk();
        // Nodes inside a reported ERROR are fallout of the same mistake.
        let mut error_end = 0;
        loop {
            let n = cursor.node();
            if n.ty() == "comment" {
                let text = self.src(n).trim_end_matches('\r').to_string();
                let span = Span::new(self.base + n.start_byte(), self.base + n.start_byte() + text.len());
                self.out.comments.push(Comment { span, text });
            } else if (n.is_error() || n.is_missing()) && n.start_byte() >= error_end {
                let (span, message) = self.describe(n);
                self.syntax(span, message);
                error_end = n.end_byte().max(n.start_byte() + 1);
            }
            if cursor.goto_first_child() || cursor.goto_next_sibling() {
                continue;
            }
            loop {
                if !cursor.goto_parent() {
                    return;
                }
                if cursor.goto_next_sibling() {
                    break;
                }
            }
        }
    }

    /// Says what went wrong at an ERROR or MISSING node, in words that point at the fix.
    fn describe(&self, n: TsNode) -> (Span, String) {
        let at = |s: usize, e: usize| Span::new(self.base + s, self.base + e);
        if n.is_missing() {
            let span = at(n.start_byte(), n.start_byte());
            return (
                span,
                match n.ty() {
                    q @ ("\"" | "'") => format!("expected '{q}' to close the string"),
                    "]" => "expected ']' to close the list".into(),
                    "}" => "expected '}' to close the mapping".into(),
                    k => format!("expected '{k}' here"),
                },
            );
        }
        // Unclosed quotes and brackets leave their opening token as a bare child of the ERROR.
        let mut open: Vec<TsNode> = Vec::new();
        let mut cursor = n.walk();
        for c in n.children(&mut cursor) {
            match c.ty() {
                "\"" | "'" => {
                    let rest = self.text.get(self.base + c.end_byte()..).unwrap_or("");
                    if c.ty() == "\""
                        && let Some((off, esc)) = scalar::bad_escape(rest)
                    {
                        let s = c.end_byte() + off;
                        return (
                            at(s, s + esc.len()),
                            format!(
                                "invalid escape '{esc}' in a double-quoted string; write '\\\\' for a backslash or use single quotes"
                            ),
                        );
                    }
                    let q = c.ty();
                    return (
                        self.span(c),
                        format!("this string is never closed: expected '{q}' to close the string"),
                    );
                }
                "[" | "{" => open.push(c),
                "]" | "}" => {
                    open.pop();
                }
                _ => {}
            }
        }
        // What follows the error region is usually the token the parser could not take.
        let after = self.base + n.end_byte();
        let rest = self.text.get(after..).unwrap_or("");
        let skipped = rest.len() - rest.trim_start().len();
        let stop = after + skipped;
        let tab = rest
            .get(..skipped)
            .and_then(|ws| ws.rfind('\n').map(|nl| (nl, ws)))
            .and_then(|(nl, ws)| ws.get(nl..)?.find('\t').map(|t| after + nl + t));
        if let Some(t) = tab {
            return (
                Span::new(t, t + 1),
                "tab character in indentation: YAML indentation must use spaces".into(),
            );
        }
        let token: String = rest.trim_start().chars().take_while(|c| !c.is_whitespace()).take(20).collect();
        let first = token.chars().next();
        if let Some(o) = open.last()
            && !matches!(first, Some(',' | ']' | '}' | ':'))
        {
            let (close, what) = if o.ty() == "[" { (']', "list") } else { ('}', "mapping") };
            return (self.span(*o), format!("this flow {what} is never closed: expected '{close}'"));
        }
        let Some(c) = first else {
            return (self.span(n), "unexpected end of the document; check indentation and quoting".into());
        };
        let len = if ":,[]{}".contains(c) { 1 } else { token.len() };
        let span = Span::new(stop, stop + len);
        let line_start = self.text.get(..stop).and_then(|t| t.rfind('\n')).map_or(0, |i| i + 1);
        let before = self.text.get(line_start..stop).unwrap_or("");
        let msg = match c {
            ':' if before.contains(": ") => "unexpected ':' — a plain value cannot contain ': '; quote the value or put the nested mapping on its own line".into(),
            ':' => "unexpected ':' — expected a value or a new key at this indentation; check the indentation of this line".into(),
            '-' => "unexpected '-' — a list item cannot start here; check its indentation".into(),
            ',' => "unexpected ',' — expected a value before it".into(),
            ']' | '}' => format!("unexpected '{c}' — nothing open here for it to close"),
            '@' | '`' => format!("'{c}' is reserved and cannot start a plain value; quote the value"),
            _ => format!("unexpected '{token}' — expected a new key or list item at this indentation"),
        };
        (span, msg)
    }
}

fn is_value(kind: &str) -> bool {
    matches!(kind, "flow_node" | "block_node" | "ERROR")
}

fn strip_quotes(raw: &str) -> &str {
    let inner = raw.get(1..).unwrap_or("");
    inner.get(..inner.len().saturating_sub(1)).unwrap_or("")
}

/// The indentation of the collection a block scalar belongs to, which its `|2` indicator is
/// relative to; `None` at the top level of a document.
fn block_parent_indent(scalar: TsNode) -> Option<usize> {
    let owner = scalar.parent()?.parent()?;
    matches!(owner.ty(), "block_mapping_pair" | "block_sequence_item").then(|| owner.start_position().column)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn p(text: &str) -> ParsedFile {
        parse(text, &Limits::default())
    }

    fn doc(text: &str) -> Node {
        let f = p(text);
        assert!(f.issues.is_empty(), "{:?}", f.issues);
        f.docs.into_iter().next().expect("one doc")
    }

    fn at(text: &str, span: Span) -> &str {
        &text[span.range()]
    }

    #[test]
    fn scalars_are_typed_by_the_core_schema() {
        let d = doc(
            "a: true\nb: FALSE\nc: ~\nd:\ne: 0x10\nf: -1.5e2\ng: .inf\nh: yes\ni: '1'\nj: !!str 12\nk: null\n",
        );
        assert_eq!(d.get("a").unwrap().value, Value::Bool(true));
        assert_eq!(d.get("b").unwrap().value, Value::Bool(false));
        assert_eq!(d.get("c").unwrap().value, Value::Null);
        assert_eq!(d.get("d").unwrap().value, Value::Null);
        assert_eq!(d.get("e").unwrap().value, Value::Number(16.0));
        assert_eq!(d.get("f").unwrap().value, Value::Number(-150.0));
        assert_eq!(d.get("g").unwrap().value, Value::Number(f64::INFINITY));
        assert_eq!(d.get("h").unwrap().as_str(), Some("yes"));
        assert_eq!(d.get("i").unwrap().as_str(), Some("1"));
        let j = d.get("j").unwrap();
        assert_eq!((j.as_str(), j.tag()), (Some("12"), Some("!!str")));
        assert_eq!(d.get("k").unwrap().value, Value::Null);
    }

    #[test]
    fn spans_point_at_keys_and_values() {
        let text = "top:\n  name: \"web\"\n  ports:\n    - 80\n    - &p 443\n";
        let d = doc(text);
        let top = &d.entries()[0];
        assert_eq!(at(text, top.key_span), "top");
        let name = &top.value.entries()[0];
        assert_eq!((at(text, name.key_span), at(text, name.value.span)), ("name", "\"web\""));
        let ports = top.value.get("ports").unwrap().items();
        assert_eq!(at(text, ports[0].span), "80");
        assert_eq!(at(text, ports[1].span), "443");
    }

    #[test]
    fn streams_hold_one_doc_per_document() {
        let f = p("# head\n---\na: 1\n---\n# only a comment\n---\n- b\n...\n");
        assert_eq!(f.docs.len(), 2, "{:?}", f.docs);
        assert_eq!(f.docs[1].items()[0].as_str(), Some("b"));
        assert!(f.issues.is_empty());
    }

    #[test]
    fn block_scalars_follow_chomping_and_indentation() {
        let text = "a: |\n  x\n   y\n\n  z\n\nb: |-\n  x\n\nc: |+\n  x\n\n\nd: >\n  one\n  two\n\n  three\n    more\n  four\ne: >-\n  f\nf: |2\n    lead\n  g\ng: >+\n  k\n";
        let d = doc(text);
        let s = |k| d.get(k).unwrap().as_str().unwrap().to_string();
        assert_eq!(s("a"), "x\n y\n\nz\n");
        assert_eq!(s("b"), "x");
        assert_eq!(s("c"), "x\n\n\n");
        assert_eq!(s("d"), "one two\nthree\n  more\nfour\n");
        assert_eq!(s("e"), "f");
        assert_eq!(s("f"), "  lead\ng\n");
        assert_eq!(s("g"), "k\n");
        assert_eq!(at(text, d.get("a").unwrap().span), "|\n  x\n   y\n\n  z");
        let top = doc("--- |1\n  x\n");
        assert_eq!(top.as_str(), Some(" x\n"));
    }

    #[test]
    fn quoted_scalars_decode_and_fold() {
        let d = doc(
            "a: \"t\\tn\\n\\\"q\\\" \\x41\\u00e9\\U0001F600\"\nb: 'it''s'\nc: \"one\n  two\n\n  three\"\nd: plain\n  folded\n\n  text\ne: \"join\\\n   ed\"\n",
        );
        let s = |k| d.get(k).unwrap().as_str().unwrap().to_string();
        assert_eq!(s("a"), "t\tn\n\"q\" Aé😀");
        assert_eq!(s("b"), "it's");
        assert_eq!(s("c"), "one two\nthree");
        assert_eq!(s("d"), "plain folded\ntext");
        assert_eq!(s("e"), "joined");
    }

    #[test]
    fn flow_collections_and_json() {
        let d = doc("a: [1, b, {c: d, e}, [x: y]]\n");
        let a = d.get("a").unwrap().items();
        assert_eq!(a.len(), 4);
        assert_eq!(a[2].get("c").unwrap().as_str(), Some("d"));
        assert_eq!(a[2].get("e").unwrap().value, Value::Null);
        assert_eq!(a[3].items()[0].get("x").unwrap().as_str(), Some("y"));
        let text = r#"{"resource": {"aws_s3_bucket": {"b": {"acl": "public-read", "n": [1, 2.5, true, null], "s": "\u00e9"}}}}"#;
        let d = doc(text);
        let b = d.get("resource").unwrap().get("aws_s3_bucket").unwrap().get("b").unwrap();
        assert_eq!(b.get("acl").unwrap().as_str(), Some("public-read"));
        assert_eq!(at(text, b.entries()[0].key_span), "\"acl\"");
        let n = b.get("n").unwrap().items();
        assert_eq!((n[1].as_number(), n[2].as_bool(), &n[3].value), (Some(2.5), Some(true), &Value::Null));
        assert_eq!(b.get("s").unwrap().as_str(), Some("é"));
    }

    #[test]
    fn anchors_aliases_and_merge_keys() {
        let text = "base: &base\n  a: 1\n  b: 2\nother: &o {c: 3, a: 9}\nuse:\n  b: 20\n  <<: [*base, *o]\ncopy: *base\n";
        let d = doc(text);
        let u = d.get("use").unwrap();
        let keys: Vec<&str> = u.entries().iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["b", "a", "c"]);
        assert_eq!(u.get("b").unwrap().as_number(), Some(20.0)); // explicit key wins though merged after
        assert_eq!(u.get("a").unwrap().as_number(), Some(1.0)); // first merge source wins
        assert_eq!(at(text, u.entries()[1].key_span), "a");
        assert_eq!(u.entries()[1].key_span.start, 14); // the anchored definition's span
        assert_eq!(d.get("copy").unwrap().get("b").unwrap().as_number(), Some(2.0));
        let single = doc("x: &x {k: v}\ny:\n  <<: *x\n  k: own\n");
        assert_eq!(single.get("y").unwrap().entries().len(), 1);
        let f = p("a: *nope\n");
        assert_eq!(f.issues[0].kind, ParseIssueKind::Syntax);
        assert!(f.docs[0].get("a").unwrap().is_unknown());
    }

    #[test]
    fn alias_bomb_stops_at_the_budget() {
        let mut text =
            String::from("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
        for (prev, name) in
            ["a", "b", "c", "d", "e", "f", "g", "h"].iter().zip(["b", "c", "d", "e", "f", "g", "h", "i"])
        {
            let refs = vec![format!("*{prev}"); 9].join(",");
            text.push_str(&format!("{name}: &{name} [{refs}]\n"));
        }
        let start = Instant::now();
        let f = p(&text);
        assert!(start.elapsed() < Duration::from_secs(1), "{:?}", start.elapsed());
        let limits: Vec<_> = f.issues.iter().filter(|i| i.kind == ParseIssueKind::Limit).collect();
        assert_eq!(limits.len(), 1, "{:?}", f.issues);
        assert!(limits[0].message.contains("more than 100000 nodes"));
        assert!(at(&text, limits[0].span).starts_with('*'));
        let mut nodes = 0;
        f.docs[0].walk(&mut |_| nodes += 1);
        assert!(nodes < 200_000);
    }

    #[test]
    fn tags_are_kept() {
        let d = doc("script:\n  - !reference [.setup, script]\n  - !custom value\n");
        let items = d.get("script").unwrap().items();
        assert_eq!(items[0].tag(), Some("!reference"));
        assert_eq!(items[0].items()[1].as_str(), Some("script"));
        assert_eq!(items[1].tag(), Some("!custom"));
    }

    #[test]
    fn comments_are_collected_in_order() {
        let text = "# top\na: 1 # after\nb: [1, # inside\n  2]\nc: |\n  # not a comment\n";
        let f = p(text);
        let got: Vec<(&str, &str)> = f.comments.iter().map(|c| (c.text.as_str(), at(text, c.span))).collect();
        assert_eq!(got, [("# top", "# top"), ("# after", "# after"), ("# inside", "# inside")]);
        let only = p("# just\n# comments\n");
        assert_eq!((only.docs.len(), only.comments.len(), only.issues.len()), (0, 2, 0));
        assert_eq!(p(""), ParsedFile::default());
    }

    fn line_of(text: &str, span: Span) -> usize {
        text[..span.start as usize].matches('\n').count() + 1
    }

    #[test]
    fn broken_files_still_lower_their_good_parts() {
        let text = "good: 1\nalso: 2\n  bad: 3\nlater: 4\n---\nnext: ok\n";
        let f = p(text);
        let issue = &f.issues[0];
        assert_eq!((issue.kind, line_of(text, issue.span)), (ParseIssueKind::Syntax, 3), "{issue:?}");
        assert!(issue.message.contains("unexpected ':'"), "{}", issue.message);
        assert_eq!(f.docs[0].get("good").unwrap().as_number(), Some(1.0));
        assert_eq!(f.docs.last().unwrap().get("next").unwrap().as_str(), Some("ok"));

        let text = "a: 1\nb: \"open\nc: 3\n";
        let f = p(text);
        assert!(f.issues[0].message.contains("expected '\"'"), "{:?}", f.issues);
        assert_eq!(line_of(text, f.issues[0].span), 2);
        assert_eq!(f.docs[0].get("a").unwrap().as_number(), Some(1.0));

        let f = p("a: [1, 2\nb: 3\n");
        assert!(f.issues[0].message.contains("expected ']'"), "{:?}", f.issues);
        let f = p("a:\n\tb: 1\n");
        assert!(f.issues[0].message.contains("tab"), "{:?}", f.issues);
        let f = p("key: value: other\n");
        assert!(f.issues[0].message.contains("cannot contain ': '"), "{:?}", f.issues);
        let f = p("a: \"bad \\q escape\"\n");
        assert!(f.issues[0].message.contains("invalid escape '\\q'"), "{:?}", f.issues);
    }

    fn small_stack(f: impl FnOnce() + Send + 'static) {
        let t = std::thread::Builder::new().stack_size(256 * 1024).spawn(f).expect("spawn");
        t.join().expect("no stack overflow");
    }

    #[test]
    fn deep_nesting_is_bounded() {
        small_stack(|| {
            for text in [
                "[".repeat(100_000),
                "[".repeat(100_000) + &"]".repeat(100_000),
                format!("a: {}1{}", "{b: ".repeat(50_000), "}".repeat(50_000)),
            ] {
                let f = p(&text);
                assert!(!f.issues.is_empty());
            }
            let f = p(&format!("{}1{}", "[".repeat(300), "]".repeat(300)));
            assert_eq!(f.issues.len(), 1, "{:?}", f.issues);
            assert_eq!(f.issues[0].kind, ParseIssueKind::Limit);
            // Deep block nesting would abort inside tree-sitter-yaml's scanner; it is cut first.
            let block: String = (0..400).map(|i| format!("{}k{i}:\n", " ".repeat(i))).collect();
            let f = p(&block);
            assert!(f.issues.iter().any(|i| i.kind == ParseIssueKind::Limit), "{:?}", f.issues);
            let seq: String = (0..400).map(|i| format!("{}-\n", " ".repeat(i * 2))).collect();
            assert!(!p(&seq).issues.is_empty());
            assert!(!p(&"- ".repeat(400)).issues.is_empty());
        });
    }

    #[test]
    fn aliases_cannot_stack_past_the_depth_limit() {
        let mut text = format!("a0: &a0 {}x{}\n", "[".repeat(200), "]".repeat(200));
        for i in 1..5 {
            text.push_str(&format!("a{i}: &a{i} {}*a{}{}\n", "[".repeat(200), i - 1, "]".repeat(200)));
        }
        let f = p(&text);
        assert!(f.issues.iter().any(|i| i.message.contains("nesting deeper")), "{:?}", f.issues);
    }

    #[test]
    fn crlf_lowers_like_lf() {
        let text = "a: |\r\n  x\r\n  y\r\nb: \"p\r\n  q\"\r\nc: plain\r\n  more\r\n# note\r\n";
        let d = doc(text);
        assert_eq!(d.get("a").unwrap().as_str(), Some("x\ny\n"));
        assert_eq!(d.get("b").unwrap().as_str(), Some("p q"));
        assert_eq!(d.get("c").unwrap().as_str(), Some("plain more"));
        assert_eq!(p(text).comments[0].text, "# note");
    }
}
