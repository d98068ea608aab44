//! Reading rule files (TOML) into compiled [`Rule`]s, with errors that name the file, line and key.

use super::condition::{Cmp, Condition, Literal, Test, TypeName};
use super::meta::{Family, Precision, RuleMeta, Severity, Smell};
use super::native;
use super::path::{Path, Step};
use super::pattern::{Compile, Pattern};
use super::{Check, Compiled, Example, Rule};
use crate::source::FileKind;
use serde::Deserialize;
use std::sync::Arc;
use toml::Value as Toml;

/// The on-disk shape of a rule file. `docs/rule-language.md` documents every field.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    code: String,
    name: String,
    family: Family,
    smell: Smell,
    severity: Severity,
    precision: Precision,
    cwe: Option<u32>,
    summary: String,
    message: String,
    help: String,
    docs: String,
    scope: ScopeFile,
    when: Option<toml::Spanned<Toml>>,
    native: Option<String>,
    /// `name = { default = …, description = "…" }`; conditions use them as `{ option = "name" }`.
    options: Option<toml::Spanned<toml::Table>>,
    /// `false`: in-source suppressions of this rule do not apply (policy).
    suppressible: Option<bool>,
    /// A safe edit the editor offers as a quick fix.
    fix: Option<super::meta::ValueFix>,
    examples: ExamplesFile,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScopeFile {
    kinds: Vec<FileKind>,
    #[serde(default)]
    select: OneOrMany,
    #[serde(rename = "where")]
    filter: Option<toml::Spanned<Toml>>,
}

