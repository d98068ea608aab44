//! The rule condition language, compiled from a rule file's `[when]` table and evaluated over the model
//! with three-valued logic: a value smelt cannot know (a variable, a function call) makes a test
//! *unknown*, `not` of unknown stays unknown, and a rule only fires on *true*. So a rule never fires on a
//! value it cannot see, and "absent" means absent from every possible configuration.
//!
//! The language is documented for users in `docs/rule-language.md`.

use super::path::{Hit, Path, Step};
use super::pattern::Pattern;
use crate::model::{Expr, Node, Value};
use ipnet::IpNet;
use std::net::IpAddr;

#[derive(Debug)]
pub enum Condition {
    All(Vec<Condition>),
    Any(Vec<Condition>),
    Not(Box<Condition>),
    /// Tests applied to the nodes `path` reaches from the subject; true when one node passes them all.
    Leaf {
        path: Path,
        tests: Vec<Test>,
    },
    /// True when no node that `path` reaches exists, and nothing unknown could hide one.
    Absent {
        path: Path,
    },
}

#[derive(Debug)]
pub enum Test {
    Exists,
    Equals(Literal),
    OneOf(Vec<Literal>),
    Matches(Pattern),
    KeyMatches(Pattern),
    Compare(Cmp, f64),
    /// Compared with the numbers another path reaches from the same subject (the node the leaf's
    /// own path starts from): `maxUnavailable` against `spec.replicas`.
    ComparePath(Cmp, Path),
    Version(Cmp, Vec<u64>),
    CidrPrefixMax(u8),
    CidrContains(IpNet),
    Type(TypeName),
    /// A condition evaluated with the node as its subject.
    Where(Box<Condition>),
    /// Terraform: some block selected by `select` (in the same module) has an `attribute` whose
    /// expression references this node's block — or, with `name`, equals the value at that path in
    /// this block (a bucket named by a literal) — and satisfies `filter`.
    ReferencedBy {
        select: Path,
        attribute: Path,
        name: Option<Path>,
        filter: Option<Box<Condition>>,
    },
    /// Terraform: the node is an expression that references a block selected by `select` (in the
    /// same module) that satisfies `filter` — the load balancer a listener's `load_balancer_arn` names.
    References {
        select: Path,
        filter: Option<Box<Condition>>,
    },
    /// Some node that `select` reaches from a document of the unit (a Terraform module's files)
    /// satisfies `filter` (or exists, without one).
    ModuleHas {
        select: Path,
        filter: Option<Box<Condition>>,
    },
    /// The condition, evaluated on the JSON document the node holds: a JSON string (a heredoc policy,
    /// an evaluated `jsonencode`), the argument of a `jsonencode(…)` call, or a map or list as is.
    Json(Box<Condition>),
    /// The node is a reference (`tags`, `aws_s3_bucket.b.id`) or a string whose text matches.
    ReferenceMatches(Pattern),
    /// The node sits in a Terraform block whose address (`aws_efs_file_system.shared`) matches.
    AddressMatches(Pattern),
    /// Value tests applied to the first group the regex captures from the node's text.
    Capture(Pattern, Vec<Test>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmp {
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TypeName {
    String,
    Number,
    Bool,
    Null,
    List,
    Map,
    Expr,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    Bool(bool),
    Number(f64),
    Str(String),
}

/// The outcome of a condition: true with the nodes that prove it (each becomes a finding; none means
/// the subject itself), false, or unknown.
#[derive(Debug)]
pub enum Truth<'a> {
    True(Vec<Hit<'a>>),
    False,
    Unknown,
}

impl Truth<'_> {
    pub fn is_true(&self) -> bool {
        matches!(self, Truth::True(_))
    }
}

/// What a condition can see besides its subject: every document of the unit (a Terraform module's
/// files), for references between blocks.
pub struct Scope<'a> {
    pub docs: &'a [&'a Node],
}

impl Condition {
    pub fn eval<'a>(&self, subject: &Hit<'a>, scope: &Scope<'a>) -> Truth<'a> {
        match self {
            // The witnesses of `all` are those of its last condition that has any: guards come first,
            // the thing to flag last.
            Condition::All(items) => {
                let mut witnesses = Vec::new();
                let mut unknown = false;
                for c in items {
                    match c.eval(subject, scope) {
                        Truth::False => return Truth::False,
                        Truth::Unknown => unknown = true,
                        Truth::True(w) if !w.is_empty() => witnesses = w,
                        Truth::True(_) => {}
                    }
                }
                if unknown { Truth::Unknown } else { Truth::True(witnesses) }
            }
            Condition::Any(items) => any(items, subject, scope),
            Condition::Not(inner) => match inner.eval(subject, scope) {
                Truth::True(_) => Truth::False,
                Truth::False => Truth::True(Vec::new()),
                Truth::Unknown => Truth::Unknown,
            },
            Condition::Absent { path } => {
                let mut found = false;
                let unknown = path.each_hit(subject.clone(), &mut |_| found = true);
                if found {
                    Truth::False
                } else if unknown {
                    Truth::Unknown
                } else {
                    Truth::True(Vec::new())
                }
            }
            Condition::Leaf { path, tests } => {
                let mut leaf = Leaf::new(tests, subject);
                let unknown = path.each_hit(subject.clone(), &mut |hit| leaf.add(hit, scope));
                leaf.finish(unknown)
            }
        }
    }
}

/// Every true alternative contributes its witnesses, so two bad containers are two findings.
/// Alternatives that read the same nodes share the walk that reaches them.
fn any<'a>(items: &[Condition], subject: &Hit<'a>, scope: &Scope<'a>) -> Truth<'a> {
    let mut witnesses = Vec::new();
    let mut any_true = false;
    let mut unknown = false;
    let mut add = |truth| match truth {
        Truth::True(w) => {
            any_true = true;
            witnesses.extend(w);
        }
        Truth::Unknown => unknown = true,
        Truth::False => {}
    };
    let mut rest = items;
    while let Some(first) = rest.first() {
        let Condition::Leaf { path, .. } = first else {
            add(first.eval(subject, scope));
            rest = &rest[1..];
            continue;
        };
        // Alternatives that each start `**.key` (`**.containers…`, `**.initContainers…`)
        // share one walk of the subject.
        let below = rest
            .iter()
            .take_while(|c| matches!(c, Condition::Leaf { path: p, .. } if p.descendant_key().is_some()))
            .count();
        if below > 1 {
            let (run, after) = rest.split_at(below);
            let leaves: Vec<(&Path, &[Test])> = run
                .iter()
                .filter_map(|c| match c {
                    Condition::Leaf { path, tests } => Some((path, tests.as_slice())),
                    _ => None,
                })
                .collect();
            let paths: Vec<&Path> = leaves.iter().map(|(p, _)| *p).collect();
            let resolved = Path::resolve_shared(&paths, subject.clone());
            for ((_, tests), res) in leaves.iter().zip(resolved) {
                let mut leaf = Leaf::new(tests, subject);
                res.hits.into_iter().for_each(|h| leaf.add(h, scope));
                add(leaf.finish(res.unknown));
            }
            rest = after;
            continue;
        }
        // Alternatives on the same path (`empty-password`'s two `**` tests) share one walk.
        let same =
            rest.iter().take_while(|c| matches!(c, Condition::Leaf { path: p, .. } if p == path)).count();
        let (run, after) = rest.split_at(same);
        let mut leaves: Vec<Leaf<'_, 'a>> = run
            .iter()
            .filter_map(|c| match c {
                Condition::Leaf { tests, .. } => Some(Leaf::new(tests, subject)),
                _ => None,
            })
            .collect();
        let walk_unknown = path.each_hit(subject.clone(), &mut |hit| {
            for leaf in &mut leaves {
                leaf.add_shared(&hit, scope);
            }
        });
        for leaf in leaves {
            add(leaf.finish(walk_unknown));
        }
        rest = after;
    }
    match (any_true, unknown) {
        (true, _) => Truth::True(witnesses),
        (false, true) => Truth::Unknown,
        (false, false) => Truth::False,
    }
}

/// A witness that is the `value` of a `{name: …, value: …}` entry under `parent` (a Kubernetes or ECS
/// environment variable, a database `parameter` block), keyed by the entry's `name`: a message's
/// `{key}` then reads `REDIS_PASSWORD`, not `value`.
fn by_name<'a>(parent: &Hit<'a>, mut witness: Hit<'a>) -> Hit<'a> {
    if witness.key != Some("value") {
        return witness;
    }
    let name_of = |entry: &'a Node| entry.named_value().filter(|(_, v)| std::ptr::eq(*v, witness.node));
    // A key step on a list reads its items: the entry is then one of them (`env[*]` reached as `env`).
    let named = match &parent.node.value {
        Value::List(items) => items.iter().find_map(name_of),
        _ => name_of(parent.node),
    };
    if let Some((name, _)) = named {
        witness.key = Some(name);
    }
    witness
}

