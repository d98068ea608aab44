//! IAM policy documents written inside a string — `jsonencode({ … })`, a heredoc of JSON (with or
//! without `${…}`), or a JSON string from a variable or local — decoded into the model so rules can
//! check their statements.
//!
//! The decoded document keeps the spans of the text the user wrote: a `jsonencode` argument keeps its
//! own nodes, and JSON inside a string or heredoc points at its line in the heredoc. Parts that cannot
//! be known (`${aws_s3_bucket.b.arn}`) stay unknown. A `Statement` list becomes one `Statement` entry
//! per statement, the way repeated blocks are lowered, so `policy.Statement` reaches each statement
//! the way `statement` reaches each block of a `data "aws_iam_policy_document"`.

use super::eval::{Ctx, Origin};
use crate::model::{Entry, Expr, Node, Value};
use crate::parse::Limits;
use crate::span::Span;

/// Marks where an unknown `${…}` sat in the JSON text handed to the parser.
const HOLE_START: char = '\u{E000}';
const HOLE_END: char = '\u{E001}';
/// Farthest an aligned byte is looked for ahead in the source (escapes, heredoc indentation).
const ALIGN_WINDOW: usize = 32;

/// Attributes of AWS resources that hold a policy document as JSON text.
pub(super) fn is_policy_attribute(key: &str) -> bool {
    matches!(key, "policy" | "assume_role_policy" | "access_policies" | "access_policy" | "policy_document")
}

/// The policy document `node` (an attribute's value) holds, or `None` when it is not a JSON policy
/// document (or cannot be read).
pub(super) fn decode(
    ctx: &mut Ctx<'_>,
    node: &Node,
    depth: usize,
    origins: &mut Vec<(Span, Origin)>,
) -> Option<Node> {
    let decoded = match &node.value {
        Value::Str(s) => from_pieces(&[Piece::Literal(s, node.span)], ctx.text)?,
        Value::Expr(expr) => match expr.as_ref() {
            Expr::Call { name, args, expand: false } if name == "jsonencode" && args.len() == 1 => {
                let arg = args.first()?;
                let mut copy = None;
                ctx.replace_in(arg, &mut copy, depth + 1, origins);
                copy.unwrap_or_else(|| arg.clone())
            }
            Expr::Template(parts) => {
                let mut pieces = Vec::with_capacity(parts.len());
                for part in parts {
                    pieces.push(match (&part.value, ctx.eval(part, 0).ok().map(|v| v.value)) {
                        (Value::Str(s), _) => Piece::Literal(s, part.span),
                        (_, Some(Value::Str(s))) => Piece::Known(s, part.span),
                        (_, Some(v @ (Value::Number(_) | Value::Bool(_)))) => {
                            Piece::Known(Node::new(part.span, v).scalar_text()?, part.span)
                        }
                        _ => Piece::Unknown(part),
                    });
                }
                from_pieces(&pieces, ctx.text)?
            }
            _ => {
                ctx.take_origin();
                let value = ctx.eval(node, 0).ok()?;
                let Value::Str(s) = &value.value else { return None };
                let mut doc = from_pieces(&[Piece::Known(s.clone(), node.span)], "")?;
                super::eval::respan(&mut doc, node.span);
                if let Some(origin) = ctx.take_origin() {
                    origins.push((node.span, origin));
                }
                doc
            }
        },
        _ => return None,
    };
    decoded.get("Statement")?;
    Some(statements_as_entries(decoded))
}

