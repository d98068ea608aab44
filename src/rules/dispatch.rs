//! Rule dispatch by target: which condition rules can select anything in a file at all.
//!
//! Most rules select one Terraform block type (`resource.aws_s3_bucket.*`) or Kubernetes kind (a
//! `[scope] where` on `kind`), and most files hold a few of the many types the rules know. Each file
//! gets a small [`Index`] of the keys at its document roots and of its objects' kinds, built on first
//! use; a rule whose every select path needs a key the file lacks, or whose filter needs a kind the file
//! lacks, is skipped without walking the tree. The index only answers "cannot match" when resolving the
//! rule's paths would provably find no subject, so results are the same as running every rule.

use super::Rule;
use super::condition::{Condition, Literal, Test};
use super::path::{Hit, Path, Step};
use crate::model::{Node, Value};
use foldhash::HashMap;
use std::sync::Arc;

/// A rule set's rules by the root keys their `select` paths start with, so the rules that can match a
/// file come from a lookup per key the file holds rather than from asking every rule (a Terraform
/// file asked ~100 rules a binary search each). It answers exactly what [`Index::path_may_match`]
/// answers for every rule; [`Rule::run_routed`] then checks only the `kind` filter.
#[derive(Debug, Default)]
pub struct Router {
    /// Rules that run on every file of their kinds: no `select`, or one not starting with a key.
    always: Vec<usize>,
    /// By a select path's first key, when its second step is not a key.
    first: HashMap<String, Vec<usize>>,
    /// By a select path's first two keys.
    pairs: HashMap<String, HashMap<String, Vec<usize>>>,
}

impl Router {
    pub fn new(rules: &[Arc<Rule>]) -> Router {
        let mut router = Router::default();
        for (i, rule) in rules.iter().enumerate() {
            let keyed = |p: &Path| matches!(p.steps.first(), Some(Step::Key(_)));
            if rule.select.is_empty() || !rule.select.iter().all(keyed) {
                router.always.push(i);
                continue;
            }
            for path in &rule.select {
                match path.steps.as_slice() {
                    [Step::Key(a), Step::Key(b), ..] => {
                        router.pairs.entry(a.clone()).or_default().entry(b.clone()).or_default().push(i)
                    }
                    [Step::Key(a), ..] => router.first.entry(a.clone()).or_default().push(i),
                    _ => {}
                }
            }
        }
        router
    }