/// A leaf's tests applied to the hits of its path one by one, as the walk reaches them: a `**` over
/// a whole document then needs no vector of every node. True when one hit passes every test.
struct Leaf<'t, 'a> {
    tests: &'t [Test],
    /// The nodes the first test is false on without evaluating it (see [`Reject`]).
    reject: Reject<'t>,
    /// The node the leaf's path starts from, for tests that read another path of it.
    subject: &'t Hit<'a>,
    witnesses: Vec<Hit<'a>>,
    any_true: bool,
    unknown: bool,
}

impl<'t, 'a> Leaf<'t, 'a> {
    fn new(tests: &'t [Test], subject: &'t Hit<'a>) -> Leaf<'t, 'a> {
        let reject = tests.first().map_or(Reject::Nothing, Reject::of);
        Leaf { tests, reject, subject, witnesses: Vec::new(), any_true: false, unknown: false }
    }

    /// A hit of the leaf's path: tested unless its shape rules it out.
    fn add(&mut self, hit: Hit<'a>, scope: &Scope<'a>) {
        if self.reject.rejects(hit.node) {
            return;
        }
        self.test(hit, scope);
    }

    /// [`Leaf::add`] of a hit other leaves are handed too: copied only when it passes the reject.
    fn add_shared(&mut self, hit: &Hit<'a>, scope: &Scope<'a>) {
        if !self.reject.rejects(hit.node) {
            self.test(hit.clone(), scope);
        }
    }

    /// Tests are in the order the rule compiler left them: a key regex last (see `load::condition`).
    fn test(&mut self, hit: Hit<'a>, scope: &Scope<'a>) {
        let mut all = Some(true);
        let mut inner = Vec::new();
        for t in self.tests {
            match t.eval(&hit, self.subject, scope) {
                Truth::False => return,
                Truth::Unknown => all = None,
                Truth::True(w) if !w.is_empty() => inner = w,
                Truth::True(_) => {}
            }
        }
        match all {
            Some(true) => {
                self.any_true = true;
                if inner.is_empty() {
                    let named = by_name(self.subject, hit);
                    self.witnesses.push(named);
                } else {
                    self.witnesses.extend(inner.into_iter().map(|w| by_name(&hit, w)));
                }
            }
            _ => self.unknown = true,
        }
    }

    /// `walk_unknown`: the path crossed a value that cannot be known.
    fn finish(self, walk_unknown: bool) -> Truth<'a> {
        match (self.any_true, self.unknown || walk_unknown) {
            (true, _) => Truth::True(self.witnesses),
            (false, true) => Truth::Unknown,
            (false, false) => Truth::False,
        }
    }
}

/// What a `**` walk hands a leaf is mostly nodes its first test is false on by their shape alone: maps
/// for a value test (`equals`, `matches`…), plain scalars and maps without the keys it needs for a
/// `where`. Decided once per leaf, so those nodes cost a comparison rather than an evaluation.
enum Reject<'t> {
    Nothing,
    /// A value test: false on a map.
    Maps,
    /// `equals`: false on a map, and on a plain scalar that does not equal the literal (most nodes a
    /// `**` walk meets, for `empty-password`'s `equals = ""`), decided before the leaf's tests run.
    Unequal(&'t Literal),
    /// A `where`: false on a plain scalar when `on_scalars`, and on a map that lacks a key it needs.
    Where {
        cond: &'t Condition,
        on_scalars: bool,
    },
}

impl<'t> Reject<'t> {
    fn of(test: &'t Test) -> Reject<'t> {
        match test {
            Test::Where(cond) => Reject::Where { cond, on_scalars: cond.false_on_scalars() },
            Test::Equals(lit) => Reject::Unequal(lit),
            t if t.is_value_test() => Reject::Maps,
            _ => Reject::Nothing,
        }
    }

    fn rejects(&self, node: &Node) -> bool {
        match (self, &node.value) {
            (Reject::Maps | Reject::Unequal(_), Value::Map(_)) => true,
            // A list is read item by item, and an unknown value is unknown: only scalars are decided.
            (Reject::Unequal(lit), _) => node.is_plain_scalar() && !lit.matches(node),
            (Reject::Where { on_scalars, .. }, _) if *on_scalars && node.is_plain_scalar() => true,
            (Reject::Where { cond, .. }, Value::Map(entries)) => cond.false_on_map(entries),
            (Reject::Where { cond, .. }, Value::List(items)) => cond.false_on_list(items),
            _ => false,
        }
    }
}

fn known(b: bool) -> Truth<'static> {
    if b { Truth::True(Vec::new()) } else { Truth::False }
}

impl Test {
    /// A test of the node's value as a scalar (`equals`, `matches`, comparisons, CIDR and version
    /// tests, `capture`, `reference_matches`): what `capture` may apply to the captured text, and
    /// false on a map.
    pub fn is_value_test(&self) -> bool {
        !matches!(
            self,
            Test::Exists
                | Test::KeyMatches(_)
                | Test::Where(_)
                | Test::Type(_)
                | Test::ReferencedBy { .. }
                | Test::ModuleHas { .. }
                | Test::References { .. }
                | Test::Json(_)
                | Test::AddressMatches(_)
        )
    }

    /// Whether the test reads its hit's keys above its own (see [`Condition::reads_subject_keys`]).
    /// A finding reads only its witness's own key; the subject's keys, which name it, come from a
    /// rule's `select`, which keeps them.
    pub fn reads_keys(&self) -> bool {
        match self {
            Test::AddressMatches(_) | Test::ReferencedBy { .. } => true,
            Test::Where(cond) | Test::Json(cond) => cond.reads_subject_keys(),
            Test::Capture(_, tests) => tests.iter().any(Test::reads_keys),
            _ => false,
        }
    }

    /// `from`: the subject the leaf's path started from (see [`Test::ComparePath`]).
    fn eval<'a>(&self, hit: &Hit<'a>, from: &Hit<'a>, scope: &Scope<'a>) -> Truth<'a> {
        let node = hit.node;
        match self {
            Test::KeyMatches(re) => return known(hit.key.is_some_and(|k| re.is_match(k))),
            Test::AddressMatches(re) => {
                return known(block_address(&hit.keys.to_vec()).is_some_and(|a| re.is_match(&a.join("."))));
            }
            Test::Exists => return Truth::True(Vec::new()),
            Test::Type(t) => return known(type_of(node) == *t),
            // Most nodes a `**` reaches are scalars, where a condition that needs a key or an item
            // of its subject is false without evaluating it.
            Test::Where(cond) if node.is_plain_scalar() && cond.false_on_scalars() => return Truth::False,
            Test::Where(cond) if matches!(&node.value, Value::Map(e) if cond.false_on_map(e)) => {
                return Truth::False;
            }
            Test::Where(cond) => return cond.eval(hit, scope),
            Test::ReferencedBy { select, attribute, name, filter } => {
                let target = Target { hit, name: name.as_ref() };
                return referenced_by(&target, select, attribute, filter.as_deref(), scope);
            }
            Test::ModuleHas { select, filter } => return module_has(select, filter.as_deref(), scope),
            Test::References { select, filter } => return refers_to(node, select, filter.as_deref(), scope),
            Test::Json(cond) => return json(hit, cond, scope),
            Test::ReferenceMatches(re) => {
                if let Value::Expr(expr) = &node.value
                    && let Expr::Reference(parts) = expr.as_ref()
                {
                    // `var.x` or `local.x` stands for a value, not a name.
                    return match parts.first().map(String::as_str) {
                        Some("var" | "local" | "module" | "each" | "count" | "data" | "path") => {
                            Truth::Unknown
                        }
                        _ => known(re.is_match(&reference_text(parts))),
                    };
                }
            }
            _ => {}
        }
        if node.is_unknown() {
            return Truth::Unknown;
        }
        // A value test on a list asks about its items: `cidr_blocks = ["10.0.0.0/8", "0.0.0.0/0"]`.
        if let Value::List(items) = &node.value {
            let mut unknown = false;
            let mut witnesses = Vec::new();
            for item in items {
                let item_hit = Hit { node: item, ..hit.clone() };
                match self.eval(&item_hit, from, scope) {
                    Truth::True(_) => witnesses.push(item_hit),
                    Truth::Unknown => unknown = true,
                    Truth::False => {}
                }
            }
            return match (witnesses.is_empty(), unknown) {
                (false, _) => Truth::True(witnesses),
                (true, true) => Truth::Unknown,
                (true, false) => Truth::False,
            };
        }
        match self {
            Test::Equals(lit) => known(lit.matches(node)),
            Test::OneOf(lits) => known(lits.iter().any(|l| l.matches(node))),
            Test::Matches(re) | Test::ReferenceMatches(re) => {
                known(node.scalar_str().is_some_and(|s| re.is_match(&s)))
            }
            Test::Compare(cmp, n) => known(number_of(node).is_some_and(|v| cmp.holds(v, *n))),
            Test::ComparePath(cmp, other) => {
                let Some(v) = number_of(node) else { return Truth::False };
                let mut unknown = false;
                let mut holds = false;
                // A list at the other path is read item by item, as value tests read lists.
                let mut compare = |n: &Node| match number_of(n) {
                    Some(n) => holds |= cmp.holds(v, n),
                    None => unknown |= n.is_unknown(),
                };
                unknown |= other.each_hit(from.clone(), &mut |h| match &h.node.value {
                    Value::List(items) => items.iter().for_each(&mut compare),
                    _ => compare(h.node),
                });
                match (holds, unknown) {
                    (true, _) => Truth::True(Vec::new()),
                    (false, true) => Truth::Unknown,
                    (false, false) => Truth::False,
                }
            }
            Test::Version(cmp, want) => known(
                node.scalar_str().and_then(|s| parse_version(&s)).is_some_and(|v| cmp.holds_ord(v.cmp(want))),
            ),
            Test::CidrPrefixMax(max) => known(cidr_of(node).is_some_and(|n| n.prefix_len() <= *max)),
            Test::CidrContains(net) => known(cidr_of(node).is_some_and(|n| n.contains(net))),
            Test::Capture(re, tests) => {
                let Some(text) = node.scalar_str() else { return Truth::False };
                let Some(part) = re.regex().and_then(|r| r.captures(&text)).and_then(|c| c.get(1)) else {
                    return Truth::False;
                };
                let part = Node { value: Value::Str(part.as_str().to_string()), ..node.clone() };
                let part_hit = Hit { node: &part, ..hit.clone() };
                known(tests.iter().all(|t| t.eval(&part_hit, from, scope).is_true()))
            }
            _ => Truth::False,
        }
    }
}

