//! The rule condition language, compiled from a rule file's `[when]` table and evaluated over the model
//! with three-valued logic: a value smelt cannot know (a variable, a function call) makes a test
//! *unknown*, `not` of unknown stays unknown, and a rule only fires on *true*. So a rule never fires on a
//! value it cannot see, and "absent" means absent from every possible configuration.
//!
//! The language is documented for users in `docs/rule-language.md`.

use super::path::{Hit, Path, Resolution};
use crate::model::{Expr, Node, Value};
use ipnet::IpNet;
use regex::Regex;
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
    Matches(Regex),
    KeyMatches(Regex),
    Compare(Cmp, f64),
    Version(Cmp, Vec<u64>),
    CidrPrefixMax(u8),
    CidrContains(IpNet),
    Type(TypeName),
    /// A condition evaluated with the node as its subject.
    Where(Box<Condition>),
    /// Terraform: some block selected by `select` (in the same module) has an `attribute` whose
    /// expression references this node's block, and satisfies `filter`.
    ReferencedBy {
        select: Path,
        attribute: Path,
        filter: Option<Box<Condition>>,
    },
    /// Value tests applied to the first group the regex captures from the node's text.
    Capture(Regex, Vec<Test>),
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
            // Every true alternative contributes its witnesses, so two bad containers are two findings.
            Condition::Any(items) => {
                let mut witnesses = Vec::new();
                let mut any_true = false;
                let mut unknown = false;
                for c in items {
                    match c.eval(subject, scope) {
                        Truth::True(w) => {
                            any_true = true;
                            witnesses.extend(w);
                        }
                        Truth::Unknown => unknown = true,
                        Truth::False => {}
                    }
                }
                match (any_true, unknown) {
                    (true, _) => Truth::True(witnesses),
                    (false, true) => Truth::Unknown,
                    (false, false) => Truth::False,
                }
            }
            Condition::Not(inner) => match inner.eval(subject, scope) {
                Truth::True(_) => Truth::False,
                Truth::False => Truth::True(Vec::new()),
                Truth::Unknown => Truth::Unknown,
            },
            Condition::Absent { path } => {
                let res = path.resolve(subject.clone());
                if !res.hits.is_empty() {
                    Truth::False
                } else if res.unknown {
                    Truth::Unknown
                } else {
                    Truth::True(Vec::new())
                }
            }
            Condition::Leaf { path, tests } => eval_leaf(path.resolve(subject.clone()), tests, scope),
        }
    }
}

fn eval_leaf<'a>(res: Resolution<'a>, tests: &[Test], scope: &Scope<'a>) -> Truth<'a> {
    let mut unknown = res.unknown;
    let mut witnesses = Vec::new();
    let mut any_true = false;
    for hit in res.hits {
        let mut all = Some(true);
        let mut inner = Vec::new();
        for t in tests {
            match t.eval(&hit, scope) {
                Truth::False => {
                    all = Some(false);
                    break;
                }
                Truth::Unknown => all = None,
                Truth::True(w) if !w.is_empty() => inner = w,
                Truth::True(_) => {}
            }
        }
        match all {
            Some(true) => {
                any_true = true;
                if inner.is_empty() {
                    witnesses.push(hit);
                } else {
                    witnesses.extend(inner);
                }
            }
            None => unknown = true,
            Some(false) => {}
        }
    }
    match (any_true, unknown) {
        (true, _) => Truth::True(witnesses),
        (false, true) => Truth::Unknown,
        (false, false) => Truth::False,
    }
}

fn known(b: bool) -> Truth<'static> {
    if b { Truth::True(Vec::new()) } else { Truth::False }
}

