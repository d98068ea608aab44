//! `fromYaml`: YAML read as Helm reads it (go-yaml v2, so YAML 1.1 scalars, then JSON, so every number
//! is a float64), through the crate's tree-sitter YAML parser.

use std::collections::BTreeMap;

use super::super::value::Value;
use crate::model::{Node, Value as Model};
use crate::parse::Limits;
use crate::parse::yaml::{Schema, parse_with_schema};

/// The first document of `s`, or go-yaml's kind of message when it is not valid YAML.
pub fn from_yaml(s: &str) -> Result<Value, String> {
    let parsed = parse_with_schema(s, &Limits::default(), Schema::Yaml11);
    if let Some(issue) = parsed.issues.first() {
        let line = s[..(issue.span.start as usize).min(s.len())].matches('\n').count() + 1;
        return Err(format!("error converting YAML to JSON: yaml: line {line}: {}", issue.message));
    }
    Ok(parsed.docs.first().map(convert).unwrap_or_default())
}

fn convert(n: &Node) -> Value {
    match &n.value {
        Model::Null => Value::Nil,
        Model::Bool(b) => Value::Bool(*b),
        Model::Number(f) => Value::Float(*f),
        Model::Str(s) => Value::Str(s.clone()),
        Model::List(items) => Value::list(items.iter().map(convert).collect()),
        Model::Map(entries) => {
            let m: BTreeMap<String, Value> =
                entries.iter().map(|e| (e.key.clone(), convert(&e.value))).collect();
            Value::map(m)
        }
        Model::Expr(_) => Value::Nil,
    }
}