/// Whether a key step finds nothing on `node`, and knows it: a plain scalar, a map without the key
/// (or a `dynamic` block that might make it), a list of such. Not an unknown value.
fn lacks_key(node: &Node, key: &str) -> bool {
    match &node.value {
        Value::Map(entries) => map_lacks_key(entries, key),
        Value::List(items) => items.iter().all(|n| lacks_key(n, key)),
        Value::Expr(_) => false,
        Value::Str(_) | Value::Number(_) | Value::Bool(_) | Value::Null => true,
    }
}

/// A map without `key`, and without a `dynamic` block that might generate it.
fn map_lacks_key(entries: &[crate::model::Entry], key: &str) -> bool {
    entries.iter().all(|e| e.key != key && e.key != "dynamic")
}

impl Condition {
    /// Whether the condition is false on any subject that is a plain scalar (not a map, a list or an
    /// unknown value): it needs a key or an item of it, as `name` or `[*]` do.
    fn false_on_scalars(&self) -> bool {
        match self {
            Condition::All(items) => items.iter().any(Condition::false_on_scalars),
            Condition::Any(items) => items.iter().all(Condition::false_on_scalars),
            Condition::Leaf { path, .. } => {
                matches!(
                    path.steps.first(),
                    Some(Step::Key(_) | Step::AnyKey | Step::KeyIn(_) | Step::AnyItem | Step::Index(_))
                )
            }
            Condition::Not(_) | Condition::Absent { .. } => false,
        }
    }

    /// Whether the condition is false on a map with these entries because a key one of its parts
    /// needs is missing (`all = [{ path = "name", … }, …]` on a map without `name`), without
    /// evaluating it. A `dynamic` block may generate the key, so a map with one is left alone.
    fn false_on_map(&self, entries: &[crate::model::Entry]) -> bool {
        match self {
            Condition::All(items) => items.iter().any(|c| c.false_on_map(entries)),
            Condition::Any(items) => items.iter().all(|c| c.false_on_map(entries)),
            Condition::Leaf { path, .. } => match path.steps.as_slice() {
                [Step::Key(k), ..] => map_lacks_key(entries, k),
                [Step::KeyIn(keys), ..] => keys.iter().all(|k| map_lacks_key(entries, k)),
                _ => false,
            },
            Condition::Not(_) | Condition::Absent { .. } => false,
        }
    }

    /// Whether the condition is false on a list with these items because a key one of its parts needs
    /// is on none of them: a key step on a list reads its items' keys (through nested lists), and
    /// most lists a `**` walk meets hold scalars, or maps without the key (containers, steps).
    fn false_on_list(&self, items: &[Node]) -> bool {
        match self {
            Condition::All(parts) => parts.iter().any(|c| c.false_on_list(items)),
            Condition::Any(parts) => parts.iter().all(|c| c.false_on_list(items)),
            Condition::Leaf { path, .. } => match path.steps.first() {
                Some(Step::Key(k)) => items.iter().all(|n| lacks_key(n, k)),
                _ => false,
            },
            Condition::Not(_) | Condition::Absent { .. } => false,
        }
    }

    /// A literal that some node of the subject (itself or one below it) must equal for the condition
    /// to be true: an `equals` that every alternative needs, found through `all`, `any` and `where`,
    /// whose paths only lead down from their subject. Never through `not`, or through `json` and
    /// `capture`, whose nodes are made from the subject's text rather than found in it. A document
    /// without such a node is false without a walk of every node for each alternative
    /// ([`Literal::found_in`]): `empty-password`'s `equals = ""` on the many files with no empty string.
    pub fn needed_literal(&self) -> Option<&Literal> {
        match self {
            Condition::All(items) => items.iter().find_map(Condition::needed_literal),
            Condition::Any(items) => {
                let (first, rest) = items.split_first()?;
                let literal = first.needed_literal()?;
                rest.iter().all(|c| c.needed_literal() == Some(literal)).then_some(literal)
            }
            Condition::Leaf { tests, .. } => tests.iter().find_map(|t| match t {
                Test::Equals(literal) => Some(literal),
                Test::Where(cond) => cond.needed_literal(),
                _ => None,
            }),
            Condition::Not(_) | Condition::Absent { .. } => None,
        }
    }

    /// Whether a path of the condition is a `**` walk (the cost [`Condition::needed_literal`] saves).
    pub fn walks_descendants(&self) -> bool {
        match self {
            Condition::All(items) | Condition::Any(items) => items.iter().any(Condition::walks_descendants),
            Condition::Not(inner) => inner.walks_descendants(),
            Condition::Leaf { path, tests } => {
                path.steps.contains(&Step::Descendants)
                    || tests.iter().any(|t| matches!(t, Test::Where(c) if c.walks_descendants()))
            }
            Condition::Absent { path } => path.steps.contains(&Step::Descendants),
        }
    }

    /// Whether evaluating the condition on a subject reads the subject's keys above its own (a
    /// block's address, through a nested path's hits): if not, the path that reaches the subject can
    /// leave them out ([`Path::without_keys`]).
    pub fn reads_subject_keys(&self) -> bool {
        match self {
            Condition::All(items) | Condition::Any(items) => items.iter().any(Condition::reads_subject_keys),
            Condition::Not(inner) => inner.reads_subject_keys(),
            Condition::Leaf { tests, .. } => tests.iter().any(Test::reads_keys),
            Condition::Absent { .. } => false,
        }
    }

    /// Every regex pattern in the condition, nested ones included.
    pub fn patterns<'a>(&'a self, out: &mut Vec<&'a Pattern>) {
        match self {
            Condition::All(items) | Condition::Any(items) => items.iter().for_each(|c| c.patterns(out)),
            Condition::Not(inner) => inner.patterns(out),
            Condition::Leaf { tests, .. } => tests.iter().for_each(|t| t.patterns(out)),
            Condition::Absent { .. } => {}
        }
    }
}

impl Test {
    fn patterns<'a>(&'a self, out: &mut Vec<&'a Pattern>) {
        match self {
            Test::Matches(p) | Test::KeyMatches(p) | Test::ReferenceMatches(p) | Test::AddressMatches(p) => {
                out.push(p)
            }
            Test::Where(c) | Test::Json(c) => c.patterns(out),
            Test::ReferencedBy { filter, .. }
            | Test::References { filter, .. }
            | Test::ModuleHas { filter, .. } => filter.iter().for_each(|c| c.patterns(out)),
            Test::Capture(p, tests) => {
                out.push(p);
                tests.iter().for_each(|t| t.patterns(out))
            }
            Test::Exists
            | Test::Equals(_)
            | Test::OneOf(_)
            | Test::Compare(..)
            | Test::ComparePath(..)
            | Test::Version(..)
            | Test::CidrPrefixMax(_)
            | Test::CidrContains(_)
            | Test::Type(_) => {}
        }
    }
}

impl Literal {
    /// Equality as Terraform and YAML users read it: `true`, `"true"` and `True` are the same setting,
    /// `80` and `"80"` the same port.
    fn matches(&self, node: &Node) -> bool {
        match (self, &node.value) {
            (Literal::Bool(a), Value::Bool(b)) => a == b,
            (Literal::Number(a), Value::Number(b)) => a == b,
            (Literal::Str(a), Value::Str(b)) => a == b,
            (Literal::Bool(a), Value::Str(s)) => s.eq_ignore_ascii_case(if *a { "true" } else { "false" }),
            (Literal::Number(a), Value::Str(s)) => s.trim().parse::<f64>().is_ok_and(|b| b == *a),
            // A number or bool never reads as the empty string (`password = ""` on every node).
            (Literal::Str(a), Value::Number(_) | Value::Bool(_)) => {
                !a.is_empty() && node.scalar_str().as_deref() == Some(a)
            }
            _ => false,
        }
    }