/// `select = "a.b"` or `select = ["a.b", "c.d"]`.
#[derive(Debug, Default, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    #[default]
    None,
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExamplesFile {
    #[serde(default)]
    bad: Vec<ExampleFile>,
    #[serde(default)]
    good: Vec<ExampleFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExampleFile {
    path: String,
    code: toml::Spanned<String>,
    /// `[[examples.bad.also]]`: files checked together with this one.
    #[serde(default)]
    also: Vec<AlsoFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AlsoFile {
    path: String,
    code: String,
}

/// A rule file that cannot be loaded. Displays as `origin:line: message`.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("{origin}:{line}: {message}")]
pub struct LoadError {
    pub origin: String,
    pub line: usize,
    pub message: String,
}

/// Compiles one rule file. `origin` names it in errors (`rules/terraform/x.toml`).
pub fn load_rule(origin: &str, text: &str) -> Result<Rule, LoadError> {
    load_rule_with(origin, text, Compile::Eager)
}

/// [`load_rule`], with the rule's regexes compiled `when` says.
pub(super) fn load_rule_with(origin: &str, text: &str, when: Compile) -> Result<Rule, LoadError> {
    let err_at = |offset: usize, message: String| LoadError {
        origin: origin.to_string(),
        line: line_of(text, offset),
        message,
    };
    let file: RuleFile = toml::from_str(text).map_err(|e| {
        let offset = e.span().map(|s| s.start).unwrap_or(0);
        err_at(offset, e.message().to_string())
    })?;
    let stem = origin.rsplit('/').next().and_then(|n| n.strip_suffix(".toml")).unwrap_or(origin);
    let problems = [
        (!is_kebab(&file.name)).then(|| format!("rule name `{}` must be kebab-case", file.name)),
        (stem != file.name)
            .then(|| format!("rule `{}` must live in a file named `{}.toml`", file.name, file.name)),
        (file.smell.family() != file.family).then(|| {
            format!(
                "smell `{}` belongs to family `{}`, not `{}` (see SMELLS.md)",
                file.smell,
                file.smell.family(),
                file.family
            )
        }),
        (file.scope.kinds.is_empty()).then(|| "`scope.kinds` must name at least one file kind".to_string()),
        (file.examples.bad.is_empty() || file.examples.good.is_empty())
            .then(|| "a rule needs at least one `[[examples.bad]]` and one `[[examples.good]]`".to_string()),
    ];
    if let Some(message) = problems.into_iter().flatten().next() {
        return Err(err_at(0, message));
    }
    let options = match &file.options {
        Some(o) => super::options::declared(o.get_ref()).map_err(|m| err_at(o.span().start, m))?,
        None => Vec::new(),
    };
    let defaults = super::options::values(&options, &Default::default()).map_err(|m| err_at(0, m))?;
    let with_defaults = |v: &toml::Spanned<Toml>| {
        // Most conditions name no option: compile them as written rather than from a copy.
        let compiled = if super::options::mentions_option(v.get_ref()) {
            super::options::substitute(v.get_ref(), &defaults).and_then(|v| condition(&v, when))
        } else {
            condition(v.get_ref(), when)
        };
        compiled.map_err(|m| err_at(v.span().start, m))
    };
    let check = match (&file.when, &file.native) {
        (Some(when), None) => Check::Condition(Compiled::new(with_defaults(when)?)),
        (None, Some(name)) if name == crate::envs::NATIVE => Check::Environments(
            crate::envs::Keys::compile(&defaults).map_err(|m| err_at(0, format!("options: {m}")))?,
        ),
        (None, Some(name)) => Check::Native(
            native::lookup(name).ok_or_else(|| err_at(0, format!("unknown native check `{name}`")))?,
        ),
        _ => return Err(err_at(0, "a rule needs exactly one of `[when]` or `native`".to_string())),
    };
    let select = match &file.scope.select {
        OneOrMany::None => Vec::new(),
        OneOrMany::One(s) => vec![s.clone()],
        OneOrMany::Many(v) => v.clone(),
    };
    let select =
        select.iter().map(|s| Path::parse(s)).collect::<Result<Vec<_>, _>>().map_err(|m| err_at(0, m))?;
    let filter = match &file.scope.filter {
        Some(w) => Some(with_defaults(w)?),
        None => None,
    };
    let cwe = file.cwe.or_else(|| file.smell.cwe());
    let source = super::options::ConditionSource {
        when: file.when.map(toml::Spanned::into_inner),
        filter: file.scope.filter.map(toml::Spanned::into_inner),
    };
    let example = |good: bool, e: ExampleFile| {
        let line = code_line(text, e.code.span().start);
        let also = e.also.into_iter().map(|a| (a.path, a.code)).collect();
        Example { good, path: e.path, code: e.code.into_inner(), line, also }
    };
    let examples = file
        .examples
        .bad
        .into_iter()
        .map(|e| example(false, e))
        .chain(file.examples.good.into_iter().map(|e| example(true, e)))
        .collect();
    Ok(Rule {
        meta: Arc::new(RuleMeta {
            code: file.code,
            name: file.name,
            family: file.family,
            smell: file.smell,
            severity: file.severity,
            precision: file.precision,
            cwe,
            summary: file.summary.trim().to_string(),
            help: file.help.trim().to_string(),
            docs: file.docs.trim().to_string(),
            origin: origin.to_string(),
            fix: file.fix,
        }),
        message: file.message.trim().to_string(),
        kinds: file.scope.kinds,
        select,
        filter,
        check,
        examples,
        severity: file.severity,
        suppressible: file.suppressible.unwrap_or(true),
        options,
        source,
    })
}

fn is_kebab(s: &str) -> bool {
    !s.is_empty()
        && s.split('-')
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()))
}

pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    // Every example of every rule file asks, from the file's start: counted with `matches('\n')` that
    // was 7% of start-up.
    text.as_bytes().get(..offset).map(|t| memchr::memchr_iter(b'\n', t).count() + 1).unwrap_or(1)
}

/// The line of a string's first character, given the offset of its opening quote: TOML drops a newline
/// right after `'''` or `"""`, so such a string starts on the next line.
fn code_line(text: &str, offset: usize) -> usize {
    let rest = text.get(offset..).unwrap_or_default();
    let multiline = ["'''\n", "'''\r\n", "\"\"\"\n", "\"\"\"\r\n"].iter().any(|q| rest.starts_with(q));
    line_of(text, offset) + usize::from(multiline)
}

