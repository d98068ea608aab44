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
    /// `*` for entries under one of these keys only: what a rule file's `*` with a `key_matches` of
    /// a few fixed names becomes (`load::condition`), so the entries under other keys, and the
    /// items of their lists, are never handed to the condition's tests. Not written in paths.
    KeyIn(Box<[String]>),
    AnyItem,
    Index(usize),
    Descendants,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct Path {
    pub steps: Vec<Step>,
    source: String,
    /// The hits' key lists are never read (see [`Path::without_keys`]): each hit keeps only its own key.
    keyless: bool,
}

/// One node a path reached, with the key it sits under and the keys its wildcards matched.
#[derive(Clone, Debug)]
pub struct Hit<'a> {
    pub node: &'a Node,
    /// The key it sits under; on a condition's witness, the name a reader knows the value by (the
    /// `name` of a `{name: …, value: …}` entry, see `condition::by_name`).
    pub key: Option<&'a str>,
    pub key_span: Option<Span>,
    /// Every key on the way from the document root: `["resource", "aws_s3_bucket", "logs"]`.
    pub keys: Keys<'a>,
}

/// The keys from the document root to a hit, shared with the hit's parent: a `**` reaches every node
/// of a document, and a copy of the whole key list per node was most of a rule's cost. The last key
/// is held inline, so the children of one map share one link for their parent's keys instead of
/// allocating one each.
#[derive(Clone, Debug, Default)]
pub struct Keys<'a> {
    up: Option<std::rc::Rc<KeyLink<'a>>>,
    last: Option<&'a str>,
}

#[derive(Debug)]
pub struct KeyLink<'a> {
    key: &'a str,
    up: Option<std::rc::Rc<KeyLink<'a>>>,
}

impl<'a> Keys<'a> {
    fn push(&self, key: &'a str) -> Keys<'a> {
        Keys::under(&self.sealed(), key)
    }

    /// These keys as one shared link, for the keys of several children (see [`Keys::under`]).
    fn sealed(&self) -> Option<std::rc::Rc<KeyLink<'a>>> {
        match self.last {
            Some(key) => Some(std::rc::Rc::new(KeyLink { key, up: self.up.clone() })),
            None => self.up.clone(),
        }
    }