    /// The positions in the rule set of the rules whose `select` may reach something in the file
    /// `index` describes, in rule-set order.
    pub fn candidates(&self, index: &Index<'_>) -> Vec<usize> {
        let mut out = self.always.clone();
        for key in &index.first {
            if let Some(rules) = self.first.get(*key) {
                out.extend(rules);
            }
        }
        // `pairs` is sorted: one lookup of the outer map per distinct root key.
        let mut at = 0;
        while let Some((root, _)) = index.pairs.get(at) {
            let end = at + index.pairs[at..].iter().take_while(|(r, _)| r == root).count();
            if let Some(inner) = self.pairs.get(*root) {
                for (_, key) in &index.pairs[at..end] {
                    if let Some(rules) = inner.get(*key) {
                        out.extend(rules);
                    }
                }
            }
            at = end;
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// What the documents of one file hold at their roots, for [`Rule::may_match`](super::Rule).
#[derive(Debug, Default)]
pub struct Index<'a> {
    /// Keys of the root maps, sorted.
    first: Vec<&'a str>,
    /// `(root key, key inside its value)`, sorted: `("resource", "aws_s3_bucket")`.
    pairs: Vec<(&'a str, &'a str)>,
    /// The `kind` strings of the subjects `.` and `items[*]` reach, sorted; `None` when some `kind`
    /// is not a plain string (a number, a boolean), so kinds cannot rule anything out.
    kinds: Option<Vec<&'a str>>,
}

impl<'a> Index<'a> {
    pub fn new(docs: &'a [Node]) -> Index<'a> {
        let mut index = Index { kinds: Some(Vec::new()), ..Index::default() };
        let mut roots = Vec::new();
        docs.iter().for_each(|d| maps(d, &mut roots));
        for root in &roots {
            for e in root.entries() {
                index.first.push(&e.key);
                let mut inner = Vec::new();
                maps(&e.value, &mut inner);
                index
                    .pairs
                    .extend(inner.iter().flat_map(|m| m.entries()).map(|i| (e.key.as_str(), i.key.as_str())));
            }
        }
        // Parsed once per process, walked without a vector per step: every file builds an index.
        static SUBJECTS: std::sync::LazyLock<[Option<Path>; 2]> = std::sync::LazyLock::new(|| {
            [".", "items[*]"].map(|p| Path::parse(p).ok().map(Path::without_keys))
        });
        static KIND: std::sync::LazyLock<Option<Path>> =
            std::sync::LazyLock::new(|| Path::parse("kind").ok().map(Path::without_keys));
        for doc in docs {
            for path in SUBJECTS.iter().flatten() {
                path.each_hit(Hit::root(doc), &mut |subject| {
                    if let Some(kind) = KIND.as_ref() {
                        kind.each_hit(subject, &mut |hit| kind_strings(hit.node, &mut index.kinds));
                    }
                });
            }
        }
        index.first.sort_unstable();
        index.first.dedup();
        index.pairs.sort_unstable();
        index.pairs.dedup();
        if let Some(k) = &mut index.kinds {
            k.sort_unstable();
            k.dedup();
        }
        index
    }

    /// Whether resolving `path` from a document root can reach anything: false only when its first
    /// one or two plain keys are absent.
    pub fn path_may_match(&self, path: &Path) -> bool {
        match path.steps.as_slice() {
            [Step::Key(a), Step::Key(b), ..] => {
                self.pairs.binary_search_by(|(x, y)| (*x, *y).cmp(&(a.as_str(), b.as_str()))).is_ok()
            }
            [Step::Key(a), ..] => self.first.binary_search(&a.as_str()).is_ok(),
            _ => true,
        }
    }

    /// Whether a subject whose `kind` must be one of `wanted` can be among `.` and `items[*]`.
    pub fn kind_may_match(&self, wanted: &[Literal]) -> bool {
        let Some(kinds) = &self.kinds else { return true };
        wanted.iter().any(|l| match l {
            Literal::Str(s) => kinds.binary_search(&s.as_str()).is_ok(),
            _ => true,
        })
    }
}

/// The maps a key step reaches through `node`: the node itself, or the items of a list (nested).
fn maps<'a>(node: &'a Node, out: &mut Vec<&'a Node>) {
    match &node.value {
        Value::Map(_) => out.push(node),
        Value::List(items) => items.iter().for_each(|i| maps(i, out)),
        _ => {}
    }
}

/// Adds the strings a value test on `node` can compare with; a non-string scalar disables kinds.
fn kind_strings<'a>(node: &'a Node, kinds: &mut Option<Vec<&'a str>>) {
    match &node.value {
        Value::Str(s) => {
            if let Some(k) = kinds {
                k.push(s);
            }
        }
        Value::List(items) => items.iter().for_each(|i| kind_strings(i, kinds)),
        Value::Bool(_) | Value::Number(_) => *kinds = None,
        Value::Null | Value::Map(_) | Value::Expr(_) => {}
    }
}

/// The kinds a rule's filter requires of its subjects (`where = { path = "kind", one_of = [...] }`),
/// when it is that simple (also as one part of an `all`).
pub fn required_kinds(filter: &Condition) -> Option<&[Literal]> {
    match filter {
        Condition::Leaf { path, tests } if matches!(path.steps.as_slice(), [Step::Key(k)] if k == "kind") => {
            match tests.as_slice() {
                [Test::Equals(lit)] => Some(std::slice::from_ref(lit)),
                [Test::OneOf(lits)] => Some(lits),
                _ => None,
            }
        }
        Condition::All(items) => items.iter().find_map(required_kinds),
        _ => None,
    }
}

/// Whether `select` only picks documents and `List` items: the subjects [`Index`] knows the kinds of.
pub fn selects_objects(select: &[Path]) -> bool {
    select.iter().all(|p| matches!(p.as_str(), "." | "" | "items[*]"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{Limits, hcl, yaml};

    fn path(s: &str) -> Path {
        Path::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn terraform_block_types_are_indexed() {
        let parsed = hcl::parse(
            "resource \"aws_s3_bucket\" \"a\" {}\ndata \"aws_iam_policy_document\" \"p\" {}\n",
            &Limits::default(),
        );
        let index = Index::new(&parsed.docs);
        assert!(index.path_may_match(&path("resource.aws_s3_bucket.*")));
        assert!(!index.path_may_match(&path("resource.aws_db_instance.*")));
        assert!(index.path_may_match(&path("data.*.*")));
        assert!(!index.path_may_match(&path("module.*")));
        assert!(index.path_may_match(&path("**.password")));
    }

    /// The router picks exactly the rules whose `select` may reach the file, for every built-in rule
    /// and every Terraform and YAML fixture.
    #[test]
    fn the_router_picks_the_rules_whose_select_may_match() {
        let all = super::super::registry::builtin().unwrap_or_else(|e| panic!("{e:?}"));
        let rules: Vec<Arc<Rule>> = all.into_iter().map(Arc::new).collect();
        let router = Router::new(&rules);
        let mut files = Vec::new();
        let mut dirs = vec![std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures")];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{e}")).flatten() {
                let p = entry.path();
                match p.extension().and_then(|e| e.to_str()) {
                    _ if p.is_dir() => dirs.push(p),
                    Some("tf" | "yaml" | "yml") => files.push(p),
                    _ => {}
                }
            }
        }
        assert!(files.len() > 300, "{}", files.len());
        let (mut picked, mut skipped) = (0, 0);
        for f in &files {
            let text = std::fs::read_to_string(f).unwrap_or_default();
            let parsed = match f.extension().and_then(|e| e.to_str()) {
                Some("tf") => hcl::parse(&text, &Limits::default()),
                _ => yaml::parse(&text, &Limits::default()),
            };
            let index = Index::new(&parsed.docs);
            let want: Vec<usize> = (0..rules.len())
                .filter(|&i| {
                    rules[i].select.is_empty() || rules[i].select.iter().any(|p| index.path_may_match(p))
                })
                .collect();
            let got = router.candidates(&index);
            assert_eq!(got, want, "{}", f.display());
            picked += got.len();
            skipped += rules.len() - got.len();
        }
        // Most rules select something most files lack: the router is what skips them.
        assert!(skipped > picked, "{picked} picked, {skipped} skipped");
    }

    #[test]
    fn kubernetes_kinds_are_indexed_with_list_items() {
        let text = "apiVersion: v1\nkind: List\nitems:\n  - kind: Secret\n---\nkind: [Deployment]\n";
        let parsed = yaml::parse(text, &Limits::default());
        let index = Index::new(&parsed.docs);
        let want = |k: &str| [Literal::Str(k.into())];
        assert!(index.kind_may_match(&want("Secret")));
        assert!(index.kind_may_match(&want("Deployment")));
        assert!(index.kind_may_match(&want("List")));
        assert!(!index.kind_may_match(&want("Service")));
        let numeric = yaml::parse("kind: 5\n", &Limits::default());
        assert!(Index::new(&numeric.docs).kind_may_match(&want("Service")));
    }
}
