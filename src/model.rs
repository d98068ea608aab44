//! The format-neutral document model that rules query.
//!
//! YAML documents, Terraform files (`.tf` and `.tf.json`) and every later format lower into the same
//! tree of maps, lists and scalars. Every node keeps the byte span of the text it came from, so a finding
//! can point at the exact key, attribute or value the user wrote.
//!
//! Terraform is lowered the way its JSON syntax spells it: a block `resource "aws_s3_bucket" "b" { … }`
//! becomes the entry `resource` → `aws_s3_bucket` → `b` → body. Blocks are not merged: two `ingress`
//! blocks are two entries with the key `ingress` in the same map, which keeps each one's span. Values
//! that cannot be known without evaluation (references, function calls, interpolated templates) are
//! [`Value::Expr`] nodes: rules treat them as unknown and never fire on them.

use crate::span::Span;

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub span: Span,
    pub value: Value,
    /// An explicit YAML tag such as `!reference` (without its `!`-prefix expansion). Few nodes have
    /// one: boxed once more, it keeps every node 8 bytes smaller (48, not 56).
    pub tag: Option<Box<Tag>>,
}

/// A node's tag as written (see [`Node::tag`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Tag(Box<str>);

impl From<&str> for Box<Tag> {
    fn from(tag: &str) -> Box<Tag> {
        Box::new(Tag(tag.into()))
    }
}

impl From<Box<str>> for Box<Tag> {
    fn from(tag: Box<str>) -> Box<Tag> {
        Box::new(Tag(tag))
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Number(f64),
    Str(String),
    List(Vec<Node>),
    /// Entries in source order. Keys may repeat (Terraform blocks of the same type).
    Map(Vec<Entry>),
    /// A value that is not a literal: it stays unknown until an evaluator can say more.
    Expr(Box<Expr>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub key: String,
    pub key_span: Span,
    pub value: Node,
}

impl Entry {
    /// Whether this entry's key is `key`. Keys of one length often differ in their first byte
    /// (`name`, `kind`, `spec`): that byte is compared before the call to compare them all.
    #[inline]
    pub fn has_key(&self, key: &str) -> bool {
        let (a, b) = (self.key.as_bytes(), key.as_bytes());
        a.len() == b.len() && a.first() == b.first() && a == b
    }

    /// From the key to the end of the value: what a suppression on the line above covers.
    pub fn span(&self) -> Span {
        self.key_span.cover(self.value.span)
    }
}

/// A Terraform expression (or a `${…}` string in `.tf.json`) that is not a plain literal.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// `var.name`, `local.x`, `aws_s3_bucket.logs.id`, `data.aws_iam_policy_document.p.json`:
    /// the traversal's names in order; literal index steps are kept as `[0]` or `["k"]`. A traversal
    /// with a splat or a computed index is a [`Expr::Traverse`] on the reference before it.
    Reference(Vec<String>),
    /// `name(args…)`; `expand`: the last argument is spread (`concat(local.lists...)`).
    Call { name: String, args: Vec<Node>, expand: bool },
    /// A string with interpolations: literal parts are `Str` nodes, the rest are expressions.
    Template(Vec<Node>),
    /// `cond ? then : otherwise`.
    Conditional { cond: Node, then: Node, otherwise: Node },
    /// A unary (`!x`, `-x`: one operand) or binary operator (`a == b`, `a && b`: two operands).
    Op { op: String, operands: Vec<Node> },
    /// `[for k, v in coll : value if cond]` or `{ for k, v in coll : key => value... if cond }`.
    For(Box<ForExpr>),
    /// Steps on a value that is not a plain reference (`f(x)[0]`, `{ a = 1 }.a`, `(x).y`), or a
    /// traversal with a splat or a computed index (`aws_instance.web[*].id`, `var.m[var.k]`).
    Traverse { base: Node, steps: Vec<Step> },
    /// Anything else (template directives, broken or cut expressions), kept as source text.
    Other(String),
}

/// A `for` expression. `key` is set for the object form; `group` is its `...` (values with the same
/// key are collected into lists).
#[derive(Clone, Debug, PartialEq)]
pub struct ForExpr {
    pub key_var: Option<String>,
    pub value_var: String,
    pub collection: Node,
    pub key: Option<Node>,
    pub value: Node,
    pub cond: Option<Node>,
    pub group: bool,
}

/// One step of an [`Expr::Traverse`].
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// `.name`
    Attr(String),
    /// `[expr]` (and the legacy `.0`)
    Index(Node),
    /// `[*]…` / `.*…`: the steps inside are applied to every element.
    Splat(Vec<Step>),
}

impl Step {
    /// Calls `f` on the index expressions in this step.
    pub fn walk<'a>(&'a self, f: &mut impl FnMut(&'a Node)) {
        match self {
            Step::Attr(_) => {}
            Step::Index(n) => n.walk(f),
            Step::Splat(steps) => steps.iter().for_each(|s| s.walk(f)),
        }
    }
}

