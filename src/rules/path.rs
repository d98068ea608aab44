//! Paths into the model: `resource.aws_s3_bucket.*`, `spec.template.spec.containers[*].image`,
//! `**.password`, `metadata.annotations."nginx.ingress.kubernetes.io/ssl-redirect"`.
//!
//! Steps are separated by dots. `name` (or `"quoted.name"`) selects map entries with that key — every
//! one of them, since Terraform blocks repeat keys — and applied to a list it selects from each item, so
//! `ingress.cidr_blocks` reads the same whether `ingress` is one block, several, or a JSON list. `*`
//! selects every entry of a map or item of a list, `[*]` every item of a list, `[N]` one item, and `**`
//! the node itself and everything below it. An empty path (or `.`) is the node itself.

use crate::model::{Node, Value};
use crate::span::Span;

#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    Key(String),
    AnyKey,
    AnyItem,
    Index(usize),
    Descendants,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct Path {
    pub steps: Vec<Step>,
    source: String,
}

/// One node a path reached, with the key it sits under and the keys its wildcards matched.
#[derive(Clone, Debug)]
pub struct Hit<'a> {
    pub node: &'a Node,
    pub key: Option<&'a str>,
    pub key_span: Option<Span>,
    /// Every key on the way from the document root: `["resource", "aws_s3_bucket", "logs"]`.
    pub keys: Keys<'a>,
}

/// The keys from the document root to a hit, shared with the hit's parent: a `**` reaches every node
/// of a document, and a copy of the whole key list per node was most of a rule's cost.
#[derive(Clone, Debug, Default)]
pub struct Keys<'a>(Option<std::rc::Rc<KeyLink<'a>>>);

#[derive(Debug)]
pub struct KeyLink<'a> {
    key: &'a str,
    up: Keys<'a>,
}

impl<'a> Keys<'a> {
    fn push(&self, key: &'a str) -> Keys<'a> {
        Keys(Some(std::rc::Rc::new(KeyLink { key, up: self.clone() })))
    }

    /// Root first.
    pub fn to_vec(&self) -> Vec<&'a str> {
        let mut out = Vec::new();
        let mut at = self;
        while let Some(link) = &at.0 {
            out.push(link.key);
            at = &link.up;
        }
        out.reverse();
        out
    }
}

impl<'a> Hit<'a> {
    pub fn root(node: &'a Node) -> Hit<'a> {
        Hit { node, key: None, key_span: None, keys: Keys::default() }
    }
}

/// Everything a path reached, and whether it crossed a value that cannot be known statically (so an
/// empty result does not prove absence).
#[derive(Debug, Default)]
pub struct Resolution<'a> {
    pub hits: Vec<Hit<'a>>,
    pub unknown: bool,
}

