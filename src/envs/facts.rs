//! What an environment says: every key of its files as a path (`module.db.version`,
//! `web.image.tag`) with its value and where it is written.
//!
//! Maps give their keys; list items are named by their `name` key when they have one (a container
//! `web` is `containers.web`), else by position (`hosts.[0]`). Terraform blocks follow the model's
//! JSON-like shape, with the `resource` level left out (`aws_db_instance.main.deletion_protection`).
//! Variables, outputs and locals are inputs to the rest, not settings: they are not facts themselves.

use crate::model::{Node, Value as V};
use crate::span::Span;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// Deepest nesting read; deeper keys are not compared.
const MAX_DEPTH: usize = 64;

/// A place in a file.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Loc {
    pub path: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Value {
    /// A scalar, as text (`true`, `3`, `4.0.1`).
    Scalar(String),
    /// A map or list; `empty` when it holds nothing.
    Tree { list: bool, empty: bool },
    /// An expression whose value is not known statically.
    Unknown,
}

impl Value {
    /// The text protections test: a tree is `{…}` (or `{}` when empty).
    pub fn text(&self) -> Option<&str> {
        match self {
            Value::Scalar(s) => Some(s),
            Value::Tree { empty: false, .. } => Some("{…}"),
            Value::Tree { empty: true, .. } => Some("{}"),
            Value::Unknown => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fact {
    pub value: Value,
    /// Where the value is written: the scalar, or the key of a map, or the `name` of a list item.
    pub at: Loc,
    /// Where an evaluated Terraform value is used, when it was set elsewhere (a `.tfvars` entry).
    pub used: Option<Loc>,
    /// Set more than once with different values in one environment: not compared.
    pub ambiguous: bool,
    /// How messages name the key, when its path does not say it well (pipeline facts).
    pub label: Option<String>,
}

/// One environment's facts in one compared group.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Facts {
    #[serde(with = "pairs")]
    pub map: BTreeMap<Vec<String>, Fact>,
    /// Whether a key missing here is really unset. False for a values file with no chart defaults
    /// beside it: the chart's own `values.yaml` may set what the file leaves out.
    pub complete: bool,
    /// Where a top-level key this environment does not set is reported: the start of its own file.
    pub root: Option<Fact>,
}

/// [`Facts::map`] as a list of `[path, fact]` pairs: JSON (the cache's format) has only string keys.
mod pairs {
    use super::Fact;
    use serde::{Deserialize, Deserializer, Serializer};
    use std::collections::BTreeMap;

    pub fn serialize<S: Serializer>(map: &BTreeMap<Vec<String>, Fact>, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(map)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<Vec<String>, Fact>, D::Error> {
        Ok(Vec::<(Vec<String>, Fact)>::deserialize(d)?.into_iter().collect())
    }
}

impl Facts {
    pub fn new(complete: bool) -> Facts {
        Facts { map: BTreeMap::new(), complete, root: None }
    }

    /// Adds a fact; a second, different value for the same path makes it ambiguous.
    pub fn add(&mut self, path: Vec<String>, fact: Fact) {
        match self.map.get_mut(&path) {
            Some(old) if old.value != fact.value => old.ambiguous = true,
            Some(_) => {}
            None => {
                self.map.insert(path, fact);
            }
        }
    }

    /// Lays `over` on top of these facts the way Helm merges values files: maps merge, anything else
    /// replaces what was below it, and `null` deletes the key.
    pub fn overlay(&mut self, over: Facts) {
        for (path, fact) in over.map {
            let replaces = !matches!(fact.value, Value::Tree { list: false, .. });
            if replaces {
                let below: Vec<Vec<String>> = self
                    .map
                    .range(path.clone()..)
                    .take_while(|(p, _)| p.starts_with(&path))
                    .map(|(p, _)| p.clone())
                    .collect();
                below.iter().for_each(|p| {
                    self.map.remove(p);
                });
            }
            // `null` deletes the key; it stays as `null`, so the line that deleted it can be shown.
            self.map.insert(path, fact);
        }
    }
}

/// Where evaluated Terraform values were set: the replaced expression's span → the origin.
pub type Origins = HashMap<Span, Loc>;

/// Reads the facts of one document of `path` into `out`, under `prefix`.
pub fn read_doc(doc: &Node, path: &str, prefix: Vec<String>, origins: &Origins, out: &mut Facts) {
    let mut reader = Reader { path, origins, out };
    reader.node(doc, prefix, 0);
}

/// The facts of a Terraform document: top-level blocks, with `resource` left out of the path and the
/// module's inputs (`variable`, `locals`, `output`) skipped.
pub fn read_terraform(doc: &Node, path: &str, origins: &Origins, out: &mut Facts) {
    let mut reader = Reader { path, origins, out };
    for e in doc.entries() {
        let prefix = match e.key.as_str() {
            "variable" | "locals" | "output" | "moved" | "import" | "removed" | "check" => continue,
            "resource" => Vec::new(),
            other => vec![other.to_string()],
        };
        reader.children(&e.value, prefix, 1);
    }
}

struct Reader<'a> {
    path: &'a str,
    origins: &'a Origins,
    out: &'a mut Facts,
}

impl Reader<'_> {
    fn loc(&self, span: Span) -> Loc {
        Loc { path: self.path.to_string(), span }
    }

    /// Records `node` at `key`, then what is below it.
    fn node(&mut self, node: &Node, key: Vec<String>, depth: usize) {
        self.record(node, &key, node.span);
        self.children(node, key, depth);
    }

    fn record(&mut self, node: &Node, key: &[String], key_span: Span) {
        if key.is_empty() {
            return;
        }
        let (value, at) = match &node.value {
            V::Map(e) => (Value::Tree { list: false, empty: e.is_empty() }, key_span),
            V::List(i) => (Value::Tree { list: true, empty: i.is_empty() }, key_span),
            V::Expr(_) => (Value::Unknown, node.span),
            _ => (Value::Scalar(node.scalar_text().unwrap_or_default()), node.span),
        };
        let (at, used) = match self.origins.get(&node.span) {
            Some(origin) => (origin.clone(), Some(self.loc(node.span))),
            None => (self.loc(at), None),
        };
        self.out.add(key.to_vec(), Fact { value, at, used, ambiguous: false, label: None });
    }

    fn children(&mut self, node: &Node, key: Vec<String>, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        match &node.value {
            V::Map(entries) => {
                for e in entries {
                    let mut child = key.clone();
                    child.push(e.key.clone());
                    self.record(&e.value, &child, e.key_span);
                    self.children(&e.value, child, depth + 1);
                }
            }
            V::List(items) => {
                for (i, item) in items.iter().enumerate() {
                    let named = item.get("name").filter(|n| n.as_str().is_some());
                    let mut child = key.clone();
                    child.push(named.and_then(Node::as_str).map_or_else(|| format!("[{i}]"), str::to_string));
                    self.record(item, &child, named.map_or(item.span, |n| n.span));
                    self.children(item, child, depth + 1);
                }
            }
            _ => {}
        }
    }
}

/// A path as people read it: `aws_db_instance.main.deletion_protection`; segments holding dots or
/// spaces are quoted (`provider["registry.terraform.io/hashicorp/aws"].version`), and a Kubernetes
/// object leads (`Deployment/web spec.replicas`).
pub fn display(path: &[String]) -> String {
    let (lead, rest) = match path.split_first() {
        Some((first, rest)) if is_object(first) => (format!("{first} "), rest),
        _ => (String::new(), path),
    };
    let mut out = String::new();
    for seg in rest {
        if seg.starts_with('[') {
            out.push_str(seg);
        } else if seg.contains(['.', ' ', ':']) {
            out.push_str(&format!("[\"{seg}\"]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(seg);
        }
    }
    format!("{lead}{out}")
}

/// `Deployment/web`: how Kubernetes objects lead their paths.
fn is_object(segment: &str) -> bool {
    segment.split_once('/').is_some_and(|(kind, name)| {
        kind.starts_with(|c: char| c.is_ascii_uppercase()) && !name.is_empty() && !name.contains('/')
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{Limits, hcl, yaml};

    fn yaml_facts(text: &str) -> Facts {
        let parsed = yaml::parse(text, &Limits::default());
        let mut out = Facts::new(true);
        for doc in &parsed.docs {
            read_doc(doc, "v.yaml", Vec::new(), &Origins::new(), &mut out);
        }
        out
    }

    fn keys(f: &Facts) -> Vec<String> {
        f.map.keys().map(|k| display(k)).collect()
    }

    #[test]
    fn yaml_paths_name_list_items() {
        let f = yaml_facts("image:\n  tag: 1.2\ncontainers:\n  - name: web\n    image: a:1\n  - b\n");
        assert_eq!(
            keys(&f),
            [
                "containers",
                "containers[1]",
                "containers.web",
                "containers.web.image",
                "containers.web.name",
                "image",
                "image.tag"
            ]
        );
        assert_eq!(
            f.map.get(&vec!["image".to_string(), "tag".to_string()]).map(|x| &x.value),
            Some(&Value::Scalar("1.2".into()))
        );
    }

    #[test]
    fn overlays_merge_like_helm() {
        let mut base =
            yaml_facts("image:\n  repository: app\n  tag: 1.0\nprobe:\n  path: /\nextra: {a: 1}\n");
        base.overlay(yaml_facts("image:\n  tag: 1.1\nprobe: null\nextra: 3\n"));
        // `probe: null` deleted the probe: the `null` stays, to show where.
        assert_eq!(keys(&base), ["extra", "image", "image.repository", "image.tag", "probe"]);
        let tag = base.map.get(&vec!["image".to_string(), "tag".to_string()]).map(|x| x.value.clone());
        assert_eq!(tag, Some(Value::Scalar("1.1".into())));
    }

    #[test]
    fn terraform_blocks_without_the_resource_level() {
        let text = "resource \"aws_db_instance\" \"main\" {\n  deletion_protection = true\n}\nmodule \"db\" {\n  version = \"1.0\"\n}\nvariable \"x\" {\n  default = 1\n}\n";
        let parsed = hcl::parse(text, &Limits::default());
        let mut out = Facts::new(true);
        read_terraform(&parsed.docs[0], "main.tf", &Origins::new(), &mut out);
        assert_eq!(
            keys(&out),
            [
                "aws_db_instance",
                "aws_db_instance.main",
                "aws_db_instance.main.deletion_protection",
                "module.db",
                "module.db.version"
            ]
        );
    }

    #[test]
    fn display_quotes_addresses() {
        let p: Vec<String> =
            ["provider", "registry.terraform.io/hashicorp/aws", "version"].map(String::from).to_vec();
        assert_eq!(display(&p), "provider[\"registry.terraform.io/hashicorp/aws\"].version");
        let p: Vec<String> = ["Deployment/web", "spec", "replicas"].map(String::from).to_vec();
        assert_eq!(display(&p), "Deployment/web spec.replicas");
    }
}
