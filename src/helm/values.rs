//! Helm values: YAML read into template values the way Helm reads them, merged the way Helm merges
//! them, with every value remembering the file and entry that set it.
//!
//! Helm reads values through a YAML→JSON round trip (`sigs.k8s.io/yaml`), so every number is a
//! `float64` and YAML 1.1 words (`yes`, `off`, …) are booleans; [`from_yaml`] does the same. A merged
//! [`Tree`] is turned into template [`Value`]s once by [`Tree::to_value`], which also fills a
//! [`Provenance`] table: the executor's trace names containers by identity, and the table says where
//! each of their entries was set.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use super::template::Value;
use crate::model::{self, Node};
use crate::span::Span;

/// Where a value was set: a `key: value` entry (or list item) of a values file.
#[derive(Clone, Debug, PartialEq)]
pub struct Origin {
    pub file: Arc<str>,
    pub span: Span,
    /// The dotted path of the value (`image.tag`, `extraEnv[0]`).
    pub path: String,
}

/// A values tree in which every node remembers where it was set.
#[derive(Clone, Debug, PartialEq)]
pub struct Tree {
    pub kind: Kind,
    pub origin: Option<Origin>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    Scalar(Value),
    List(Vec<Tree>),
    Map(BTreeMap<String, Tree>),
}

impl Tree {
    pub fn empty_map() -> Tree {
        Tree { kind: Kind::Map(BTreeMap::new()), origin: None }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.kind, Kind::Scalar(Value::Nil))
    }

    pub fn get(&self, key: &str) -> Option<&Tree> {
        match &self.kind {
            Kind::Map(m) => m.get(key),
            _ => None,
        }
    }

    /// The value at a dotted path (`sub.enabled`).
    pub fn lookup(&self, path: &str) -> Option<&Tree> {
        path.split('.').try_fold(self, |t, k| t.get(k))
    }

    /// Converts to template values, registering every map and list in `prov`.
    pub fn to_value(&self, prov: &mut Provenance) -> Value {
        match &self.kind {
            Kind::Scalar(v) => v.clone(),
            Kind::List(items) => {
                let v = Value::list(items.iter().map(|t| t.to_value(prov)).collect());
                let entries = items.iter().enumerate().map(|(i, t)| (i.to_string(), t.origin.clone()));
                prov.register(&v, self.origin.clone(), entries.collect());
                v
            }
            Kind::Map(m) => {
                let v = Value::map(m.iter().map(|(k, t)| (k.clone(), t.to_value(prov))).collect());
                let entries = m.iter().map(|(k, t)| (k.clone(), t.origin.clone()));
                prov.register(&v, self.origin.clone(), entries.collect());
                v
            }
        }
    }
}

/// Where the entries of each values container were set, by container identity
/// ([`Value::container_id`]). The containers must outlive the table's use (identities are addresses).
#[derive(Debug, Default)]
pub struct Provenance {
    containers: HashMap<usize, Container>,
    /// Keeps every registered container alive, so an address is never reused while the table is.
    keep: Vec<Value>,
}

#[derive(Debug)]
pub struct Container {
    /// Where the container itself was set.
    pub origin: Option<Origin>,
    /// Entry (map key, or list index as a string) → where it was set.
    pub entries: BTreeMap<String, Option<Origin>>,
    pub value: Value,
}

impl Provenance {
    fn register(&mut self, v: &Value, origin: Option<Origin>, entries: BTreeMap<String, Option<Origin>>) {
        if let Some(id) = v.container_id() {
            self.containers.insert(id, Container { origin, entries, value: v.clone() });
            self.keep.push(v.clone());
        }
    }

    pub fn get(&self, id: usize) -> Option<&Container> {
        self.containers.get(&id)
    }

    pub fn ids(&self) -> HashSet<usize> {
        self.containers.keys().copied().collect()
    }
}

/// YAML 1.1 booleans that Helm's YAML reader accepts besides `true`/`false`.
const YAML11_TRUE: &[&str] = &["y", "Y", "yes", "Yes", "YES", "on", "On", "ON"];
const YAML11_FALSE: &[&str] = &["n", "N", "no", "No", "NO", "off", "Off", "OFF"];