impl Node {
    pub fn new(span: Span, value: Value) -> Node {
        Node { span, value, tag: None }
    }

    /// The node's YAML tag (`!reference`), if it has one.
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref().map(|t| &*t.0)
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.value {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    pub fn as_number(&self) -> Option<f64> {
        match self.value {
            Value::Number(n) => Some(n),
            _ => None,
        }
    }

    pub fn entries(&self) -> &[Entry] {
        match &self.value {
            Value::Map(entries) => entries,
            _ => &[],
        }
    }

    pub fn items(&self) -> &[Node] {
        match &self.value {
            Value::List(items) => items,
            _ => &[],
        }
    }

    /// The first value under `key` in a map.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entries().iter().find(|e| e.has_key(key)).map(|e| &e.value)
    }

    /// The name and the value node of a `{name: …, value: …}` entry: a Kubernetes or ECS environment
    /// variable, a database `parameter` block. Readers know the value by that name (`DB_PASSWORD`).
    pub fn named_value(&self) -> Option<(&str, &Node)> {
        Some((self.get("name")?.as_str()?, self.get("value")?))
    }

    /// A string, number, boolean or null: no key, item or unknown value at or below it.
    pub fn is_plain_scalar(&self) -> bool {
        matches!(self.value, Value::Str(_) | Value::Number(_) | Value::Bool(_) | Value::Null)
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self.value, Value::Expr(_))
    }

    /// A scalar rendered as text (`true`, `80`, `name`), for messages and string operators.
    pub fn scalar_text(&self) -> Option<String> {
        match &self.value {
            Value::Str(s) => Some(s.clone()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Number(n) => Some(format_number(*n)),
            Value::Null => Some("null".to_string()),
            _ => None,
        }
    }

    /// [`Node::scalar_text`] without a copy of a string's text: rules test the text of nearly every
    /// scalar they reach.
    pub fn scalar_str(&self) -> Option<std::borrow::Cow<'_, str>> {
        use std::borrow::Cow;
        match &self.value {
            Value::Str(s) => Some(Cow::Borrowed(s)),
            Value::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
            Value::Null => Some(Cow::Borrowed("null")),
            _ => self.scalar_text().map(Cow::Owned),
        }
    }

    /// Calls `f` on this node and every node below it, depth first, in source order.
    pub fn walk<'a>(&'a self, f: &mut impl FnMut(&'a Node)) {
        f(self);
        match &self.value {
            Value::List(items) => items.iter().for_each(|n| n.walk(f)),
            Value::Map(entries) => entries.iter().for_each(|e| e.value.walk(f)),
            Value::Expr(expr) => match expr.as_ref() {
                Expr::Call { args, .. } => args.iter().for_each(|n| n.walk(f)),
                Expr::Template(parts) => parts.iter().for_each(|n| n.walk(f)),
                Expr::Conditional { cond, then, otherwise } => {
                    [cond, then, otherwise].into_iter().for_each(|n| n.walk(f))
                }
                Expr::Op { operands, .. } => operands.iter().for_each(|n| n.walk(f)),
                Expr::For(e) => {
                    e.collection.walk(f);
                    [&e.key, &e.cond].into_iter().flatten().for_each(|n| n.walk(f));
                    e.value.walk(f);
                }
                Expr::Traverse { base, steps } => {
                    base.walk(f);
                    steps.iter().for_each(|s| s.walk(f));
                }
                Expr::Reference(_) | Expr::Other(_) => {}
            },
            _ => {}
        }
    }

    /// Gives this node and every node below it (inside expressions too) `span`: for values parsed
    /// from text that is not the file's (a template read from a string), which can only point at
    /// the string as a whole.
    pub fn set_span_deep(&mut self, span: Span) {
        self.map_spans_deep(|_| span);
    }

    /// A copy of this map with the entries at the indices in `edits` (ascending) replaced by the
    /// entries given for them (none: the entry is dropped). Unchanged entries are cloned once and
    /// replaced ones not at all: cloning the whole map first, then overwriting, copied every
    /// changed subtree once per level above it.
    pub fn map_with(&self, edits: Vec<(usize, Vec<Entry>)>) -> Node {
        let entries = self.entries();
        let mut out = Vec::with_capacity(entries.len());
        let mut edits = edits.into_iter().peekable();
        for (i, entry) in entries.iter().enumerate() {
            match edits.next_if(|(at, _)| *at == i) {
                Some((_, replacement)) => out.extend(replacement),
                None => out.push(entry.clone()),
            }
        }
        Node { span: self.span, value: Value::Map(out), tag: self.tag.clone() }
    }

    /// [`Node::map_with`] for a list: the items at the indices in `edits` (ascending) replaced.
    pub fn list_with(&self, edits: Vec<(usize, Node)>) -> Node {
        let mut edits = edits.into_iter().peekable();
        let items = self
            .items()
            .iter()
            .enumerate()
            .map(|(i, item)| edits.next_if(|(at, _)| *at == i).map_or_else(|| item.clone(), |(_, n)| n))
            .collect();
        Node { span: self.span, value: Value::List(items), tag: self.tag.clone() }
    }

    /// Moves every span at or below this node (inside expressions too) `by` bytes later: for a
    /// node parsed from a slice of a file.
    pub fn shift(&mut self, by: usize) {
        self.map_spans_deep(|s| Span::new(s.start as usize + by, s.end as usize + by));
    }

    /// Replaces every span at or below this node, keys' spans included, with `f` of it.
    pub fn map_spans_deep(&mut self, mut f: impl FnMut(Span) -> Span) {
        let mut stack = vec![self];
        while let Some(n) = stack.pop() {
            n.span = f(n.span);
            match &mut n.value {
                Value::List(items) => stack.extend(items.iter_mut()),
                Value::Map(entries) => stack.extend(entries.iter_mut().map(|e| {
                    e.key_span = f(e.key_span);
                    &mut e.value
                })),
                Value::Expr(expr) => match expr.as_mut() {
                    Expr::Call { args, .. } => stack.extend(args.iter_mut()),
                    Expr::Template(parts) => stack.extend(parts.iter_mut()),
                    Expr::Conditional { cond, then, otherwise } => stack.extend([cond, then, otherwise]),
                    Expr::Op { operands, .. } => stack.extend(operands.iter_mut()),
                    Expr::For(e) => {
                        let ForExpr { collection, key, value, cond, .. } = e.as_mut();
                        stack.push(collection);
                        stack.push(value);
                        stack.extend(key.iter_mut().chain(cond.iter_mut()));
                    }
                    Expr::Traverse { base, steps } => {
                        stack.push(base);
                        let mut pending: Vec<&mut Step> = steps.iter_mut().collect();
                        while let Some(step) = pending.pop() {
                            match step {
                                Step::Index(n) => stack.push(n),
                                Step::Splat(inner) => pending.extend(inner.iter_mut()),
                                Step::Attr(_) => {}
                            }
                        }
                    }
                    Expr::Reference(_) | Expr::Other(_) => {}
                },
                _ => {}
            }
        }
    }

    /// Calls `f` on every map entry at or below this node, depth first, in source order.
    pub fn walk_entries<'a>(&'a self, f: &mut impl FnMut(&'a Entry)) {
        match &self.value {
            Value::List(items) => items.iter().for_each(|n| n.walk_entries(f)),
            Value::Map(entries) => entries.iter().for_each(|e| {
                f(e);
                e.value.walk_entries(f);
            }),
            _ => {}
        }
    }
}

