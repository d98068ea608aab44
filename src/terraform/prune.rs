//! Blocks that create nothing: a `resource`, `data` or `module` block whose `count` is known to be 0
//! or whose `for_each` is known to be empty, and a `dynamic` block whose `for_each` is known to be
//! empty. Terraform creates no instance of them, so rules must not see them.
//!
//! A `dynamic "x" { content { … } }` whose `for_each` is known not to be empty becomes one `x` block
//! with the content's body (spanning the `dynamic` block), analysed once: the attributes the iterator
//! gives (`x.value…`) stay unknown, while those set from variables and locals are known, so a
//! `dynamic "ingress"` toggled on by `for_each = var.open ? [1] : []` is checked like a literal one.
//! With an unknown `for_each` it stays `dynamic`: whether it creates any block is unknown.

use crate::model::{Entry, Node, Value};
use crate::span::Span;

/// `doc` without the blocks that create nothing (whose spans are added to `skipped`); `None` when
/// there is none.
pub(super) fn prune(doc: &Node, skipped: &mut Vec<Span>) -> Option<Node> {
    let mut edits = Vec::new();
    for (i, top) in doc.entries().iter().enumerate() {
        let pruned = match top.key.as_str() {
            "resource" | "data" => prune_labelled(&top.value, 2, skipped),
            "module" => prune_labelled(&top.value, 1, skipped),
            _ => None,
        };
        if let Some(pruned) = pruned {
            edits.push((i, vec![with_value(top, pruned)]));
        }
    }
    (!edits.is_empty()).then(|| doc.map_with(edits))
}

/// `entry` holding `value` instead of its own.
fn with_value(entry: &Entry, value: Node) -> Entry {
    Entry { key: entry.key.clone(), key_span: entry.key_span, value }
}

/// `node` holds `levels` levels of labels (`type` → `name` for resources) above block bodies.
fn prune_labelled(node: &Node, levels: usize, skipped: &mut Vec<Span>) -> Option<Node> {
    let Value::Map(entries) = &node.value else { return None };
    let mut edits = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        if levels > 1 {
            if let Some(inner) = prune_labelled(&entry.value, levels - 1, skipped) {
                edits.push((i, vec![with_value(entry, inner)]));
            }
            continue;
        }
        if creates_nothing(&entry.value) {
            skipped.push(entry.value.span);
            edits.push((i, Vec::new()));
            continue;
        }
        if let Some(body) = prune_dynamic(&entry.value, skipped, 0) {
            edits.push((i, vec![with_value(entry, body)]));
        }
    }
    (!edits.is_empty()).then(|| node.map_with(edits))
}

/// Whether a block body's `count` is 0 or its `for_each` empty.
fn creates_nothing(body: &Node) -> bool {
    let count_zero = body.get("count").and_then(Node::as_number) == Some(0.0);
    let empty_each = body.get("for_each").is_some_and(|v| match &v.value {
        Value::List(items) => items.is_empty(),
        Value::Map(entries) => entries.is_empty(),
        _ => false,
    });
    count_zero || empty_each
}

/// A block body without its `dynamic "x"` blocks whose `for_each` is known to be empty (nested
/// `dynamic` blocks included).
fn prune_dynamic(body: &Node, skipped: &mut Vec<Span>, depth: usize) -> Option<Node> {
    if depth > 32 {
        return None;
    }
    let Value::Map(entries) = &body.value else { return None };
    let mut edits = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        if entry.key == "dynamic" {
            // `dynamic "ingress" { … }` lowers to `dynamic` → `ingress` → body.
            let mut labels = Vec::new();
            for label in entry.value.entries() {
                if creates_nothing(&label.value) {
                    skipped.push(label.value.span);
                } else {
                    labels.push(label);
                }
            }
            let mut static_blocks = Vec::new();
            let mut left = Vec::new();
            for label in labels {
                match as_static_block(label) {
                    Some(block) => static_blocks.push(block),
                    None => left.push(label.clone()),
                }
            }
            if left.len() != entry.value.entries().len() {
                let mut replacement = Vec::new();
                if !left.is_empty() {
                    let value = Node {
                        span: entry.value.span,
                        value: Value::Map(left),
                        tag: entry.value.tag.clone(),
                    };
                    replacement.push(with_value(entry, value));
                }
                for block in static_blocks {
                    match prune_dynamic(&block.value, skipped, depth + 1) {
                        Some(inner) => replacement.push(Entry { value: inner, ..block }),
                        None => replacement.push(block),
                    }
                }
                edits.push((i, replacement));
                continue;
            }
        }
        if let Value::Map(_) = entry.value.value
            && let Some(inner) = prune_dynamic(&entry.value, skipped, depth + 1)
        {
            edits.push((i, vec![with_value(entry, inner)]));
        }
    }
    (!edits.is_empty()).then(|| body.map_with(edits))
}

/// `x` → `{ for_each = …, content { body } }` (one label of a `dynamic` block) as the block `x` with
/// `body`, spanning the whole `dynamic` block; `None` unless `for_each` is known to hold something
/// and there is exactly one `content` block.
fn as_static_block(label: &Entry) -> Option<Entry> {
    let creates_some = label.value.get("for_each").is_some_and(|v| match &v.value {
        Value::List(items) => !items.is_empty(),
        Value::Map(entries) => !entries.is_empty(),
        _ => false,
    });
    if !creates_some {
        return None;
    }
    let mut contents = label.value.entries().iter().filter(|e| e.key == "content");
    let (Some(content), None) = (contents.next(), contents.next()) else { return None };
    if !matches!(content.value.value, Value::Map(_)) {
        return None;
    }
    let body = Node { span: label.value.span, ..content.value.clone() };
    Some(Entry { key: label.key.clone(), key_span: label.key_span, value: body })
}
