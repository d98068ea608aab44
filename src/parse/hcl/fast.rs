//! The fast path: HCL native syntax parsed by hcl-edit (a winnow parser that keeps a byte span on
//! every node, about nine times tree-sitter-hcl's speed here) and lowered into exactly the model
//! the tree-sitter lowering gives.
//!
//! It answers only for files it can vouch for. Any hcl-edit error, a construct tree-sitter-hcl
//! reads differently (see [`Fast::expr`]), or nesting deeper than half the limit returns `None`,
//! and the tree-sitter path, with its diagnostics and error recovery, takes the file. Literal text
//! is decoded from the source with the same helpers as the tree-sitter path, never taken from
//! hcl-edit's own decoding, and comments are read from the text between string literals.
//! `tests/hcl_lowerings.rs` and the `hcl` fuzz target check that the two lowerings agree.

use hcl_edit::expr::{Expression, ObjectKey, TraversalOperator, UnaryOperator};
use hcl_edit::structure::{Block, BlockLabel, Body, Structure};
use hcl_edit::template::{Directive, Element, Template};

use super::template::{self, Edges, PartAt};
use super::{parse_number, reference, take_simple_steps, text};
use crate::model::{Comment, Entry, Expr, ForExpr, Node, ParsedFile, Step, Value};
use crate::parse::Limits;
use crate::span::Span;

/// hcl-edit recurses once per nested bracket and stops at 64 levels, but at that depth it needs
/// about 700 KB of stack in a release build (2 MB unoptimised). Deeper brackets than this, counted
/// without regard to strings (so a regex in a string may send a file the slow way), leave the file
/// to tree-sitter, whose lowering is iterative where nesting is unbounded.
const MAX_BRACKET_DEPTH: usize = 32;

pub(super) fn lower(text: &str, limits: &Limits) -> Option<ParsedFile> {
    if !vouched_for(text) {
        return None;
    }
    let body = hcl_edit::parser::parse_body(text).ok()?;
    let mut fast = Fast { text, max_depth: limits.max_depth / 2, literals: Vec::new() };
    let mut entries = Vec::new();
    fast.body(&body, 0, &mut entries)?;
    drop(body);
    let comments = comments(text, &mut fast.literals)?;
    let whole = Span::new(0, text.len());
    Some(ParsedFile { docs: vec![Node::new(whole, Value::Map(entries))], comments, issues: Vec::new() })
}

