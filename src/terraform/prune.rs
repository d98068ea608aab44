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
    let mut copy: Option<Node> = None;
    for (i, top) in doc.entries().iter().enumerate() {
        let kind = top.key.as_str();
        let Some(pruned) = (match kind {
            "resource" | "data" => prune_labelled(&top.value, 2, skipped),
            "module" => prune_labelled(&top.value, 1, skipped),
            _ => None,
        }) else {
            continue;
        };
        let target = copy.get_or_insert_with(|| doc.clone());
        if let Value::Map(entries) = &mut target.value
            && let Some(slot) = entries.get_mut(i)
        {
            slot.value = pruned;
        }
    }
    copy
}

/// `node` holds `levels` levels of labels (`type` → `name` for resources) above block bodies.
fn prune_labelled(node: &Node, levels: usize, skipped: &mut Vec<Span>) -> Option<Node> {
    let Value::Map(entries) = &node.value else { return None };
    let mut changed = false;
    let mut kept: Vec<Entry> = Vec::with_capacity(entries.len());
    for entry in entries {
        if levels > 1 {
            match prune_labelled(&entry.value, levels - 1, skipped) {
                Some(inner) => {
                    changed = true;
                    kept.push(Entry { value: inner, ..entry.clone() });
                }
                None => kept.push(entry.clone()),
            }
            continue;
        }
        if creates_nothing(&entry.value) {
            skipped.push(entry.value.span);
            changed = true;
            continue;
        }
        match prune_dynamic(&entry.value, skipped, 0) {
            Some(body) => {
                changed = true;
                kept.push(Entry { value: body, ..entry.clone() });
            }
            None => kept.push(entry.clone()),
        }
    }
    changed.then(|| Node { value: Value::Map(kept), ..node.clone() })
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
    let mut changed = false;
    let mut kept = Vec::with_capacity(entries.len());
    for entry in entries {
        if entry.key == "dynamic" {
            // `dynamic "ingress" { … }` lowers to `dynamic` → `ingress` → body.
            let mut labels = Vec::new();
            for label in entry.value.entries() {
                if creates_nothing(&label.value) {
                    skipped.push(label.value.span);
                    changed = true;
                } else {
                    labels.push(label.clone());
                }
            }
            let mut static_blocks = Vec::new();
            let mut left = Vec::new();
            for label in labels {
                match as_static_block(&label) {
                    Some(block) => static_blocks.push(block),
                    None => left.push(label),
                }
            }
            if left.len() != entry.value.entries().len() {
                changed = true;
                if !left.is_empty() {
                    kept.push(Entry {
                        value: Node { value: Value::Map(left), ..entry.value.clone() },
                        ..entry.clone()
                    });
                }
                for block in static_blocks {
                    match prune_dynamic(&block.value, skipped, depth + 1) {
                        Some(inner) => kept.push(Entry { value: inner, ..block }),
                        None => kept.push(block),
                    }
                }
                continue;
            }
        }
        match entry.value.value {
            Value::Map(_) => match prune_dynamic(&entry.value, skipped, depth + 1) {
                Some(inner) => {
                    changed = true;
                    kept.push(Entry { value: inner, ..entry.clone() });
                }
                None => kept.push(entry.clone()),
            },
            _ => kept.push(entry.clone()),
        }
    }
    changed.then(|| Node { value: Value::Map(kept), ..body.clone() })
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