impl Test {
    fn eval<'a>(&self, hit: &Hit<'a>, scope: &Scope<'a>) -> Truth<'a> {
        let node = hit.node;
        match self {
            Test::KeyMatches(re) => return known(hit.key.is_some_and(|k| re.is_match(k))),
            Test::Exists => return Truth::True(Vec::new()),
            Test::Type(t) => return known(type_of(node) == *t),
            Test::Where(cond) => return cond.eval(hit, scope),
            Test::ReferencedBy { select, attribute, filter } => {
                return referenced_by(hit, select, attribute, filter.as_deref(), scope);
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
                match self.eval(&item_hit, scope) {
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
            Test::Matches(re) => known(node.scalar_text().is_some_and(|s| re.is_match(&s))),
            Test::Compare(cmp, n) => known(number_of(node).is_some_and(|v| cmp.holds(v, *n))),
            Test::Version(cmp, want) => known(
                node.scalar_text()
                    .and_then(|s| parse_version(&s))
                    .is_some_and(|v| cmp.holds_ord(v.cmp(want))),
            ),
            Test::CidrPrefixMax(max) => known(cidr_of(node).is_some_and(|n| n.prefix_len() <= *max)),
            Test::CidrContains(net) => known(cidr_of(node).is_some_and(|n| n.contains(net))),
            Test::Capture(re, tests) => {
                let Some(text) = node.scalar_text() else { return Truth::False };
                let Some(part) = re.captures(&text).and_then(|c| c.get(1)) else { return Truth::False };
                let part = Node { value: Value::Str(part.as_str().to_string()), ..node.clone() };
                let part_hit = Hit { node: &part, ..hit.clone() };
                known(tests.iter().all(|t| t.eval(&part_hit, scope).is_true()))
            }
            _ => Truth::False,
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
            (Literal::Str(a), Value::Number(_) | Value::Bool(_)) => node.scalar_text().as_deref() == Some(a),
            _ => false,
        }
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
    match keys {
        ["resource", t, n, ..] => Some(vec![*t, *n]),
        ["data", t, n, ..] => Some(vec!["data", *t, *n]),
        ["module", n, ..] => Some(vec!["module", *n]),
        _ => None,
    }
}

fn referenced_by<'a>(
    hit: &Hit<'a>,
    select: &Path,
    attribute: &Path,
    filter: Option<&Condition>,
    scope: &Scope<'a>,
) -> Truth<'a> {
    let keys = hit.keys.to_vec();
    let Some(address) = block_address(&keys) else { return Truth::False };
    let mut unknown = false;
    for doc in scope.docs {
        for candidate in select.resolve(Hit::root(doc)).hits {
            let refs = attribute.resolve(candidate.clone());
            unknown |= refs.unknown;
            let points_here = refs.hits.iter().any(|r| match references(r.node, &address) {
                Some(true) => true,
                Some(false) => false,
                None => {
                    unknown = true;
                    false
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

/// Whether an expression references `address`: `Some(true)` yes, `Some(false)` it provably points
/// elsewhere (a literal, or only references to other resources), `None` it might (a local, a variable,
/// a call whose result cannot be followed yet).
fn references(node: &Node, address: &[&str]) -> Option<bool> {
    let Value::Expr(expr) = &node.value else { return Some(false) };
    match expr.as_ref() {
        Expr::Reference(parts) => {
            if parts.len() >= address.len() && parts.iter().zip(address).all(|(p, a)| p == a) {
                Some(true)
            } else if matches!(
                parts.first().map(String::as_str),
                Some("var" | "local" | "module" | "each" | "count")
            ) {
                None
            } else {
                Some(false)
            }
        }
        Expr::Template(parts) => any_reference(parts, address),
        Expr::Call { args, .. } => any_reference(args, address),
        Expr::Conditional { cond, then, otherwise } => any_reference([cond, then, otherwise], address),
        Expr::Op { operands, .. } => any_reference(operands, address),
        Expr::For(_) | Expr::Traverse { .. } => {
            let mut parts = Vec::new();
            node_children(expr, &mut parts);
            any_reference(parts, address)
        }
        Expr::Other(text) => {
            let needle = address.join(".");
            if text.contains(&needle) { Some(true) } else { None }
        }
    }
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
}
