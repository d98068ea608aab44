//! Encoding and hashing functions: JSON, YAML, base64, URL encoding, digests.

use super::{string_node, text};
use crate::model::{Entry, Node, Value, format_number};
use crate::parse::Limits;
use crate::span::Span;
use crate::terraform::eval::{Fail, MAX_STRING, MAX_VALUE_NODES, count_nodes};
use base64::Engine;
use sha2::Digest;

/// Deepest value encoded or decoded.
const MAX_DEPTH: usize = 128;

/// `Ok(None)`: not one of these functions.
pub(super) fn apply(name: &str, span: Span, args: &[Node]) -> Result<Option<Node>, Fail> {
    let s = || text(args.first());
    let out = |v: String| string_node(span, v).map(Some);
    let b64 = base64::engine::general_purpose::STANDARD;
    match (name, args.len()) {
        ("jsonencode", 1) => out(to_json(args.first().ok_or(Fail::Error)?, 0)?.to_string()),
        ("jsondecode", 1) => {
            let json: serde_json::Value = serde_json::from_str(&s()?).map_err(|_| Fail::Error)?;
            bounded_value(from_json(&json, span, 0)?).map(Some)
        }
        ("yamldecode", 1) => yamldecode(span, &s()?).map(Some),
        ("yamlencode", 1) => {
            let mut yaml = String::new();
            yaml_value(args.first().ok_or(Fail::Error)?, 0, &mut yaml)?;
            out(yaml)
        }
        ("base64encode", 1) => out(b64.encode(s()?.as_bytes())),
        ("base64decode", 1) => {
            let bytes = b64.decode(s()?.as_bytes()).map_err(|_| Fail::Error)?;
            out(String::from_utf8(bytes).map_err(|_| Fail::Error)?)
        }
        ("urlencode", 1) => out(urlencode(&s()?)),
        ("md5", 1) => out(hex(&md5::Md5::digest(s()?.as_bytes()))),
        ("sha1", 1) => out(hex(&sha1::Sha1::digest(s()?.as_bytes()))),
        ("sha256", 1) => out(hex(&sha2::Sha256::digest(s()?.as_bytes()))),
        ("sha512", 1) => out(hex(&sha2::Sha512::digest(s()?.as_bytes()))),
        ("base64sha256", 1) => out(b64.encode(sha2::Sha256::digest(s()?.as_bytes()))),
        ("base64sha512", 1) => out(b64.encode(sha2::Sha512::digest(s()?.as_bytes()))),
        _ => Ok(None),
    }
}

fn hex(bytes: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(bytes)
}

fn bounded_value(node: Node) -> Result<Node, Fail> {
    if count_nodes(&node, MAX_VALUE_NODES) >= MAX_VALUE_NODES { Err(Fail::Unknown) } else { Ok(node) }
}

pub(super) fn to_json(node: &Node, depth: usize) -> Result<serde_json::Value, Fail> {
    if depth > MAX_DEPTH {
        return Err(Fail::Unknown);
    }
    Ok(match &node.value {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => serde_json::Value::from(*n as i64),
        Value::Number(n) => {
            serde_json::Number::from_f64(*n).map(serde_json::Value::Number).ok_or(Fail::Error)?
        }
        Value::Str(s) => serde_json::Value::String(s.clone()),
        Value::List(items) => {
            serde_json::Value::Array(items.iter().map(|n| to_json(n, depth + 1)).collect::<Result<_, _>>()?)
        }
        Value::Map(entries) => {
            let mut map = serde_json::Map::new();
            for e in entries {
                map.insert(e.key.clone(), to_json(&e.value, depth + 1)?);
            }
            serde_json::Value::Object(map)
        }
        Value::Expr(_) => return Err(Fail::Unknown),
    })
}