/// YAML 1.1 integers that YAML 1.2 reads otherwise: `0777` (octal), `1_000` (underscores), `0x1F`.
fn yaml11_int(raw: &str) -> Option<f64> {
    let (neg, body) = match raw.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, raw.strip_prefix('+').unwrap_or(raw)),
    };
    if body.is_empty() || !body.bytes().next().is_some_and(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits: String = body.chars().filter(|&c| c != '_').collect();
    let n = if let Some(hex) = digits.strip_prefix("0x") {
        i64::from_str_radix(hex, 16).ok()?
    } else if digits.len() > 1
        && digits.starts_with('0')
        && digits.bytes().all(|b| (b'0'..=b'7').contains(&b))
    {
        i64::from_str_radix(&digits[1..], 8).ok()?
    } else if body.contains('_') && digits.bytes().all(|b| b.is_ascii_digit()) {
        digits.parse::<i64>().ok()?
    } else {
        return None;
    };
    Some(if neg { -(n as f64) } else { n as f64 })
}

/// A values document as Helm reads it. `text` is the file's text (to tell plain scalars from quoted).
pub fn from_yaml(file: &Arc<str>, text: &str, node: &Node, path: &str) -> Tree {
    let origin = Some(Origin { file: Arc::clone(file), span: node.span, path: path.to_string() });
    from_node(file, text, node, path, origin)
}

fn from_node(file: &Arc<str>, text: &str, node: &Node, path: &str, origin: Option<Origin>) -> Tree {
    let kind = match &node.value {
        model::Value::Null => Kind::Scalar(Value::Nil),
        model::Value::Bool(b) => Kind::Scalar(Value::Bool(*b)),
        model::Value::Number(n) => {
            let raw = text.get(node.span.range()).unwrap_or("");
            Kind::Scalar(Value::Float(yaml11_int(raw).unwrap_or(*n)))
        }
        model::Value::Str(s) => {
            let plain = text.get(node.span.range()).is_some_and(|raw| raw == s);
            if let Some(n) = yaml11_int(s).filter(|_| plain) {
                Kind::Scalar(Value::Float(n))
            } else if plain && YAML11_TRUE.contains(&s.as_str()) {
                Kind::Scalar(Value::Bool(true))
            } else if plain && YAML11_FALSE.contains(&s.as_str()) {
                Kind::Scalar(Value::Bool(false))
            } else {
                Kind::Scalar(Value::Str(s.clone()))
            }
        }
        model::Value::List(items) => Kind::List(
            items
                .iter()
                .enumerate()
                .map(|(i, n)| {
                    let p = format!("{path}[{i}]");
                    let o = Origin { file: Arc::clone(file), span: n.span, path: p.clone() };
                    from_node(file, text, n, &p, Some(o))
                })
                .collect(),
        ),
        model::Value::Map(entries) => {
            let mut m = BTreeMap::new();
            for e in entries {
                // An unquoted `on:`/`y:`/`off:` key is a boolean in YAML 1.1: the key becomes "true"/"false".
                let plain_key = text.get(e.key_span.range()).is_some_and(|raw| raw == e.key);
                let key = match e.key.as_str() {
                    k if plain_key && YAML11_TRUE.contains(&k) => "true".to_string(),
                    k if plain_key && YAML11_FALSE.contains(&k) => "false".to_string(),
                    k => k.to_string(),
                };
                let e = model::Entry { key, key_span: e.key_span, value: e.value.clone() };
                let p = if path.is_empty() { e.key.clone() } else { format!("{path}.{}", e.key) };
                let o = Origin { file: Arc::clone(file), span: e.span(), path: p.clone() };
                m.insert(e.key.clone(), from_node(file, text, &e.value, &p, Some(o)));
            }
            Kind::Map(m)
        }
        // YAML has no expressions; what the lowering could not read is a string, as text.
        model::Value::Expr(_) => Kind::Scalar(Value::Str(text.get(node.span.range()).unwrap_or("").into())),
    };
    Tree { kind, origin }
}

/// `over` merged onto `base` as Helm coalesces values: maps merge key by key, anything else in `over`
/// replaces, and a `null` in `over` deletes the key.
pub fn merge(base: Tree, over: Tree) -> Tree {
    match (base.kind, over.kind) {
        (Kind::Map(mut b), Kind::Map(o)) => {
            for (k, v) in o {
                if v.is_null() {
                    b.remove(&k);
                    continue;
                }
                let merged = match b.remove(&k) {
                    Some(old) => merge(old, v),
                    None => v,
                };
                b.insert(k, merged);
            }
            Tree { kind: Kind::Map(b), origin: over.origin.or(base.origin) }
        }
        (_, kind) => Tree { kind, origin: over.origin },
    }
}