const LEAF_TESTS: &[&str] = &[
    "exists",
    "equals",
    "one_of",
    "matches",
    "key_matches",
    "lt",
    "le",
    "gt",
    "ge",
    "version_lt",
    "version_le",
    "version_gt",
    "version_ge",
    "cidr_prefix_max",
    "cidr_contains",
    "type",
    "where",
    "referenced_by",
    "module_has",
    "references",
    "json",
    "reference_matches",
    "address_matches",
    "capture",
];

/// Compiles a condition written as a TOML document (the body of a `[when]` table).
pub fn compile_condition(toml_text: &str) -> Result<Condition, String> {
    let value: Toml = toml::from_str(toml_text).map_err(|e| e.to_string())?;
    condition(&value, Compile::Eager)
}

/// Compiles a condition table: `{ all = [...] }`, `{ any = [...] }`, `{ not = {...} }`, or a leaf
/// `{ path = "...", <test> = ..., ... }`.
pub(super) fn condition(v: &Toml, when: Compile) -> Result<Condition, String> {
    let Toml::Table(t) = v else { return Err(format!("a condition must be a table, found `{v}`")) };
    for combinator in ["all", "any", "not"] {
        let Some(inner) = t.get(combinator) else { continue };
        if t.len() != 1 {
            return Err(format!("`{combinator}` must stand alone in its table; wrap other tests in `all`"));
        }
        return match (combinator, inner) {
            ("not", _) => Ok(Condition::Not(Box::new(condition(inner, when)?))),
            (_, Toml::Array(items)) if !items.is_empty() => {
                let items = items.iter().map(|c| condition(c, when)).collect::<Result<Vec<_>, _>>()?;
                Ok(if combinator == "all" { Condition::All(items) } else { Condition::Any(items) })
            }
            _ => Err(format!("`{combinator}` takes a non-empty array of conditions")),
        };
    }
    let path = match t.get("path") {
        Some(Toml::String(p)) => Path::parse(p)?,
        Some(other) => return Err(format!("`path` must be a string, found `{other}`")),
        None => Path::default(),
    };
    if let Some(unknown) = t.keys().find(|k| *k != "path" && !LEAF_TESTS.contains(&k.as_str())) {
        return Err(unknown_key(unknown));
    }
    if t.get("exists") == Some(&Toml::Boolean(false)) {
        if t.len() > 2 || !t.contains_key("path") {
            return Err("`exists = false` takes a `path` and no other test".to_string());
        }
        return Ok(Condition::Absent { path: path.without_keys() });
    }
    let mut tests = Vec::new();
    for (key, value) in t.iter().filter(|(k, _)| *k != "path" && *k != "capture") {
        tests.push(test(key, value, when).map_err(|m| format!("`{key}`: {m}"))?);
    }
    if let Some(capture) = t.get("capture") {
        tests = vec![capture_test(capture, tests, when)?];
    }
    // A key test is a pure filter (true or false, never witnesses or unknown), and a regex on every
    // key of a document (`**` with `key_matches`) costs more than the value tests it guards: it runs
    // last, which cannot change the outcome.
    tests.sort_by_key(|t| matches!(t, Test::KeyMatches(_)));
    let path = key_test_into_path(path, &mut tests);
    if tests.is_empty() {
        return Err(format!(
            "condition on `{}` has no test (one of: {})",
            path.as_str(),
            LEAF_TESTS.join(", ")
        ));
    }
    let path = if tests.iter().any(Test::reads_keys) { path } else { path.without_keys() };
    Ok(Condition::Leaf { path, tests })
}

