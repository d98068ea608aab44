//! Terraform / HCL native syntax (`.tf`, `.tfvars`) parsed and lowered into the [`crate::model`] the
//! way Terraform's JSON syntax spells it (see the model's module docs).
//!
//! A file goes to the fast path first (`fast.rs`: hcl-edit, about nine times tree-sitter-hcl's speed),
//! which answers only where it gives exactly what the tree-sitter path below gives; everything else
//! (syntax errors, odd spellings) takes the tree-sitter path. A file over 1 MiB is cut into slices
//! of whole blocks first, and each slice takes the same two paths. The tree-sitter path's passes:
//! 1. tree-sitter parses the text (bounded by an operation budget, see [`parse_tree`]);
//! 2. [`scan`] walks the tree once, iteratively, collecting comments and syntax issues;
//! 3. [`Lowerer`] turns the tree into model nodes, recursing at most `limits.max_depth` levels.
//!
//! tree-sitter's error recovery sometimes swallows intact blocks into an ERROR node (a stray `= 5`
//! line eats the next resource; an unterminated string runs to the end of the file). When that
//! happens the broken lines are blanked with spaces (byte offsets unchanged) and the file is
//! parsed again, so rules still see every block outside the broken lines. Issues and comments
//! always come from the first, unmodified parse.

mod errors;
mod fast;
mod slices;
mod template;
mod text;

#[cfg(test)]
mod tests;

use std::ops::ControlFlow;

use tree_sitter::{Node as TsNode, ParseOptions, ParseState, Parser, Tree};

use self::template::{Edges, PartAt};
use super::Limits;
use crate::model::{
    Comment, Entry, Expr, ForExpr, Node, ParseIssue, ParseIssueKind, ParsedFile, Step, Value,
};
use crate::span::Span;

static KINDS: super::NodeKinds = super::NodeKinds::new(|| tree_sitter_hcl::LANGUAGE.into());

/// `kind()` through [`super::NodeKinds`].
trait Kind<'t> {
    fn ty(&self) -> &'t str;
}

impl<'t> Kind<'t> for TsNode<'t> {
    fn ty(&self) -> &'t str {
        KINDS.of(*self)
    }
}

/// More issues than this per file is noise: the user fixes the first ones and parses again.
const MAX_ISSUES: usize = 10;
/// Re-parses after blanking broken lines; each round costs one more parse of the whole file.
const MAX_REPAIR_ROUNDS: usize = 4;
/// tree-sitter calls the progress callback about every 100 parser operations. A healthy parse
/// needs well under one call per byte; error recovery on hostile input can go quadratic, which
/// this budget (deterministic, unlike a wall-clock timeout) cuts short.
const PROGRESS_CALLS_PER_BYTE: usize = 4;
const PROGRESS_CALLS_MIN: usize = 100_000;
/// Files larger than this are parsed in slices of about [`SLICE_BYTES`] (see `slices.rs`): the peak
/// memory of a 5 MB file fell from ~460 MB to what one slice's tree and the whole model take.
const SLICE_ABOVE: usize = 1024 * 1024;
const SLICE_BYTES: usize = 128 * 1024;

pub fn parse(text: &str, limits: &Limits) -> ParsedFile {
    if text.len() > SLICE_ABOVE {
        if let Some(parsed) = parse_sliced(text, limits, SLICE_BYTES) {
            return parsed;
        }
    } else if let Some(parsed) = fast::lower(text, limits) {
        return parsed;
    }
    parse_whole(text, limits, 0)
}

/// The fast path alone (hcl-edit): `None` where it leaves the file to tree-sitter. For tests and
/// the differential fuzz target; [`parse`] picks the path.
pub fn parse_fast(text: &str, limits: &Limits) -> Option<ParsedFile> {
    fast::lower(text, limits)
}

/// The tree-sitter path alone, with error recovery and diagnostics. For tests and the
/// differential fuzz target; [`parse`] picks the path.
pub fn parse_tree_sitter(text: &str, limits: &Limits) -> ParsedFile {
    parse_whole(text, limits, 0)
}

/// One syntax tree for the whole text, with error recovery and repair. `rows_before`: lines of the
/// file before `text`, for the line numbers in messages.
fn parse_whole(text: &str, limits: &Limits, rows_before: usize) -> ParsedFile {
    let whole = Span::new(0, text.len());
    let Some(tree) = parse_tree(text, None) else {
        return ParsedFile {
            docs: vec![Node::new(whole, Value::Map(Vec::new()))],
            comments: Vec::new(),
            issues: vec![ParseIssue {
                span: whole,
                message: "file too complex to parse within the time budget; it was not checked".to_string(),
                kind: ParseIssueKind::Limit,
            }],
        };
    };
    let scanned = errors::scan_after_rows(&tree, text, rows_before);
    let mut issues = scanned.issues;

    // Lower from a repaired copy when tree-sitter's recovery may have swallowed intact text.
    let (repaired_text, repaired_tree) = repair(text, tree, scanned.broken_lines);
    let mut lowerer = Lowerer { text: &repaired_text, limits, issues: Vec::new() };
    let root = repaired_tree.root_node();
    let entries = lowerer.root(root);
    issues.append(&mut lowerer.issues);
    issues.sort_by_key(|i| i.span.start);

    ParsedFile { docs: vec![Node::new(whole, Value::Map(entries))], comments: scanned.comments, issues }
}