/// Brackets no deeper than [`MAX_BRACKET_DEPTH`], and no NUL byte (which tree-sitter reads as
/// the end of the text, even inside a comment).
fn vouched_for(text: &str) -> bool {
    let mut depth = 0usize;
    for byte in text.bytes() {
        match byte {
            0 => return false,
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_BRACKET_DEPTH {
                    return false;
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    true
}

fn span_of(item: &impl hcl_edit::Span) -> Option<Span> {
    item.span().map(|r| Span::new(r.start, r.end))
}

fn range_of(item: &impl hcl_edit::Span) -> Option<(usize, usize)> {
    item.span().map(|r| (r.start, r.end))
}

struct Fast<'a> {
    text: &'a str,
    /// Deeper than this, the tree-sitter path (which reports the limit) takes the file.
    max_depth: usize,
    /// Byte ranges of string and template literal text, where `#` and `//` are no comment.
    literals: Vec<(usize, usize)>,
}

impl Fast<'_> {
    fn src(&self, span: Span) -> Option<&str> {
        self.text.get(span.range())
    }

    fn body(&mut self, body: &Body, depth: usize, out: &mut Vec<Entry>) -> Option<()> {
        for structure in body.iter() {
            match structure {
                Structure::Attribute(attr) => {
                    let value = self.expr(&attr.value, depth + 1)?;
                    let key = attr.key.value().as_str().to_string();
                    out.push(Entry { key, key_span: span_of(&attr.key)?, value });
                }
                Structure::Block(block) => self.block(block, depth, out)?,
            }
        }
        Some(())
    }

    /// `type "l1" "l2" { body }` → `type` → `l1` → `l2` → body, every map spanning the block.
    fn block(&mut self, block: &Block, depth: usize, out: &mut Vec<Entry>) -> Option<()> {
        if depth + 1 > self.max_depth {
            return None;
        }
        let span = span_of(block)?;
        let mut entries = Vec::new();
        self.body(&block.body, depth + 1, &mut entries)?;
        let mut value = Node::new(span, Value::Map(entries));
        for label in block.labels.iter().rev() {
            let key_span = span_of(label)?;
            let key = match label {
                BlockLabel::String(_) => {
                    self.literals.push((key_span.start as usize, key_span.end as usize));
                    self.quoted(key_span)?
                }
                BlockLabel::Ident(ident) => ident.value().as_str().to_string(),
            };
            value = Node::new(span, Value::Map(vec![Entry { key, key_span, value }]));
        }
        let key = block.ident.value().as_str().to_string();
        out.push(Entry { key, key_span: span_of(&block.ident)?, value });
        Some(())
    }

    /// The decoded text between the quotes of a string literal spanning `span`. hcl-edit takes a
    /// line break inside quotes, which tree-sitter-hcl (and Terraform) rejects.
    fn quoted(&self, span: Span) -> Option<String> {
        let raw = self.src(span).filter(|raw| !raw.contains('\n'))?;
        let inner = raw.strip_prefix('"')?.strip_suffix('"')?;
        Some(text::decode_quoted(inner))
    }

    /// `None` where tree-sitter-hcl reads the expression another way, so that both paths always
    /// give one answer: a namespaced function (`provider::p::f()`), a number the tree-sitter
    /// path cannot read, a traversal whose steps are spelled oddly.
    fn expr(&mut self, expr: &Expression, depth: usize) -> Option<Node> {
        if depth > self.max_depth {
            return None;
        }
        let span = span_of(expr)?;
        let value = match expr {
            Expression::Null(_) => Value::Null,
            Expression::Bool(b) => Value::Bool(*b.value()),
            // hcl-edit folds `-1` and `- 1` into the number.
            Expression::Number(_) => match self.src(span)?.strip_prefix('-') {
                Some(digits) => Value::Number(-parse_number(digits.trim_start())?),
                None => Value::Number(parse_number(self.src(span)?)?),
            },
            Expression::String(_) => {
                self.literals.push((span.start as usize, span.end as usize));
                Value::Str(self.quoted(span)?)
            }
            Expression::Array(array) => {
                let mut items = Vec::with_capacity(array.len());
                for item in array.iter() {
                    items.push(self.expr(item, depth + 1)?);
                }
                Value::List(items)
            }
            Expression::Object(object) => {
                let mut entries = Vec::with_capacity(object.len());
                for (key, value) in object.iter() {
                    let key_span = span_of(key)?;
                    let key_text = match key {
                        ObjectKey::Ident(ident) => ident.value().as_str().to_string(),
                        ObjectKey::Expression(Expression::String(_)) => {
                            self.literals.push((key_span.start as usize, key_span.end as usize));
                            self.quoted(key_span)?
                        }
                        ObjectKey::Expression(key) => {
                            // Lowered only for its literal ranges; the key is its source text.
                            self.expr(key, depth + 1)?;
                            self.src(key_span)?.to_string()
                        }
                    };
                    let value = self.expr(value.expr(), depth + 1)?;
                    entries.push(Entry { key: key_text, key_span, value });
                }
                Value::Map(entries)
            }
            Expression::StringTemplate(template) => {
                if self.src(span)?.contains('\n') {
                    return None;
                }
                let (start, end) = (span.start as usize + 1, (span.end as usize).checked_sub(1)?);
                let edges = Edges { span, trim_start: false, trim_end: false };
                return self.template(template, edges, (start, end), &[], depth, text::decode_quoted);
            }
            Expression::HeredocTemplate(heredoc) => {
                return self.heredoc(span, heredoc.delimiter.as_str(), &heredoc.template, depth);
            }
            Expression::Parenthesis(paren) => {
                // `((x))` is `x` spanning the outer parentheses, at one more level of depth.
                let mut inner = paren.inner();
                while let Expression::Parenthesis(p) = inner {
                    inner = p.inner();
                }
                let mut lowered = self.expr(inner, depth + 1)?;
                lowered.span = span;
                return Some(lowered);
            }
            Expression::Variable(name) => reference(vec![name.value().as_str().to_string()]),
            Expression::Conditional(cond) => {
                let cond_node = self.expr(&cond.cond_expr, depth + 1)?;
                let then = self.expr(&cond.true_expr, depth + 1)?;
                let otherwise = self.expr(&cond.false_expr, depth + 1)?;
                Value::Expr(Box::new(Expr::Conditional { cond: cond_node, then, otherwise }))
            }
            Expression::FuncCall(call) => {
                if call.name.is_namespaced() {
                    return None;
                }
                let mut args = Vec::with_capacity(call.args.len());
                for arg in call.args.iter() {
                    args.push(self.expr(arg, depth + 1)?);
                }
                let name = call.name.name.value().as_str().to_string();
                Value::Expr(Box::new(Expr::Call { name, args, expand: call.args.expand_final() }))
            }
            Expression::Traversal(traversal) => {
                return self.traversal(span, &traversal.expr, &traversal.operators, depth);
            }
            Expression::UnaryOp(op) if steps_on_a_value(&op.expr) => return None,
            Expression::BinaryOp(op) if steps_on_a_value(&op.lhs_expr) || steps_on_a_value(&op.rhs_expr) => {
                return None;
            }
            Expression::UnaryOp(op) => {
                let operand = self.operand(&op.expr, depth + 1)?;
                // `-1` is how Terraform spells a negative number: rules need its value. Only a
                // literal as written folds (`--1` is the tree-sitter path's `-(-1)` too).
                let literal = self.src(operand.span).is_some_and(|src| !src.starts_with('-'));
                if *op.operator.value() == UnaryOperator::Neg
                    && let Expression::Number(_) = op.expr
                    && literal
                    && let Some(n) = operand.as_number()
                {
                    Value::Number(-n)
                } else {
                    let op = op.operator.value().as_str().to_string();
                    Value::Expr(Box::new(Expr::Op { op, operands: vec![operand] }))
                }
            }
            Expression::BinaryOp(op) => {
                let lhs = self.operand(&op.lhs_expr, depth + 1)?;
                let rhs = self.operand(&op.rhs_expr, depth + 1)?;
                let op = op.operator.value().as_str().to_string();
                Value::Expr(Box::new(Expr::Op { op, operands: vec![lhs, rhs] }))
            }
            Expression::ForExpr(for_expr) => {
                let intro = &for_expr.intro;
                let lowered = ForExpr {
                    key_var: intro.key_var.as_ref().map(|k| k.value().as_str().to_string()),
                    value_var: intro.value_var.value().as_str().to_string(),
                    collection: self.expr(&intro.collection_expr, depth + 1)?,
                    key: match &for_expr.key_expr {
                        Some(key) => Some(self.expr(key, depth + 1)?),
                        None => None,
                    },
                    value: self.expr(&for_expr.value_expr, depth + 1)?,
                    cond: match &for_expr.cond {
                        Some(cond) => Some(self.expr(&cond.expr, depth + 1)?),
                        None => None,
                    },
                    group: for_expr.grouping,
                };
                Value::Expr(Box::new(Expr::For(Box::new(lowered))))
            }
        };
        Some(Node::new(span, value))
    }

    /// An operator's operand: tree-sitter-hcl makes the parentheses around it tokens of the
    /// operation, so the operand spans what is inside them.
    fn operand(&mut self, expr: &Expression, depth: usize) -> Option<Node> {
        match expr {
            Expression::Parenthesis(paren) => self.expr(paren.inner(), depth),
            _ => self.expr(expr, depth),
        }
    }

    /// `var.a.b[0]["k"]` → `["var", "a", "b", "[0]", "[\"k\"]"]`; from the first splat or computed
    /// index on, the steps go into an [`Expr::Traverse`]; steps on any other value (`f(x)[0]`,
    /// `(x).y`) are a [`Expr::Traverse`] on it.
    fn traversal(
        &mut self,
        span: Span,
        base: &Expression,
        operators: &[hcl_edit::Decorated<TraversalOperator>],
        depth: usize,
    ) -> Option<Node> {
        let mut starts = Vec::with_capacity(operators.len());
        for op in operators {
            starts.push(self.step_start(op)?);
        }
        let steps = self.steps(operators, &starts, depth)?;
        // Steps on a literal (`-0.e`, `"s".x`) are nonsense the two grammars read apart.
        if !matches!(
            base,
            Expression::Variable(_)
                | Expression::FuncCall(_)
                | Expression::Parenthesis(_)
                | Expression::Array(_)
                | Expression::Object(_)
                | Expression::ForExpr(_)
        ) {
            return None;
        }
        let Expression::Variable(name) = base else {
            let base = self.expr(base, depth + 1)?;
            return Some(Node::new(span, Value::Expr(Box::new(Expr::Traverse { base, steps }))));
        };
        let base_span = span_of(name)?;
        let mut parts = vec![name.value().as_str().to_string()];
        let steps = take_simple_steps(&mut parts, steps);
        if steps.is_empty() {
            return Some(Node::new(span, reference(parts)));
        }
        // The reference ends where the first step it does not hold begins (its `.` or `[`).
        let base_end = starts.get(parts.len() - 1).copied()?;
        let base = Node::new(Span::new(base_span.start as usize, base_end), reference(parts));
        Some(Node::new(span, Value::Expr(Box::new(Expr::Traverse { base, steps }))))
    }

    /// Where a traversal step starts: at its `.` or `[`.
    fn step_start(&self, op: &hcl_edit::Decorated<TraversalOperator>) -> Option<usize> {
        let start = range_of(op)?.0;
        matches!(self.text.as_bytes().get(start), Some(b'.' | b'[')).then_some(start)
    }

    /// hcl-edit lists splats as steps among the others; a full splat `[*]` applies every step
    /// after it (up to the next splat) to each element, the legacy `.*` only the attribute steps
    /// right after it.
    fn steps(
        &mut self,
        operators: &[hcl_edit::Decorated<TraversalOperator>],
        starts: &[usize],
        depth: usize,
    ) -> Option<Vec<Step>> {
        let mut out = Vec::with_capacity(operators.len());
        let mut i = 0;
        while let Some(op) = operators.get(i) {
            i += 1;
            let inside_splat: fn(&TraversalOperator) -> bool = match op.value() {
                TraversalOperator::FullSplat(_) => {
                    |op| !matches!(op, TraversalOperator::FullSplat(_) | TraversalOperator::AttrSplat(_))
                }
                TraversalOperator::AttrSplat(_) => |op| matches!(op, TraversalOperator::GetAttr(_)),
                other => {
                    out.push(self.step(other, *starts.get(i - 1)?, depth)?);
                    continue;
                }
            };
            let mut each = Vec::new();
            while let Some(next) = operators.get(i).filter(|n| inside_splat(n.value())) {
                each.push(self.step(next.value(), *starts.get(i)?, depth)?);
                i += 1;
            }
            out.push(Step::Splat(each));
        }
        Some(out)
    }

    fn step(&mut self, op: &TraversalOperator, start: usize, depth: usize) -> Option<Step> {
        Some(match op {
            TraversalOperator::GetAttr(name) => Step::Attr(name.value().as_str().to_string()),
            TraversalOperator::Index(expr) => Step::Index(self.expr(expr, depth + 1)?),
            TraversalOperator::LegacyIndex(index) => {
                let end = range_of(index)?.1;
                Step::Index(Node::new(Span::new(start, end), Value::Number(*index.value() as f64)))
            }
            TraversalOperator::FullSplat(_) | TraversalOperator::AttrSplat(_) => return None,
        })
    }

    /// `<<EOF` / `<<-EOF` heredocs: the content runs from the line after the opening marker to the
    /// start of the closing marker's line.
    fn heredoc(&mut self, span: Span, delimiter: &str, body: &Template, depth: usize) -> Option<Node> {
        let (node_start, node_end) = (span.start as usize, span.end as usize);
        let head = self.text.get(node_start..)?;
        let flush = head.starts_with("<<-");
        let after_marker = node_start + if flush { 3 } else { 2 } + delimiter.len();
        let start = self.text.get(after_marker..)?.find('\n').map(|i| after_marker + i + 1)?;
        let close = node_end.checked_sub(delimiter.len())?;
        let end = self.text.get(..close)?.rfind('\n').map_or(close, |i| i + 1).max(start);
        let cuts = if flush {
            let mut leaves = Vec::new();
            leaf_parts(body, &mut leaves)?;
            template::heredoc_cuts(self.text, start, end, &leaves)
        } else {
            Vec::new()
        };
        let edges = Edges { span, trim_start: false, trim_end: false };
        self.template(body, edges, (start, end), &cuts, depth, text::decode_heredoc)
    }

    /// A template's literal text between its interpolations and directives, see
    /// [`template::assemble`].
    fn template(
        &mut self,
        body: &Template,
        edges: Edges,
        range: (usize, usize),
        cuts: &[(usize, usize)],
        depth: usize,
        decode: fn(&str) -> String,
    ) -> Option<Node> {
        let mut parts: Vec<(&Element, PartAt)> = Vec::new();
        for element in body.iter() {
            let (start, end) = range_of(element)?;
            let (strips_left, strips_right) = match element {
                Element::Literal(_) => {
                    self.literals.push((start, end));
                    continue;
                }
                Element::Interpolation(interp) => (interp.strip.strip_start(), interp.strip.strip_end()),
                Element::Directive(directive) => match directive.as_ref() {
                    Directive::If(d) => (d.if_expr.strip.strip_start(), d.endif_expr.strip.strip_end()),
                    Directive::For(d) => (d.for_expr.strip.strip_start(), d.endfor_expr.strip.strip_end()),
                },
            };
            parts.push((element, PartAt { start, end, strips_left, strips_right }));
        }
        let mut failed = false;
        let text = self.text;
        let lower = |(element, at): &(&Element, PartAt)| match self
            .template_part(element, *at, cuts, depth, decode)
        {
            Some(node) => node,
            None => {
                failed = true;
                Node::new(Span::default(), Value::Null)
            }
        };
        let node = template::assemble(text, edges, range, &parts, |(_, at)| *at, cuts, decode, lower);
        (!failed).then_some(node)
    }

    /// `${ expr }` becomes the lowered expression; `%{ if c }a%{ else }b%{ endif }` is
    /// `c ? "a" : "b"` and `%{ for k, v in xs }body%{ endfor }` is `join("", [for k, v in xs :
    /// "body"])`, as in the tree-sitter lowering.
    fn template_part(
        &mut self,
        element: &Element,
        at: PartAt,
        cuts: &[(usize, usize)],
        depth: usize,
        decode: fn(&str) -> String,
    ) -> Option<Node> {
        if depth > self.max_depth {
            return None;
        }
        let span = Span::new(at.start, at.end);
        let directive = match element {
            Element::Literal(_) => return None,
            Element::Interpolation(interp) => return self.expr(&interp.expr, depth + 1),
            Element::Directive(directive) => directive.as_ref(),
        };
        match directive {
            Directive::If(d) => {
                let cond = self.expr(&d.if_expr.cond_expr, depth + 1)?;
                let (then_start, then_end) = range_of(&d.if_expr.template)?;
                let close_strips = match &d.else_expr {
                    Some(e) => e.strip.strip_start(),
                    None => d.endif_expr.strip.strip_start(),
                };
                let then_edges = Edges {
                    span: Span::new(then_start, then_end),
                    trim_start: d.if_expr.strip.strip_end(),
                    trim_end: close_strips,
                };
                let then = self.template(
                    &d.if_expr.template,
                    then_edges,
                    (then_start, then_end),
                    cuts,
                    depth + 1,
                    decode,
                )?;
                let otherwise = match &d.else_expr {
                    Some(e) => {
                        let (start, end) = range_of(&e.template)?;
                        let edges = Edges {
                            span: Span::new(start, end),
                            trim_start: e.strip.strip_end(),
                            trim_end: d.endif_expr.strip.strip_start(),
                        };
                        self.template(&e.template, edges, (start, end), cuts, depth + 1, decode)?
                    }
                    None => Node::new(Span::new(then_end, then_end), Value::Str(String::new())),
                };
                Some(Node::new(span, Value::Expr(Box::new(Expr::Conditional { cond, then, otherwise }))))
            }
            Directive::For(d) => {
                let f = &d.for_expr;
                let collection = self.expr(&f.collection_expr, depth + 1)?;
                let (start, end) = range_of(&f.template)?;
                let edges = Edges {
                    span: Span::new(start, end),
                    trim_start: f.strip.strip_end(),
                    trim_end: d.endfor_expr.strip.strip_start(),
                };
                let value = self.template(&f.template, edges, (start, end), cuts, depth + 1, decode)?;
                let each = ForExpr {
                    key_var: f.key_var.as_ref().map(|k| k.value().as_str().to_string()),
                    value_var: f.value_var.value().as_str().to_string(),
                    collection,
                    key: None,
                    value,
                    cond: None,
                    group: false,
                };
                let list = Node::new(span, Value::Expr(Box::new(Expr::For(Box::new(each)))));
                let separator = Node::new(Span::new(at.start, at.start), Value::Str(String::new()));
                let join = Expr::Call { name: "join".into(), args: vec![separator, list], expand: false };
                Some(Node::new(span, Value::Expr(Box::new(join))))
            }
        }
    }
}

/// Traversal steps on something other than a name (`f(x).y`, `1.q`). tree-sitter-hcl gives the
/// steps after an operand to the operation before them (`(a == f(x)).y`), and its lowering can
/// move them back only onto a name; otherwise it keeps the source text. An operand like this
/// (rare, and left or right: `a >= 1.q % b` groups it on the right of `%`) leaves the file to it.
fn steps_on_a_value(operand: &Expression) -> bool {
    matches!(operand, Expression::Traversal(t) if !matches!(t.expr, Expression::Variable(_)))
}

/// Every interpolation and directive marker of `body`, directive bodies opened up, in source
/// order (the parts a heredoc's indentation is measured around).
fn leaf_parts(body: &Template, out: &mut Vec<(usize, usize)>) -> Option<()> {
    for element in body.iter() {
        let (start, end) = range_of(element)?;
        let Element::Directive(directive) = element else {
            if !element.is_literal() {
                out.push((start, end));
            }
            continue;
        };
        // Markers are the stretches between the bodies: `%{ if c }`, `%{ else }`, `%{ endif }`.
        let bodies: Vec<&Template> = match directive.as_ref() {
            Directive::If(d) => std::iter::once(&d.if_expr.template)
                .chain(d.else_expr.as_ref().map(|e| &e.template))
                .collect(),
            Directive::For(d) => vec![&d.for_expr.template],
        };
        let mut at = start;
        for inner in bodies {
            let (inner_start, inner_end) = range_of(inner)?;
            out.push((at, inner_start));
            leaf_parts(inner, out)?;
            at = inner_end;
        }
        out.push((at, end));
    }
    Some(())
}

/// `#`, `//` and `/* */` comments: outside string literals, these characters start nothing else
/// in HCL. `None` (the tree-sitter path decides) for a `/*` that never closes, which hcl-edit
/// would have rejected already.
fn comments(text: &str, literals: &mut [(usize, usize)]) -> Option<Vec<Comment>> {
    literals.sort_unstable();
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut literal = literals.iter().peekable();
    let mut i = 0;
    while i < bytes.len() {
        while literal.peek().is_some_and(|&&(_, end)| end <= i) {
            literal.next();
        }
        if let Some(&&(start, end)) = literal.peek()
            && start <= i
        {
            i = end;
            continue;
        }
        let next = bytes.get(i + 1).copied();
        let end = match (bytes[i], next) {
            (b'#', _) | (b'/', Some(b'/')) => {
                let line_end = text.get(i..)?.find('\n').map_or(text.len(), |n| i + n);
                text.get(i..line_end)?.trim_end_matches('\r').len() + i
            }
            (b'/', Some(b'*')) => text.get(i + 2..)?.find("*/").map(|n| i + 2 + n + 2)?,
            _ => {
                i += 1;
                continue;
            }
        };
        out.push(Comment { span: Span::new(i, end), text: text.get(i..end)?.to_string() });
        i = end.max(i + 1);
    }
    Some(out)
}