/// Prints a number the way it was most likely written: integers without a fraction.
pub fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 { format!("{}", n as i64) } else { format!("{n}") }
}

/// A comment in the source, with its marker (`#`, `//`, `/*`) included in `text`.
#[derive(Clone, Debug, PartialEq)]
pub struct Comment {
    pub span: Span,
    pub text: String,
}

/// Something the parser could not make sense of, or a limit it hit.
#[derive(Clone, Debug, PartialEq)]
pub struct ParseIssue {
    pub span: Span,
    pub message: String,
    pub kind: ParseIssueKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParseIssueKind {
    /// The text is not valid in its language; the rest of the file was still lowered.
    Syntax,
    /// A safety limit (alias expansion, nesting depth) cut lowering short here.
    Limit,
}

/// What parsing and lowering one file produced.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ParsedFile {
    /// One root per document (YAML streams hold several; everything else holds one).
    pub docs: Vec<Node>,
    pub comments: Vec<Comment>,
    pub issues: Vec<ParseIssue>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every value of every file is a node: the tag (rare) must not make them all larger.
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn nodes_stay_small() {
        assert_eq!(std::mem::size_of::<Node>(), 48);
        assert_eq!(std::mem::size_of::<Entry>(), 80);
        let mut node = Node::new(Span::default(), Value::Null);
        assert_eq!(node.tag(), None);
        node.tag = Some("!reference".into());
        assert_eq!(node.tag(), Some("!reference"));
    }

    #[test]
    fn keys_compare_whole() {
        let entry = |key: &str| Entry {
            key: key.into(),
            key_span: Span::default(),
            value: Node::new(Span::default(), Value::Null),
        };
        assert!(entry("name").has_key("name"));
        assert!(!entry("name").has_key("kind"), "same length, first byte differs");
        assert!(!entry("name").has_key("nama"), "same length and first byte, last differs");
        assert!(!entry("name").has_key("names"));
        assert!(!entry("name").has_key(""));
        assert!(entry("").has_key(""));
        assert!(entry("é").has_key("é") && !entry("é").has_key("è"));
    }
}
