//! `fromYaml`: YAML read as Helm reads it (go-yaml v2, so YAML 1.1 scalars, then JSON, so every number
//! is a float64), through the crate's tree-sitter YAML parser.

use std::collections::BTreeMap;

use super::super::value::{Value, go_float};
use crate::model::{Node, Value as Model};
use crate::parse::Limits;
use crate::parse::yaml::{Schema, parse_with_schema, plain_scalar_yaml11};

/// The first document of `s`, or go-yaml's kind of message when it is not valid YAML.
pub fn from_yaml(s: &str) -> Result<Value, String> {
    let parsed = parse_with_schema(s, &Limits::default(), Schema::Yaml11);
    if let Some(issue) = parsed.issues.first() {
        let line = s[..(issue.span.start as usize).min(s.len())].matches('\n').count() + 1;
        return Err(format!("error converting YAML to JSON: yaml: line {line}: {}", issue.message));
    }
    Ok(parsed.docs.first().map(|d| convert(d, s)).unwrap_or_default())
}

/// A map key as go-yaml v2 then sigs.k8s.io/yaml make it: a plain `yes`, `on` or `y` is the boolean
/// true, written `"true"`; `~` is `"null"`; a plain number is written in Go's form.
fn key(e: &crate::model::Entry, src: &str) -> String {
    let raw = src.get(e.key_span.range()).unwrap_or("");
    if raw.starts_with(['"', '\'', '|', '>']) {
        return e.key.clone();
    }
    match plain_scalar_yaml11(&e.key) {
        Model::Bool(b) => b.to_string(),
        Model::Null if !e.key.is_empty() => "null".into(),
        Model::Number(f) => go_float(f),
        _ => e.key.clone(),
    }
}

fn convert(n: &Node, src: &str) -> Value {
    match &n.value {
        Model::Null => Value::Nil,
        Model::Bool(b) => Value::Bool(*b),
        Model::Number(f) => Value::Float(*f),
        Model::Str(s) => Value::Str(s.clone()),
        Model::List(items) => Value::list(items.iter().map(|x| convert(x, src)).collect()),
        Model::Map(entries) => {
            let m: BTreeMap<String, Value> =
                entries.iter().map(|e| (key(e, src), convert(&e.value, src))).collect();
            Value::map(m)
        }
        Model::Expr(_) => Value::Nil,
    }
}
