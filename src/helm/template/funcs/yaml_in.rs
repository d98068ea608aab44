//! `fromYaml`: YAML read as Helm reads it (go-yaml v2, so YAML 1.1 scalars, then JSON, so every number
//! is a float64), through the crate's tree-sitter YAML parser.

use std::collections::BTreeMap;

use super::super::value::{MAX_NESTING, Value, go_float};
use crate::model::{Node, Value as Model};
use crate::parse::Limits;
use crate::parse::yaml::{Schema, parse_with_schema, plain_scalar_yaml11};

/// The first document of `s`, or go-yaml's kind of message when it is not valid YAML (or, as the JSON
/// step refuses them, holds infinities, NaN or a null key).
pub fn from_yaml(s: &str) -> Result<Value, String> {
    let parsed = parse_with_schema(s, &Limits::default(), Schema::Yaml11);
    if let Some(issue) = parsed.issues.first() {
        let line = s[..(issue.span.start as usize).min(s.len())].matches('\n').count() + 1;
        return Err(format!("error converting YAML to JSON: yaml: line {line}: {}", issue.message));
    }
    match parsed.docs.first() {
        Some(d) => convert(d, s, 0),
        None => Ok(Value::Nil),
    }
}

/// A map key as go-yaml v2 then sigs.k8s.io/yaml make it: a plain `yes`, `on` or `y` is the boolean
/// true, written `"true"`; a plain number is written in Go's form; a null key is refused.
fn key(e: &crate::model::Entry, src: &str) -> Result<String, String> {
    let raw = src.get(e.key_span.range()).unwrap_or("");
    if raw.starts_with(['"', '\'', '|', '>']) {
        return Ok(e.key.clone());
    }
    match plain_scalar_yaml11(&e.key) {
        Model::Bool(b) => Ok(b.to_string()),
        Model::Null => Err("error converting YAML to JSON: unsupported map key of type: %!s(<nil>)".into()),
        Model::Number(f) => Ok(go_float(f)),
        _ => Ok(e.key.clone()),
    }
}

fn convert(n: &Node, src: &str, depth: usize) -> Result<Value, String> {
    if depth > MAX_NESTING {
        return Err(format!("error converting YAML to JSON: nesting deeper than {MAX_NESTING} levels"));
    }
    Ok(match (&n.value, n.tag()) {
        // An explicit tag on a quoted scalar retypes it (`!!int "3"` is 3).
        (Model::Str(s), Some("!!int" | "!!float" | "!!bool" | "!!null")) => {
            return convert(&Node::new(n.span, plain_scalar_yaml11(s)), src, depth);
        }
        (Model::Null, _) => Value::Nil,
        (Model::Bool(b), _) => Value::Bool(*b),
        (Model::Number(f), _) if !f.is_finite() => {
            let v = if f.is_nan() {
                "NaN"
            } else if *f > 0.0 {
                "+Inf"
            } else {
                "-Inf"
            };
            return Err(format!("error converting YAML to JSON: json: unsupported value: {v}"));
        }
        (Model::Number(f), _) => Value::Float(*f),
        (Model::Str(s), _) => Value::Str(s.clone()),
        (Model::List(items), _) => {
            let mut out = Vec::with_capacity(items.len());
            for x in items {
                out.push(convert(x, src, depth + 1)?);
            }
            Value::list(out)
        }
        (Model::Map(entries), _) => {
            let mut m = BTreeMap::new();
            for e in entries {
                m.insert(key(e, src)?, convert(&e.value, src, depth + 1)?);
            }
            Value::map(m)
        }
        (Model::Expr(_), _) => Value::Nil,
    })
}