    /// The keys of a child under `key`, whose parent's keys were [`Keys::sealed`].
    fn under(sealed: &Option<std::rc::Rc<KeyLink<'a>>>, key: &'a str) -> Keys<'a> {
        Keys { up: sealed.clone(), last: Some(key) }
    }

    /// The key at the document root, and how many keys there are.
    pub fn root_and_depth(&self) -> (Option<&'a str>, usize) {
        let (mut root, mut depth) = (self.last, usize::from(self.last.is_some()));
        let mut at = &self.up;
        while let Some(link) = at {
            root = Some(link.key);
            depth += 1;
            at = &link.up;
        }
        (root, depth)
    }

    /// Root first.
    pub fn to_vec(&self) -> Vec<&'a str> {
        let mut out: Vec<&'a str> = self.last.into_iter().collect();
        let mut at = &self.up;
        while let Some(link) = at {
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
            return Ok(Path { steps, source: source.to_string(), keyless: false });
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
        Ok(Path { steps, source: source.to_string(), keyless: false })
    }

    /// This path, for a condition whose tests never read a hit's keys above its own (only a subject's
    /// name and a block's address do): its hits then skip the shared key list, one allocation per map
    /// on the way, which is most of what a `**` over a whole document cost.
    pub fn without_keys(mut self) -> Path {
        self.keyless = true;
        self
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
        let mut res = Resolution::default();
        if self.steps.is_empty() {
            res.hits.push(start);
            return res;
        }
        // The first step reads `start` itself: a condition resolves a path on every subject, and a
        // vector for the one hit it starts from was an allocation each time.
        let mut start = Some(start);
        if self.keyless {
            start = start.map(|h| Hit { keys: Keys::default(), ..h });
        }
        self.run_steps(0, start, res, false, !self.keyless)
    }

    /// The key after a leading `**` (`**.containers[*].image`), for [`Path::resolve_shared`].
    pub fn descendant_key(&self) -> Option<&str> {
        match self.steps.as_slice() {
            [Step::Descendants, Step::Key(k), ..] => Some(k),
            _ => None,
        }
    }

    /// [`Path::resolve`] of several paths that start `**.key` (keys may differ) from one start, with
    /// one walk of the nodes below it for all of them (`image-unpinned`'s `**.containers…`,
    /// `**.initContainers…` and `**.ephemeralContainers…`). Paths without such a start get nothing.
    pub fn resolve_shared<'a>(paths: &[&Path], start: Hit<'a>) -> Vec<Resolution<'a>> {
        let keys: Vec<&str> = paths.iter().map(|p| p.descendant_key().unwrap_or_default()).collect();
        // Keys the keyless ones do not need cost nothing but time.
        let keyed = paths.iter().any(|p| !p.keyless);
        let start = if keyed { start } else { Hit { keys: Keys::default(), ..start } };
        let mut outs: Vec<Vec<Hit<'a>>> = vec![Vec::new(); paths.len()];
        let mut unknowns = vec![false; paths.len()];
        descend_to_keys(start, &keys, keyed, &mut outs, &mut unknowns);
        paths
            .iter()
            .zip(outs.into_iter().zip(unknowns))
            .map(|(p, (hits, unknown))| match p.descendant_key() {
                Some(_) => {
                    let mut hits = hits;
                    dedup_nodes(&mut hits);
                    p.run_steps(2, None, Resolution { hits, unknown }, true, keyed)
                }
                None => Resolution::default(),
            })
            .collect()
    }

    /// Resolves `self.steps[from..]` on `start` and the hits already in `res`.
    fn run_steps<'a>(
        &self,
        from: usize,
        mut start: Option<Hit<'a>>,
        mut res: Resolution<'a>,
        mut after_descendants: bool,
        keyed: bool,
    ) -> Resolution<'a> {
        let mut steps = self.steps.get(from..).unwrap_or_default().iter().peekable();
        while let Some(step) = steps.next() {
            let mut next = Vec::new();
            let from = std::mem::take(&mut res.hits);
            let hits = start.take().into_iter().chain(from);
            let mut key_after_descendants = false;
            match (step, steps.peek()) {
                // `**.key`: the entries named `key` anywhere below, found without making a hit of
                // every node on the way (`**.containers` on a whole manifest).
                (Step::Descendants, Some(Step::Key(key))) => {
                    steps.next();
                    key_after_descendants = true;
                    for hit in hits {
                        let (out, unknown) =
                            (std::slice::from_mut(&mut next), std::slice::from_mut(&mut res.unknown));
                        descend_to_keys(hit, &[key.as_str()], keyed, out, unknown);
                    }
                }
                _ => {
                    for hit in hits {
                        apply(step, hit, keyed, &mut |h| next.push(h), &mut res.unknown);
                    }
                }
            }
            // `**` reaches a list and its items; a key step after it then flattens the list into the
            // same items. Before any `**`, the hits of a step are distinct nodes none of which holds
            // another, so a `**` alone gives each node once and needs no check.
            if after_descendants || key_after_descendants {
                dedup_nodes(&mut next);
            }
            after_descendants |= *step == Step::Descendants;
            res.hits = next;
        }
        res
    }
}

/// The shared key list for a map's entries: [`Keys::sealed`], or nothing for a keyless path.
fn seal<'a>(keys: &Keys<'a>, keyed: bool) -> Option<std::rc::Rc<KeyLink<'a>>> {
    if keyed { keys.sealed() } else { None }
}

impl Path {
    /// Calls `f` on every hit [`Path::resolve`] gives, in the same order; returns whether the path
    /// crossed a value that cannot be known. A lone `**` hands each node over as the walk reaches it,
    /// without a vector of every node of the document.
    pub fn each_hit<'a>(&self, start: Hit<'a>, f: &mut dyn FnMut(Hit<'a>)) -> bool {
        let mut unknown = false;
        if self.steps.is_empty() {
            f(start);
            return unknown;
        }
        let start = if self.keyless { Hit { keys: Keys::default(), ..start } } else { start };
        match self.steps.as_slice() {
            [Step::Descendants] => walk(start, !self.keyless, f, &mut unknown),
            // Without a `**`, hits never repeat, and resolving step by step gives them in the order
            // of a depth-first chain of the steps: no vector per step.
            steps if !steps.contains(&Step::Descendants) => {
                chain(steps, start, !self.keyless, f, &mut unknown)
            }
            _ => {
                let res = self.resolve(start);
                res.hits.into_iter().for_each(f);
                unknown = res.unknown;
            }
        }
        unknown
    }
}