/// A large file parsed and lowered one slice of whole top-level blocks at a time, each slice's syntax
/// tree freed before the next is parsed. Without errors the result is the whole-file parse's, entry
/// for entry. A slice with a syntax error is parsed on its own with error recovery and repair (its
/// diagnostics are the slice's, and the slices around it keep their findings); one syntax tree of a
/// broken 5 MB file, with recovery's stack versions, took 600 MB. When the scan cannot tell where
/// blocks start (an unclosed bracket or string), the file is cut before top-level block keywords at
/// the start of a line instead: a file like that is broken anyway, and the slice holding the damage
/// reports it. `None` (parse it whole) when the file does not cut into two slices.
fn parse_sliced(text: &str, limits: &Limits, slice_bytes: usize) -> Option<ParsedFile> {
    let slices = slices::slices(text, slice_bytes).or_else(|| slices::resync_slices(text, slice_bytes))?;
    if slices.len() < 2 {
        return None;
    }
    let mut lowerer = Lowerer { text, limits, issues: Vec::new() };
    let mut entries = Vec::new();
    let mut comments = Vec::new();
    let mut issues = Vec::new();
    for slice in slices {
        // A slice is whole top-level blocks, so the fast path can take it alone (its spans shifted
        // to the file's); hcl-edit's tree, like tree-sitter's, then lives only while its slice does.
        if let Some(part) = text.get(slice.start..slice.end).and_then(|t| fast::lower(t, limits)) {
            add_slice(part, slice.start, &mut entries, &mut comments, &mut issues);
            continue;
        }
        let range = tree_sitter::Range {
            start_byte: slice.start,
            end_byte: slice.end,
            start_point: slice.start_point,
            end_point: slice.end_point,
        };
        let tree = parse_tree(text, Some(range));
        let scanned = tree.as_ref().map(|t| errors::scan(t, text));
        match (&tree, scanned) {
            (Some(tree), Some(scanned))
                if !tree.root_node().has_error()
                    && scanned.issues.is_empty()
                    && scanned.broken_lines.is_empty() =>
            {
                comments.extend(scanned.comments);
                entries.extend(lowerer.root(tree.root_node()));
            }
            _ => {
                drop(tree);
                let part = parse_whole(text.get(slice.start..slice.end)?, limits, slice.start_point.row);
                add_slice(part, slice.start, &mut entries, &mut comments, &mut issues);
            }
        }
    }
    issues.append(&mut lowerer.issues);
    issues.sort_by_key(|i| i.span.start);
    let syntax_issues = issues.iter().filter(|i| i.kind == ParseIssueKind::Syntax).count();
    if syntax_issues > MAX_ISSUES {
        let mut kept = 0;
        issues.retain(|i| {
            kept += usize::from(i.kind == ParseIssueKind::Syntax);
            i.kind != ParseIssueKind::Syntax || kept <= MAX_ISSUES
        });
    }
    let whole = Span::new(0, text.len());
    Some(ParsedFile { docs: vec![Node::new(whole, Value::Map(entries))], comments, issues })
}

/// A slice parsed on its own (spans from its start) added to the file's parts, spans shifted by
/// `start`.
fn add_slice(
    part: ParsedFile,
    start: usize,
    entries: &mut Vec<Entry>,
    comments: &mut Vec<Comment>,
    issues: &mut Vec<ParseIssue>,
) {
    for mut doc in part.docs {
        doc.shift(start);
        if let Value::Map(found) = doc.value {
            entries.extend(found);
        }
    }
    let at = |s: Span| Span::new(s.start as usize + start, s.end as usize + start);
    comments.extend(part.comments.into_iter().map(|c| Comment { span: at(c.span), ..c }));
    issues.extend(part.issues.into_iter().map(|i| ParseIssue { span: at(i.span), ..i }));
}

/// `text` read as a template — a `templatefile` file, a string in Terraform's JSON syntax: literal
/// text with `${…}` interpolations (`%{…}` directives stay unknown). Every node is given `span`, the
/// string the text came from. `None` when it does not parse.
pub fn template(text: &str, span: Span, limits: &Limits) -> Option<Node> {
    // Read as a heredoc's content, where text is taken as it is.
    const MARKER: &str = "SMELT_TEMPLATE_END_7F3A";
    if text.contains(MARKER) {
        return None;
    }
    let newline_added = !text.ends_with('\n');
    let end = if newline_added { "\n" } else { "" };
    let source = format!("t = <<{MARKER}\n{text}{end}{MARKER}\n");
    let parsed = parse(&source, limits);
    if !parsed.issues.is_empty() {
        return None;
    }
    let mut node = parsed.docs.first()?.get("t")?.clone();
    if newline_added {
        drop_final_newline(&mut node);
    }
    node.set_span_deep(span);
    Some(node)
}

/// Removes the newline a heredoc adds after the last line.
fn drop_final_newline(node: &mut Node) {
    match &mut node.value {
        Value::Str(s) => {
            s.pop();
        }
        Value::Expr(expr) => {
            let Expr::Template(parts) = expr.as_mut() else { return };
            if let Some(Value::Str(s)) = parts.last_mut().map(|p| &mut p.value) {
                s.pop();
                if s.is_empty() {
                    parts.pop();
                }
            }
        }
        _ => {}
    }
}

/// Parses `text` (only `range` of it, when given), or `None` when the grammar fails to load or the
/// operation budget runs out.
fn parse_tree(text: &str, range: Option<tree_sitter::Range>) -> Option<Tree> {
    let mut parser = Parser::new();
    parser.set_language(&tree_sitter_hcl::LANGUAGE.into()).ok()?;
    if let Some(range) = range {
        parser.set_included_ranges(&[range]).ok()?;
    }
    let budget = PROGRESS_CALLS_MIN.saturating_add(text.len().saturating_mul(PROGRESS_CALLS_PER_BYTE));
    let mut calls = 0usize;
    let mut progress = |_: &ParseState| {
        calls += 1;
        if calls > budget { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
    };
    let bytes = text.as_bytes();
    let mut read = |offset: usize, _| bytes.get(offset..).unwrap_or_default();
    parser.parse_with_options(&mut read, None, Some(ParseOptions::new().progress_callback(&mut progress)))
}

/// Blanks `broken` lines (byte ranges) and re-parses until no new ERROR lines turn up. Returns the
/// text and tree to lower; on any trouble, the last good pair.
fn repair(text: &str, tree: Tree, mut broken: Vec<(usize, usize)>) -> (String, Tree) {
    let mut current = text.to_string();
    let mut tree = tree;
    let mut blanked: Vec<(usize, usize)> = Vec::new();
    for _ in 0..MAX_REPAIR_ROUNDS {
        broken.retain(|line| !blanked.contains(line));
        if broken.is_empty() {
            break;
        }
        let mut bytes = current.clone().into_bytes();
        for &(start, end) in &broken {
            // Whole lines only: every multi-byte character is replaced entirely, so the bytes
            // stay valid UTF-8 and every offset keeps its meaning.
            if let Some(line) = bytes.get_mut(start..end) {
                line.iter_mut().filter(|b| !matches!(b, b'\n' | b'\r')).for_each(|b| *b = b' ');
            }
        }
        let Ok(next_text) = String::from_utf8(bytes) else {
            break;
        };
        let Some(next_tree) = parse_tree(&next_text, None) else {
            break;
        };
        blanked.append(&mut broken);
        broken = errors::broken_lines(&next_tree, &next_text);
        current = next_text;
        tree = next_tree;
    }
    (current, tree)
}

/// The children of `node` that carry syntax, without comments (which the scan collects).
fn kids<'t>(node: TsNode<'t>) -> Vec<TsNode<'t>> {
    let mut cursor = node.walk();
    node.children(&mut cursor).filter(|n| n.ty() != "comment").collect()
}