/// Several user values files stacked (`-f a.yaml -f b.yaml`): like [`merge`], but a `null` is kept, so
/// that the final [`merge`] over the chart's defaults can delete the default it names.
pub fn overlay(base: Tree, over: Tree) -> Tree {
    match (base.kind, over.kind) {
        (Kind::Map(mut b), Kind::Map(o)) => {
            for (k, v) in o {
                let merged = match b.remove(&k) {
                    Some(old) if !v.is_null() => overlay(old, v),
                    _ => v,
                };
                b.insert(k, merged);
            }
            Tree { kind: Kind::Map(b), origin: over.origin.or(base.origin) }
        }
        (_, kind) => Tree { kind, origin: over.origin },
    }
}

/// A chart's own values as Helm keeps them: keys set to `null` are dropped from maps at any depth
/// (items of lists are left alone).
pub fn drop_nulls(mut t: Tree) -> Tree {
    if let Kind::Map(m) = &mut t.kind {
        let old = std::mem::take(m);
        *m = old.into_iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k, drop_nulls(v))).collect();
    }
    t
}

/// Applies one `--set` argument (`a.b=c,list[0].x=1`) with Helm's typing: integers are int64,
/// `true`/`false` booleans, `null` deletes.
pub fn apply_set(values: &mut Tree, arg: &str) -> Result<(), String> {
    for assignment in split_unescaped(arg, ',') {
        let Some((key, raw)) = assignment.split_once('=') else {
            return Err(format!("`--set {arg}`: `{assignment}` is not KEY=VALUE"));
        };
        let value = match raw {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            "null" => Value::Nil,
            _ => match raw.parse::<i64>() {
                Ok(i) if !raw.starts_with('0') || raw == "0" => Value::Int(i),
                _ => Value::Str(raw.replace("\\,", ",")),
            },
        };
        let path = parse_set_path(key).ok_or_else(|| format!("`--set {arg}`: bad key `{key}`"))?;
        set_path(values, &path, Tree { kind: Kind::Scalar(value), origin: None })?;
    }
    Ok(())
}

enum Step {
    Key(String),
    Index(usize),
}

fn parse_set_path(key: &str) -> Option<Vec<Step>> {
    let mut steps = Vec::new();
    for part in split_unescaped(key, '.') {
        let (name, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part.as_str(), ""),
        };
        if name.is_empty() && steps.is_empty() {
            return None;
        }
        if !name.is_empty() {
            steps.push(Step::Key(name.replace("\\.", ".")));
        }
        while let Some(r) = rest.strip_prefix('[') {
            let (n, tail) = r.split_once(']')?;
            // Helm caps list indexes the same way, so `a[99999999]` cannot allocate gigabytes.
            let i: usize = n.parse().ok().filter(|&i| i < 65536)?;
            steps.push(Step::Index(i));
            rest = tail;
        }
    }
    (!steps.is_empty()).then_some(steps)
}

fn set_path(t: &mut Tree, path: &[Step], value: Tree) -> Result<(), String> {
    let Some((first, rest)) = path.split_first() else {
        *t = value;
        return Ok(());
    };
    match first {
        Step::Key(k) => {
            if !matches!(t.kind, Kind::Map(_)) {
                t.kind = Kind::Map(BTreeMap::new());
            }
            let Kind::Map(m) = &mut t.kind else { return Ok(()) };
            if rest.is_empty() && value.is_null() {
                m.remove(k);
                return Ok(());
            }
            let child = m.entry(k.clone()).or_insert_with(Tree::empty_map);
            set_path(child, rest, value)
        }
        Step::Index(i) => {
            if !matches!(t.kind, Kind::List(_)) {
                t.kind = Kind::List(Vec::new());
            }
            let Kind::List(items) = &mut t.kind else { return Ok(()) };
            while items.len() <= *i {
                items.push(Tree { kind: Kind::Scalar(Value::Nil), origin: None });
            }
            set_path(&mut items[*i], rest, value)
        }
    }
}