/// `*` (or `*[*]`) with a `key_matches` of a few fixed names (`^(containers|initContainers)$`)
/// becomes a step that takes only the entries under those names ([`Step::KeyIn`]): the tests then
/// never see the entries under other keys, or the items of their lists (a pod spec's `volumes` and
/// `tolerations` for the containers' conditions), and the key is compared, not searched with a
/// regex. The hits, and so the outcome, are the ones the test would have kept, except that an unknown
/// value under another key no longer makes the condition unknown: it could not have passed the test.
fn key_test_into_path(mut path: Path, tests: &mut Vec<Test>) -> Path {
    // The key a hit has is the one its last `*` or named step gave: items keep their list's.
    let Some(at) = path.steps.iter().rposition(|s| !matches!(s, Step::AnyItem | Step::Index(_))) else {
        return path;
    };
    if path.steps[at] != Step::AnyKey {
        return path;
    }
    let fixed = tests.iter().enumerate().find_map(|(i, t)| match t {
        Test::KeyMatches(re) => re.fixed_strings().map(|names| (i, names)),
        _ => None,
    });
    let Some((i, names)) = fixed else { return path };
    tests.remove(i);
    if tests.is_empty() {
        tests.push(Test::Exists);
    }
    path.steps[at] = Step::KeyIn(names.into_boxed_slice());
    path
}

fn unknown_key(key: &str) -> String {
    let nearest = LEAF_TESTS
        .iter()
        .chain(["path", "all", "any", "not"].iter())
        .min_by_key(|k| edit_distance(key, k))
        .copied()
        .unwrap_or("path");
    format!("unknown key `{key}` in condition (did you mean `{nearest}`?)")
}

pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

fn test(key: &str, v: &Toml, when: Compile) -> Result<Test, String> {
    let num = || match v {
        Toml::Integer(i) => Ok(*i as f64),
        Toml::Float(f) => Ok(*f),
        _ => Err(format!("expected a number, found `{v}`")),
    };
    let string = || v.as_str().ok_or_else(|| format!("expected a string, found `{v}`"));
    // `ge = 3`, or `ge = { path = "spec.replicas" }`: the number at another path of the same subject.
    let compare = |cmp| match v {
        Toml::Table(t) => match (t.get("path"), t.len()) {
            (Some(Toml::String(p)), 1) => Ok(Test::ComparePath(cmp, Path::parse(p)?)),
            _ => Err(format!("expected a number or `{{ path = \"…\" }}`, found `{v}`")),
        },
        _ => num().map(|n| Test::Compare(cmp, n)),
    };
    let version = |cmp| {
        let s = string()?;
        super::condition::parse_version(s)
            .map(|parsed| Test::Version(cmp, parsed))
            .ok_or_else(|| format!("`{s}` is not a version like 1.2.3"))
    };
    Ok(match key {
        "exists" => match v {
            Toml::Boolean(true) => Test::Exists,
            _ => return Err("expected `true` (use `exists = false` alone for absence)".to_string()),
        },
        "equals" => Test::Equals(literal(v)?),
        "one_of" => match v {
            Toml::Array(items) => Test::OneOf(items.iter().map(literal).collect::<Result<_, _>>()?),
            _ => return Err("expected an array".to_string()),
        },
        "matches" => Test::Matches(Pattern::new(string()?, when)?),
        "key_matches" => Test::KeyMatches(Pattern::new(string()?, when)?),
        "lt" => compare(Cmp::Lt)?,
        "le" => compare(Cmp::Le)?,
        "gt" => compare(Cmp::Gt)?,
        "ge" => compare(Cmp::Ge)?,
        "version_lt" => version(Cmp::Lt)?,
        "version_le" => version(Cmp::Le)?,
        "version_gt" => version(Cmp::Gt)?,
        "version_ge" => version(Cmp::Ge)?,
        "cidr_prefix_max" => {
            let n = num()?;
            if !(0.0..=128.0).contains(&n) {
                return Err("expected a prefix length from 0 to 128".to_string());
            }
            Test::CidrPrefixMax(n as u8)
        }
        "cidr_contains" => {
            let s = string()?;
            let net = s
                .parse::<ipnet::IpNet>()
                .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| format!("`{s}` is not an IP address or CIDR"))?;
            Test::CidrContains(net)
        }
        "type" => Test::Type(match string()? {
            "string" => TypeName::String,
            "number" => TypeName::Number,
            "bool" => TypeName::Bool,
            "null" => TypeName::Null,
            "list" => TypeName::List,
            "map" => TypeName::Map,
            "expr" => TypeName::Expr,
            other => {
                return Err(format!("unknown type `{other}` (string, number, bool, null, list, map, expr)"));
            }
        }),
        "where" => Test::Where(Box::new(condition(v, when)?)),
        "referenced_by" => {
            let Toml::Table(t) = v else { return Err("expected a table".to_string()) };
            let keys = ["select", "attribute", "name", "where"];
            if let Some(k) = t.keys().find(|k| !keys.contains(&k.as_str())) {
                return Err(format!("unknown key `{k}` (select, attribute, name, where)"));
            }
            let path_of = |k: &str| match t.get(k) {
                Some(Toml::String(s)) => Path::parse(s),
                _ => Err(format!("`referenced_by.{k}` must be a path string")),
            };
            Test::ReferencedBy {
                select: path_of("select")?,
                attribute: path_of("attribute")?,
                name: t.contains_key("name").then(|| path_of("name")).transpose()?,
                filter: t.get("where").map(|c| condition(c, when)).transpose()?.map(Box::new),
            }
        }
        "module_has" => {
            let Toml::Table(t) = v else { return Err("expected a table".to_string()) };
            if let Some(k) = t.keys().find(|k| !["select", "where"].contains(&k.as_str())) {
                return Err(format!("unknown key `{k}` (select, where)"));
            }
            let Some(Toml::String(select)) = t.get("select") else {
                return Err("`module_has.select` must be a path string".to_string());
            };
            Test::ModuleHas {
                select: Path::parse(select)?,
                filter: t.get("where").map(|c| condition(c, when)).transpose()?.map(Box::new),
            }
        }
        "references" => {
            let Toml::Table(t) = v else { return Err("expected a table".to_string()) };
            if let Some(k) = t.keys().find(|k| !["select", "where"].contains(&k.as_str())) {
                return Err(format!("unknown key `{k}` (select, where)"));
            }
            let Some(Toml::String(select)) = t.get("select") else {
                return Err("`references.select` must be a path string".to_string());
            };
            Test::References {
                select: Path::parse(select)?,
                filter: t.get("where").map(|c| condition(c, when)).transpose()?.map(Box::new),
            }
        }
        "json" => Test::Json(Box::new(condition(v, when)?)),
        "reference_matches" => Test::ReferenceMatches(Pattern::new(string()?, when)?),
        "address_matches" => Test::AddressMatches(Pattern::new(string()?, when)?),
        _ => return Err(unknown_key(key)),
    })
}