fn span_of(node: TsNode) -> Span {
    Span::new(node.start_byte(), node.end_byte())
}

/// Follows single-child wrapper nodes (`expression` → `collection_value` → `tuple`) iteratively:
/// the tree of a deeply nested value is three times deeper than the value, and walking it must
/// not cost stack.
fn unwrap_single(mut node: TsNode) -> TsNode {
    loop {
        let wrapper = matches!(
            node.ty(),
            "expression" | "collection_value" | "literal_value" | "template_expr" | "operation" | "for_expr"
        );
        if !wrapper {
            return node;
        }
        let children = kids(node);
        match children.as_slice() {
            [only] => node = *only,
            _ => return node,
        }
    }
}

struct Lowerer<'a> {
    text: &'a str,
    limits: &'a Limits,
    /// Limit issues; at most one, since one cut already tells the user what happened.
    issues: Vec<ParseIssue>,
}

impl Lowerer<'_> {
    fn src(&self, node: TsNode) -> &str {
        self.text.get(node.byte_range()).unwrap_or("")
    }

    fn other(&self, node: TsNode) -> Node {
        Node::new(span_of(node), Value::Expr(Box::new(Expr::Other(self.src(node).to_string()))))
    }

    /// The node that stands for a subtree nested deeper than the limit.
    fn cut(&mut self, node: TsNode) -> Node {
        if self.issues.is_empty() {
            self.issues.push(ParseIssue {
                span: span_of(node),
                message: format!("nesting deeper than {} levels", self.limits.max_depth),
                kind: ParseIssueKind::Limit,
            });
        }
        self.other(node)
    }

    fn root(&mut self, root: TsNode) -> Vec<Entry> {
        let mut entries = Vec::new();
        for child in kids(root) {
            match child.ty() {
                "body" => self.body(child, 0, &mut entries),
                // `.tfvars` may be written as one JSON-like object.
                "object" => {
                    if let Value::Map(map) = self.expr(child, 0).value {
                        entries.extend(map);
                    }
                }
                _ => {}
            }
        }
        entries
    }

    /// Attributes and blocks in source order; ERROR nodes (already reported) are skipped.
    /// Entries are pushed into `out` rather than returned: the body → block → body recursion keeps
    /// to small frames that way (see [`Lowerer::expr`]).
    fn body(&mut self, body: TsNode, depth: usize, out: &mut Vec<Entry>) {
        for child in kids(body) {
            match child.ty() {
                "attribute" => self.attribute(child, depth, out),
                "block" => self.block(child, depth, out),
                _ => {}
            }
        }
    }

    fn attribute(&mut self, attr: TsNode, depth: usize, out: &mut Vec<Entry>) {
        let children = kids(attr);
        let Some(&name) = children.first().filter(|n| n.ty() == "identifier") else {
            return;
        };
        let Some(&value) = children.iter().rev().find(|n| n.ty() == "expression") else {
            return;
        };
        let value = self.expr(value, depth + 1);
        out.push(Entry { key: self.src(name).to_string(), key_span: span_of(name), value });
    }

    /// `type "l1" "l2" { body }` → `type` → `l1` → `l2` → body, every map spanning the block.
    fn block(&mut self, block: TsNode, depth: usize, out: &mut Vec<Entry>) {
        let children = kids(block);
        let mut entries = Vec::new();
        if depth + 1 > self.limits.max_depth {
            self.cut_block(block, &children, out);
            return;
        }
        if let Some(&body) = children.iter().find(|n| n.ty() == "body") {
            self.body(body, depth + 1, &mut entries);
        }
        self.finish_block(block, &children, entries, out);
    }

    fn cut_block(&mut self, block: TsNode, children: &[TsNode], out: &mut Vec<Entry>) {
        let value = self.cut(block);
        self.push_block(children, value, out);
    }

    fn finish_block(&self, block: TsNode, children: &[TsNode], body: Vec<Entry>, out: &mut Vec<Entry>) {
        let value = self.wrap_in_labels(block, children, body);
        self.push_block(children, value, out);
    }

    fn push_block(&self, children: &[TsNode], value: Node, out: &mut Vec<Entry>) {
        if let Some(&kind) = children.first().filter(|n| n.ty() == "identifier") {
            out.push(Entry { key: self.src(kind).to_string(), key_span: span_of(kind), value });
        }
    }

    /// Nests the body map under one single-entry map per label, innermost label first.
    fn wrap_in_labels(&self, block: TsNode, children: &[TsNode], body: Vec<Entry>) -> Node {
        let span = span_of(block);
        let mut value = Node::new(span, Value::Map(body));
        let labels = children.iter().skip(1).take_while(|n| n.ty() != "block_start");
        let labels: Vec<_> = labels.filter(|n| matches!(n.ty(), "string_lit" | "identifier")).collect();
        for label in labels.into_iter().rev() {
            let key = match label.ty() {
                "string_lit" => self.string_lit(*label),
                _ => self.src(*label).to_string(),
            };
            let entry = Entry { key, key_span: span_of(*label), value };
            value = Node::new(span, Value::Map(vec![entry]));
        }
        value
    }

    /// The recursive path (`expr` → `tuple`/`object`/`call`/`template` → `expr`) is kept to small
    /// frames with plain loops: `max_depth` levels must fit a small thread stack even unoptimised.
    fn expr(&mut self, node: TsNode, depth: usize) -> Node {
        if depth > self.limits.max_depth {
            return self.cut(node);
        }
        // A broken expression is reported by the scan; guessing its value would mislead rules.
        if node.has_error() {
            return self.other(node);
        }
        let node = unwrap_single(node);
        match node.ty() {
            "tuple" => self.tuple(node, depth),
            "object" => self.object(node, depth),
            "function_call" => self.call(node, depth),
            "quoted_template" => self.quoted_template(node, depth),
            "heredoc_template" => self.heredoc(node, depth),
            _ => self.leaf(node, depth),
        }
    }

    /// Expressions that hold no nested values to lower: literals, references, and the rest,
    /// which stay source text.
    #[inline(never)]
    fn leaf(&mut self, node: TsNode, depth: usize) -> Node {
        let value = match node.ty() {
            "expression" => return self.compound(node, depth),
            "conditional" => return self.conditional(node, depth),
            "binary_operation" => return self.operation(node, depth),
            "unary_operation" => return self.unary(node, depth),
            "numeric_lit" => match parse_number(self.src(node)) {
                Some(n) => Value::Number(n),
                None => return self.other(node),
            },
            "bool_lit" => Value::Bool(self.src(node) == "true"),
            "null_lit" => Value::Null,
            "string_lit" => Value::Str(self.string_lit(node)),
            "variable_expr" => reference(vec![self.src(node).to_string()]),
            "for_tuple_expr" | "for_object_expr" => return self.for_expr(node, depth),
            _ => return self.other(node),
        };
        Node::new(span_of(node), value)
    }

    /// An `expression` with several children: a traversal (`var.x[0]`), a parenthesised
    /// expression, or a call/collection followed by steps.
    #[inline(never)]
    fn compound(&mut self, node: TsNode, depth: usize) -> Node {
        let children = kids(node);
        match children.first().map(|n| n.ty()) {
            Some("variable_expr") => {
                self.traversal(node, &children, depth).unwrap_or_else(|| self.other(node))
            }
            Some("(") => self.parenthesised(node, depth),
            Some("operation") => {
                self.misparsed_operation(span_of(node), &children, depth).unwrap_or_else(|| self.other(node))
            }
            Some(_) => {
                self.steps_on_value(span_of(node), &children, depth).unwrap_or_else(|| self.other(node))
            }
            None => self.other(node),
        }
    }

    /// `f(x)[0]`, `{ a = 1 }.a`, `[for …][0]`: steps on a value that is not a name.
    #[inline(never)]
    fn steps_on_value(&mut self, span: Span, children: &[TsNode], depth: usize) -> Option<Node> {
        let (first, steps) = children.split_first()?;
        if steps.is_empty() {
            return None;
        }
        let steps = self.steps(steps, depth)?;
        let base = self.expr(*first, depth + 1);
        Some(Node::new(span, Value::Expr(Box::new(Expr::Traverse { base, steps }))))
    }

    /// `[for k, v in coll : value if cond]` and `{ for k, v in coll : key => value... if cond }`.
    #[inline(never)]
    fn for_expr(&mut self, node: TsNode, depth: usize) -> Node {
        let children = kids(node);
        let Some(&intro) = children.iter().find(|n| n.ty() == "for_intro") else {
            return self.other(node);
        };
        let intro_kids = kids(intro);
        let names: Vec<String> =
            intro_kids.iter().filter(|n| n.ty() == "identifier").map(|n| self.src(*n).to_string()).collect();
        let Some(&collection) = intro_kids.iter().find(|n| n.ty() == "expression") else {
            return self.other(node);
        };
        let exprs: Vec<TsNode> = children.iter().copied().filter(|n| n.ty() == "expression").collect();
        let cond = children
            .iter()
            .find(|n| n.ty() == "for_cond")
            .and_then(|c| kids(*c).into_iter().find(|n| n.ty() == "expression"));
        let (key_var, value_var) = match names.as_slice() {
            [v] => (None, v.clone()),
            [k, v] => (Some(k.clone()), v.clone()),
            _ => return self.other(node),
        };
        let (key, value) = match (node.ty() == "for_object_expr", exprs.as_slice()) {
            (false, [v]) => (None, *v),
            (true, [k, v]) => (Some(*k), *v),
            _ => return self.other(node),
        };
        let expr = ForExpr {
            key_var,
            value_var,
            collection: self.expr(collection, depth + 1),
            key: key.map(|k| self.expr(k, depth + 1)),
            value: self.expr(value, depth + 1),
            cond: cond.map(|c| self.expr(c, depth + 1)),
            group: children.iter().any(|n| n.ty() == "ellipsis"),
        };
        Node::new(span_of(node), Value::Expr(Box::new(Expr::For(Box::new(expr)))))
    }

    /// tree-sitter-hcl reads `a == var.x.y` as `(a == var).x.y`: the steps after an operation
    /// belong to its rightmost operand, which must then be a reference.
    #[inline(never)]
    fn misparsed_operation(&mut self, span: Span, children: &[TsNode], depth: usize) -> Option<Node> {
        let (first, steps) = children.split_first()?;
        let steps = self.steps(steps, depth)?;
        let mut lowered = self.expr(*first, depth + 1);
        if !extend_rightmost(&mut lowered, steps, span.end, 0) {
            return None;
        }
        lowered.span = span;
        Some(lowered)
    }

    /// `var.a.b[0]["k"]` → `["var", "a", "b", "[0]", "[\"k\"]"]`; from the first splat or computed
    /// index on (`aws_instance.web[*].id`, `var.m[var.k]`) the steps go into an [`Expr::Traverse`].
    #[inline(never)]
    fn traversal(&mut self, node: TsNode, children: &[TsNode], depth: usize) -> Option<Node> {
        let (first, rest) = children.split_first()?;
        let steps = self.steps(rest, depth)?;
        let mut parts = vec![self.src(*first).to_string()];
        let steps = take_simple_steps(&mut parts, steps);
        if steps.is_empty() {
            return Some(Node::new(span_of(node), reference(parts)));
        }
        let base_end = rest.get(parts.len() - 1).map_or(first.end_byte(), |n| n.start_byte());
        let base = Node::new(Span::new(first.start_byte(), base_end), reference(parts));
        Some(Node::new(span_of(node), Value::Expr(Box::new(Expr::Traverse { base, steps }))))
    }

    /// Traversal steps (`.a`, `[expr]`, `.0`, `[*].b`, `.*.b`); `None` on anything else.
    #[inline(never)]
    fn steps(&mut self, nodes: &[TsNode], depth: usize) -> Option<Vec<Step>> {
        let mut out = Vec::new();
        for node in nodes {
            match node.ty() {
                "get_attr" => {
                    out.push(Step::Attr(self.src(*node).trim_start_matches('.').trim().to_string()))
                }
                "index" => out.push(self.index(*node, depth)?),
                "splat" => {
                    let splat = kids(*node).into_iter().next()?;
                    let parts: Vec<TsNode> = kids(splat).into_iter().filter(|n| n.is_named()).collect();
                    // `[*]` applies every step after it to each element; the legacy `.*` only the
                    // attribute steps right after it (`a.*.b[0]` is the first `b`).
                    let inside = match splat.ty() {
                        "full_splat" => parts.len(),
                        _ => parts.iter().position(|n| n.ty() != "get_attr").unwrap_or(parts.len()),
                    };
                    let (each, after) = parts.split_at(inside);
                    out.push(Step::Splat(self.steps(each, depth)?));
                    out.extend(self.steps(after, depth)?);
                }
                _ => return None,
            }
        }
        Some(out)
    }

    /// `[expr]`, or the legacy `.0`.
    fn index(&mut self, step: TsNode, depth: usize) -> Option<Step> {
        let index = kids(step).into_iter().next()?;
        if index.ty() == "legacy_index" {
            let digits = self.src(index).trim_start_matches('.').trim();
            let n = digits.parse::<f64>().ok()?;
            return Some(Step::Index(Node::new(span_of(index), Value::Number(n))));
        }
        let inner = kids(index).into_iter().find(|n| n.ty() == "expression")?;
        Some(Step::Index(self.expr(inner, depth + 1)))
    }

    /// `(x)` unwraps to what it holds (spanning the parentheses); `(x).y` is a traversal on `x`.
    #[inline(never)]
    fn parenthesised(&mut self, node: TsNode, depth: usize) -> Node {
        let children = kids(node);
        if let [open, expr, close, steps @ ..] = children.as_slice()
            && !steps.is_empty()
            && open.ty() == "("
            && close.ty() == ")"
        {
            let Some(steps) = self.steps(steps, depth) else { return self.other(node) };
            let base = self.parenthesised_inner(*expr, Span::new(open.start_byte(), close.end_byte()), depth);
            return Node::new(span_of(node), Value::Expr(Box::new(Expr::Traverse { base, steps })));
        }
        let mut inner = node;
        // Iterative, so that `((((…))))` many thousands deep costs no stack.
        loop {
            let children = kids(inner);
            match children.as_slice() {
                [open, expr, close] if open.ty() == "(" && close.ty() == ")" => {
                    inner = unwrap_single(*expr);
                }
                _ => break,
            }
        }
        if inner == node {
            return self.other(node);
        }
        self.parenthesised_inner(inner, span_of(node), depth)
    }

    fn parenthesised_inner(&mut self, inner: TsNode, span: Span, depth: usize) -> Node {
        let mut lowered = self.expr(inner, depth + 1);
        lowered.span = span;
        lowered
    }

    fn tuple(&mut self, node: TsNode, depth: usize) -> Node {
        let mut items = Vec::new();
        for child in kids(node) {
            if child.ty() == "expression" {
                items.push(self.expr(child, depth + 1));
            }
        }
        Node::new(span_of(node), Value::List(items))
    }

    /// `{ k = v, "k2": v, (var.k) = v }`: bare names and strings are keys as written; any other
    /// key expression keeps its source text.
    fn object(&mut self, node: TsNode, depth: usize) -> Node {
        let mut entries = Vec::new();
        for elem in kids(node) {
            if elem.ty() != "object_elem" {
                continue;
            }
            let (Some(key), Some(val)) = (elem.child_by_field_name("key"), elem.child_by_field_name("val"))
            else {
                continue;
            };
            let bare = unwrap_single(key);
            let key_text = match bare.ty() {
                "string_lit" => self.string_lit(bare),
                _ => self.src(key).to_string(),
            };
            entries.push(Entry { key: key_text, key_span: span_of(key), value: self.expr(val, depth + 1) });
        }
        Node::new(span_of(node), Value::Map(entries))
    }

    fn call(&mut self, node: TsNode, depth: usize) -> Node {
        let children = kids(node);
        let name = children.first().map(|n| self.src(*n).to_string()).unwrap_or_default();
        let mut args = Vec::new();
        let mut expand = false;
        for list in children.iter().filter(|n| n.ty() == "function_arguments") {
            for arg in kids(*list) {
                match arg.ty() {
                    "expression" => args.push(self.expr(arg, depth + 1)),
                    "ellipsis" => expand = true,
                    _ => {}
                }
            }
        }
        Node::new(span_of(node), Value::Expr(Box::new(Expr::Call { name, args, expand })))
    }

    /// `c ? a : b`, kept as structure so an evaluator can pick a branch. tree-sitter-hcl nests
    /// `a ? b : c ? d : e` to the left, `(a ? b : c) ? d : e`; HCL's conditional is
    /// right-associative (a bare conditional cannot be a condition), so the chain is read as the
    /// operands in source order and nested to the right: `a ? b : (c ? d : e)`.
    #[inline(never)]
    fn conditional(&mut self, node: TsNode, depth: usize) -> Node {
        // Operands in source order, from the innermost (leftmost) conditional out.
        let mut levels: Vec<(TsNode, TsNode)> = Vec::new();
        let mut current = node;
        let first = loop {
            let parts: Vec<TsNode> = kids(current).into_iter().filter(|n| n.ty() == "expression").collect();
            let [cond, then, otherwise] = parts.as_slice() else {
                return self.other(node);
            };
            levels.push((*then, *otherwise));
            let inner = unwrap_single(*cond);
            if inner.ty() != "conditional" || levels.len() >= 64 {
                break *cond;
            }
            current = inner;
        };
        let mut operands = vec![first];
        operands.extend(levels.into_iter().rev().flat_map(|(then, otherwise)| [then, otherwise]));
        let mut lowered: Vec<Node> = operands.iter().map(|n| self.expr(*n, depth + 1)).collect();
        let end = node.end_byte();
        let Some(mut tail) = lowered.pop() else { return self.other(node) };
        while let (Some(then), Some(cond)) = (lowered.pop(), lowered.pop()) {
            let span = Span::new(cond.span.start as usize, end);
            tail = Node::new(span, Value::Expr(Box::new(Expr::Conditional { cond, then, otherwise: tail })));
        }
        tail.span = span_of(node);
        tail
    }

    /// `a op b` and `op a`: the operator as written and the lowered operands. The grammar lists an
    /// operand's traversal steps as siblings (`var` `.a` `==` `"x"`), so operands are the runs of
    /// children between the operator token.
    #[inline(never)]
    fn operation(&mut self, node: TsNode, depth: usize) -> Node {
        // Parentheses around an operand are anonymous siblings too: drop them.
        let children: Vec<TsNode> =
            kids(node).into_iter().filter(|n| n.is_named() || !matches!(n.ty(), "(" | ")")).collect();
        let Some(at) = children.iter().position(|n| !n.is_named()) else {
            return self.other(node);
        };
        let (before, rest) = children.split_at(at);
        let (Some(op), after) = (rest.first(), rest.get(1..).unwrap_or_default()) else {
            return self.other(node);
        };
        if after.is_empty() || after.iter().any(|n| !n.is_named()) {
            return self.other(node);
        }
        let op = self.src(*op).to_string();
        let right = self.operand(after, depth);
        if before.is_empty() {
            return Node::new(span_of(node), Value::Expr(Box::new(Expr::Op { op, operands: vec![right] })));
        }
        let left = self.operand(before, depth);
        // `a && var.x != b` comes as `(a && var).x != b`; once the steps are moved to `var`, the
        // left operand is `a && var.x`, which `!=` binds tighter than.
        let misparsed = before.len() > 1 && before.first().is_some_and(|n| n.ty() == "operation");
        if misparsed {
            return bind_tighter(left, op, right, span_of(node), 0);
        }
        Node::new(span_of(node), Value::Expr(Box::new(Expr::Op { op, operands: vec![left, right] })))
    }

    /// One operand of an operation: a single node, or a traversal spelled as sibling steps.
    fn operand(&mut self, parts: &[TsNode], depth: usize) -> Node {
        match parts {
            [only] => self.expr(*only, depth + 1),
            [first, .., last] => {
                let span = Span::new(first.start_byte(), last.end_byte());
                let lowered = match first.ty() {
                    "variable_expr" => self.traversal(*first, parts, depth),
                    "operation" => self.misparsed_operation(span, parts, depth),
                    "(" => None,
                    _ => self.steps_on_value(span, parts, depth),
                };
                match lowered {
                    Some(node) => Node { span, ..node },
                    None => {
                        let text = self.text.get(span.range()).unwrap_or("").to_string();
                        Node::new(span, Value::Expr(Box::new(Expr::Other(text))))
                    }
                }
            }
            [] => Node::new(Span::default(), Value::Expr(Box::new(Expr::Other(String::new())))),
        }
    }

    #[inline(never)]
    fn unary(&mut self, node: TsNode, depth: usize) -> Node {
        let negative = self.negative_number(node);
        if negative.is_unknown() { self.operation(node, depth) } else { negative }
    }

    /// `-1` is how Terraform spells a negative number (`from_port = -1`): rules need its value.
    fn negative_number(&self, node: TsNode) -> Node {
        let children = kids(node);
        let [minus, operand] = children.as_slice() else {
            return self.other(node);
        };
        if minus.ty() != "-" {
            return self.other(node);
        }
        let operand = unwrap_single(*operand);
        match (operand.ty(), parse_number(self.src(operand))) {
            ("numeric_lit", Some(n)) => Node::new(span_of(node), Value::Number(-n)),
            _ => self.other(node),
        }
    }

    /// The decoded text between the quotes of a `string_lit`.
    fn string_lit(&self, node: TsNode) -> String {
        let raw = self.src(node);
        let raw = raw.strip_prefix('"').unwrap_or(raw);
        let raw = raw.strip_suffix('"').unwrap_or(raw);
        text::decode_quoted(raw)
    }

    /// `"a-${var.x}"`: the literal text is taken from the gaps between interpolations rather than
    /// from `template_literal` nodes, which drop whitespace around the parts.
    fn quoted_template(&mut self, node: TsNode, depth: usize) -> Node {
        let children = kids(node);
        let open_end = children.first().map_or(node.start_byte(), |n| n.end_byte());
        let close_start = children
            .last()
            .filter(|n| n.ty() == "quoted_template_end")
            .map_or(node.end_byte(), |n| n.start_byte());
        let parts: Vec<TsNode> = children.iter().copied().filter(|n| is_template_part(*n)).collect();
        self.template(node, (open_end, close_start), &parts, &[], depth, text::decode_quoted)
    }

    /// `<<EOF` / `<<-EOF` heredocs: the content runs from the line after the opening marker to the
    /// start of the closing marker's line.
    fn heredoc(&mut self, node: TsNode, depth: usize) -> Node {
        let children = kids(node);
        let flush = children.first().is_some_and(|n| self.src(*n) == "<<-");
        let markers: Vec<TsNode> =
            children.iter().copied().filter(|n| n.ty() == "heredoc_identifier").collect();
        let after_marker = markers.first().map_or(node.start_byte(), |n| n.end_byte());
        let start = self
            .text
            .get(after_marker..)
            .and_then(|s| s.find('\n'))
            .map_or(node.end_byte(), |i| after_marker + i + 1);
        let end = match markers.get(1) {
            Some(close) => self
                .text
                .get(..close.start_byte())
                .and_then(|s| s.rfind('\n'))
                .map_or(close.start_byte(), |i| i + 1),
            None => node.end_byte(),
        }
        .max(start);
        let parts: Vec<TsNode> = children.iter().copied().filter(|n| is_template_part(*n)).collect();
        let cuts = if flush { self.heredoc_cuts(start, end, &parts) } else { Vec::new() };
        self.template(node, (start, end), &parts, &cuts, depth, text::decode_heredoc)
    }

    /// The indentation `<<-` strips, as absolute byte ranges.
    fn heredoc_cuts(&self, start: usize, end: usize, parts: &[TsNode]) -> Vec<(usize, usize)> {
        let leaves: Vec<(usize, usize)> =
            leaf_parts(parts).iter().map(|p| (p.start_byte(), p.end_byte())).collect();
        template::heredoc_cuts(self.text, start, end, &leaves)
    }

    /// Builds a `Str` (no interpolation) or a `Template` from the literal gaps and the parts.
    fn template(
        &mut self,
        node: TsNode,
        range: (usize, usize),
        parts: &[TsNode],
        cuts: &[(usize, usize)],
        depth: usize,
        decode: fn(&str) -> String,
    ) -> Node {
        let edges = Edges { span: span_of(node), trim_start: false, trim_end: false };
        self.template_in(edges, range, parts, cuts, depth, decode)
    }

    /// [`Self::template`] for any stretch of template text, such as the body of a directive, whose
    /// ends may be trimmed by the `~` of the markers around it.
    fn template_in(
        &mut self,
        edges: Edges,
        range: (usize, usize),
        parts: &[TsNode],
        cuts: &[(usize, usize)],
        depth: usize,
        decode: fn(&str) -> String,
    ) -> Node {
        let text = self.text;
        let at = |part: &TsNode| {
            let src = text.get(part.byte_range()).unwrap_or("");
            PartAt {
                start: part.start_byte(),
                end: part.end_byte(),
                strips_left: strips_left(src),
                strips_right: src.ends_with("~}"),
            }
        };
        let lower = |part: &TsNode| self.template_part(*part, cuts, depth, decode);
        template::assemble(text, edges, range, parts, at, cuts, decode, lower)
    }

    /// `${ expr }` becomes the lowered expression; a `%{ if }`/`%{ for }` directive becomes the
    /// expression it stands for (see [`Self::directive`]).
    fn template_part(
        &mut self,
        part: TsNode,
        cuts: &[(usize, usize)],
        depth: usize,
        decode: fn(&str) -> String,
    ) -> Node {
        if depth > self.limits.max_depth {
            return self.cut(part);
        }
        if part.ty() == "template_directive" {
            return self.directive(part, cuts, depth, decode);
        }
        if part.ty() != "template_interpolation" {
            return self.other(part);
        }
        match kids(part).into_iter().find(|n| n.ty() == "expression") {
            Some(expr) => self.expr(expr, depth + 1),
            None => self.other(part),
        }
    }

    /// `%{ if c }a%{ else }b%{ endif }` is `c ? "a" : "b"`, and `%{ for k, v in xs }body%{ endfor }`
    /// is `join("", [for k, v in xs : "body"])`: what Terraform computes, in expressions the
    /// evaluator already knows. A directive the grammar could not read whole stays unknown.
    fn directive(
        &mut self,
        part: TsNode,
        cuts: &[(usize, usize)],
        depth: usize,
        decode: fn(&str) -> String,
    ) -> Node {
        let Some(inner) = kids(part).into_iter().find(|n| n.is_named()) else { return self.other(part) };
        let children = kids(inner);
        let find = |ty: &str| children.iter().copied().find(|n| n.ty() == ty);
        let span = span_of(part);
        match inner.ty() {
            "template_if" => {
                let (Some(intro), Some(end)) = (find("template_if_intro"), find("template_if_end")) else {
                    return self.other(part);
                };
                let Some(cond) = kids(intro).into_iter().find(|n| n.ty() == "expression") else {
                    return self.other(part);
                };
                let cond = self.expr(cond, depth + 1);
                let otherwise_marker = find("template_else_intro");
                let then = self.directive_body(
                    intro,
                    otherwise_marker.unwrap_or(end),
                    &children,
                    cuts,
                    depth,
                    decode,
                );
                let otherwise = match otherwise_marker {
                    Some(marker) => self.directive_body(marker, end, &children, cuts, depth, decode),
                    None => {
                        Node::new(Span::new(end.start_byte(), end.start_byte()), Value::Str(String::new()))
                    }
                };
                Node::new(span, Value::Expr(Box::new(Expr::Conditional { cond, then, otherwise })))
            }
            "template_for" => {
                let (Some(start), Some(end)) = (find("template_for_start"), find("template_for_end")) else {
                    return self.other(part);
                };
                let head = kids(start);
                let names: Vec<String> = head
                    .iter()
                    .filter(|n| n.ty() == "identifier")
                    .map(|n| self.src(*n).to_string())
                    .collect();
                let Some(collection) = head.iter().find(|n| n.ty() == "expression") else {
                    return self.other(part);
                };
                let (key_var, value_var) = match names.as_slice() {
                    [value] => (None, value.clone()),
                    [key, value] => (Some(key.clone()), value.clone()),
                    _ => return self.other(part),
                };
                let collection = self.expr(*collection, depth + 1);
                let value = self.directive_body(start, end, &children, cuts, depth, decode);
                let each =
                    ForExpr { key_var, value_var, collection, key: None, value, cond: None, group: false };
                let list = Node::new(span, Value::Expr(Box::new(Expr::For(Box::new(each)))));
                let separator = Node::new(Span { end: span.start, ..span }, Value::Str(String::new()));
                let join = Expr::Call { name: "join".into(), args: vec![separator, list], expand: false };
                Node::new(span, Value::Expr(Box::new(join)))
            }
            _ => self.other(part),
        }
    }

    /// The template between two directive markers, trimmed where a marker has a `~` on that side.
    fn directive_body(
        &mut self,
        open: TsNode,
        close: TsNode,
        children: &[TsNode],
        cuts: &[(usize, usize)],
        depth: usize,
        decode: fn(&str) -> String,
    ) -> Node {
        let (start, end) = (open.end_byte(), close.start_byte().max(open.end_byte()));
        let parts: Vec<TsNode> = children
            .iter()
            .copied()
            .filter(|n| is_template_part(*n) && n.start_byte() >= start && n.end_byte() <= end)
            .collect();
        let edges = Edges {
            span: Span::new(start, end),
            trim_start: self.src(open).ends_with("~}"),
            trim_end: strips_left(self.src(close)),
        };
        self.template_in(edges, (start, end), &parts, cuts, depth + 1, decode)
    }
}