/// Splits on `sep` except where it is escaped with a backslash.
fn split_unescaped(s: &str, sep: char) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut escaped = false;
    for c in s.chars() {
        if c == sep && !escaped {
            out.push(String::new());
        } else if let Some(last) = out.last_mut() {
            last.push(c);
        }
        escaped = c == '\\' && !escaped;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{Limits, yaml};

    fn tree(src: &str) -> Tree {
        let parsed = yaml::parse(src, &Limits::default());
        let file: Arc<str> = Arc::from("values.yaml");
        from_yaml(&file, src, &parsed.docs[0], "")
    }

    #[test]
    fn numbers_are_floats_and_yaml11_words_are_booleans() {
        let t = tree(
            "num: 3\nyes_word: yes\nquoted: \"yes\"\nx: off\noct: 0777\nus: 1_000\nhex: 0x1F\nzero: 0\nver: 1.10\n",
        );
        let num = |k: &str| t.lookup(k).map(|t| t.kind.clone());
        assert_eq!(num("oct"), Some(Kind::Scalar(Value::Float(511.0))));
        assert_eq!(num("us"), Some(Kind::Scalar(Value::Float(1000.0))));
        assert_eq!(num("hex"), Some(Kind::Scalar(Value::Float(31.0))));
        assert_eq!(num("zero"), Some(Kind::Scalar(Value::Float(0.0))));
        assert_eq!(num("ver"), Some(Kind::Scalar(Value::Float(1.1))));
        let keys = tree("m:\n  on: 1\n  Yes: 2\n  off: 3\n  N: 4\n  \"y\": 5\n");
        let Some(Kind::Map(m)) = keys.get("m").map(|t| &t.kind) else { panic!("map") };
        assert_eq!(m.keys().collect::<Vec<_>>(), vec!["false", "true", "y"]);
        assert_eq!(m.get("false").map(|t| &t.kind), Some(&Kind::Scalar(Value::Float(4.0))));
        assert_eq!(t.lookup("num").map(|t| &t.kind), Some(&Kind::Scalar(Value::Float(3.0))));
        assert_eq!(t.lookup("yes_word").map(|t| &t.kind), Some(&Kind::Scalar(Value::Bool(true))));
        assert_eq!(t.lookup("quoted").map(|t| &t.kind), Some(&Kind::Scalar(Value::str("yes"))));
    }

    #[test]
    fn merge_overrides_merges_maps_and_null_deletes() {
        let base = tree("image:\n  repo: nginx\n  tag: \"1.0\"\nkeep: 1\ndrop: 2\n");
        let over = tree("image:\n  tag: latest\ndrop: null\n");
        let m = merge(base, over);
        assert!(m.lookup("drop").is_none());
        assert_eq!(m.lookup("image.repo").map(|t| &t.kind), Some(&Kind::Scalar(Value::str("nginx"))));
        let tag = m.lookup("image.tag").expect("tag");
        assert_eq!(tag.kind, Kind::Scalar(Value::str("latest")));
        assert_eq!(tag.origin.as_ref().map(|o| o.path.as_str()), Some("image.tag"));
    }

    #[test]
    fn nulls_in_defaults_are_dropped_and_user_nulls_delete_defaults() {
        let defaults =
            drop_nulls(tree("sc:\n  runAsUser: 1\n  seLinux: null\nlist:\n  - {z: null}\nres:\n  cpu: 1\n"));
        assert!(defaults.lookup("sc.seLinux").is_none());
        let Some(Kind::List(items)) = defaults.get("list").map(|t| &t.kind) else { panic!("list") };
        assert!(items[0].get("z").is_some(), "nulls inside lists stay");
        let user = overlay(tree("res:\n  cpu: 2\n"), tree("res: null\n"));
        assert!(user.get("res").is_some_and(Tree::is_null), "a later file's null is kept until the merge");
        let merged = merge(defaults, user);
        assert!(merged.get("res").is_none());
    }

    #[test]
    fn set_types_and_paths() {
        let mut t = tree("a: {}\n");
        apply_set(&mut t, "a.b=3,a.c=true,list[1].x=y,esc=a\\,b,ver=010").expect("set");
        assert_eq!(t.lookup("a.b").map(|t| &t.kind), Some(&Kind::Scalar(Value::Int(3))));
        assert_eq!(t.lookup("a.c").map(|t| &t.kind), Some(&Kind::Scalar(Value::Bool(true))));
        assert_eq!(t.lookup("esc").map(|t| &t.kind), Some(&Kind::Scalar(Value::str("a,b"))));
        assert_eq!(t.lookup("ver").map(|t| &t.kind), Some(&Kind::Scalar(Value::str("010"))));
        let Some(Kind::List(items)) = t.get("list").map(|t| &t.kind) else { panic!("list") };
        assert_eq!(items.len(), 2);
        assert!(apply_set(&mut t, "novalue").is_err());
        assert!(apply_set(&mut t, "big[99999999]=1").is_err());
    }

    #[test]
    fn provenance_finds_entries_by_container() {
        let t = tree("image:\n  tag: latest\n");
        let mut prov = Provenance::default();
        let v = t.to_value(&mut prov);
        let Value::Map(root) = &v else { panic!("map") };
        let image = root.get("image").expect("image");
        let c = prov.get(image.container_id().expect("id")).expect("registered");
        let tag = c.entries.get("tag").cloned().flatten().expect("origin");
        assert_eq!(tag.path, "image.tag");
        assert_eq!(tag.span, Span::new(9, 20));
    }
}