fn from_json(json: &serde_json::Value, span: Span, depth: usize) -> Result<Node, Fail> {
    if depth > MAX_DEPTH {
        return Err(Fail::Unknown);
    }
    let value = match json {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => Value::Number(n.as_f64().ok_or(Fail::Unknown)?),
        serde_json::Value::String(s) => Value::Str(s.clone()),
        serde_json::Value::Array(items) => {
            Value::List(items.iter().map(|j| from_json(j, span, depth + 1)).collect::<Result<_, _>>()?)
        }
        serde_json::Value::Object(map) => Value::Map(
            map.iter()
                .map(|(k, j)| {
                    Ok(Entry { key: k.clone(), key_span: span, value: from_json(j, span, depth + 1)? })
                })
                .collect::<Result<_, Fail>>()?,
        ),
    };
    Ok(Node::new(span, value))
}

/// `yamldecode`: exactly one document (none is null), parsed by smelt's own YAML reader, with the
/// same bounds on nesting and alias expansion as a YAML file.
fn yamldecode(span: Span, text: &str) -> Result<Node, Fail> {
    let parsed = crate::parse::yaml::parse(text, &Limits::default());
    if !parsed.issues.is_empty() {
        return Err(Fail::Error);
    }
    let mut docs = parsed.docs.into_iter();
    let mut doc = match (docs.next(), docs.next()) {
        (None, _) => Node::new(span, Value::Null),
        (Some(doc), None) => doc,
        (Some(_), Some(_)) => return Err(Fail::Error),
    };
    let mut unknown = false;
    doc.walk(&mut |n| unknown |= n.is_unknown() || n.tag.is_some());
    if unknown {
        return Err(Fail::Unknown);
    }
    crate::terraform::eval::respan(&mut doc, span);
    bounded_value(doc)
}

/// `yamlencode` as Terraform writes it: block style, keys sorted, every string double-quoted.
/// Multi-line strings (which Terraform writes as literal blocks) stay unknown.
fn yaml_value(node: &Node, indent: usize, out: &mut String) -> Result<(), Fail> {
    if indent > MAX_DEPTH * 2 || out.len() > MAX_STRING {
        return Err(Fail::Unknown);
    }
    match &node.value {
        Value::List(items) if !items.is_empty() => {
            for item in items {
                out.push_str(&" ".repeat(indent));
                out.push_str("- ");
                yaml_nested(item, indent + 2, out)?;
            }
        }
        Value::Map(entries) if !entries.is_empty() => {
            let mut sorted: Vec<&Entry> = entries.iter().collect();
            sorted.sort_by(|a, b| a.key.cmp(&b.key));
            for e in sorted {
                out.push_str(&" ".repeat(indent));
                out.push_str(&yaml_scalar(&Node::new(e.key_span, Value::Str(e.key.clone())))?);
                out.push(':');
                match &e.value.value {
                    Value::List(items) if !items.is_empty() => {
                        out.push('\n');
                        yaml_value(&e.value, indent, out)?;
                    }
                    Value::Map(m) if !m.is_empty() => {
                        out.push('\n');
                        yaml_value(&e.value, indent + 2, out)?;
                    }
                    _ => {
                        out.push(' ');
                        out.push_str(&yaml_scalar(&e.value)?);
                        out.push('\n');
                    }
                }
            }
        }
        _ => {
            out.push_str(&yaml_scalar(node)?);
            out.push('\n');
        }
    }
    Ok(())
}

/// An item after `- `: a map or list starts on the same line, its later lines indented.
fn yaml_nested(node: &Node, indent: usize, out: &mut String) -> Result<(), Fail> {
    let mut inner = String::new();
    yaml_value(node, indent, &mut inner)?;
    out.push_str(inner.get(indent..).filter(|_| inner.starts_with(&" ".repeat(indent))).unwrap_or(&inner));
    Ok(())
}

fn yaml_scalar(node: &Node) -> Result<String, Fail> {
    Ok(match &node.value {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => format_number(*n),
        Value::Str(s) if s.contains(['\n', '\r']) => return Err(Fail::Unknown),
        Value::Str(s) if s.chars().any(|c| c.is_control()) => return Err(Fail::Unknown),
        Value::Str(s) => serde_json::Value::String(s.clone()).to_string(),
        Value::List(_) => "[]".to_string(),
        Value::Map(_) => "{}".to_string(),
        Value::Expr(_) => return Err(Fail::Unknown),
    })
}

/// Go's `url.QueryEscape`.
fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