impl Path {
    pub fn parse(source: &str) -> Result<Path, String> {
        let source = source.trim();
        let mut steps = Vec::new();
        let mut rest = source;
        if rest == "." || rest.is_empty() {
            return Ok(Path { steps, source: source.to_string() });
        }
        while !rest.is_empty() {
            if let Some(r) = rest.strip_prefix('"') {
                let end = r.find('"').ok_or_else(|| format!("unterminated quote in path `{source}`"))?;
                steps.push(Step::Key(r[..end].to_string()));
                rest = &r[end + 1..];
            } else if let Some(r) = rest.strip_prefix('[') {
                let end = r.find(']').ok_or_else(|| format!("unclosed `[` in path `{source}`"))?;
                let inner = r[..end].trim();
                steps.push(if inner == "*" {
                    Step::AnyItem
                } else {
                    Step::Index(
                        inner.parse().map_err(|_| format!("bad index `[{inner}]` in path `{source}`"))?,
                    )
                });
                rest = &r[end + 1..];
            } else {
                let end = rest.find(['.', '[']).unwrap_or(rest.len());
                let name = &rest[..end];
                steps.push(match name {
                    "" => return Err(format!("empty step in path `{source}`")),
                    "*" => Step::AnyKey,
                    "**" => Step::Descendants,
                    _ => Step::Key(name.to_string()),
                });
                rest = &rest[end..];
            }
            rest = rest.strip_prefix('.').unwrap_or(rest);
        }
        Ok(Path { steps, source: source.to_string() })
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// The first key this path requires, if it starts with a plain key (used to index rules).
    pub fn first_key(&self) -> Option<&str> {
        match self.steps.first() {
            Some(Step::Key(k)) => Some(k),
            _ => None,
        }
    }

    pub fn resolve<'a>(&self, start: Hit<'a>) -> Resolution<'a> {
        // One key (`name`, `image`, `spec`) is most paths rules resolve: no step list to build.
        if let [Step::Key(key)] = self.steps.as_slice() {
            let mut res = Resolution::default();
            apply_key(key, start, &mut res.hits, &mut res.unknown);
            return res;
        }
        let mut res = Resolution { hits: vec![start], unknown: false };
        let mut after_descendants = false;
        let mut steps = self.steps.iter().peekable();
        while let Some(step) = steps.next() {
            let mut next = Vec::new();
            // `**.key` (`**.image`, `**.containers`) is answered in one walk that keeps only what the
            // key selects, rather than a hit for every node of the document first.
            if *step == Step::Descendants
                && let Some(Step::Key(key)) = steps.peek()
            {
                steps.next();
                for hit in res.hits {
                    descend_to_key(hit, key, &mut next, &mut res.unknown);
                }
            } else {
                for hit in res.hits {
                    apply(step, hit, &mut next, &mut res.unknown);
                }
            }
            // `**` reaches a list and its items; a key step then flattens the list into the same items.
            // Without a `**` before, every hit is a distinct node, so the check is skipped.
            after_descendants |= *step == Step::Descendants;
            if after_descendants && next.len() > 1 {
                let mut seen = std::collections::HashSet::with_capacity(next.len());
                next.retain(|h| seen.insert(std::ptr::from_ref(h.node) as usize));
            }
            res.hits = next;
        }
        res
    }
}

fn apply<'a>(step: &Step, hit: Hit<'a>, out: &mut Vec<Hit<'a>>, unknown: &mut bool) {
    let node = hit.node;
    match (&node.value, step) {
        (_, Step::Key(k)) => apply_key(k, hit, out, unknown),
        (Value::Expr(_), _) => *unknown = true,
        (Value::Map(entries), Step::AnyKey) => {
            for e in entries {
                out.push(child(&hit, e.key.as_str(), e.key_span, &e.value));
            }
        }
        (Value::List(items), Step::AnyKey | Step::AnyItem) => {
            out.extend(items.iter().map(|n| Hit { node: n, ..hit.clone() }));
        }
        (Value::List(items), Step::Index(i)) => {
            if let Some(n) = items.get(*i) {
                out.push(Hit { node: n, ..hit.clone() });
            }
        }
        (_, Step::Descendants) => descend(hit, out, unknown),
        _ => {}
    }
}

fn apply_key<'a>(k: &str, hit: Hit<'a>, out: &mut Vec<Hit<'a>>, unknown: &mut bool) {
    match &hit.node.value {
        Value::Expr(_) => *unknown = true,
        Value::List(items) => {
            for item in items {
                apply_key(k, Hit { node: item, ..hit.clone() }, out, unknown);
            }
        }
        Value::Map(entries) => {
            let before = out.len();
            for e in entries.iter().filter(|e| e.key == k) {
                out.push(child(&hit, e.key.as_str(), e.key_span, &e.value));
            }
            // A Terraform `dynamic "k"` block generates `k` blocks we cannot count.
            if out.len() == before && dynamic_block(entries, k) {
                *unknown = true;
            }
        }
        _ => {}
    }
}

fn child<'a>(parent: &Hit<'a>, key: &'a str, key_span: Span, node: &'a Node) -> Hit<'a> {
    Hit { node, key: Some(key), key_span: Some(key_span), keys: parent.keys.push(key) }
}