/// The hits of `steps` from `hit`, each handed to `f` as soon as the last step reaches it.
fn chain<'a>(steps: &[Step], hit: Hit<'a>, keyed: bool, f: &mut dyn FnMut(Hit<'a>), unknown: &mut bool) {
    let Some((step, rest)) = steps.split_first() else {
        f(hit);
        return;
    };
    if rest.is_empty() {
        apply(step, hit, keyed, f, unknown);
        return;
    }
    let mut below = false;
    apply(step, hit, keyed, &mut |h| chain(rest, h, keyed, f, &mut below), unknown);
    *unknown |= below;
}

impl Path {}

fn apply<'a>(step: &Step, hit: Hit<'a>, keyed: bool, out: &mut dyn FnMut(Hit<'a>), unknown: &mut bool) {
    let node = hit.node;
    match (&node.value, step) {
        (Value::Expr(_), _) => *unknown = true,
        (Value::List(items), Step::Key(_)) => {
            for item in items {
                apply(step, Hit { node: item, ..hit.clone() }, keyed, out, unknown);
            }
        }
        (Value::Map(entries), Step::Key(k)) => {
            let mut up = None;
            for e in entries.iter().filter(|e| e.has_key(k)) {
                let up = up.get_or_insert_with(|| seal(&hit.keys, keyed));
                out(child(up, e.key.as_str(), e.key_span, &e.value));
            }
            // A Terraform `dynamic "k"` block generates `k` blocks we cannot count.
            if up.is_none() && dynamic_block(entries, k) {
                *unknown = true;
            }
        }
        (Value::Map(entries), Step::AnyKey) => {
            let up = seal(&hit.keys, keyed);
            for e in entries {
                out(child(&up, e.key.as_str(), e.key_span, &e.value));
            }
        }
        (Value::Map(entries), Step::KeyIn(keys)) => {
            let mut up = None;
            for e in entries.iter().filter(|e| keys.iter().any(|k| e.has_key(k))) {
                let up = up.get_or_insert_with(|| seal(&hit.keys, keyed));
                out(child(up, e.key.as_str(), e.key_span, &e.value));
            }
        }
        (Value::List(items), Step::AnyKey | Step::AnyItem) => {
            items.iter().for_each(|n| out(Hit { node: n, ..hit.clone() }));
        }
        // A list's items keep the key the list sits under.
        (Value::List(items), Step::KeyIn(keys))
            if hit.key.is_some_and(|key| keys.iter().any(|k| k == key)) =>
        {
            items.iter().for_each(|n| out(Hit { node: n, ..hit.clone() }));
        }
        (Value::List(items), Step::Index(i)) => {
            if let Some(n) = items.get(*i) {
                out(Hit { node: n, ..hit.clone() });
            }
        }
        (_, Step::Descendants) => walk(hit, keyed, out, unknown),
        _ => {}
    }
}

/// A map entry's hit; `up`: the map's keys, [`Keys::sealed`] once for all its entries.
fn child<'a>(up: &Option<std::rc::Rc<KeyLink<'a>>>, key: &'a str, key_span: Span, node: &'a Node) -> Hit<'a> {
    Hit { node, key: Some(key), key_span: Some(key_span), keys: Keys::under(up, key) }
}

fn dynamic_block(entries: &[crate::model::Entry], key: &str) -> bool {
    entries.iter().any(|e| e.key == "dynamic" && e.value.entries().iter().any(|d| d.key == key))
}

/// The node and all below it, handed to `f` in document order; iteratively, so deep input cannot
/// exhaust the stack.
fn walk<'a>(hit: Hit<'a>, keyed: bool, f: &mut dyn FnMut(Hit<'a>), unknown: &mut bool) {
    let mut stack = vec![hit];
    while let Some(h) = stack.pop() {
        match &h.node.value {
            Value::Map(entries) => {
                let up = seal(&h.keys, keyed);
                stack.extend(entries.iter().rev().map(|e| child(&up, &e.key, e.key_span, &e.value)));
            }
            Value::List(items) => {
                stack.extend(items.iter().rev().map(|n| Hit { node: n, ..h.clone() }));
            }
            Value::Expr(_) => *unknown = true,
            _ => {}
        }
        f(h);
    }
}