enum Piece<'n> {
    /// Text written in the source at this span (decoded: escapes and heredoc indentation removed).
    Literal(&'n str, Span),
    /// A value computed from the expression at this span.
    Known(String, Span),
    /// An expression whose value is unknown.
    Unknown(&'n Node),
}

/// Parses the JSON the pieces spell, mapping every node back to the source.
fn from_pieces(pieces: &[Piece<'_>], source: &str) -> Option<Node> {
    let mut json = String::new();
    let mut offsets: Vec<u32> = Vec::new();
    let mut holes: Vec<&Node> = Vec::new();
    let mut quotes = QuoteState::default();
    for piece in pieces {
        match piece {
            Piece::Literal(text, span) => {
                let written = source.get(span.range()).unwrap_or("");
                offsets.extend(align(text, written, span.start));
                json.push_str(text);
                quotes.feed(text);
            }
            Piece::Known(text, span) => {
                offsets.extend(std::iter::repeat_n(span.start, text.len()));
                json.push_str(text);
                quotes.feed(text);
            }
            Piece::Unknown(node) => {
                let hole = if quotes.inside {
                    format!("{HOLE_START}{}{HOLE_END}", holes.len())
                } else {
                    format!("\"{HOLE_START}{}{HOLE_END}\"", holes.len())
                };
                offsets.extend(std::iter::repeat_n(node.span.start, hole.len()));
                json.push_str(&hole);
                holes.push(node);
            }
        }
    }
    if !json.trim_start().starts_with('{') {
        return None;
    }
    let parsed = crate::parse::yaml::parse(&json, &Limits::default());
    if !parsed.issues.is_empty() {
        return None;
    }
    let [doc] = <[Node; 1]>::try_from(parsed.docs).ok()?;
    let mut doc = doc;
    remap(&mut doc, &offsets, &holes, 0);
    Some(doc)
}

/// Whether the JSON text so far ends inside a string.
#[derive(Default)]
struct QuoteState {
    inside: bool,
    escaped: bool,
}

impl QuoteState {
    fn feed(&mut self, text: &str) {
        for c in text.chars() {
            match (self.inside, self.escaped, c) {
                (true, true, _) => self.escaped = false,
                (true, false, '\\') => self.escaped = true,
                (true, false, '"') => self.inside = false,
                (false, _, '"') => self.inside = true,
                _ => {}
            }
        }
    }
}

/// The source offset of each byte of `value`, which `written` (at `base`) spells with escapes,
/// quotes, a heredoc marker or indentation around it: a greedy match of `value` as a subsequence
/// of `written`, never past its end.
fn align(value: &str, written: &str, base: u32) -> Vec<u32> {
    let src = written.as_bytes();
    let mut j = if written.starts_with("<<") {
        written.find('\n').map_or(0, |i| i + 1)
    } else {
        usize::from(written.starts_with('"'))
    };
    let mut out = Vec::with_capacity(value.len());
    for &b in value.as_bytes() {
        let end = src.len().min(j + ALIGN_WINDOW);
        match src.get(j..end).and_then(|w| w.iter().position(|&c| c == b)) {
            Some(k) => {
                out.push(base + (j + k) as u32);
                j += k + 1;
            }
            None => out.push(base + j.min(src.len().saturating_sub(1)) as u32),
        }
    }
    out
}

/// Moves every span of `node` (offsets into the JSON text) to the source, and puts the unknown
/// expressions back where their holes are.
fn remap(node: &mut Node, offsets: &[u32], holes: &[&Node], depth: usize) {
    let at = |i: u32| offsets.get(i as usize).copied();
    let span_of = |s: Span| match (at(s.start), s.end.checked_sub(1).and_then(at)) {
        (Some(a), Some(b)) if b >= a => Span::new(a as usize, b as usize + 1),
        (Some(a), _) => Span::new(a as usize, a as usize),
        _ => Span::default(),
    };
    node.span = span_of(node.span);
    if depth > 128 {
        return;
    }
    match &mut node.value {
        Value::Str(s) if s.contains(HOLE_START) => {
            let whole = s.strip_prefix(HOLE_START).and_then(|r| r.strip_suffix(HOLE_END));
            match whole.and_then(|n| n.parse::<usize>().ok()).and_then(|i| holes.get(i)) {
                Some(expr) => *node = (*expr).clone(),
                None => {
                    let text = s.clone();
                    node.value = Value::Expr(Box::new(Expr::Other(text)));
                }
            }
        }
        Value::List(items) => items.iter_mut().for_each(|n| remap(n, offsets, holes, depth + 1)),
        Value::Map(entries) => entries.iter_mut().for_each(|e| {
            e.key_span = span_of(e.key_span);
            remap(&mut e.value, offsets, holes, depth + 1)
        }),
        _ => {}
    }
}

/// `Statement = [a, b]` → two `Statement` entries (a single statement object stays one entry).
fn statements_as_entries(doc: Node) -> Node {
    let Value::Map(entries) = doc.value else { return doc };
    let mut out = Vec::with_capacity(entries.len());
    for e in entries {
        match e.value.value {
            Value::List(items) if e.key == "Statement" => out.extend(items.into_iter().map(|value| Entry {
                key: e.key.clone(),
                key_span: e.key_span,
                value,
            })),
            value => out.push(Entry { value: Node { value, ..e.value }, ..e }),
        }
    }
    Node { value: Value::Map(out), ..doc }
}