/// A template's parts with every directive opened up into its markers and the parts of its bodies:
/// everything in a template that is not literal text.
fn leaf_parts<'t>(parts: &[TsNode<'t>]) -> Vec<TsNode<'t>> {
    let mut out = Vec::new();
    let mut stack: Vec<TsNode<'t>> = parts.iter().rev().copied().collect();
    while let Some(part) = stack.pop() {
        if part.ty() != "template_directive" {
            out.push(part);
            continue;
        }
        for inner in kids(part).into_iter().filter(|n| n.is_named()) {
            let children = kids(inner);
            stack.extend(children.into_iter().rev().filter(|n| n.ty() != "template_literal"));
        }
    }
    out
}

fn is_template_part(node: TsNode) -> bool {
    matches!(node.ty(), "template_interpolation" | "template_directive")
}

/// `${~ x }` / `%{~ if }` trims the whitespace before it.
fn strips_left(part: &str) -> bool {
    part.starts_with("${~") || part.starts_with("%{~")
}

/// `left op right` where `left` is a binary operation whose operator binds less tightly than `op`:
/// `op` takes the rightmost operand instead (`a && b != c` is `a && (b != c)`).
fn bind_tighter(mut left: Node, op: String, right: Node, span: Span, depth: usize) -> Node {
    if depth < 64
        && let Value::Expr(expr) = &mut left.value
        && let Expr::Op { op: inner, operands } = expr.as_mut()
        && operands.len() == 2
        && precedence(inner) < precedence(&op)
        && let Some(last) = operands.pop()
    {
        let tail = Span::new(last.span.start as usize, span.end as usize);
        operands.push(bind_tighter(last, op, right, tail, depth + 1));
        left.span = span;
        return left;
    }
    Node::new(span, Value::Expr(Box::new(Expr::Op { op, operands: vec![left, right] })))
}

