//! GitLab's merge semantics: deep merge of maps (lists and scalars replaced), `extends`, `default:`
//! and `!reference`.

use super::{Job, is_job_key};
use crate::model::{Entry, Node, Value};
use std::collections::HashSet;

/// GitLab allows 11 levels of `extends` and 10 of nested `!reference`.
const MAX_EXTENDS_DEPTH: usize = 11;
const MAX_REFERENCE_DEPTH: usize = 10;

/// Keywords `default:` (and their deprecated top-level forms) give jobs that do not set them.
const DEFAULT_KEYS: &[&str] = &[
    "after_script",
    "artifacts",
    "before_script",
    "cache",
    "hooks",
    "id_tokens",
    "image",
    "interruptible",
    "retry",
    "services",
    "tags",
    "timeout",
];
const LEGACY_GLOBAL_DEFAULTS: &[&str] = &["image", "services", "cache", "before_script", "after_script"];

/// Merges `over` into `base`: map entries merge key by key, recursively; anything else replaces.
pub fn deep_merge(base: &mut Node, over: &Node) {
    let (Value::Map(dst), Value::Map(src)) = (&mut base.value, &over.value) else {
        *base = over.clone();
        return;
    };
    for e in src {
        match dst.iter_mut().find(|d| d.key == e.key) {
            Some(d) if matches!(e.value.value, Value::Map(_)) && matches!(d.value.value, Value::Map(_)) => {
                deep_merge(&mut d.value, &e.value);
                d.key_span = e.key_span;
            }
            Some(d) => *d = e.clone(),
            None => dst.push(e.clone()),
        }
    }
}

/// [`deep_merge`] of a node the caller owns: its entries move instead of being copied.
pub fn deep_merge_owned(base: &mut Node, over: Node) {
    let (Value::Map(dst), Value::Map(_)) = (&mut base.value, &over.value) else {
        *base = over;
        return;
    };
    let Value::Map(src) = over.value else { return };
    for e in src {
        match dst.iter_mut().find(|d| d.key == e.key) {
            Some(d) if matches!(e.value.value, Value::Map(_)) && matches!(d.value.value, Value::Map(_)) => {
                d.key_span = e.key_span;
                deep_merge_owned(&mut d.value, e.value);
            }
            Some(d) => *d = e,
            None => dst.push(e),
        }
    }
}

/// The visible jobs of a merged config, fully resolved, in source order.
pub fn jobs(config: &Node) -> Vec<Job> {
    let default = default_map(config);
    let mut out = Vec::new();
    for e in config.entries() {
        if e.key.starts_with('.') || !is_job_key(&e.key, &e.value) {
            continue;
        }
        let mut node = resolve_extends(config, &e.key, &e.value, &mut HashSet::new(), 0);
        apply_default(&mut node, &default);
        resolve_references(config, &mut node, 0);
        out.push(Job { name: e.key.clone(), name_span: e.key_span, node });
    }
    out
}

/// `default:` merged over the deprecated top-level keywords.
fn default_map(config: &Node) -> Vec<Entry> {
    let mut entries: Vec<Entry> = config
        .entries()
        .iter()
        .filter(|e| LEGACY_GLOBAL_DEFAULTS.contains(&e.key.as_str()))
        .cloned()
        .collect();
    if let Some(d) = config.get("default") {
        for e in d.entries().iter().filter(|e| DEFAULT_KEYS.contains(&e.key.as_str())) {
            entries.retain(|x| x.key != e.key);
            entries.push(e.clone());
        }
    }
    entries
}

fn resolve_extends(config: &Node, name: &str, job: &Node, seen: &mut HashSet<String>, depth: usize) -> Node {
    let parents: Vec<&str> = match job.get("extends") {
        Some(n) if n.as_str().is_some() => n.as_str().into_iter().collect(),
        Some(n) => n.items().iter().filter_map(Node::as_str).collect(),
        None => Vec::new(),
    };
    if parents.is_empty() || depth >= MAX_EXTENDS_DEPTH || !seen.insert(name.to_string()) {
        return job.clone();
    }
    let mut merged = Node::new(job.span, Value::Map(Vec::new()));
    for p in parents {
        if seen.contains(p) {
            continue; // a cycle: GitLab rejects it; we stop following it
        }
        let Some(parent) = config.get(p) else { continue };
        let resolved = resolve_extends(config, p, parent, seen, depth + 1);
        deep_merge_owned(&mut merged, resolved);
    }
    seen.remove(name);
    deep_merge(&mut merged, job);
    merged.span = job.span;
    merged
}

fn apply_default(job: &mut Node, default: &[Entry]) {
    // `inherit: {default: false}` or a list of the keywords to inherit.
    let inherit = job.get("inherit").and_then(|i| i.get("default")).cloned();
    let Value::Map(entries) = &mut job.value else { return };
    for d in default {
        let allowed = match &inherit {
            Some(n) if n.as_bool() == Some(false) => false,
            Some(n) if matches!(n.value, Value::List(_)) => {
                n.items().iter().any(|i| i.as_str() == Some(&d.key))
            }
            _ => true,
        };
        if allowed && !entries.iter().any(|e| e.key == d.key) {
            entries.push(d.clone());
        }
    }
}

/// Replaces `!reference [job, key, …]` nodes by the node they point at.
fn resolve_references(config: &Node, node: &mut Node, depth: usize) {
    if depth > MAX_REFERENCE_DEPTH {
        return;
    }
    if node.tag() == Some("!reference") {
        let path: Option<Vec<&str>> = node.items().iter().map(Node::as_str).collect();
        let target = path.and_then(|p| lookup(config, &p));
        if let Some(mut t) = target {
            resolve_references(config, &mut t, depth + 1);
            *node = t;
        }
        return;
    }
    match &mut node.value {
        Value::List(items) => items.iter_mut().for_each(|i| resolve_references(config, i, depth)),
        Value::Map(entries) => {
            entries.iter_mut().for_each(|e| resolve_references(config, &mut e.value, depth))
        }
        _ => {}
    }
}

/// `[job, key, …]` in the config; the job's own `extends` are applied first.
fn lookup(config: &Node, path: &[&str]) -> Option<Node> {
    let (job, keys) = path.split_first()?;
    let raw = config.get(job)?;
    let mut node = resolve_extends(config, job, raw, &mut HashSet::new(), 0);
    for k in keys {
        node = node.get(k)?.clone();
    }
    Some(node)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{Limits, yaml};

    fn doc(text: &str) -> Node {
        yaml::parse(text, &Limits::default()).docs.into_iter().next().unwrap_or_else(|| panic!("a doc"))
    }

    /// Moving a resolved parent's entries gives what copying them gave, repeated keys included.
    #[test]
    fn an_owned_merge_equals_a_copying_one() {
        let bases = ["{}", "a: {x: 1, y: [1]}\nb: 2\n", "[1, 2]", "plain"];
        let overs = ["a: {y: [2], z: 3}\nc: 4\n", "a: 1\na: {x: 2}\n", "[3]", "{}"];
        for base in bases {
            for over in overs {
                let (mut copied, mut moved) = (doc(base), doc(base));
                deep_merge(&mut copied, &doc(over));
                deep_merge_owned(&mut moved, doc(over));
                assert_eq!(copied, moved, "{base} <- {over}");
            }
        }
    }
}