    /// Whether `node` or a node below it (through maps and lists, as paths go) equals the literal.
    /// A loop over a stack, so deep input cannot exhaust the call stack.
    pub fn found_in(&self, node: &Node) -> bool {
        let mut stack = vec![node];
        while let Some(n) = stack.pop() {
            match &n.value {
                Value::Map(entries) => stack.extend(entries.iter().map(|e| &e.value)),
                Value::List(items) => stack.extend(items),
                _ if self.matches(n) => return true,
                _ => {}
            }
        }
        false
    }
}

impl Cmp {
    fn holds(self, a: f64, b: f64) -> bool {
        match self {
            Cmp::Lt => a < b,
            Cmp::Le => a <= b,
            Cmp::Gt => a > b,
            Cmp::Ge => a >= b,
        }
    }

    fn holds_ord(self, o: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::*;
        matches!(
            (self, o),
            (Cmp::Lt, Less) | (Cmp::Le, Less | Equal) | (Cmp::Gt, Greater) | (Cmp::Ge, Greater | Equal)
        )
    }
}

fn type_of(node: &Node) -> TypeName {
    match node.value {
        Value::Null => TypeName::Null,
        Value::Bool(_) => TypeName::Bool,
        Value::Number(_) => TypeName::Number,
        Value::Str(_) => TypeName::String,
        Value::List(_) => TypeName::List,
        Value::Map(_) => TypeName::Map,
        Value::Expr(_) => TypeName::Expr,
    }
}

fn number_of(node: &Node) -> Option<f64> {
    match &node.value {
        Value::Number(n) => Some(*n),
        Value::Str(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn cidr_of(node: &Node) -> Option<IpNet> {
    let s = node.as_str()?.trim();
    s.parse::<IpNet>().ok().or_else(|| s.parse::<IpAddr>().ok().map(IpNet::from))
}

/// `v1.2.3`, `1.2`, `1.2.3-rc1` → `[1, 2, 3]` (pre-release and build suffixes ignored).
pub fn parse_version(s: &str) -> Option<Vec<u64>> {
    let s = s.trim().trim_start_matches(['v', 'V']);
    let core = s.split(['-', '+']).next()?;
    core.split('.').map(|p| p.parse().ok()).collect::<Option<Vec<u64>>>().filter(|v| !v.is_empty())
}

/// The reference prefix other blocks use to point at the block `keys` leads to:
/// `resource.T.N` → `T.N`, `data.T.N` → `data.T.N`, `module.N` → `module.N`.
pub fn block_address<'a>(keys: &[&'a str]) -> Option<Vec<&'a str>> {
    let len = block_keys(keys.first()?)?;
    let block = keys.get(..len)?;
    // A resource is referred to without its `resource.` prefix.
    Some(if block[0] == "resource" { block[1..].to_vec() } else { block.to_vec() })
}

/// How many keys name a block under this root key: `resource.T.N`, `data.T.N`, `module.N`.
fn block_keys(root: &str) -> Option<usize> {
    match root {
        "resource" | "data" => Some(3),
        "module" => Some(2),
        _ => None,
    }
}

/// The block a `referenced_by` test asks about, and the path of its name attribute, if any.
struct Target<'h, 'a> {
    hit: &'h Hit<'a>,
    name: Option<&'h Path>,
}

impl Target<'_, '_> {
    /// Whether `node` (a literal) names this block: `Some(true)` it equals the block's name,
    /// `None` the name cannot be known, `Some(false)` otherwise.
    fn named_by(&self, node: &Node) -> Option<bool> {
        let (Some(name), Some(text)) = (self.name, node.scalar_str()) else { return Some(false) };
        let res = name.resolve(self.hit.clone());
        if res.hits.iter().any(|h| h.node.scalar_str().as_deref() == Some(&*text)) {
            Some(true)
        } else if res.unknown || res.hits.iter().any(|h| h.node.is_unknown()) {
            None
        } else {
            Some(false)
        }
    }
}

fn referenced_by<'a>(
    target: &Target<'_, 'a>,
    select: &Path,
    attribute: &Path,
    filter: Option<&Condition>,
    scope: &Scope<'a>,
) -> Truth<'a> {
    let keys = target.hit.keys.to_vec();
    let Some(address) = block_address(&keys) else { return Truth::False };
    let mut unknown = false;
    for doc in scope.docs {
        for candidate in select.resolve(Hit::root(doc)).hits {
            if !may_exist(&candidate) {
                continue;
            }
            let refs = attribute.resolve(candidate.clone());
            unknown |= refs.unknown;
            let points_here = refs.hits.iter().any(|r| {
                let verdict = match references(r.node, &address) {
                    Some(false) if !r.node.is_unknown() => target.named_by(r.node),
                    v => v,
                };
                match verdict {
                    Some(v) => v,
                    None => {
                        unknown = true;
                        false
                    }
                }
            });
            if !points_here {
                continue;
            }
            match filter.map(|f| f.eval(&candidate, scope)) {
                None | Some(Truth::True(_)) => return Truth::True(Vec::new()),
                Some(Truth::Unknown) => unknown = true,
                Some(Truth::False) => {}
            }
        }
    }
    if unknown { Truth::Unknown } else { Truth::False }
}

/// Whether a Terraform block can exist: not when its `count` is known to be 0 or its `for_each` known
/// to be empty (`count = var.create ? 1 : 0` with `create = false`). Anything else, and any node that
/// is not a block, may.
pub fn may_exist(hit: &Hit<'_>) -> bool {
    // What `block_address` names, without a copy of the keys for every subject of every rule.
    let (root, depth) = hit.keys.root_and_depth();
    if root.and_then(block_keys).is_none_or(|len| depth < len) {
        return true;
    }
    let count_zero = hit.node.get("count").is_some_and(|c| match &c.value {
        Value::Number(n) => *n == 0.0,
        Value::Str(s) => s.trim() == "0",
        _ => false,
    });
    let for_each_empty = hit.node.get("for_each").is_some_and(|f| match &f.value {
        Value::Map(entries) => entries.is_empty(),
        Value::List(items) => items.is_empty(),
        _ => false,
    });
    !(count_zero || for_each_empty)
}

/// Whether `node` references a block that `select` reaches and that meets `filter`; unknown when it
/// is a value that could name one (`var.lb_arn`).
fn refers_to<'a>(node: &Node, select: &Path, filter: Option<&Condition>, scope: &Scope<'a>) -> Truth<'a> {
    let mut unknown = false;
    for doc in scope.docs {
        for candidate in select.resolve(Hit::root(doc)).hits.into_iter().filter(may_exist) {
            let keys = candidate.keys.to_vec();
            let Some(address) = block_address(&keys) else { continue };
            match references(node, &address) {
                Some(false) => continue,
                None => {
                    unknown = true;
                    continue;
                }
                Some(true) => {}
            }
            match filter.map(|f| f.eval(&candidate, scope)) {
                None | Some(Truth::True(_)) => return Truth::True(Vec::new()),
                Some(Truth::Unknown) => unknown = true,
                Some(Truth::False) => {}
            }
        }
    }
    if unknown { Truth::Unknown } else { Truth::False }
}

fn module_has<'a>(select: &Path, filter: Option<&Condition>, scope: &Scope<'a>) -> Truth<'a> {
    let mut unknown = false;
    for doc in scope.docs {
        let res = select.resolve(Hit::root(doc));
        unknown |= res.unknown;
        for hit in res.hits.into_iter().filter(may_exist) {
            match filter.map(|f| f.eval(&hit, scope)) {
                None | Some(Truth::True(_)) => return Truth::True(Vec::new()),
                Some(Truth::Unknown) => unknown = true,
                Some(Truth::False) => {}
            }
        }
    }
    if unknown { Truth::Unknown } else { Truth::False }
}

/// Largest JSON string decoded for a `json` test; a longer one stays unknown.
const MAX_JSON: usize = 1 << 20;

fn json<'a>(hit: &Hit<'a>, cond: &Condition, scope: &Scope<'a>) -> Truth<'a> {
    match &hit.node.value {
        Value::Map(_) | Value::List(_) => cond.eval(hit, scope),
        Value::Expr(expr) => match expr.as_ref() {
            Expr::Call { name, args, .. } if name == "jsonencode" && args.len() == 1 => {
                cond.eval(&Hit { node: &args[0], ..hit.clone() }, scope)
            }
            _ => Truth::Unknown,
        },
        Value::Str(text) if text.len() > MAX_JSON => Truth::Unknown,
        Value::Str(text) => {
            // Terraform rejects a policy that is not JSON, so there is nothing in it to flag.
            let Ok(parsed) = serde_json::from_str::<serde_json::Value>(text) else { return Truth::False };
            let decoded = from_json(&parsed, hit.node.span);
            // The decoded nodes live only here: a finding points at the string that holds them.
            match cond.eval(&Hit { node: &decoded, ..hit.clone() }, scope) {
                Truth::True(_) => Truth::True(Vec::new()),
                Truth::Unknown => Truth::Unknown,
                Truth::False => Truth::False,
            }
        }
        _ => Truth::False,
    }
}