/// Keeps the first hit of each node.
fn dedup_nodes(hits: &mut Vec<Hit<'_>>) {
    if hits.len() > 1 {
        let mut seen = foldhash::HashSet::with_capacity_and_hasher(hits.len(), Default::default());
        hits.retain(|h| seen.insert(std::ptr::from_ref(h.node) as usize));
    }
}

/// `**` then a `key` step in one walk, for each of `keys` at once, with the hits (and their order)
/// the two steps give: every node below `hit` in document order, each contributing what a `key`
/// step gives on it (its `key` entries; a list's items' entries, flattened) to `outs[i]`, and
/// `unknowns[i]` set where the walk crosses a value that cannot be known. Keys are kept as a stack of
/// names during the walk and turned into a hit's shared key list only for the entries that match.
/// The caller removes the repeats (a list's items are reached through the list and again on their
/// own).
fn descend_to_keys<'a>(
    hit: Hit<'a>,
    keys: &[&str],
    keyed: bool,
    outs: &mut [Vec<Hit<'a>>],
    unknowns: &mut [bool],
) {
    /// A node still to visit: how many names of `names` lead to its parent, its own entry's, and
    /// whether it is a list's item.
    struct Visit<'a> {
        node: &'a Node,
        depth: usize,
        name: Option<&'a str>,
        in_list: bool,
    }
    let base = hit.keys.clone();
    let mut names: Vec<&'a str> = Vec::new();
    let mut stack = vec![Visit { node: hit.node, depth: 0, name: None, in_list: false }];
    while let Some(v) = stack.pop() {
        names.truncate(v.depth);
        names.extend(v.name);
        let keys_here = || {
            if keyed { names.iter().fold(base.clone(), |keys, n| keys.push(n)) } else { Keys::default() }
        };
        // A list's items gave their matches when the list was visited (a `key` step on a list reads
        // its items, with the same keys): again here they would only be repeats for the caller to drop.
        if !v.in_list {
            matches_of(v.node, keys, &keys_here, outs, unknowns);
        }
        match &v.node.value {
            // A scalar below gives no match and has nothing below it: it is not visited (most of a
            // document's nodes are scalars).
            Value::Map(entries) => {
                let depth = names.len();
                stack.extend(entries.iter().rev().filter(|e| !e.value.is_plain_scalar()).map(|e| Visit {
                    node: &e.value,
                    depth,
                    name: Some(e.key.as_str()),
                    in_list: false,
                }));
            }
            Value::List(items) => {
                let depth = names.len();
                stack.extend(items.iter().rev().filter(|n| !n.is_plain_scalar()).map(|n| Visit {
                    node: n,
                    depth,
                    name: None,
                    in_list: true,
                }));
            }
            Value::Expr(_) => unknowns.iter_mut().for_each(|u| *u = true),
            _ => {}
        }
    }
}