fn dynamic_block(entries: &[crate::model::Entry], key: &str) -> bool {
    entries.iter().any(|e| e.key == "dynamic" && e.value.entries().iter().any(|d| d.key == key))
}

/// The node and all below it, iteratively so deep input cannot exhaust the stack.
fn descend<'a>(hit: Hit<'a>, out: &mut Vec<Hit<'a>>, unknown: &mut bool) {
    let mut stack = vec![hit];
    while let Some(h) = stack.pop() {
        match &h.node.value {
            Value::Map(entries) => {
                stack.extend(entries.iter().rev().map(|e| child(&h, &e.key, e.key_span, &e.value)));
            }
            Value::List(items) => {
                stack.extend(items.iter().rev().map(|n| Hit { node: n, ..h.clone() }));
            }
            Value::Expr(_) => *unknown = true,
            _ => {}
        }
        out.push(h);
    }
}

/// `**` then `key`, as [`descend`] then [`apply`] would give them (same hits, same order, before
/// the caller's duplicate check), without a hit (and its key chain) for every node on the way.
fn descend_to_key<'a>(hit: Hit<'a>, key: &str, out: &mut Vec<Hit<'a>>, unknown: &mut bool) {
    struct Visit<'a> {
        node: &'a Node,
        key: Option<&'a str>,
        key_span: Option<Span>,
        /// How many keys below the start lead here; a map entry adds its key, a list item not.
        depth: usize,
        adds_key: bool,
    }
    let base = hit.keys.clone();
    let mut path: Vec<&'a str> = Vec::new();
    let mut stack =
        vec![Visit { node: hit.node, key: hit.key, key_span: hit.key_span, depth: 0, adds_key: false }];
    while let Some(visit) = stack.pop() {
        if visit.adds_key {
            path.truncate(visit.depth - 1);
            path.extend(visit.key);
        } else {
            path.truncate(visit.depth);
        }
        let node = visit.node;
        if yields(node, key) {
            let keys = path.iter().fold(base.clone(), |keys, k| keys.push(k));
            let here = Hit { node, key: visit.key, key_span: visit.key_span, keys };
            apply_key(key, here, out, unknown);
        }
        match &node.value {
            Value::Map(entries) => stack.extend(entries.iter().rev().map(|e| Visit {
                node: &e.value,
                key: Some(e.key.as_str()),
                key_span: Some(e.key_span),
                depth: visit.depth + 1,
                adds_key: true,
            })),
            Value::List(items) => stack.extend(items.iter().rev().map(|n| Visit { node: n, ..visit })),
            Value::Expr(_) => *unknown = true,
            _ => {}
        }
    }
}