/// HCL's binary operator precedence, tightest highest.
fn precedence(op: &str) -> u8 {
    match op {
        "*" | "/" | "%" => 5,
        "+" | "-" => 4,
        ">" | ">=" | "<" | "<=" => 3,
        "==" | "!=" => 2,
        "&&" => 1,
        _ => 0,
    }
}

/// Appends `steps` to the reference at the right end of an operation (see
/// [`Lowerer::misparsed_operation`]), stretching the spans on the way to `end`.
fn extend_rightmost(node: &mut Node, steps: Vec<Step>, end: u32, depth: usize) -> bool {
    if depth > 64 {
        return false;
    }
    let Value::Expr(expr) = &mut node.value else { return false };
    let done = match expr.as_mut() {
        Expr::Op { operands, .. } => match operands.last_mut() {
            Some(last) => extend_rightmost(last, steps, end, depth + 1),
            None => false,
        },
        Expr::Reference(parts) => {
            let steps = take_simple_steps(parts, steps);
            if !steps.is_empty() {
                let base = Node::new(node.span, Value::Expr(expr.clone()));
                **expr = Expr::Traverse { base, steps };
            }
            true
        }
        _ => false,
    };
    if done {
        node.span.end = end;
    }
    done
}

/// Moves the leading steps a reference can hold as text (see [`simple_step`]) onto `parts`; the
/// rest, from the first splat or computed index on, are returned.
fn take_simple_steps(parts: &mut Vec<String>, steps: Vec<Step>) -> Vec<Step> {
    let mut steps = steps.into_iter().peekable();
    while let Some(text) = steps.peek().and_then(simple_step) {
        parts.push(text);
        steps.next();
    }
    steps.collect()
}

/// The text a step keeps inside a [`Expr::Reference`]: a name, a whole number or a plain string
/// index; `None` for a step that needs evaluating.
fn simple_step(step: &Step) -> Option<String> {
    match step {
        Step::Attr(name) => Some(name.clone()),
        Step::Index(node) => match &node.value {
            Value::Number(n) if *n >= 0.0 && n.fract() == 0.0 => Some(format!("[{}]", *n as u64)),
            Value::Str(s) if !s.contains(['\\', '$', '%', '"']) => Some(format!("[\"{s}\"]")),
            _ => None,
        },
        Step::Splat(_) => None,
    }
}

fn reference(parts: Vec<String>) -> Value {
    Value::Expr(Box::new(Expr::Reference(parts)))
}

/// Decimal (`1`, `2.5`, `1.5e3`) or the grammar's hexadecimal form (`0x1F`).
fn parse_number(text: &str) -> Option<f64> {
    match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok().map(|n| n as f64),
        None => text.parse::<f64>().ok(),
    }
}