/// What a `key` step gives on one node (see [`apply`]) for each of `keys` at once, for
/// [`descend_to_keys`]: a map's entries with each key into `outs[i]`, in order; a list's items',
/// flattened; `unknowns[i]` set where the key may hide in a value that cannot be known. `key_list`
/// builds the node's key list when an entry matches.
fn matches_of<'a>(
    node: &'a Node,
    keys: &[&str],
    key_list: &dyn Fn() -> Keys<'a>,
    outs: &mut [Vec<Hit<'a>>],
    unknowns: &mut [bool],
) {
    match &node.value {
        Value::Expr(_) => unknowns.iter_mut().for_each(|u| *u = true),
        Value::List(items) => items.iter().for_each(|item| matches_of(item, keys, key_list, outs, unknowns)),
        Value::Map(entries) => {
            // One pass over the entries for all the keys.
            let mut up = None;
            let mut dynamic = false;
            for e in entries {
                dynamic |= e.key == "dynamic";
                for (key, out) in keys.iter().zip(outs.iter_mut()) {
                    if e.has_key(key) {
                        let up = up.get_or_insert_with(|| key_list().sealed());
                        out.push(child(up, e.key.as_str(), e.key_span, &e.value));
                    }
                }
            }
            // Rare (Terraform `dynamic` blocks): the keys are looked up again.
            if dynamic {
                for (key, unknown) in keys.iter().zip(unknowns.iter_mut()) {
                    if !entries.iter().any(|e| e.has_key(key)) && dynamic_block(entries, key) {
                        *unknown = true;
                    }
                }
            }
        }
        _ => {}
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
    /// What tests compare of hits: the node, its key and key span, and every key from the root.
    type Shape = (usize, Option<String>, Option<Span>, Vec<String>);
    fn shapes(hits: &[Hit<'_>]) -> Vec<Shape> {
        hits.iter()
            .map(|h| {
                let keys: Vec<String> = h.keys.to_vec().iter().map(|k| k.to_string()).collect();
                (std::ptr::from_ref(h.node) as usize, h.key.map(str::to_string), h.key_span, keys)
            })
            .collect()
    }
    /// [`shapes`] without the keys above each hit's own, which keyless paths leave out.
    fn shapes_without_keys(hits: &[Hit<'_>]) -> Vec<Shape> {
        shapes(hits).into_iter().map(|(n, k, s, _)| (n, k, s, Vec::new())).collect()
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

    /// Container lists at every depth, in lists of lists, behind unknown values and `dynamic` blocks.
    fn workloads() -> Node {
        let expr =
            || Node::new(Span::default(), Value::Expr(Box::new(crate::model::Expr::Other("x".into()))));
        let pod = |image: &str| map(vec![("containers", list(vec![map(vec![("image", s(image))])]))]);
        map(vec![
            ("spec", map(vec![("template", map(vec![("spec", pod("a"))]))])),
            (
                "containers",
                list(vec![map(vec![("image", s("b"))]), list(vec![map(vec![("image", s("c"))])])]),
            ),
            (
                "items",
                list(vec![
                    pod("d"),
                    map(vec![("containers", expr())]),
                    map(vec![("initContainers", expr())]),
                    expr(),
                ]),
            ),
            ("containers", s("e")),
            ("dynamic", map(vec![("containers", map(vec![])), ("initContainers", map(vec![]))])),
            ("nested", map(vec![("containers", map(vec![("containers", s("f"))]))])),
        ])
    }

    /// `**.k` walks once; it must give what `**` then `k` give, hit for hit, in the same order.
    #[test]
    fn descendants_then_key_in_one_walk_match_the_two_steps() {
        let root = workloads();
        for (key, rest) in [("containers", ""), ("containers", ".image"), ("image", ""), ("absent", "")] {
            let fused = Path::parse(&format!("**.{key}{rest}")).unwrap().resolve(Hit::root(&root));
            let all = Path::parse("**").unwrap().resolve(Hit::root(&root));
            let mut unknown = all.unknown;
            let mut hits = Vec::new();
            for h in all.hits {
                let r = Path::parse(key).unwrap().resolve(h);
                unknown |= r.unknown;
                hits.extend(r.hits);
            }
            let mut dedup = std::collections::HashSet::new();
            hits.retain(|h| dedup.insert(std::ptr::from_ref(h.node) as usize));
            if !rest.is_empty() {
                let mut more = Vec::new();
                for h in hits {
                    let r = Path::parse(&rest[1..]).unwrap().resolve(h);
                    unknown |= r.unknown;
                    more.extend(r.hits);
                }
                hits = more;
            }
            assert_eq!(shapes(&fused.hits), shapes(&hits), "**.{key}{rest}");
            assert_eq!(fused.unknown, unknown, "**.{key}{rest}");
        }
        // The root's own entries first: each node gives its matches before its children are walked.
        assert_eq!(texts("**.containers.image", &root).0, ["b", "c", "a", "d"]);
    }

    /// A keyless path reaches the same nodes, keys and spans in the same order; only the keys above
    /// each hit's own are left out. And a `**` alone gives each node once.
    #[test]
    fn keyless_paths_reach_the_same_hits() {
        let root = map(vec![
            ("spec", map(vec![("containers", list(vec![map(vec![("image", s("a"))]), list(vec![s("b")])]))])),
            ("items", list(vec![map(vec![("containers", list(vec![map(vec![("image", s("c"))])]))])])),
        ]);
        for p in ["**", "**.image", "**.containers[*].image", "spec.*", "*[*].containers", "items[0].**"] {
            let keyed = Path::parse(p).unwrap().resolve(Hit::root(&root));
            let keyless = Path::parse(p).unwrap().without_keys().resolve(Hit::root(&root));
            assert_eq!(shapes_without_keys(&keyed.hits), shapes_without_keys(&keyless.hits), "{p}");
            assert_eq!(keyed.unknown, keyless.unknown, "{p}");
            for (k, l) in keyed.hits.iter().zip(&keyless.hits) {
                assert_eq!(l.keys.to_vec(), k.keys.to_vec().last().copied().into_iter().collect::<Vec<_>>());
            }
        }
        let all = Path::parse("**").unwrap().resolve(Hit::root(&root)).hits;
        let distinct: std::collections::HashSet<usize> =
            all.iter().map(|h| std::ptr::from_ref(h.node) as usize).collect();
        assert_eq!(distinct.len(), all.len());
        assert_eq!(all.len(), 12);
    }

    /// `each_hit` (a walk or a chain of steps, no vector) hands over exactly what `resolve` gives, in
    /// the same order, and the same unknown flag.
    #[test]
    fn each_hit_gives_what_resolve_gives() {
        let expr =
            || Node::new(Span::default(), Value::Expr(Box::new(crate::model::Expr::Other("x".into()))));
        let root = map(vec![
            ("spec", map(vec![("containers", list(vec![map(vec![("image", s("a"))]), list(vec![s("b")])]))])),
            (
                "items",
                list(vec![map(vec![("containers", list(vec![map(vec![("image", s("c"))])]))]), expr()]),
            ),
            ("ingress", map(vec![("cidr", s("d"))])),
            ("ingress", map(vec![("cidr", expr())])),
            ("dynamic", map(vec![("egress", map(vec![]))])),
        ]);
        let paths = [
            "",
            "**",
            "spec",
            "spec.containers",
            "spec.containers.image",
            "spec.containers[*].image",
            "*[*].containers",
            "items[0].**",
            "items.containers.image",
            "ingress.cidr",
            "egress",
            "egress.cidr",
            "**.image",
            "**.containers[*].image",
            "*.*",
            "items[1].x",
            "**.**",
        ];
        for p in paths {
            for keyless in [false, true] {
                let path = Path::parse(p).unwrap();
                let path = if keyless { path.without_keys() } else { path };
                let resolved = path.resolve(Hit::root(&root));
                let mut handed = Vec::new();
                let unknown = path.each_hit(Hit::root(&root), &mut |h| handed.push(h));
                assert_eq!(shapes(&handed), shapes(&resolved.hits), "`{p}` keyless: {keyless}");
                assert_eq!(unknown, resolved.unknown, "`{p}` keyless: {keyless}");
                for h in &handed {
                    let keys = h.keys.to_vec();
                    assert_eq!(h.keys.root_and_depth(), (keys.first().copied(), keys.len()), "`{p}`");
                }
            }
        }
    }

    /// One shared walk for several `**.key` paths gives each what its own `resolve` gives.
    #[test]
    fn shared_descendant_walks_match_separate_ones() {
        let root = workloads();
        let sets: [&[&str]; 3] = [
            &["**.containers[*].image", "**.initContainers[*].image", "**.image"],
            &["**.containers", "**.containers.image", "**.absent", "**.initContainers"],
            &["**.image", "**.image"],
        ];
        for set in sets {
            for keyless in [false, true] {
                let paths: Vec<Path> = set
                    .iter()
                    .enumerate()
                    .map(|(i, p)| {
                        let p = Path::parse(p).unwrap();
                        // Mixed: every other path keyless.
                        if keyless && i % 2 == 0 { p.without_keys() } else { p }
                    })
                    .collect();
                let refs: Vec<&Path> = paths.iter().collect();
                let shared = Path::resolve_shared(&refs, Hit::root(&root));
                for (p, got) in paths.iter().zip(&shared) {
                    let alone = p.resolve(Hit::root(&root));
                    // A keyless path walked with keyed ones may carry keys it never reads.
                    let shape = if p.keyless { shapes_without_keys } else { shapes };
                    assert_eq!(shape(&got.hits), shape(&alone.hits), "{} in {set:?}", p.as_str());
                    assert_eq!(got.unknown, alone.unknown, "{} in {set:?}", p.as_str());
                }
            }
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