/// A JSON value as model nodes, all with `span` (the string they were decoded from).
fn from_json(v: &serde_json::Value, span: crate::span::Span) -> Node {
    use serde_json::Value as J;
    let value = match v {
        J::Null => Value::Null,
        J::Bool(b) => Value::Bool(*b),
        J::Number(n) => n.as_f64().map_or(Value::Null, Value::Number),
        J::String(s) => Value::Str(s.clone()),
        J::Array(items) => Value::List(items.iter().map(|i| from_json(i, span)).collect()),
        J::Object(map) => Value::Map(
            map.iter()
                .map(|(k, v)| crate::model::Entry {
                    key: k.clone(),
                    key_span: span,
                    value: from_json(v, span),
                })
                .collect(),
        ),
    };
    Node::new(span, value)
}

/// `["aws_s3_bucket", "b", "[0]", "id"]` → `aws_s3_bucket.b[0].id`.
fn reference_text(parts: &[String]) -> String {
    let mut text = String::new();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 && !part.starts_with('[') {
            text.push('.');
        }
        text.push_str(part);
    }
    text
}

/// Whether an expression references `address`: `Some(true)` yes, `Some(false)` it provably points
/// elsewhere (a literal, or only references to other resources), `None` it might (a local, a variable,
/// a call whose result cannot be followed yet).
fn references(node: &Node, address: &[&str]) -> Option<bool> {
    let Value::Expr(expr) = &node.value else { return Some(false) };
    match expr.as_ref() {
        Expr::Reference(parts) => reference_points_to(parts, address),
        Expr::Template(parts) => any_reference(parts, address),
        Expr::Call { args, .. } => any_reference(args, address),
        Expr::Conditional { cond, then, otherwise } => any_reference([cond, then, otherwise], address),
        Expr::Op { operands, .. } => any_reference(operands, address),
        Expr::For(_) | Expr::Traverse { .. } => {
            let mut parts = Vec::new();
            node_children(expr, &mut parts);
            any_reference(parts, address)
        }
        Expr::Other(text) => match json_traversal(text) {
            Some(parts) => reference_points_to(&parts, address),
            None => {
                let needle = address.join(".");
                if text.contains(&needle) { Some(true) } else { None }
            }
        },
    }
}

fn reference_points_to<S: AsRef<str>>(parts: &[S], address: &[&str]) -> Option<bool> {
    if parts.len() >= address.len() && parts.iter().zip(address).all(|(p, a)| p.as_ref() == *a) {
        Some(true)
    } else if matches!(parts.first().map(AsRef::as_ref), Some("var" | "local" | "module" | "each" | "count"))
    {
        None
    } else {
        Some(false)
    }
}

/// The names of a `.tf.json` string that is one plain traversal, `"${aws_s3_bucket.b[0].id}"` →
/// `aws_s3_bucket`, `b`, `[0]`, `id`; `None` for anything more (calls, operators, text around it).
fn json_traversal(text: &str) -> Option<Vec<&str>> {
    let inner = text.trim().strip_prefix("${")?.strip_suffix('}')?.trim();
    let mut parts = Vec::new();
    let mut rest = inner;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']')?;
            parts.push(rest.get(..end + 2)?);
            rest = r.get(end + 1..)?;
        } else {
            let r = rest.strip_prefix('.').unwrap_or(rest);
            let end = r.find(['.', '[']).unwrap_or(r.len());
            let name = r.get(..end)?;
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
                return None;
            }
            parts.push(name);
            rest = r.get(end..)?;
        }
    }
    (!parts.is_empty()).then_some(parts)
}

/// The expressions directly inside a `for` or a traversal (its base first, then index expressions).
fn node_children<'n>(expr: &'n Expr, out: &mut Vec<&'n Node>) {
    match expr {
        Expr::For(e) => {
            out.push(&e.collection);
            out.extend([&e.key, &e.cond].into_iter().flatten());
            out.push(&e.value);
        }
        Expr::Traverse { base, steps } => {
            out.push(base);
            steps.iter().for_each(|s| s.walk(&mut |n| out.push(n)));
        }
        _ => {}
    }
}