/// `capture = 'regex'`: the leaf's value tests apply to the regex's first group instead of the whole
/// value (`capture = '^([^/]+)/'` tests the owner of `owner/repo@ref`).
fn capture_test(v: &Toml, tests: Vec<Test>, when: Compile) -> Result<Test, String> {
    let Toml::String(pattern) = v else { return Err(format!("`capture`: expected a regex, found `{v}`")) };
    let re = Pattern::new(pattern, when).map_err(|m| format!("`capture`: {m}"))?;
    if re.groups().map_err(|m| format!("`capture`: {m}"))? < 1 {
        return Err("`capture`: the regex needs a group, `(…)`, to capture".to_string());
    }
    if tests.is_empty() || !tests.iter().all(Test::is_value_test) {
        return Err("`capture` takes value tests (`equals`, `one_of`, `matches`, comparisons) to apply to the captured text".to_string());
    }
    Ok(Test::Capture(re, tests))
}

fn literal(v: &Toml) -> Result<Literal, String> {
    Ok(match v {
        Toml::Boolean(b) => Literal::Bool(*b),
        Toml::Integer(i) => Literal::Number(*i as f64),
        Toml::Float(f) => Literal::Number(*f),
        Toml::String(s) => Literal::Str(s.clone()),
        _ => return Err(format!("expected a string, number or boolean, found `{v}`")),
    })
}