/// Whether `key` applied to `node` gives anything or marks the result unknown.
fn yields(node: &Node, key: &str) -> bool {
    match &node.value {
        Value::Map(entries) => entries.iter().any(|e| e.key == key) || dynamic_block(entries, key),
        Value::List(items) => items.iter().any(|n| yields(n, key)),
        Value::Expr(_) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Entry;

    fn s(v: &str) -> Node {
        Node::new(Span::default(), Value::Str(v.into()))
    }
    fn map(entries: Vec<(&str, Node)>) -> Node {
        let entries = entries
            .into_iter()
            .map(|(k, v)| Entry { key: k.into(), key_span: Span::default(), value: v })
            .collect();
        Node::new(Span::default(), Value::Map(entries))
    }
    fn list(items: Vec<Node>) -> Node {
        Node::new(Span::default(), Value::List(items))
    }
    fn texts(p: &str, root: &Node) -> (Vec<String>, bool) {
        let r = Path::parse(p).unwrap().resolve(Hit::root(root));
        (r.hits.iter().filter_map(|h| h.node.scalar_text()).collect(), r.unknown)
    }

    #[test]
    fn keys_repeat_and_lists_flatten() {
        let root = map(vec![
            ("ingress", map(vec![("cidr", s("a"))])),
            ("ingress", map(vec![("cidr", s("b"))])),
            ("egress", list(vec![map(vec![("cidr", s("c"))]), map(vec![("cidr", s("d"))])])),
        ]);
        assert_eq!(texts("ingress.cidr", &root).0, ["a", "b"]);
        assert_eq!(texts("egress.cidr", &root).0, ["c", "d"]);
        assert_eq!(texts("egress[*].cidr", &root).0, ["c", "d"]);
        assert_eq!(texts("egress[1].cidr", &root).0, ["d"]);
        assert_eq!(texts("**.cidr", &root).0, ["a", "b", "c", "d"]);
        assert_eq!(texts("*.cidr", &root).0, ["a", "b", "c", "d"]);
    }

    #[test]
    fn captures_and_quoted_keys() {
        let root = map(vec![(
            "resource",
            map(vec![("aws_s3_bucket", map(vec![("logs", map(vec![("a.b", s("x"))]))]))]),
        )]);
        let p = Path::parse("resource.*.*").unwrap();
        let r = p.resolve(Hit::root(&root));
        assert_eq!(r.hits[0].keys.to_vec(), ["resource", "aws_s3_bucket", "logs"]);
        assert_eq!(texts("resource.*.*.\"a.b\"", &root).0, ["x"]);
    }

    #[test]
    fn unknown_values_and_dynamic_blocks_are_not_absence() {
        let expr = Node::new(Span::default(), Value::Expr(Box::new(crate::model::Expr::Other("x".into()))));
        let root = map(vec![("a", expr), ("dynamic", map(vec![("ingress", map(vec![]))]))]);
        assert!(texts("a.b", &root).1);
        assert!(texts("ingress", &root).1);
        assert!(!texts("egress", &root).1);
    }

    /// `**.key` walked in one pass gives what `**` then `key` gives: the same hits, keys, order.
    #[test]
    fn descending_to_a_key_is_descending_then_the_key() {
        let expr = Node::new(Span::default(), Value::Expr(Box::new(crate::model::Expr::Other("x".into()))));
        let root = map(vec![
            ("image", s("top")),
            ("spec", map(vec![("containers", list(vec![map(vec![("image", s("a")), ("x", expr)])]))])),
            ("jobs", list(vec![list(vec![map(vec![("image", s("b"))])]), map(vec![("image", map(vec![]))])])),
            ("dynamic", map(vec![("image", map(vec![]))])),
            ("deep", map(vec![("image", map(vec![("image", s("c"))]))])),
        ]);
        let two_steps = |key: &str| {
            let all = Path::parse("**").unwrap().resolve(Hit::root(&root));
            let (mut hits, mut unknown) = (Vec::new(), all.unknown);
            for hit in all.hits {
                apply(&Step::Key(key.into()), hit, &mut hits, &mut unknown);
            }
            let mut seen = std::collections::HashSet::new();
            hits.retain(|h| seen.insert(std::ptr::from_ref(h.node) as usize));
            (hits, unknown)
        };
        for key in ["image", "containers", "x", "absent"] {
            let fused = Path::parse(&format!("**.{key}")).unwrap().resolve(Hit::root(&root));
            let (hits, unknown) = two_steps(key);
            let view = |hs: &[Hit]| -> Vec<(usize, Option<String>, Vec<String>)> {
                hs.iter()
                    .map(|h| {
                        let keys = h.keys.to_vec().into_iter().map(String::from).collect();
                        (std::ptr::from_ref(h.node) as usize, h.key.map(String::from), keys)
                    })
                    .collect()
            };
            assert_eq!(view(&fused.hits), view(&hits), "{key}");
            assert_eq!(fused.unknown, unknown, "{key}");
        }
    }

    #[test]
    fn bad_paths_are_errors() {
        assert!(Path::parse("a..b").is_err());
        assert!(Path::parse("a[x]").is_err());
        assert!(Path::parse("\"a").is_err());
        assert_eq!(Path::parse(".").unwrap().steps, vec![]);
    }
}