fn any_reference<'n>(nodes: impl IntoIterator<Item = &'n Node>, address: &[&str]) -> Option<bool> {
    let mut result = Some(false);
    for n in nodes {
        match references(n, address) {
            Some(true) => return Some(true),
            None => result = None,
            Some(false) => {}
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{Limits, hcl};
    use crate::rules::load::compile_condition;

    /// A leaf skips the nodes [`Reject`] names without evaluating its first test: the test must be
    /// false on every one of them.
    #[test]
    fn rejected_nodes_are_false() {
        let yaml = "a: {name: DB_PASSWORD, value: ''}\nb: [1, '', {x: 1}, [2]]\nc: null\nd: 10.0.0.0/8\ne: {}\nf: true\ng: '1.2.3'\n\
                    h: [{name: A_PASSWORD, value: ''}, {name: x}]\ni: [[{name: PASSWD, value: ''}]]\nj: [{value: ''}, [3]]\nk: []\n";
        let parsed = crate::parse::yaml::parse(yaml, &Limits::default());
        let tf = hcl::parse(
            "x = var.y\nz = \"${var.w}-1\"\nl = [var.v, 1]\nm = [{ name = \"PWD\", value = \"\" }]\nd {\n  dynamic \"name\" {}\n}\n",
            &Limits::default(),
        );
        let docs: Vec<&Node> = parsed.docs.iter().chain(&tf.docs).collect();
        let scope = Scope { docs: &docs };
        let mut nodes = Vec::new();
        docs.iter().for_each(|d| d.walk(&mut |n| nodes.push(n)));
        let leaves = [
            "equals = ''",
            "equals = 1",
            "one_of = ['', 'x']",
            "matches = '.*'",
            "gt = 0",
            "version_lt = '2.0'",
            "cidr_prefix_max = 16",
            "ge = { path = 'x' }",
            "capture = '^(\\d+)'\nle = 22",
            "reference_matches = '^var'",
            "where = { all = [{ path = 'name', matches = 'PASS' }, { path = 'value', equals = '' }] }",
            "where = { any = [{ path = 'name', exists = true }, { path = '.', equals = 1 }] }",
            "where = { path = '[0]', equals = 1 }",
            "where = { path = 'name', exists = true }",
            "where = { any = [{ path = 'name', exists = true }, { path = '[*]', equals = 3 }] }",
        ];
        let (mut rejected, mut lists) = (0, 0);
        for leaf in leaves {
            let cond =
                compile_condition(&format!("path = '.'\n{leaf}")).unwrap_or_else(|e| panic!("{leaf}: {e}"));
            let Condition::Leaf { tests, .. } = &cond else { panic!("{leaf}: not a leaf") };
            let reject = Reject::of(&tests[0]);
            for node in &nodes {
                if reject.rejects(node) {
                    rejected += 1;
                    lists += usize::from(matches!(node.value, Value::List(_)));
                    let hit = Hit::root(node);
                    let truth = tests[0].eval(&hit, &hit, &scope);
                    assert!(matches!(truth, Truth::False), "{leaf} on {node:?}: {truth:?}");
                }
            }
        }
        assert!(rejected > 20 && lists > 5, "the test must exercise the rejects: {rejected}, {lists} lists");
    }

    /// The address other blocks use, and whether `may_exist` treats a node as a block: the same keys.
    #[test]
    fn block_addresses_and_blocks_agree() {
        let cases: [(&[&str], Option<&[&str]>); 8] = [
            (&["resource", "aws_s3_bucket", "logs"], Some(&["aws_s3_bucket", "logs"])),
            (&["resource", "aws_s3_bucket", "logs", "versioning"], Some(&["aws_s3_bucket", "logs"])),
            (&["data", "aws_iam_policy_document", "p"], Some(&["data", "aws_iam_policy_document", "p"])),
            (&["module", "vpc"], Some(&["module", "vpc"])),
            (&["module", "vpc", "cidr"], Some(&["module", "vpc"])),
            (&["resource", "aws_s3_bucket"], None),
            (&["variable", "x"], None),
            (&[], None),
        ];
        let tf = "resource \"aws_s3_bucket\" \"logs\" {\n  count = 0\n  versioning {\n    count = 0\n  }\n}\n\
                  module \"vpc\" {\n  count = 0\n}\nvariable \"x\" {\n  count = 0\n}\n";
        let parsed = hcl::parse(tf, &Limits::default());
        for (keys, want) in cases {
            assert_eq!(block_address(keys).as_deref(), want, "{keys:?}");
            if keys.is_empty() {
                continue;
            }
            // A node that says `count = 0` exists only if it is not a block.
            let path = Path::parse(&keys.iter().map(|k| format!("\"{k}\"")).collect::<Vec<_>>().join("."))
                .unwrap_or_else(|e| panic!("{e}"));
            for hit in path.resolve(Hit::root(&parsed.docs[0])).hits {
                assert_eq!(may_exist(&hit), want.is_none(), "{keys:?}");
            }
        }
    }

    /// A document without the literal a condition needs is skipped ([`Condition::needed_literal`]):
    /// the literal is read only where the condition is true on no such document.
    #[test]
    fn a_needed_literal_is_needed() {
        let empty = Literal::Str(String::new());
        let password = "any = [{ path = '**', key_matches = 'PWD$', equals = '' }, \
                        { path = '**', where = { all = [{ path = 'name', matches = 'PWD$' }, { path = 'value', equals = '' }] } }]";
        let cases = [
            (password, Some(empty.clone())),
            (
                "all = [{ path = 'kind', equals = 'Pod' }, { path = '**', exists = true }]",
                Some(Literal::Str("Pod".into())),
            ),
            ("any = [{ path = '**', equals = '' }, { path = '**', equals = 'b' }]", None),
            ("any = [{ path = '**', equals = '' }, { path = 'x', exists = true }]", None),
            ("not = { path = '**', equals = 'x' }", None),
            ("path = '**'\njson = { path = 'x', equals = '' }", None),
            ("path = '**'\ncapture = '^(.*)x$'\nequals = ''", None),
        ];
        for (text, want) in &cases {
            let cond = compile_condition(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(cond.needed_literal(), want.as_ref(), "{text}");
            assert!(cond.walks_descendants(), "{text}");
        }
        let shallow = compile_condition("path = 'kind'\nequals = 'Pod'").unwrap_or_else(|e| panic!("{e}"));
        assert!(!shallow.walks_descendants());

        // Documents with and without an empty string, where it is deep in lists and maps.
        let yaml = "env: [{name: DB_PWD, value: x}]\n---\nenv: [[{name: DB_PWD, value: ''}]]\n---\na: {b: [1, {DB_PWD: ''}]}\n---\nDB_PWD: 0\n";
        let parsed = crate::parse::yaml::parse(yaml, &Limits::default());
        let cond = compile_condition(password).unwrap_or_else(|e| panic!("{e}"));
        let found: Vec<bool> = parsed.docs.iter().map(|d| empty.found_in(d)).collect();
        assert_eq!(found, [false, true, true, false]);
        for doc in &parsed.docs {
            let docs = [doc];
            let truth = cond.eval(&Hit::root(doc), &Scope { docs: &docs });
            assert_eq!(truth.is_true(), empty.found_in(doc), "{doc:?}");
        }
    }

    /// `any` alternatives on one path share its walk; each still gives its own witnesses, in order.
    #[test]
    fn alternatives_on_the_same_path_keep_their_witnesses() {
        let tf = "resource \"x\" \"a\" {\n  p = \"\"\n  q = \"\"\n  r = \"s\"\n}\n";
        let parsed = hcl::parse(tf, &Limits::default());
        let docs: Vec<&Node> = parsed.docs.iter().collect();
        let scope = Scope { docs: &docs };
        let witnesses = |cond: &str| {
            let cond = compile_condition(cond).unwrap_or_else(|e| panic!("{e}"));
            match cond.eval(&Hit::root(docs[0]), &scope) {
                Truth::True(w) => w.iter().filter_map(|h| h.key).map(str::to_string).collect::<Vec<_>>(),
                other => panic!("{other:?}"),
            }
        };
        let shared = "any = [{ path = '**', key_matches = '^p$' }, { path = '**', key_matches = '^(q|r)$' }, { path = '**', equals = 's' }]";
        assert_eq!(witnesses(shared), ["p", "q", "r", "r"]);
        let apart = "any = [{ path = '**', key_matches = '^p$' }, { path = '.', exists = true }, { path = '**', key_matches = '^(q|r)$' }]";
        assert_eq!(witnesses(apart), ["p", "q", "r"]);
    }

    /// A witness that is the `value` of a `{name, value}` entry is keyed by the entry's name, whether
    /// the entry is the subject, reached by `**` or read through its list; any other `value` keeps
    /// its key.
    #[test]
    fn a_named_entry_value_is_keyed_by_its_name() {
        let yaml_doc = "env:\n  - name: DB_PASSWORD\n    value: ''\n  - name: 7\n    value: ''\n  - value: ''\nvalue: ''\nname: top\n";
        let parsed = crate::parse::yaml::parse(yaml_doc, &Limits::default());
        let docs: Vec<&Node> = parsed.docs.iter().collect();
        let scope = Scope { docs: &docs };
        let keys = |cond: &str, subject: Hit<'_>| {
            let cond = compile_condition(cond).unwrap_or_else(|e| panic!("{e}"));
            match cond.eval(&subject, &scope) {
                Truth::True(w) => {
                    let mut keys: Vec<String> =
                        w.iter().map(|h| format!("{}@{}", h.key.unwrap_or("-"), h.node.span.start)).collect();
                    keys.dedup();
                    keys
                }
                other => panic!("{other:?}"),
            }
        };
        let root = || Hit::root(docs[0]);
        let at = |s: &str| yaml_doc.find(s).unwrap_or_else(|| panic!("{s}"));
        let (first, seventh, bare, top) =
            (at("''\n  - name: 7"), at("''\n  - value"), at("''\nvalue"), yaml_doc.rfind("''").unwrap_or(0));
        // The subject itself: a top-level `{name, value}`.
        assert_eq!(keys("path = 'value'\nequals = ''", root()), [format!("top@{top}")]);
        // Through `**` and a `where`, reaching each entry both as a list item and through the list.
        let mut found = keys("path = '**'\nwhere = { all = [{ path = 'value', equals = '' }] }", root());
        found.sort();
        found.dedup();
        let mut expected = vec![
            format!("DB_PASSWORD@{first}"),
            format!("value@{seventh}"),
            format!("value@{bare}"),
            format!("top@{top}"),
        ];
        expected.sort();
        assert_eq!(found, expected, "a name that is not a string, or no name, keeps `value`");
        // Other keys are never renamed.
        assert_eq!(keys("path = 'name'\nequals = 'top'", root()), [format!("name@{}", at("top"))]);
    }

    /// Evaluates `cond` (TOML) on every block `select` reaches in `tf`; returns one verdict per block.
    fn verdicts(tf: &str, select: &str, cond: &str) -> Vec<&'static str> {
        let parsed = hcl::parse(tf, &Limits::default());
        assert!(parsed.issues.is_empty(), "{:?}", parsed.issues);
        let docs: Vec<&Node> = parsed.docs.iter().collect();
        let cond = compile_condition(cond).unwrap_or_else(|e| panic!("{e}"));
        let scope = Scope { docs: &docs };
        Path::parse(select)
            .unwrap_or_else(|e| panic!("{e}"))
            .resolve(Hit::root(docs[0]))
            .hits
            .iter()
            .map(|h| match cond.eval(h, &scope) {
                Truth::True(_) => "true",
                Truth::False => "false",
                Truth::Unknown => "unknown",
            })
            .collect()
    }

    /// `*` (or `*[*]`) with a `key_matches` of fixed names is compiled into a step that takes only
    /// those keys: the same witnesses as the regex, with their keys, on a map and on a list under one
    /// of the names; and an unknown value under another key no longer makes the leaf unknown.
    #[test]
    fn a_key_test_of_fixed_names_becomes_a_path_step() {
        let tf = r#"
resource "x" "a" {
  containers = [{ name = "web" }, { name = "sidecar" }]
  volumes    = [{ name = "data" }]
  initContainers = [{ name = "init" }]
}
resource "x" "b" {
  volumes    = var.volumes
  containers = [{ name = "api" }]
}
resource "x" "c" {
  volumes = var.volumes
}
"#;
        let fixed = "path = '*[*]'\nkey_matches = '^(containers|initContainers)$'\nwhere = { path = 'name', exists = true }";
        let regex = "path = '*[*]'\nkey_matches = '^(containers|initContainers)+$'\nwhere = { path = 'name', exists = true }";
        let Condition::Leaf { path, tests } = compile_condition(fixed).unwrap_or_else(|e| panic!("{e}"))
        else {
            panic!("not a leaf")
        };
        assert!(matches!(path.steps.as_slice(), [Step::KeyIn(k), Step::AnyItem] if k.len() == 2), "{path:?}");
        assert!(matches!(tests.as_slice(), [Test::Where(_)]), "the key test is gone: {tests:?}");
        assert!(matches!(
            compile_condition(regex).unwrap_or_else(|e| panic!("{e}")),
            Condition::Leaf { path, .. } if path.steps == [Step::AnyKey, Step::AnyItem]
        ));
        assert_eq!(verdicts(tf, "resource.x.*", fixed), ["true", "true", "false"]);
        assert_eq!(verdicts(tf, "resource.x.*", regex), ["true", "true", "unknown"]);
        let witnesses = |cond: &str| {
            let parsed = hcl::parse(tf, &Limits::default());
            let docs: Vec<&Node> = parsed.docs.iter().collect();
            let cond = compile_condition(cond).unwrap_or_else(|e| panic!("{e}"));
            let scope = Scope { docs: &docs };
            let subject =
                Path::parse("resource.x.a").unwrap_or_else(|e| panic!("{e}")).resolve(Hit::root(docs[0]));
            let Truth::True(w) = cond.eval(&subject.hits[0], &scope) else { panic!("not true") };
            w.iter().map(|h| (h.key.map(str::to_string), h.node.span)).collect::<Vec<_>>()
        };
        let found = witnesses(fixed);
        assert_eq!(found.len(), 3);
        assert_eq!(found, witnesses(regex));
        // On a list, the step reads the key the list sits under.
        let list = "path = 'containers.*'\nkey_matches = '^containers$'\nexists = true";
        assert_eq!(verdicts(tf, "resource.x.*", list), ["true", "true", "false"]);
        let other = "path = 'volumes.*'\nkey_matches = '^containers$'\nexists = true";
        assert_eq!(verdicts(tf, "resource.x.*", other), ["false", "unknown", "unknown"]);
    }

    /// A path whose tests never read keys drops them (`Path::without_keys`); one whose tests, or
    /// a nested condition's, ask for a block's address keeps them all the way down.
    #[test]
    fn paths_keep_keys_when_a_nested_test_reads_an_address() {
        let tf = r#"
resource "aws_s3_bucket" "logs" { tags = { team = "a" } }
resource "aws_s3_bucket" "data" { tags = { team = "a" } }
"#;
        let select = "resource.aws_s3_bucket.*";
        let direct = r#"path = "tags"
address_matches = "\\.logs$""#;
        assert_eq!(verdicts(tf, select, direct), ["true", "false"]);
        let nested = r#"path = "tags"
where = { path = "team", address_matches = "\\.logs$" }"#;
        assert_eq!(verdicts(tf, select, nested), ["true", "false"]);
        let below = r#"path = "**"
where = { path = "team", equals = "a", address_matches = "\\.data$" }"#;
        assert_eq!(verdicts(tf, select, below), ["false", "true"]);
        let keyless = r#"path = "**"
where = { path = "team", equals = "a" }"#;
        assert_eq!(verdicts(tf, select, keyless), ["true", "true"]);
        let reads = |c: &str| compile_condition(c).unwrap().reads_subject_keys();
        assert!(reads(nested) && reads(direct) && reads(below));
        assert!(!reads(keyless));
    }

    /// `ge = { path = … }` compares with another path of the same subject, at any size, and stays
    /// unknown when that other value cannot be known.
    #[test]
    fn comparisons_with_another_path() {
        let tf = r#"
resource "x" "equal" {
  max = 40
  size = 40
}
resource "x" "below" {
  max = 39
  size = 40
}
resource "x" "text" {
  max = "7"
  size = 7
}
resource "x" "var" {
  max = 3
  size = var.size
}
resource "x" "none" { max = 3 }
resource "x" "many" {
  max = 3
  size = [9, 2]
}
"#;
        let ge = "path = \"max\"\nge = { path = \"size\" }";
        assert_eq!(verdicts(tf, "resource.x.*", ge), ["true", "false", "true", "unknown", "false", "true"]);
        let nested = "path = \".\"\nwhere = { path = \"max\", lt = { path = \"size\" } }";
        assert_eq!(
            verdicts(tf, "resource.x.*", nested),
            ["false", "true", "false", "unknown", "false", "true"]
        );
        assert!(compile_condition("path = \"max\"\nge = { path = \"size\", x = 1 }").is_err());
    }

    /// A condition said to be false on plain scalars is false on each of them when evaluated.
    #[test]
    fn conditions_false_on_scalars_are_false_when_evaluated() {
        let scalars = [Value::Str("x".into()), Value::Number(1.0), Value::Bool(true), Value::Null];
        let conds = [
            ("path = \"name\"\nexists = true", true),
            ("all = [{ path = \"name\", exists = true }, { path = \".\", equals = \"x\" }]", true),
            ("any = [{ path = \"[*]\", exists = true }, { path = \"*\", exists = true }]", true),
            ("any = [{ path = \"name\", exists = true }, { path = \".\", equals = \"x\" }]", false),
            ("path = \"**\"\nequals = \"x\"", false),
            ("path = \"name\"\nexists = false", false),
            ("not = { path = \"name\", exists = true }", false),
        ];
        for (text, expected) in conds {
            let cond = compile_condition(text).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(cond.false_on_scalars(), expected, "{text}");
            if expected {
                for v in &scalars {
                    let node = Node::new(crate::span::Span::default(), v.clone());
                    let truth = cond.eval(&Hit::root(&node), &Scope { docs: &[] });
                    assert!(matches!(truth, Truth::False), "{text} on {v:?}: {truth:?}");
                }
            }
        }
    }

    /// A condition said to be false on a map for a missing key is false when evaluated on it; one
    /// whose key a `dynamic` block may generate is not ruled out.
    #[test]
    fn conditions_false_on_maps_are_false_when_evaluated() {
        let entry = |k: &str, v: Value| crate::model::Entry {
            key: k.into(),
            key_span: crate::span::Span::default(),
            value: Node::new(crate::span::Span::default(), v),
        };
        let map =
            |entries: Vec<crate::model::Entry>| Node::new(crate::span::Span::default(), Value::Map(entries));
        let plain = map(vec![entry("value", Value::Str(String::new())), entry("other", Value::Null)]);
        let dynamic = map(vec![entry("dynamic", Value::Map(vec![entry("name", Value::Map(Vec::new()))]))]);
        let cond = |t: &str| compile_condition(t).unwrap_or_else(|e| panic!("{e}"));
        let missing =
            cond("all = [{ path = \"name\", matches = \"x\" }, { path = \"value\", equals = \"\" }]");
        let Condition::All(items) = &missing else { panic!("not an all") };
        let entries = |n: &Node| n.entries().to_vec();
        assert!(missing.false_on_map(&entries(&plain)));
        assert!(matches!(missing.eval(&Hit::root(&plain), &Scope { docs: &[] }), Truth::False));
        assert!(!missing.false_on_map(&entries(&dynamic)));
        assert!(!items[1].false_on_map(&entries(&plain)));
        let either = cond("any = [{ path = \"name\", exists = true }, { path = \"other\", exists = true }]");
        assert!(!either.false_on_map(&entries(&plain)));
        assert!(!cond("path = \"name\"\nexists = false").false_on_map(&entries(&plain)));
    }

    #[test]
    fn unknown_values_never_fire() {
        let tf = r#"
resource "x" "lit" { flag = true }
resource "x" "var" { flag = var.flag }
resource "x" "none" { }
resource "x" "dyn" {
  dynamic "flag" {
    for_each = var.flags
  }
}
"#;
        assert_eq!(
            verdicts(tf, "resource.x.*", "path = 'flag'\nequals = true"),
            ["true", "unknown", "false", "unknown"]
        );
        assert_eq!(
            verdicts(tf, "resource.x.*", "not = { path = 'flag', equals = true }"),
            ["false", "unknown", "true", "unknown"]
        );
        assert_eq!(
            verdicts(tf, "resource.x.*", "path = 'flag'\nexists = false"),
            ["false", "false", "true", "unknown"]
        );
        assert_eq!(
            verdicts(
                tf,
                "resource.x.*",
                "any = [{ path = 'flag', equals = true }, { path = 'flag', exists = false }]"
            ),
            ["true", "unknown", "true", "unknown"]
        );
        assert_eq!(
            verdicts(
                tf,
                "resource.x.*",
                "all = [{ path = 'flag', exists = true }, { path = 'flag', equals = false }]"
            ),
            ["false", "unknown", "false", "unknown"]
        );
    }

    #[test]
    fn numbers_versions_and_cidrs() {
        let tf = r#"
resource "x" "a" {
  bits    = 1024
  version = "v1.2.3"
  cidrs   = ["10.0.0.0/8", "0.0.0.0/0"]
}
resource "x" "b" {
  bits    = "4096"
  version = "1.10"
  cidrs   = ["192.168.1.0/24"]
}
"#;
        assert_eq!(verdicts(tf, "resource.x.*", "path = 'bits'\nlt = 2048"), ["true", "false"]);
        assert_eq!(verdicts(tf, "resource.x.*", "path = 'version'\nversion_lt = '1.9'"), ["true", "false"]);
        assert_eq!(verdicts(tf, "resource.x.*", "path = 'cidrs'\ncidr_prefix_max = 0"), ["true", "false"]);
        assert_eq!(
            verdicts(tf, "resource.x.*", "path = 'cidrs'\ncidr_contains = '10.1.2.3'"),
            ["true", "false"]
        );
    }

    #[test]
    fn references_to_a_block_that_meets_a_condition() {
        let tf = r#"
resource "aws_lb" "app" { load_balancer_type = "application" }
resource "aws_lb" "net" { load_balancer_type = "network" }
resource "aws_lb_listener" "to_app" { load_balancer_arn = aws_lb.app.arn }
resource "aws_lb_listener" "to_net" { load_balancer_arn = aws_lb.net.arn }
resource "aws_lb_listener" "to_var" { load_balancer_arn = var.lb_arn }
resource "aws_lb_listener" "literal" { load_balancer_arn = "arn:aws:elasticloadbalancing:x" }
resource "aws_lb_listener" "none" { port = 80 }
"#;
        let cond = "path = 'load_balancer_arn'\nreferences = { select = 'resource.aws_lb.*', where = { path = 'load_balancer_type', equals = 'network' } }";
        assert_eq!(
            verdicts(tf, "resource.aws_lb_listener.*", cond),
            ["false", "true", "unknown", "false", "false"]
        );
        let any = "path = 'load_balancer_arn'\nreferences = { select = 'resource.aws_lb.*' }";
        assert_eq!(
            verdicts(tf, "resource.aws_lb_listener.*", any),
            ["true", "true", "unknown", "false", "false"]
        );
    }

    #[test]
    fn references_between_blocks() {
        let tf = r#"
resource "aws_s3_bucket" "versioned" { bucket = "a" }
resource "aws_s3_bucket" "suspended" { bucket = "b" }
resource "aws_s3_bucket" "bare" { bucket = "c" }
resource "aws_s3_bucket" "via_local" { bucket = "d" }
resource "aws_s3_bucket_versioning" "v1" {
  bucket = aws_s3_bucket.versioned.id
  versioning_configuration { status = "Enabled" }
}
resource "aws_s3_bucket_versioning" "v2" {
  bucket = aws_s3_bucket.suspended.id
  versioning_configuration { status = "Suspended" }
}
"#;
        let cond = "referenced_by = { select = 'resource.aws_s3_bucket_versioning.*', attribute = 'bucket', where = { path = 'versioning_configuration.status', equals = 'Enabled' } }";
        assert_eq!(verdicts(tf, "resource.aws_s3_bucket.*", cond), ["true", "false", "false", "false"]);
        let with_local = format!(
            "{tf}\nresource \"aws_s3_bucket_versioning\" \"v3\" {{\n  bucket = local.bucket_id\n}}\n"
        );
        assert_eq!(
            verdicts(&with_local, "resource.aws_s3_bucket.*", cond),
            ["true", "unknown", "unknown", "unknown"]
        );
    }

    #[test]
    fn literal_names_count_as_references_only_with_a_name_path() {
        let tf = r#"
resource "aws_s3_bucket" "named" { bucket = "acme-logs" }
resource "aws_s3_bucket" "other" { bucket = "acme-data" }
resource "aws_s3_bucket" "dynamic" { bucket = var.name }
resource "aws_s3_bucket_versioning" "v" {
  bucket = "acme-logs"
}
"#;
        let by_name = "referenced_by = { select = 'resource.aws_s3_bucket_versioning.*', attribute = 'bucket', name = 'bucket' }";
        assert_eq!(verdicts(tf, "resource.aws_s3_bucket.*", by_name), ["true", "false", "unknown"]);
        let by_ref =
            "referenced_by = { select = 'resource.aws_s3_bucket_versioning.*', attribute = 'bucket' }";
        assert_eq!(verdicts(tf, "resource.aws_s3_bucket.*", by_ref), ["false", "false", "false"]);
    }

    #[test]
    fn module_has_looks_at_every_document_of_the_unit() {
        let tf = r#"
terraform { required_version = ">= 1.5" }
resource "x" "a" { }
"#;
        let has = "module_has = { select = 'terraform.required_version' }";
        assert_eq!(verdicts(tf, "resource.x.*", has), ["true"]);
        let filtered = "module_has = { select = 'terraform', where = { path = 'backend', exists = true } }";
        assert_eq!(verdicts(tf, "resource.x.*", filtered), ["false"]);
        let dynamic = "terraform { required_version = var.v }\nresource \"x\" \"a\" { }\n";
        let pinned =
            "module_has = { select = 'terraform', where = { path = 'required_version', equals = '1.5.0' } }";
        assert_eq!(verdicts(dynamic, "resource.x.*", pinned), ["unknown"]);
    }

    #[test]
    fn json_documents_in_strings_and_jsonencode_calls() {
        let tf = r#"
resource "p" "heredoc" {
  policy = <<EOT
{"Statement": [{"Effect": "Allow", "Action": "*"}]}
EOT
}
resource "p" "single" {
  policy = "{\"Statement\": {\"Effect\": \"Allow\", \"Action\": [\"s3:GetObject\"]}}"
}
resource "p" "encoded" {
  policy = jsonencode({
    Statement = [{ Effect = "Allow", Action = "*", Resource = aws_s3_bucket.b.arn }]
  })
}
resource "p" "unknown" {
  policy = data.aws_iam_policy_document.p.json
}
resource "p" "garbage" {
  policy = "not json"
}
"#;
        let cond = "path = 'policy'\njson = { path = 'Statement', where = { all = [{ path = 'Effect', equals = 'Allow' }, { path = 'Action', equals = '*' }] } }";
        assert_eq!(verdicts(tf, "resource.p.*", cond), ["true", "false", "true", "unknown", "false"]);
    }

    #[test]
    fn reference_names_and_strings_match() {
        let tf = r#"
resource "x" "a" {
  lifecycle { ignore_changes = [tags, ingress] }
}
resource "x" "b" {
  lifecycle { ignore_changes = ["ingress"] }
}
resource "x" "c" {
  lifecycle { ignore_changes = [tags["Name"]] }
}
resource "x" "d" {
  lifecycle { ignore_changes = local.ignored }
}
"#;
        let cond = "path = 'lifecycle.ignore_changes'\nreference_matches = '^(ingress|egress)$'";
        assert_eq!(
            verdicts(tf, "resource.x.*", "address_matches = '^x\\.[ab]$'"),
            ["true", "true", "false", "false"]
        );
        assert_eq!(verdicts(tf, "resource.x.*", cond), ["true", "true", "false", "unknown"]);
        let tagged = "path = 'lifecycle.ignore_changes'\nreference_matches = '^tags\\[\"Name\"\\]$'";
        assert_eq!(verdicts(tf, "resource.x.*", tagged), ["false", "false", "true", "unknown"]);
    }

    #[test]
    fn blocks_that_cannot_exist_are_neither_companions_nor_subjects() {
        let tf = r#"
resource "aws_s3_bucket" "a" { bucket = "a" }
resource "aws_s3_bucket_versioning" "off" {
  count  = 0
  bucket = aws_s3_bucket.a.id
}
resource "aws_s3_bucket_versioning" "none" {
  for_each = {}
  bucket   = aws_s3_bucket.a.id
}
resource "aws_s3_account_public_access_block" "off" {
  count = 0
}
"#;
        let cond = "referenced_by = { select = 'resource.aws_s3_bucket_versioning.*', attribute = 'bucket' }";
        assert_eq!(verdicts(tf, "resource.aws_s3_bucket.*", cond), ["false"]);
        let has = "module_has = { select = 'resource.aws_s3_account_public_access_block.*' }";
        assert_eq!(verdicts(tf, "resource.aws_s3_bucket.*", has), ["false"]);
        let parsed = hcl::parse(tf, &Limits::default());
        let hits = Path::parse("resource.*.*")
            .unwrap_or_else(|e| panic!("{e}"))
            .resolve(Hit::root(&parsed.docs[0]))
            .hits;
        assert_eq!(hits.iter().map(may_exist).collect::<Vec<_>>(), [true, false, false, false]);
    }

    #[test]
    fn json_syntax_traversals_are_followed() {
        assert_eq!(json_traversal("${aws_s3_bucket.b[0].id}"), Some(vec!["aws_s3_bucket", "b", "[0]", "id"]));
        assert_eq!(json_traversal("${ var.name }"), Some(vec!["var", "name"]));
        assert_eq!(json_traversal("${lower(var.name)}"), None);
        assert_eq!(json_traversal("arn:${var.partition}:s3"), None);
        let node =
            |t: &str| Node::new(crate::span::Span::default(), Value::Expr(Box::new(Expr::Other(t.into()))));
        let address = ["aws_s3_bucket", "logs"];
        assert_eq!(references(&node("${aws_s3_bucket.logs.id}"), &address), Some(true));
        assert_eq!(references(&node("${aws_s3_bucket.data.id}"), &address), Some(false));
        assert_eq!(references(&node("${local.bucket}"), &address), None);
        assert_eq!(references(&node("${coalesce(var.a, aws_s3_bucket.logs.id)}"), &address), Some(true));
    }
}
